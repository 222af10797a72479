"""Per-member purchase summary for the value models (RFM-style frequency, recency, age, monetary value).

Rules:
- Every transaction is placed on its local calendar day: the time zone of the transaction's store, else of the
  member's home store, else the site's (Asia/Shanghai unless configured). Only days up to and including the
  calibration end count.
- A refund that names an order of the same member is netted against the day of that purchase; any other
  refund is netted on its own day. Purchases on the same day count as one (their amounts summed).
- A day is a purchase day when it has a purchase (amount ≥ 0) and refunds do not bring its net amount to ≤ 0:
  a fully refunded day or a refund on its own day is not a purchase; a free (zero-amount) purchase is.
- frequency = purchase days − 1 (repeat purchases); recency = days from the first to the last purchase day;
  T = days from the first purchase day to the calibration end; monetary = mean net amount (fen) of the
  repeat purchase days (the first purchase is left out, as in the Gamma-Gamma model), 0 without repeats.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings

from ..models import Transaction


@dataclass(frozen=True)
class Summary:
    member_id: np.ndarray
    frequency: np.ndarray  # repeat purchase days
    recency_days: np.ndarray
    age_days: np.ndarray  # T
    monetary_fen: np.ndarray  # mean net amount of the repeat purchase days
    first_day: np.ndarray  # proleptic ordinals of the local calendar days
    last_day: np.ndarray

    def __len__(self) -> int:
        return len(self.member_id)


def _rows(calibration_end: date, store_id: int | None):
    # The widest time zone is UTC+14: every local day up to the end lies before end + 1 day 10:00 UTC.
    bound = datetime.combine(calibration_end + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    qs = Transaction.objects.filter(occurred_at__lt=bound)
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    return qs.values_list("member_id", "occurred_at", "amount_fen", "order_no", "store__timezone",
                          "member__home_store__timezone").order_by().iterator(chunk_size=20000)


def local_days(calibration_end: date, store_id: int | None = None):
    """(member ids, local day ordinals, amounts in fen) of the transactions up to the calibration end."""
    zones: dict[str, ZoneInfo] = {}
    end = calibration_end.toordinal()
    members, days, amounts = [], [], []
    order_day: dict[tuple[int, str], int] = {}
    refunds: list[tuple[int, str]] = []  # (row index, order no) of refunds naming an order
    for member_id, occurred_at, amount, order_no, store_tz, home_tz in _rows(calibration_end, store_id):
        name = store_tz or home_tz or settings.TIME_ZONE
        zone = zones.get(name) or zones.setdefault(name, ZoneInfo(name))
        day = occurred_at.astimezone(zone).toordinal()
        if day > end:
            continue
        if order_no:
            if amount > 0:
                order_day.setdefault((member_id, order_no), day)
            elif amount < 0:
                refunds.append((len(days), order_no))
        members.append(member_id)
        days.append(day)
        amounts.append(amount)
    for index, order_no in refunds:
        days[index] = order_day.get((members[index], order_no), days[index])
    return (np.array(members, dtype=np.int64), np.array(days, dtype=np.int64),
            np.array(amounts, dtype=np.int64))


def summarise(members: np.ndarray, days: np.ndarray, amounts: np.ndarray, calibration_end: date) -> Summary:
    """Aggregate transactions to member-days, keep the purchase days, then summarise per member."""
    if len(members) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Summary(member_id=empty, frequency=empty, recency_days=empty, age_days=empty,
                       monetary_fen=np.zeros(0), first_day=empty, last_day=empty)
    pairs, inverse = np.unique(np.column_stack([members, days]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    net = np.bincount(inverse, weights=amounts, minlength=len(pairs))
    purchases = np.bincount(inverse, weights=amounts >= 0, minlength=len(pairs))
    refunds = np.bincount(inverse, weights=amounts < 0, minlength=len(pairs))
    keep = (purchases > 0) & ((net > 0) | ((net == 0) & (refunds == 0)))
    pairs, net = pairs[keep], net[keep]  # sorted by member, then day
    member_ids, start, count = np.unique(pairs[:, 0], return_index=True, return_counts=True)
    last = start + count - 1
    first_day, last_day = pairs[start, 1], pairs[last, 1]
    totals = np.add.reduceat(net, start)
    frequency = count - 1
    repeat_total = totals - net[start]
    monetary = np.divide(repeat_total, frequency, out=np.zeros(len(frequency)), where=frequency > 0)
    return Summary(member_id=member_ids, frequency=frequency, recency_days=last_day - first_day,
                   age_days=calibration_end.toordinal() - first_day, monetary_fen=monetary,
                   first_day=first_day, last_day=last_day)


def member_summary(calibration_end: date, store_id: int | None = None) -> Summary:
    return summarise(*local_days(calibration_end, store_id), calibration_end)
