from django.db.models import QuerySet

from shequn.core.actor import Actor
from shequn.core.errors import NotFound

from .models import Store


def stores_visible_to(actor: Actor) -> QuerySet[Store]:
    qs = Store.objects.all()
    if actor.store_ids is not None:
        qs = qs.filter(pk__in=actor.store_ids)
    return qs


def store_by_code(actor: Actor, code: str) -> Store:
    store = stores_visible_to(actor).filter(code=code).first()
    if store is None:
        raise NotFound(f"No store with code {code}.", type="store-not-found")
    return store
