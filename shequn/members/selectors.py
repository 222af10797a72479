"""Member reads, always filtered to the actor's stores."""

from django.db.models import Q, QuerySet

from shequn.core import pii
from shequn.core.actor import Actor
from shequn.core.errors import NotFound
from shequn.core.phones import InvalidPhone, normalise_cn_mobile

from .models import Member


def members_visible_to(actor: Actor) -> QuerySet[Member]:
    qs = Member.objects.select_related("loyalty__tier", "home_store")
    if actor.store_ids is not None:
        qs = qs.filter(home_store_id__in=actor.store_ids)
    return qs


def get_member(actor: Actor, member_id: int) -> Member:
    """404 for members outside the actor's stores, as if they did not exist."""
    member = members_visible_to(actor).filter(pk=member_id).first() if 0 < member_id < 2**63 else None
    if member is None:
        raise NotFound(f"No member {member_id}.", type="member-not-found")
    return member


def search_members(actor: Actor, *, q: str = "", tier: str = "", store: str = "") -> QuerySet[Member]:
    """q matches a full phone number, a member number or (part of) a name."""
    qs = members_visible_to(actor)
    q = (q or "").strip()
    if q:
        condition = Q(member_no__iexact=q) | Q(name__icontains=q) | Q(external_id=q)
        try:
            condition |= Q(phone_hash=pii.blind_index(normalise_cn_mobile(q)))
        except InvalidPhone:
            pass
        qs = qs.filter(condition)
    if tier:
        qs = qs.filter(loyalty__tier__code=tier)
    if store:
        qs = qs.filter(home_store__code=store)
    return qs
