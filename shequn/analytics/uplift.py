"""增量效果: what a campaign added, measured against members kept out of it (对照组).

Input is one or more randomised batches — (treated member ids, held-out member ids, window) — and the
campaign's cost. Each member's outcome is counted in their own batch's window from the analytics
transactions (orders less refunds, any store): converted = at least one purchase, spend = net amount.

Conversion: difference of the two shares with a 95% interval from the unpooled two-proportion z standard
error. Spend per member (non-buyers count as 0): difference of means with a 95% Welch interval (t quantile
at the Welch–Satterthwaite degrees of freedom). Incremental sales = spend difference × treated members."""

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from .models import Transaction

Z95 = 1.959963984540054
CHUNK = 2000


@dataclass(frozen=True)
class Batch:
    treated: list[int]
    held_out: list[int]
    start: dt.datetime
    end: dt.datetime  # exclusive


@dataclass
class Arm:
    members: int
    buyers: int
    conversion: float
    spend_fen: int  # net spend of the arm in the window
    spend_per_member: float  # fen
    spend_var: float  # sample variance of per-member spend (fen²)

    @property
    def spend_per_member_fen(self) -> int:
        return round(self.spend_per_member)


@dataclass
class Uplift:
    treated: Arm
    held_out: Arm
    conversion_diff: float
    conversion_relative: float | None  # None when the held-out conversion is 0
    conversion_ci: tuple[float, float] | None
    spend_diff: float  # fen per member
    spend_relative: float | None
    spend_ci: tuple[float, float] | None
    incremental_sales_fen: int
    cost_fen: int
    incremental_roi: float | None  # incremental sales ÷ cost

    @property
    def conversion_significant(self) -> bool:
        return self.conversion_ci is not None and (self.conversion_ci[0] > 0 or self.conversion_ci[1] < 0)

    @property
    def spend_significant(self) -> bool:
        return self.spend_ci is not None and (self.spend_ci[0] > 0 or self.spend_ci[1] < 0)


def spend_by_member(member_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, tuple[int, bool]]:
    """member → (net spend, bought) in [start, end), for members with any transaction there."""
    out: dict[int, tuple[int, bool]] = {}
    ids = sorted(set(member_ids))
    for i in range(0, len(ids), CHUNK):
        rows = (Transaction.objects.filter(member_id__in=ids[i:i + CHUNK], occurred_at__gte=start, occurred_at__lt=end)
                .values("member_id").annotate(net=Sum("amount_fen"), buys=Count("pk", filter=Q(amount_fen__gt=0)))
                .order_by().values_list("member_id", "net", "buys"))
        out.update((m, (net or 0, buys > 0)) for m, net, buys in rows)
    return out


def arm(spends: list[int], bought: int) -> Arm:
    n = len(spends)
    mean = sum(spends) / n if n else 0.0
    var = sum((s - mean) ** 2 for s in spends) / (n - 1) if n > 1 else 0.0
    return Arm(members=n, buyers=bought, conversion=bought / n if n else 0.0, spend_fen=sum(spends),
               spend_per_member=mean, spend_var=var)


def proportion_ci(p1: float, n1: int, p0: float, n0: int) -> tuple[float, float] | None:
    if not n1 or not n0:
        return None
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return (p1 - p0 - Z95 * se, p1 - p0 + Z95 * se)


def welch_ci(m1: float, v1: float, n1: int, m0: float, v0: float, n0: int) -> tuple[float, float] | None:
    if n1 < 2 or n0 < 2:
        return None
    a, b = v1 / n1, v0 / n0
    se = math.sqrt(a + b)
    if se == 0:
        return (m1 - m0, m1 - m0)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n0 - 1))
    from scipy import stats  # loaded on first use: importing it costs more than a page view

    t = float(stats.t.ppf(0.975, df))
    return (m1 - m0 - t * se, m1 - m0 + t * se)


def compare(treated: Arm, held_out: Arm, cost_fen: int) -> Uplift:
    c_diff = treated.conversion - held_out.conversion
    s_diff = treated.spend_per_member - held_out.spend_per_member
    incremental = round(s_diff * treated.members)
    return Uplift(
        treated=treated, held_out=held_out, conversion_diff=c_diff,
        conversion_relative=c_diff / held_out.conversion if held_out.conversion else None,
        conversion_ci=proportion_ci(treated.conversion, treated.members, held_out.conversion, held_out.members),
        spend_diff=s_diff, spend_relative=s_diff / held_out.spend_per_member if held_out.spend_per_member > 0 else None,
        spend_ci=welch_ci(treated.spend_per_member, treated.spend_var, treated.members, held_out.spend_per_member,
                          held_out.spend_var, held_out.members),
        incremental_sales_fen=incremental, cost_fen=cost_fen,
        incremental_roi=incremental / cost_fen if cost_fen else None)


def measure(batches: list[Batch], cost_fen: int, member_filter: set[int] | None = None) -> Uplift | None:
    """The uplift of a campaign over its batches, or None when nobody was held out. `member_filter` keeps only
    those members in both arms (a store manager's members; the split does not depend on the store)."""
    spends: dict[bool, list[int]] = {True: [], False: []}
    bought = {True: 0, False: 0}
    for batch in batches:
        arms = {False: batch.treated, True: batch.held_out}
        if member_filter is not None:
            arms = {k: [m for m in v if m in member_filter] for k, v in arms.items()}
        outcome = spend_by_member(arms[False] + arms[True], batch.start, batch.end)
        for out, ids in arms.items():
            for member_id in ids:
                net, did_buy = outcome.get(member_id, (0, False))
                spends[out].append(net)
                bought[out] += did_buy
    if not spends[True]:
        return None
    return compare(arm(spends[False], bought[False]), arm(spends[True], bought[True]), cost_fen)
