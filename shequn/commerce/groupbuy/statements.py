"""结算单: per leader and period, the commission entries up to the period's end not yet in a statement.

Generating is idempotent per leader + period. A leader whose open entries sum to zero or less gets no
statement: the entries wait for the next period (a reversal then offsets later commission).
draft → confirmed → paid (paid_at, reference); a statement's lines never change afterwards."""

import datetime as dt

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from shequn.core import audit, clock, outbox
from shequn.core.actor import Actor
from shequn.core.permissions import require

from .errors import InvalidStatement, StatementStateConflict
from .models import CommissionEntry, Leader, LeaderStatement

COMMISSIONS = "commerce.commissions"
MAX_PERIOD_DAYS = 92


def check_period(period_start: dt.date, period_end: dt.date, now: dt.datetime | None = None) -> None:
    if not isinstance(period_start, dt.date) or not isinstance(period_end, dt.date) \
            or isinstance(period_start, dt.datetime) or isinstance(period_end, dt.datetime):
        raise InvalidStatement("period_start and period_end are dates.", field="period_start")
    if period_end < period_start:
        raise InvalidStatement("The period ends before it starts.", field="period_end")
    if (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidStatement(f"A statement period is at most {MAX_PERIOD_DAYS} days.", field="period_end")
    if period_end >= clock.local_date(at=now):
        raise InvalidStatement("The period has not ended yet; generate statements from the day after it ends.",
                               field="period_end")


def period_cutoff(period_end: dt.date) -> dt.datetime:
    return clock.start_of_local_day(period_end + dt.timedelta(days=1))


def generate(actor: Actor, *, period_start: dt.date, period_end: dt.date, leader: Leader | None = None,
             now: dt.datetime | None = None) -> list[LeaderStatement]:
    """Statements of the period for every leader with open entries (or one leader); returns them,
    including those generated before."""
    require(actor, COMMISSIONS)
    check_period(period_start, period_end, now)
    cutoff = period_cutoff(period_end)
    if leader is not None:
        leader_ids = [leader.pk]
    else:
        open_entries = CommissionEntry.objects.filter(statement__isnull=True, created_at__lt=cutoff)
        done = LeaderStatement.objects.filter(period_start=period_start, period_end=period_end)
        leader_ids = sorted(set(open_entries.values_list("leader_id", flat=True))
                            | set(done.values_list("leader_id", flat=True)))
    made = []
    for leader_id in leader_ids:
        statement = _generate_one(actor, leader_id, period_start, period_end, cutoff)
        if statement is not None:
            made.append(statement)
    return made


def _generate_one(actor: Actor, leader_id: int, period_start: dt.date, period_end: dt.date,
                  cutoff: dt.datetime) -> LeaderStatement | None:
    with transaction.atomic():
        Leader.objects.select_for_update().filter(pk=leader_id).first()  # one generator per leader at a time
        existing = LeaderStatement.objects.filter(leader_id=leader_id, period_start=period_start,
                                                  period_end=period_end).first()
        if existing is not None:
            return existing
        entries = CommissionEntry.objects.filter(leader_id=leader_id, statement__isnull=True, created_at__lt=cutoff)
        row = entries.aggregate(total=Sum("amount_fen"))
        total, count = row["total"] or 0, entries.count()
        if count == 0 or total <= 0:
            return None
        statement = LeaderStatement.objects.create(leader_id=leader_id, period_start=period_start,
                                                   period_end=period_end, total_fen=total, entry_count=count,
                                                   created_by=actor.label[:150])
        moved = entries.update(statement=statement)
        if moved != count:  # an entry appeared between the count and the update: keep the document exact
            statement.total_fen = CommissionEntry.objects.filter(statement=statement).aggregate(
                s=Sum("amount_fen"))["s"] or 0
            statement.entry_count = moved
            statement.save(update_fields=["total_fen", "entry_count"])
        audit.record(actor, "groupbuy.statement_generated", statement,
                     after={"leader_id": leader_id, "period": f"{period_start}..{period_end}",
                            "total_fen": statement.total_fen, "entries": statement.entry_count})
    return statement


def _lock(statement: LeaderStatement) -> LeaderStatement:
    return LeaderStatement.objects.select_for_update().get(pk=statement.pk)


def confirm(actor: Actor, statement: LeaderStatement) -> LeaderStatement:
    require(actor, COMMISSIONS)
    with transaction.atomic():
        statement = _lock(statement)
        if statement.status == LeaderStatement.Status.CONFIRMED:
            return statement
        if statement.status != LeaderStatement.Status.DRAFT:
            raise StatementStateConflict(f"The statement is {statement.get_status_display()}.",
                                         status_now=statement.status)
        statement.status, statement.confirmed_at = LeaderStatement.Status.CONFIRMED, timezone.now()
        statement.save(update_fields=["status", "confirmed_at"])
        audit.record(actor, "groupbuy.statement_confirmed", statement, after={"total_fen": statement.total_fen})
    return statement


def mark_paid(actor: Actor, statement: LeaderStatement, *, reference: str,
              paid_at: dt.datetime | None = None) -> LeaderStatement:
    """已支付: the money went out (bank or WeChat transfer reference). Marking twice changes nothing."""
    require(actor, COMMISSIONS)
    reference = (reference or "").strip()
    if not reference or len(reference) > 64:
        raise InvalidStatement("A payment reference (at most 64 characters) is required.", field="reference")
    with transaction.atomic():
        statement = _lock(statement)
        if statement.status == LeaderStatement.Status.PAID:
            return statement
        if statement.status != LeaderStatement.Status.CONFIRMED:
            raise StatementStateConflict("Confirm the statement before marking it paid.", status_now=statement.status)
        statement.status, statement.paid_reference = LeaderStatement.Status.PAID, reference
        statement.paid_at = paid_at or timezone.now()
        statement.save(update_fields=["status", "paid_reference", "paid_at"])
        Leader.objects.filter(pk=statement.leader_id).update(paid_out_fen=F("paid_out_fen") + statement.total_fen)
        audit.record(actor, "groupbuy.statement_paid", statement,
                     after={"total_fen": statement.total_fen, "reference": reference})
        outbox.emit("groupbuy.statement_paid", "leader", statement.leader_id, statement_id=statement.pk,
                    amount_fen=statement.total_fen, reference=reference)
    return statement
