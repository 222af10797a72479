"""Personal invite links of seed users and KOLs, and how many members each brought in."""

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict

from .errors import NotAGroupMember
from .groups import check_acting_for
from .membership import join_group
from .models import GroupEvent, InviteLink, Membership
from .selectors import current_membership, get_invite_link

INTERACTIONS = [k for k in GroupEvent.Kind.values if k not in ("join", "leave", "order")]


def invite_link_url(code) -> str:
    code = code.code if isinstance(code, InviteLink) else code
    return f"/m/invite/{code}/"


def create_invite_link(actor: Actor, member, group=None) -> InviteLink:
    """The member's link (to a group they are in, or to their groups in general); one per member and group."""
    check_acting_for(actor, member)
    if group is not None and current_membership(group, member) is None:
        raise NotAGroupMember(f"Member {member.pk} is not in {group.name}; only members can invite to it.")
    existing = InviteLink.objects.filter(inviter=member, group=group).first()
    if existing is not None:
        return existing
    for _ in range(5):
        try:
            with transaction.atomic():
                link = InviteLink.objects.create(code=secrets.token_urlsafe(6), inviter=member, group=group)
                audit.record(actor, "invite_link.created", link,
                             after={"inviter": member.pk, "group": group.pk if group else None})
                outbox.emit("invite_link.created", "member", member.pk, code=link.code)
            return link
        except IntegrityError:
            continue
    raise Conflict("Could not allocate a unique code; try again.", type="invite-code-collision")


def invite_target_group(link: InviteLink):
    """The link's group, or the inviter's most recently joined group."""
    if link.group_id:
        return link.group
    membership = (Membership.objects.filter(member=link.inviter, left_at__isnull=True)
                  .select_related("group").order_by("-joined_at", "-id").first())
    return membership.group if membership else None


def join_via_invite(actor: Actor, code: str, member, *, accepted_rules_version: int | None = None,
                    source: str = "h5") -> tuple[Membership, bool]:
    link = code if isinstance(code, InviteLink) else get_invite_link(code)
    group = invite_target_group(link)
    if group is None:
        raise Conflict("The inviter is no longer in any group.", type="invite-link-unusable")
    return join_group(actor, group, member, accepted_rules_version=accepted_rules_version,
                      invited_by=link.inviter, source=source)


def inviter_stats(member, *, days: int = 30) -> dict:
    """invited: members brought in; still_in: of whom still in a group; active_30d: of whom interacted
    (posted, replied, reacted, voted, signed up, grabbed) in the last 30 days."""
    invitees = set(Membership.objects.filter(invited_by=member).values_list("member_id", flat=True))
    still_in = set(Membership.objects.filter(invited_by=member, left_at__isnull=True)
                   .values_list("member_id", flat=True))
    since = timezone.now() - dt.timedelta(days=days)
    active = set(GroupEvent.objects.filter(member_id__in=invitees, occurred_at__gte=since, kind__in=INTERACTIONS)
                 .values_list("member_id", flat=True).distinct()) if invitees else set()
    return {"invited": len(invitees), "still_in": len(still_in), f"active_{days}d": len(active),
            "links": InviteLink.objects.filter(inviter=member).count()}
