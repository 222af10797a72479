"""团长: members apply with a pickup point proposal; operators approve (pickup point + leader code) or reject;
leaders can be suspended and resumed. A leader's link and QR bring members to the leader's page."""

import io
import secrets

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.permissions import require
from shequn.stores.models import PickupPoint, Store

from .errors import InvalidLeaderApplication, LeaderStateConflict, NotTheLeader
from .models import Leader, LeaderApplication

CAMPAIGNS = "commerce.campaigns"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed
CODE_LENGTH = 6


def check_acting_for(actor: Actor, member) -> None:
    """A member session acts only for itself; staff need the campaigns permission."""
    if actor.kind == "member":
        if str(actor.id) != str(member.pk):
            raise NotTheLeader("You can only apply for yourself.")
        return
    require(actor, CAMPAIGNS)


def _text(value: str, field: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidLeaderApplication(f"{field} is required.", field=field)
    if len(value) > max_length:
        raise InvalidLeaderApplication(f"{field} has at most {max_length} characters.", field=field)
    return value


def apply(actor: Actor, member, *, point_name: str, address: str, hours: str = "", store: Store,
          note: str = "") -> LeaderApplication:
    """申请成为团长: the pickup point proposal (name, address, hours) and the store that would supply it."""
    check_acting_for(actor, member)
    point_name = _text(point_name, "point_name", 60)
    address = _text(address, "address", 200)
    hours = _text(hours, "hours", 60, required=False)
    note = _text(note, "note", 200, required=False)
    if store is None or not store.is_active:
        raise InvalidLeaderApplication("Choose an open store to supply the pickup point.", field="store_code")
    if not member.is_active:
        raise InvalidLeaderApplication("This member account is closed.", field="member_id")
    if Leader.objects.filter(member=member).exists():
        raise LeaderStateConflict("This member is already a leader.", member_id=member.pk)
    try:
        with transaction.atomic():
            application = LeaderApplication.objects.create(member=member, point_name=point_name, address=address,
                                                           hours=hours, store=store, note=note)
            audit.record(actor, "groupbuy.leader_applied", application, store_id=store.pk,
                         after={"member_id": member.pk, "point_name": point_name})
            outbox.emit("groupbuy.leader_applied", "leader_application", application.pk, member_id=member.pk)
    except IntegrityError:
        raise LeaderStateConflict("This member already has an application waiting for review.",
                                  member_id=member.pk) from None
    return application


def _lock_pending(application: LeaderApplication) -> LeaderApplication:
    application = LeaderApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != LeaderApplication.Status.PENDING:
        raise LeaderStateConflict(f"Application {application.pk} is {application.get_status_display()}.",
                                  status_now=application.status)
    return application


def _check_store_scope(actor: Actor, store_id: int) -> None:
    if actor.store_ids is not None and store_id not in actor.store_ids:
        raise LeaderStateConflict("This store is outside your stores.", type="out-of-scope", status=404)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def approve(actor: Actor, application: LeaderApplication) -> Leader:
    """通过: create the pickup point and the leader with a fresh short code."""
    require(actor, CAMPAIGNS)
    _check_store_scope(actor, application.store_id)
    with transaction.atomic():
        application = _lock_pending(application)
        if Leader.objects.filter(member_id=application.member_id).exists():
            raise LeaderStateConflict("This member is already a leader.", member_id=application.member_id)
        point = PickupPoint.objects.create(name=application.point_name, store_id=application.store_id,
                                           address=application.address, hours=application.hours)
        leader = None
        for _ in range(10):
            try:
                with transaction.atomic():
                    leader = Leader.objects.create(member_id=application.member_id, code=new_code(),
                                                   pickup_point=point, application=application)
                break
            except IntegrityError:
                continue
        if leader is None:
            raise LeaderStateConflict("Could not find a free leader code; try again.")
        application.status, application.decided_by, application.decided_at = (
            LeaderApplication.Status.APPROVED, actor.label[:150], timezone.now())
        application.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(actor, "groupbuy.leader_approved", leader, store_id=application.store_id,
                     after={"code": leader.code, "pickup_point_id": point.pk, "application_id": application.pk})
        outbox.emit("groupbuy.leader_approved", "leader", leader.pk, member_id=leader.member_id, code=leader.code)
    return leader


def reject(actor: Actor, application: LeaderApplication, *, reason: str) -> LeaderApplication:
    require(actor, CAMPAIGNS)
    _check_store_scope(actor, application.store_id)
    reason = _text(reason, "reason", 200)
    with transaction.atomic():
        application = _lock_pending(application)
        application.status, application.reject_reason = LeaderApplication.Status.REJECTED, reason
        application.decided_by, application.decided_at = actor.label[:150], timezone.now()
        application.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
        audit.record(actor, "groupbuy.leader_rejected", application, store_id=application.store_id,
                     after={"reason": reason})
        outbox.emit("groupbuy.leader_rejected", "leader_application", application.pk,
                    member_id=application.member_id, reason=reason)
    return application


def _set_status(actor: Actor, leader: Leader, status: str, reason: str) -> Leader:
    require(actor, CAMPAIGNS)
    with transaction.atomic():
        leader = Leader.objects.select_for_update().select_related("pickup_point").get(pk=leader.pk)
        _check_store_scope(actor, leader.pickup_point.store_id)
        if leader.status == status:
            return leader
        leader.status, leader.suspend_reason = status, reason
        leader.save(update_fields=["status", "suspend_reason"])
        PickupPoint.objects.filter(pk=leader.pickup_point_id).update(is_active=status == Leader.Status.ACTIVE)
        audit.record(actor, f"groupbuy.leader_{'resumed' if status == Leader.Status.ACTIVE else 'suspended'}",
                     leader, store_id=leader.pickup_point.store_id, after={"reason": reason})
    return leader


def suspend(actor: Actor, leader: Leader, *, reason: str) -> Leader:
    """暂停: the leader's link stops taking orders and the pickup point closes for new orders."""
    return _set_status(actor, leader, Leader.Status.SUSPENDED, _text(reason, "reason", 200))


def resume(actor: Actor, leader: Leader) -> Leader:
    return _set_status(actor, leader, Leader.Status.ACTIVE, "")


def leader_path(leader: Leader | str) -> str:
    code = leader.code if isinstance(leader, Leader) else leader
    return f"/m/gb/{code}/"


def leader_url(leader: Leader | str, base_url: str = "") -> str:
    base = (base_url or getattr(settings, "SHEQUN_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
    return base + leader_path(leader)


def qr_svg(leader: Leader | str, base_url: str = "", scale: int = 6) -> str:
    """The leader's link as a QR (SVG), for posters in the pickup point and the group chat."""
    buffer = io.BytesIO()
    segno.make(leader_url(leader, base_url), error="m").save(buffer, kind="svg", scale=scale, border=2,
                                                             xmldecl=False, svgns=True)
    return buffer.getvalue().decode()
