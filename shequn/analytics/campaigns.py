"""活动效果: cost against sales of every campaign, and the uplift against a control group when there is one.

Campaigns are coupon templates, flash sales (秒杀), team deals (拼团) and group-buy campaigns (社群团购).
- Cost: coupons — the discount of coupons used on paid orders, scaled by the share of the order not refunded
  (a fully refunded order gives its coupons back, so they drop out); deals — the price reduction against the
  list price, (list − deal price) × units not refunded.
- Sales: what the campaign's orders paid less their refunds. Orders: paid orders not fully refunded.
- ROI = sales ÷ cost. Figures cover the whole campaign (all its orders), of the stores in view.
A campaign is listed when its run overlaps the period asked for. Uplift (uplift.py) needs a holdout; coupon
grants record one (holdouts.py). Other campaign kinds plug in by giving `uplift.measure` their batches."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from shequn.commerce.coupons.models import Coupon, CouponTemplate
from shequn.commerce.flash.models import FlashSale
from shequn.commerce.groupbuy.models import Campaign as GroupBuy
from shequn.commerce.models import Order, OrderLine
from shequn.commerce.teams.models import Team, TeamDeal
from shequn.core.actor import Actor
from shequn.core.errors import NotFound
from shequn.members.models import Member

from . import holdouts
from .overview import Period, Scope, period, scope_for
from .uplift import Batch, Uplift, measure

KINDS = ("coupon", "flash", "team", "groupbuy")
CHANNELS = {"flash": "flash", "team": "team", "groupbuy": "groupbuy"}


@dataclass
class CampaignResult:
    kind: str
    id: int
    name: str
    label: str  # the coupon's campaign label; empty for deals
    start: dt.datetime
    end: dt.datetime | None
    cost_fen: int = 0
    sales_fen: int = 0
    orders: int = 0
    buyers: int = 0
    reached: int | None = None  # members given a coupon; None for deals (everyone could see them)
    uplift: Uplift | None = None
    batches: list[dict] = field(default_factory=list)  # holdout batches (coupon grants with a 对照组)

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"

    @property
    def roi(self) -> float | None:
        return self.sales_fen / self.cost_fen if self.cost_fen else None


def _prorated(discount: int, paid: int, refunded: int) -> int:
    """The discount on the part of the order not refunded, rounded half up."""
    return (discount * (paid - refunded) * 2 + paid) // (2 * paid) if paid else 0


def _coupon_money(results: dict[int, CampaignResult], scope: Scope) -> None:
    used = Coupon.objects.filter(status=Coupon.Status.USED, template_id__in=list(results))
    if scope.store_ids is not None:
        used = used.filter(order__store_id__in=scope.store_ids)
    orders: dict[int, dict[int, int]] = defaultdict(dict)
    buyers: dict[int, set[int]] = defaultdict(set)
    for template_id, order_id, member_id, discount, paid, refunded in used.values_list(
            "template_id", "order_id", "member_id", "discount_fen", "order__paid_fen", "order__refunded_fen"):
        results[template_id].cost_fen += _prorated(discount, paid, refunded)
        if paid > refunded:
            orders[template_id][order_id] = paid - refunded
            buyers[template_id].add(member_id)
    for template_id, r in results.items():
        r.sales_fen, r.orders = sum(orders[template_id].values()), len(orders[template_id])
        r.buyers = len(buyers[template_id])


def coupon_results(scope: Scope, p: Period | None, only_id: int | None = None) -> list[CampaignResult]:
    templates = CouponTemplate.objects.order_by("pk")
    issued = Coupon.objects.all()
    if only_id is not None:
        templates, issued = templates.filter(pk=only_id), issued.filter(template_id=only_id)
    if scope.store_ids is not None:
        issued = issued.filter(member__home_store_id__in=scope.store_ids)
    reach = {r["template_id"]: r for r in issued.values("template_id").annotate(
        n=Count("member_id", distinct=True), first=Min("issued_at"), last=Max("valid_until")).order_by()}
    results = {}
    for t in templates:
        stats = reach.get(t.pk, {})
        start = min(t.created_at, stats.get("first") or t.created_at)  # grants may be dated before it was saved
        end = t.valid_until if t.validity == CouponTemplate.Validity.WINDOW else stats.get("last")
        if p is not None and not (start < p.end and (end or start) >= p.start):
            continue
        results[t.pk] = CampaignResult("coupon", t.pk, t.name, t.campaign, start, end, reached=stats.get("n", 0))
    _coupon_money(results, scope)
    return list(results.values())


def _deals(kind: str, scope: Scope, p: Period | None) -> list[CampaignResult]:
    model = {"flash": FlashSale, "team": TeamDeal, "groupbuy": GroupBuy}[kind]
    qs = model.objects.all()
    if kind == "groupbuy":
        qs = qs.exclude(status=GroupBuy.Status.DRAFT)
        if scope.store_ids is not None:
            qs = qs.filter(Q(stores__isnull=True) | Q(stores__in=scope.store_ids)).distinct()
    elif scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if p is not None:
        qs = qs.filter(starts_at__lt=p.end, ends_at__gte=p.start)
    return [CampaignResult(kind, d.pk, d.title, "", d.starts_at, d.ends_at) for d in qs.order_by("pk")]


def _deal_money(kind: str, results: dict[int, CampaignResult], scope: Scope) -> None:
    """Sales, orders, buyers and the price reduction of deal orders, two queries per kind."""
    if not results:
        return
    if kind == "team":
        deal_of = dict(Team.objects.filter(deal_id__in=list(results)).values_list("code", "deal_id"))
    else:
        deal_of = {str(pk): pk for pk in results}
    orders = Order.objects.filter(channel=CHANNELS[kind], channel_ref__in=list(deal_of), paid_at__isnull=False)
    if scope.store_ids is not None:
        orders = orders.filter(store_id__in=scope.store_ids)
    buyers: dict[int, set[int]] = defaultdict(set)
    for ref, member_id, paid, refunded in orders.values_list("channel_ref", "member_id", "paid_fen", "refunded_fen"):
        r = results[deal_of[ref]]
        r.sales_fen += paid - refunded
        if paid > refunded:
            r.orders += 1
            buyers[r.id].add(member_id)
    reduction = ((F("list_price_fen") - F("unit_price_fen")) * (F("quantity") - F("refunded_quantity")))
    for ref, cost in (OrderLine.objects.filter(order__in=orders).values("order__channel_ref")
                      .annotate(cost=Sum(reduction)).order_by().values_list("order__channel_ref", "cost")):
        results[deal_of[ref]].cost_fen += max(cost or 0, 0)
    for deal_id, members in buyers.items():
        results[deal_id].buyers = len(members)


def _coupon_uplift(scope: Scope, r: CampaignResult, template: CouponTemplate, now: dt.datetime) -> None:
    """Pool every grant of the template that held members out; each batch is watched while its coupons are
    valid (from the grant to the end of validity, or until now)."""
    batches, refs = [], []
    for h, treated, held_out in holdouts.arms("coupon", template.pk):
        if template.validity == CouponTemplate.Validity.WINDOW:
            start, end = max(h.started_at, template.valid_from), template.valid_until
        else:
            start, end = h.started_at, h.started_at + dt.timedelta(days=template.valid_days)
        batches.append(Batch(treated, held_out, start, min(end, now)))
        refs.append(h.ref)
        r.batches.append({"ref": h.ref, "percent": h.percent, "started_at": start, "ends_at": end,
                          "running": end > now, "treated": len(treated), "held_out": len(held_out)})
    if not batches:
        return
    visible = None
    if scope.store_ids is not None:  # a store in view: both arms keep that store's members
        ids = [m for b in batches for m in b.treated + b.held_out]
        visible = set(Member.objects.filter(pk__in=ids, home_store_id__in=scope.store_ids)
                      .values_list("pk", flat=True))
    treated_ids = {m for b in batches for m in b.treated if visible is None or m in visible}
    cost = sum(_prorated(d, paid, refunded) for member_id, d, paid, refunded in Coupon.objects.filter(
        template=template, status=Coupon.Status.USED, source=Coupon.Source.CAMPAIGN_GRANT, ref__in=refs)
        .values_list("member_id", "discount_fen", "order__paid_fen", "order__refunded_fen")
        if member_id in treated_ids)
    r.uplift = measure(batches, cost, visible)


def results(actor: Actor, *, store: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None,
            days: int = 90, kinds=KINDS, with_uplift: bool = True) -> tuple[Period, list[CampaignResult]]:
    """Campaigns running in the period (by default the last `days` days), best sales first."""
    p = period(date_from, date_to, days)
    scope = scope_for(actor, store)
    rows = _collect(scope, p, kinds)
    if with_uplift:
        _add_uplift(scope, rows)
    rows.sort(key=lambda r: (-r.sales_fen, -r.cost_fen, r.kind, r.id))
    return p, rows


def _collect(scope: Scope, p: Period | None, kinds, only_id: int | None = None) -> list[CampaignResult]:
    rows: list[CampaignResult] = []
    for kind in kinds:
        if kind == "coupon":
            rows += coupon_results(scope, p, only_id)
        else:
            found = [r for r in _deals(kind, scope, p) if only_id is None or r.id == only_id]
            _deal_money(kind, {r.id: r for r in found}, scope)
            rows += found
    return rows


def _add_uplift(scope: Scope, rows: list[CampaignResult]) -> None:
    coupons = [r for r in rows if r.kind == "coupon"]
    if not coupons:
        return
    templates = CouponTemplate.objects.in_bulk([r.id for r in coupons])
    now = timezone.now()
    for r in coupons:
        _coupon_uplift(scope, r, templates[r.id], now)


def result(actor: Actor, key: str, *, store: str = "") -> CampaignResult:
    """One campaign by key (coupon-12, flash-3, team-5, groupbuy-7), whatever its dates."""
    kind, _, raw = (key or "").partition("-")
    if kind not in KINDS or not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise NotFound(f"No campaign {key!r}; keys look like coupon-12, flash-3, team-5 or groupbuy-7.",
                       type="campaign-not-found")
    scope = scope_for(actor, store)
    rows = _collect(scope, None, (kind,), only_id=int(raw))
    if not rows:
        raise NotFound(f"No campaign {key!r}.", type="campaign-not-found")
    _add_uplift(scope, rows)
    return rows[0]
