"""红包: fixed or random (拼手气) split of a total over N shares, for current group members only.

Limits: 1–200 shares, at most ¥2,000 (200,000 fen) per packet, at least 1 fen per share,
expiry between 1 minute and 7 days (default 24 hours). Spend is a GroupCost of the group;
whatever is left at expiry comes back as a negative GroupCost.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.errors import Conflict, NotFound, ValidationProblem

from .errors import GroupArchived
from .events import record_event
from .groups import check_acting_for, check_group_scope
from .membership import _current_or_403
from .models import Group, GroupCost, RedPacket, RedPacketGrab

MAX_COUNT = 200
MAX_TOTAL_FEN = 200_000
MIN_EXPIRY = dt.timedelta(minutes=1)
MAX_EXPIRY = dt.timedelta(days=7)


class InvalidRedPacket(ValidationProblem):
    type, title = "invalid-red-packet", "Invalid red packet"


class RedPacketNotFound(NotFound):
    type, title = "red-packet-not-found", "Red packet not found"


class RedPacketEmpty(Conflict):
    type, title = "red-packet-empty", "No shares left"


class AlreadyGrabbed(Conflict):
    type, title = "already-grabbed", "Already grabbed"


class RedPacketExpired(Conflict):
    type, title = "red-packet-expired", "Red packet expired"


def _validate(total_fen: int, count: int, mode: str, greeting: str, expires_in: dt.timedelta) -> None:
    if mode not in RedPacket.Mode.values:
        raise InvalidRedPacket("mode must be random or fixed.", field="mode")
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise InvalidRedPacket(f"count must be between 1 and {MAX_COUNT}.", field="count")
    if not isinstance(total_fen, int) or not 1 <= total_fen <= MAX_TOTAL_FEN:
        raise InvalidRedPacket(f"total_fen must be between 1 and {MAX_TOTAL_FEN} (¥2,000).", field="total_fen")
    if total_fen < count:
        raise InvalidRedPacket(f"{total_fen} fen cannot give {count} shares at least 1 fen each.",
                               field="total_fen")
    if len(greeting) > 60:
        raise InvalidRedPacket("greeting has at most 60 characters.", field="greeting")
    if not MIN_EXPIRY <= expires_in <= MAX_EXPIRY:
        raise InvalidRedPacket("A red packet expires between 1 minute and 7 days after it is sent.",
                               field="expires_in")


def create_red_packet(actor: Actor, group: Group, *, total_fen: int, count: int, mode: str, greeting: str = "",
                      expires_in: dt.timedelta = dt.timedelta(hours=24)) -> RedPacket:
    check_group_scope(actor, group)
    greeting = (greeting or "").strip()
    _validate(total_fen, count, mode, greeting, expires_in)
    if group.status != Group.Status.ACTIVE:
        raise GroupArchived(f"{group.name} is archived.", group_id=group.pk)
    with transaction.atomic():
        packet = RedPacket.objects.create(
            group=group, mode=mode, total_fen=total_fen, count=count, remaining_fen=total_fen,
            remaining_count=count, greeting=greeting or "恭喜发财，大吉大利", expires_at=timezone.now() + expires_in,
            created_by=actor.label[:150])
        GroupCost.objects.create(group=group, kind="red_packet", amount_fen=total_fen, ref=f"rp:{packet.pk}")
        audit.record(actor, "red_packet.created", packet, store_id=group.store_id,
                     after={"group": group.pk, "total_fen": total_fen, "count": count, "mode": mode})
        outbox.emit("red_packet.created", "group", group.pk, red_packet_id=packet.pk, total_fen=total_fen,
                    count=count, mode=mode)
    return packet


def next_share(mode: str, remaining_fen: int, remaining_count: int, rng: random.Random | None = None) -> int:
    """The amount of the next grab. The last share takes the remainder, so shares sum to the total.

    Random: uniform in [1, 2 × mean], capped so every later share can still get 1 fen."""
    if remaining_count <= 1:
        return remaining_fen
    if mode == RedPacket.Mode.FIXED:
        return -(-remaining_fen // remaining_count)  # ceil: the first (total % count) shares get 1 fen more
    upper = min(2 * remaining_fen // remaining_count, remaining_fen - (remaining_count - 1))
    return (rng or random).randint(1, max(1, upper))


def grab_red_packet(actor: Actor, red_packet_id: int, member) -> RedPacketGrab:
    check_acting_for(actor, member)
    with transaction.atomic():
        packet = (RedPacket.objects.select_for_update().select_related("group")
                  .filter(pk=red_packet_id).first() if 0 < red_packet_id < 2**63 else None)
        if packet is None or (actor.store_ids is not None and packet.group.store_id not in actor.store_ids):
            raise RedPacketNotFound(f"No red packet {red_packet_id}.")
        group = packet.group
        _current_or_403(group, member)
        if RedPacketGrab.objects.filter(red_packet=packet, member=member).exists():
            raise AlreadyGrabbed("You have already grabbed this red packet.", red_packet_id=packet.pk)
        if packet.status == RedPacket.Status.EXPIRED or packet.expires_at <= timezone.now():
            raise RedPacketExpired("This red packet has expired.", red_packet_id=packet.pk)
        if packet.remaining_count == 0:
            raise RedPacketEmpty("All shares of this red packet are taken.", red_packet_id=packet.pk)
        amount = next_share(packet.mode, packet.remaining_fen, packet.remaining_count)
        packet.remaining_fen -= amount
        packet.remaining_count -= 1
        if packet.remaining_count == 0:
            packet.status = RedPacket.Status.EMPTY
        packet.save(update_fields=["remaining_fen", "remaining_count", "status"])
        grab = RedPacketGrab.objects.create(red_packet=packet, member=member, amount_fen=amount)
        record_event(group.pk, "red_packet_grab", event_id=f"rp_grab:{grab.pk}", member_id=member.pk,
                     occurred_at=grab.created_at, source="system",
                     payload={"red_packet_id": packet.pk, "amount_fen": amount})
        outbox.emit("red_packet.grabbed", "group", group.pk, red_packet_id=packet.pk, member_id=member.pk,
                    amount_fen=amount)
    return grab


def expire_red_packets(now: dt.datetime | None = None) -> int:
    """Close open packets past their expiry and book the remainder back to the group. Returns how many."""
    now = now or timezone.now()
    expired = 0
    for pk in RedPacket.objects.filter(status=RedPacket.Status.OPEN, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            packet = RedPacket.objects.select_for_update().get(pk=pk)
            if packet.status != RedPacket.Status.OPEN:
                continue
            refund = packet.remaining_fen
            packet.status, packet.refunded_fen = RedPacket.Status.EXPIRED, refund
            packet.remaining_fen, packet.remaining_count = 0, 0
            packet.save(update_fields=["status", "refunded_fen", "remaining_fen", "remaining_count"])
            if refund:
                GroupCost.objects.create(group_id=packet.group_id, kind="red_packet_refund", amount_fen=-refund,
                                         ref=f"rp:{packet.pk}")
            audit.record(SYSTEM, "red_packet.expired", packet, after={"refunded_fen": refund})
            outbox.emit("red_packet.expired", "group", packet.group_id, red_packet_id=packet.pk, refunded_fen=refund)
            expired += 1
    return expired


def check_red_packets() -> list[dict]:
    """Recompute every red packet from its grabs and the group cost ledger.

    A packet is right when total = grabbed + remaining + refunded, the shares left
    equal count - grabs (none once expired), and its group costs net to total - refunded."""
    from django.db.models import Count, Sum

    grabbed = {row["red_packet_id"]: row for row in RedPacketGrab.objects.values("red_packet_id")
               .annotate(fen=Sum("amount_fen"), n=Count("id")).order_by()}
    costs = dict(GroupCost.objects.filter(kind__in=["red_packet", "red_packet_refund"])
                 .values_list("ref").annotate(s=Sum("amount_fen")).order_by())
    drift = []
    rows = RedPacket.objects.values_list("pk", "total_fen", "count", "remaining_fen", "remaining_count",
                                         "refunded_fen", "status")
    for pk, total, count, remaining, remaining_count, refunded, status in rows.iterator(chunk_size=2000):
        g = grabbed.get(pk, {"fen": 0, "n": 0})
        cost = costs.get(f"rp:{pk}") or 0
        shares_left = 0 if status == RedPacket.Status.EXPIRED else count - g["n"]
        if (g["fen"] + remaining + refunded != total or shares_left != remaining_count
                or cost != total - refunded):
            drift.append({"red_packet_id": pk, "total_fen": total, "grabbed_fen": g["fen"],
                          "remaining_fen": remaining, "refunded_fen": refunded, "cost_fen": cost})
    return drift
