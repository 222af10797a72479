"""核销: using coupons with an order, inside the order's transaction, and giving them back.

A coupon is locked by the order that uses it (status locked) and becomes used when the order is paid.
Cancelling the unpaid order gives it back; so does a full refund. A partial refund keeps it used.
A coupon given back after its validity ended becomes expired rather than available."""

import datetime as dt

from django.db.models import F
from django.utils import timezone

from shequn.core import audit
from shequn.core.actor import SYSTEM, Actor

from ..models import Order
from ..pricing import Discount, PricedLine
from . import engine
from .errors import CouponNotApplicable
from .models import Coupon, CouponTemplate

MAX_PER_ORDER = 10
BEST_OF_STACKABLE = 6  # best_for tries every subset of the 6 most valuable stackable coupons …
BEST_OF_SINGLE = 6  # … with each of the 6 most valuable non-stackable ones (or none): 448 tries at most


def terms_of(coupon: Coupon) -> engine.CouponTerms:
    return template_terms(coupon.template, coupon.pk)


def template_terms(t: CouponTemplate, coupon_id: int = 0) -> engine.CouponTerms:
    return engine.CouponTerms(
        coupon_id=coupon_id, template_id=t.pk, name=t.name, kind=t.kind, amount_fen=t.amount_fen, percent=t.percent,
        max_discount_fen=t.max_discount_fen, threshold_fen=t.threshold_fen, min_spend_fen=t.min_spend_fen,
        free_sku_code=t.free_sku_code, stackable=t.stackable,
        category_ids=frozenset(t.scope_category_ids) if t.scope == CouponTemplate.Scope.CATEGORIES else None,
        sku_codes=frozenset(t.scope_sku_codes) if t.scope == CouponTemplate.Scope.SKUS else None)


def _clean_ids(coupon_ids) -> list[int]:
    ids = []
    for raw in coupon_ids or ():
        value = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if value is None and isinstance(raw, str) and raw.strip().isdigit():
            value = int(raw.strip())
        if value is None or not 0 < value < 2**63:
            raise CouponNotApplicable(f"{raw!r} is not a coupon id.", reason="invalid-id")
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_PER_ORDER:
        raise CouponNotApplicable(f"每单最多使用 {MAX_PER_ORDER} 张券。", reason="too-many")
    return ids


def _usable(coupons: list[Coupon], ids: list[int], member_id: int, now: dt.datetime) -> None:
    found = {c.pk: c for c in coupons}
    for coupon_id in ids:
        coupon = found.get(coupon_id)
        if coupon is None or coupon.member_id != member_id:
            raise CouponNotApplicable(f"券 {coupon_id} 不在你的账户里。", reason="not-yours", coupon_id=coupon_id)
        name = coupon.template.name
        if coupon.status != Coupon.Status.AVAILABLE:
            raise CouponNotApplicable(f"「{name}」{coupon.get_status_display()}，不能再用。", reason=coupon.status,
                                      coupon_id=coupon_id)
        if now < coupon.valid_from:
            start = timezone.localtime(coupon.valid_from).strftime("%Y-%m-%d %H:%M")
            raise CouponNotApplicable(f"「{name}」{start} 起才能使用。", reason="not-yet-valid", coupon_id=coupon_id)
        if now >= coupon.valid_until:
            raise CouponNotApplicable(f"「{name}」已过期。", reason="expired", coupon_id=coupon_id)


def redeem_for_order(actor: Actor, *, order: Order, member, coupon_ids, lines: list[PricedLine]) -> list[Discount]:
    """Called by the order core inside its transaction: lock the coupons, check and apply them, mark them
    locked by the order. line_shares are indexes into `lines`."""
    ids = _clean_ids(coupon_ids)
    if not ids:
        return []
    now = timezone.now()
    # Lock in id order so two orders naming the same coupons never deadlock; templates are read unlocked.
    coupons = list(Coupon.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    templates = CouponTemplate.objects.in_bulk({c.template_id for c in coupons})
    for coupon in coupons:
        coupon.template = templates[coupon.template_id]
    _usable(coupons, ids, member.pk, now)
    by_id = {c.pk: c for c in coupons}
    discounts = engine.apply(lines, [terms_of(by_id[i]) for i in ids])
    for discount in discounts:
        taken = Coupon.objects.filter(pk=int(discount.ref), status=Coupon.Status.AVAILABLE).update(
            status=Coupon.Status.LOCKED, order=order, discount_fen=discount.amount_fen)
        if not taken:  # cannot happen under the row lock; refuse rather than double-spend
            raise CouponNotApplicable("券刚刚被使用了。", reason="locked", coupon_id=int(discount.ref))
    audit.record(actor, "coupons.redeemed", order, store_id=order.store_id,
                 after={"coupons": [[int(d.ref), d.amount_fen] for d in discounts]})
    return discounts


def lines_for(member, items) -> list[PricedLine]:
    """Priced lines of a cart exactly as the order core would price them (for previews and quotes)."""
    from .. import orders

    return orders.priced_cart(member.pk, items)[1]


def _available_for(member) -> list[Coupon]:
    now = timezone.now()
    return list(Coupon.objects.select_related("template")
                .filter(member=member, status=Coupon.Status.AVAILABLE, valid_from__lte=now, valid_until__gt=now)
                .order_by("valid_until", "pk"))


def preview(member, coupon_ids, lines: list[PricedLine]) -> list[Discount]:
    """What these coupons would take off these lines (checkout page); nothing is locked or written."""
    ids = _clean_ids(coupon_ids)
    if not ids:
        return []
    coupons = list(Coupon.objects.select_related("template").filter(pk__in=ids))
    _usable(coupons, ids, member.pk, timezone.now())
    by_id = {c.pk: c for c in coupons}
    return engine.apply(lines, [terms_of(by_id[i]) for i in ids])


def best_for(member, lines: list[PricedLine]) -> tuple[list[Coupon], list[Discount]]:
    """The member's coupon set with the largest discount the rules allow (engine.best_set); of several coupons
    of one template the soonest-expiring one is used."""
    coupons = {c.pk: c for c in _available_for(member)}
    chosen, discounts = engine.best_set(lines, [terms_of(c) for c in coupons.values()],
                                        max_single=BEST_OF_SINGLE, max_stackable=BEST_OF_STACKABLE)
    return [coupons[t.coupon_id] for t in chosen], discounts


# Order hooks: run inside the order's transaction.

def on_order_paid(order: Order) -> None:
    Coupon.objects.filter(order=order, status=Coupon.Status.LOCKED).update(status=Coupon.Status.USED,
                                                                            used_at=order.paid_at or timezone.now())


def _give_back(order: Order, statuses: tuple[str, ...], why: str) -> None:
    now = timezone.now()
    held = Coupon.objects.select_for_update().filter(order=order, status__in=statuses)
    back = [c.pk for c in held]
    if not back:
        return
    common = {"order": None, "discount_fen": 0, "used_at": None, "returned_count": F("returned_count") + 1}
    Coupon.objects.filter(pk__in=back, valid_until__gt=now).update(status=Coupon.Status.AVAILABLE, **common)
    Coupon.objects.filter(pk__in=back, valid_until__lte=now).update(status=Coupon.Status.EXPIRED, **common)
    audit.record(SYSTEM, "coupons.returned", order, store_id=order.store_id, after={"coupons": back, "why": why})


def on_order_cancelled(order: Order) -> None:
    _give_back(order, (Coupon.Status.LOCKED, Coupon.Status.USED), "cancelled")


def on_order_refunded(order: Order, refund=None) -> None:
    if order.status == Order.Status.REFUNDED:
        _give_back(order, (Coupon.Status.USED, Coupon.Status.LOCKED), "refunded")
