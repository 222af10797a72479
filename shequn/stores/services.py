import re
from zoneinfo import available_timezones

from django.db import IntegrityError, transaction

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, ValidationProblem

from .models import Store

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def create_store(actor: Actor, *, code: str, name: str, city: str = "",
                 timezone: str = "Asia/Shanghai", address: str = "") -> Store:
    code = code.strip()
    if not CODE_RE.match(code):
        raise ValidationProblem("Store code must be 1-32 letters, digits, '-' or '_'.",
                                type="invalid-store-code")
    if not name.strip() or len(name.strip()) > 100:
        raise ValidationProblem("Store name is required (at most 100 characters).", type="invalid-store-name")
    if len(city.strip()) > 64 or len(address.strip()) > 200:
        raise ValidationProblem("City is at most 64 characters and address at most 200.", type="invalid-store")
    if timezone not in available_timezones():
        raise ValidationProblem(f"Unknown time zone: {timezone}", type="invalid-timezone")
    try:
        with transaction.atomic():
            store = Store.objects.create(code=code, name=name.strip(), city=city.strip(),
                                         timezone=timezone, address=address.strip())
            audit.record(actor, "store.created", store, after={"code": code, "name": store.name})
            outbox.emit("store.created", "store", store.pk, code=code, name=store.name)
    except IntegrityError as exc:
        raise Conflict(f"A store with code {code} already exists.", type="store-exists") from exc
    return store
