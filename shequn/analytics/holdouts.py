"""对照组: keep a random share of a campaign's target list out of the campaign, so its effect can be measured.

The split is deterministic: members are ranked by SHA-256 of (campaign kind, campaign id, batch ref, member id)
and exactly round(n × percent / 100) of them (halves round up) with the lowest hashes are held out. The same
list always splits the same way; a retried batch keeps every member's earlier arm and splits only newcomers."""

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem

from .models import Holdout, HoldoutAssignment

MAX_PERCENT = 50


def _rank(seed: str, member_id: int) -> bytes:
    return hashlib.sha256(f"{seed}:{member_id}".encode()).digest()


def held_out_count(n: int, percent: int) -> int:
    """round(n × percent / 100) with halves rounded up, in integers."""
    return (n * percent * 2 + 100) // 200


def split(member_ids, percent: int, seed: str) -> tuple[list[int], list[int]]:
    """(treated ids, held-out ids), both sorted."""
    ids = sorted(set(member_ids))
    out = set(sorted(ids, key=lambda i: _rank(seed, i))[:held_out_count(len(ids), percent)])
    return [i for i in ids if i not in out], sorted(out)


def check_percent(percent) -> int:
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= MAX_PERCENT:
        raise ValidationProblem(f"holdout_percent must be a whole number from 0 to {MAX_PERCENT}.",
                                type="invalid-holdout", field="holdout_percent")
    return percent


def assign(actor: Actor, *, kind: str, campaign_id: int, ref: str, members: list, percent: int,
           at: dt.datetime) -> tuple[list, int]:
    """Record the split of `members` for one campaign batch; returns (members to reach, held-out count).

    With percent 0 and no earlier split of this batch nothing is written and every member is reached. A batch
    split before keeps its percent: running it again with another percent is refused, so nobody held out is
    reached by a retry."""
    check_percent(percent)
    with transaction.atomic():
        holdout = (Holdout.objects.select_for_update()
                   .filter(campaign_kind=kind, campaign_id=campaign_id, ref=ref).first())
        if holdout is None and percent == 0:
            return list(members), 0
        if holdout is not None and holdout.percent != percent:
            raise ValidationProblem(
                f"Batch {ref!r} already holds out {holdout.percent}% of its members; run it again with "
                f"holdout_percent={holdout.percent} or use a new ref.", type="holdout-mismatch",
                field="holdout_percent", percent=holdout.percent)
        created = holdout is None
        if created:
            holdout, created = _create(actor, kind, campaign_id, ref, percent, at)
            if holdout.percent != percent:  # the same batch started elsewhere a moment ago, with another share
                raise ValidationProblem(f"Batch {ref!r} already holds out {holdout.percent}% of its members.",
                                        type="holdout-mismatch", field="holdout_percent", percent=holdout.percent)
        by_id = {m.pk: m for m in members}
        earlier = dict(HoldoutAssignment.objects.filter(holdout=holdout, member_id__in=list(by_id))
                       .values_list("member_id", "held_out"))
        treated, out = split([i for i in by_id if i not in earlier], percent, f"{kind}:{campaign_id}:{ref}")
        HoldoutAssignment.objects.bulk_create(
            [HoldoutAssignment(holdout=holdout, member_id=i, held_out=False) for i in treated]
            + [HoldoutAssignment(holdout=holdout, member_id=i, held_out=True) for i in out])
        held = set(out) | {i for i, was_out in earlier.items() if was_out}
        if treated or out:
            audit.record(actor, "holdout.assigned", holdout,
                         after={"campaign_kind": kind, "campaign_id": campaign_id, "ref": ref, "percent": percent,
                                "treated": len(treated), "held_out": len(out)})
            if created:
                outbox.emit("holdout.created", "holdout", holdout.pk, campaign_kind=kind, campaign_id=campaign_id,
                            ref=ref, percent=percent)
    return [m for i, m in sorted(by_id.items()) if i not in held], len(held)


def _create(actor: Actor, kind: str, campaign_id: int, ref: str, percent: int, at: dt.datetime
            ) -> tuple[Holdout, bool]:
    """The batch's Holdout row, locked: created here, or — when the same batch is granted at the same moment
    elsewhere — theirs, once their transaction commits (the unique key makes this insert wait for it)."""
    try:
        with transaction.atomic():
            return Holdout.objects.create(campaign_kind=kind, campaign_id=campaign_id, ref=ref, percent=percent,
                                          started_at=at, created_by=actor.label[:150]), True
    except IntegrityError:
        return Holdout.objects.select_for_update().get(campaign_kind=kind, campaign_id=campaign_id, ref=ref), False


def arms(kind: str, campaign_id: int) -> list[tuple[Holdout, list[int], list[int]]]:
    """Every split of a campaign: (holdout, treated ids, held-out ids)."""
    holdouts = list(Holdout.objects.filter(campaign_kind=kind, campaign_id=campaign_id).order_by("started_at", "pk"))
    rows: dict[int, tuple[list[int], list[int]]] = {h.pk: ([], []) for h in holdouts}
    for holdout_id, member_id, was_out in (HoldoutAssignment.objects.filter(holdout__in=holdouts)
                                           .values_list("holdout_id", "member_id", "held_out").order_by("member_id")):
        rows[holdout_id][1 if was_out else 0].append(member_id)
    return [(h, *rows[h.pk]) for h in holdouts]
