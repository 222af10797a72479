"""Orders console: list with filters and totals, order detail (lines, price breakdown, payments, refunds,
timeline) and its actions: confirm offline payment, cancel, mark delivered, verify pickup, refund."""

import datetime as dt

from django.contrib import messages
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequn.commerce import orders, payments, refunds, selectors
from shequn.commerce.models import Order
from shequn.commerce.reports import day_start
from shequn.core.errors import Problem
from shequn.core.models import AuditEntry
from shequn.core.pagination import paginate
from shequn.loyalty.models import Tier
from shequn.stores.models import PickupPoint
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.commerce import OrderFilterForm, PickupVerifyForm, RefundForm, new_form_token
from .commerce import commerce_problem_text

VIEW, ORDERS, REFUND = "commerce.view", "commerce.orders", "commerce.refund"

CHANNELS = [("shop", gettext_lazy("商城")), ("groupbuy", gettext_lazy("社群团购")), ("team", gettext_lazy("拼团")),
            ("flash", gettext_lazy("秒杀")), ("live", gettext_lazy("直播")), ("pos", gettext_lazy("门店收银"))]
ACTIONS = {
    "order.placed": gettext_lazy("下单"), "order.paid": gettext_lazy("付款"),
    "order.cancelled": gettext_lazy("取消"), "order.fulfilled": gettext_lazy("发货"),
    "order.picked_up": gettext_lazy("提货核销"), "order.completed": gettext_lazy("完成"),
    "order.refunded": gettext_lazy("退款"), "payment.late_refunded": gettext_lazy("重复/迟到支付原路退回"),
    "payment.mismatch": gettext_lazy("支付金额不符"),
}
PROVIDERS = {"offline": gettext_lazy("到店支付"), "sandbox": gettext_lazy("沙箱支付"),
             "wechat": gettext_lazy("微信支付"), "free": gettext_lazy("无需支付")}
HANDED_OVER_FROM = (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED)
STATUS_CLASS = {"paid": "pending", "pending_payment": "running", "fulfilled": "pending", "picked_up": "done",
                "completed": "done", "cancelled": "inactive", "refunded": "failed", "partially_refunded": "failed"}


def _pickup_points(actor):
    points = PickupPoint.objects.filter(is_active=True).select_related("store")
    return points.filter(store_id__in=actor.store_ids) if actor.scoped else points


def _label(order: Order) -> Order:
    order.channel_label = dict(CHANNELS).get(order.channel, order.channel)
    order.status_class = STATUS_CLASS.get(order.status, "")
    return order


def _verify_form(request, data=None) -> PickupVerifyForm:
    return PickupVerifyForm(data, stores=stores_visible_to(request.actor).filter(kind="store"),
                            points=_pickup_points(request.actor))


@console_view(VIEW)
def order_list(request):
    actor = request.actor
    stores = stores_visible_to(actor)
    form = OrderFilterForm(request.GET or None, stores=stores, channels=CHANNELS)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.search_orders(actor, status=data.get("status") or "", store=data.get("store") or "",
                                 channel=data.get("channel") or "", q=(data.get("q") or "").strip())
    if data.get("date_from"):
        qs = qs.filter(created_at__gte=day_start(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(created_at__lt=day_start(data["date_to"] + dt.timedelta(days=1)))
    totals = qs.aggregate(count=Count("id"), total=Sum("total_fen"), paid=Sum("paid_fen"),
                          refunded=Sum("refunded_fen"))
    try:
        rows, next_cursor = paginate(qs, request.GET.get("cursor"), 50)
    except Problem as problem:
        rows, next_cursor = [], None
        messages.error(request, commerce_problem_text(problem))
    for order in rows:
        _label(order)
    return render(request, "console/commerce/orders.html", {
        "form": form, "rows": rows, "next_cursor": next_cursor, "paged": bool(request.GET.get("cursor")),
        "totals": totals, "verify_form": _verify_form(request), "nav": "commerce_orders"})


def _timeline(order: Order) -> list[dict]:
    entries = AuditEntry.objects.filter(object_type="commerce.order", object_id=str(order.pk)).order_by("id")
    return [{"at": e.created_at, "label": ACTIONS.get(e.action, e.action), "who": e.actor_label, "after": e.after}
            for e in entries]


def _detail(request, order_id: int, status: int = 200, **forms):
    actor = request.actor
    order = _label(selectors.get_order(actor, order_id))
    lines = list(order.lines.select_related("sku"))
    for line in lines:
        line.goods_fen = line.unit_price_fen * line.quantity
    order.payment_label = PROVIDERS.get(order.payment_method, order.payment_method)
    payment_rows = list(order.payments.all())
    for payment in payment_rows:
        payment.provider_label = PROVIDERS.get(payment.provider, payment.provider)
    refund_form = forms.get("refund_form") or RefundForm(lines=lines, initial={"token": new_form_token()})
    return render(request, "console/commerce/order_detail.html", {
        "order": order, "lines": lines, "payments": payment_rows, "refunds": order.refunds.all(),
        "timeline": _timeline(order), "refund_form": refund_form,
        "can_hand_over": order.status in HANDED_OVER_FROM and not order.fulfilled_at,
        "pickup_error": forms.get("pickup_error"),
        "goods_fen": sum(ln.goods_fen for ln in lines), "refundable_fen": order.paid_fen - order.refunded_fen,
        "tier_name": Tier.objects.filter(code=order.tier_code).values_list("name", flat=True).first(),
        "nav": "commerce_orders"}, status=status)


@console_view(VIEW)
def order_detail(request, order_id: int):
    return _detail(request, order_id)


def _after_action(request, order_id: int, message: str):
    messages.success(request, message)
    return redirect("console:commerce_order", order_id)


def _failed(request, order_id: int, problem: Problem):
    messages.error(request, commerce_problem_text(problem))
    return redirect("console:commerce_order", order_id)


@require_POST
@console_view(VIEW, write_permission=ORDERS)
def order_pay(request, order_id: int):
    order = selectors.get_order(request.actor, order_id)
    try:
        payments.start_payment(request.actor, order, "offline")
    except Problem as problem:
        return _failed(request, order_id, problem)
    total = f"{order.total_fen / 100:,.2f}"
    return _after_action(request, order_id, _("已确认线下收款 ¥%(total)s。") % {"total": total})


@require_POST
@console_view(VIEW, write_permission=ORDERS)
def order_cancel(request, order_id: int):
    order = selectors.get_order(request.actor, order_id)
    reason = request.POST.get("reason", "").strip()[:100] or _("门店取消")
    try:
        orders.cancel_order(request.actor, order, reason=reason)
    except Problem as problem:
        return _failed(request, order_id, problem)
    return _after_action(request, order_id, _("订单已取消，占用的库存和积分已退回。"))


@require_POST
@console_view(VIEW, write_permission=ORDERS)
def order_fulfil(request, order_id: int):
    order = selectors.get_order(request.actor, order_id)
    try:
        orders.mark_fulfilled(request.actor, order)
    except Problem as problem:
        return _failed(request, order_id, problem)
    return _after_action(request, order_id, _("订单已标记为已发货。"))


@require_POST
@console_view(VIEW, write_permission=ORDERS)
def order_pickup(request, order_id: int):
    """Verify this order's pickup with the code the member shows."""
    order = selectors.get_order(request.actor, order_id)
    code = "".join(request.POST.get("code", "").split())
    if not order.pickup_code or code != order.pickup_code:
        return _detail(request, order_id, status=422,
                       pickup_error=_("取货码与这个订单不符，请让顾客出示本订单的取货码。"))
    try:
        orders.verify_pickup(request.actor, code=code, store=None if order.pickup_point_id else order.store,
                             pickup_point=order.pickup_point)
    except Problem as problem:
        return _failed(request, order_id, problem)
    return _after_action(request, order_id, _("提货已核销。"))


@require_POST
@console_view(VIEW, write_permission=ORDERS)
def pickup_verify(request):
    """Verify a pickup from the order list: the code and where the member is."""
    actor = request.actor
    form = _verify_form(request, request.POST)
    if form.is_valid():
        kind, _sep, value = form.cleaned_data["place"].partition(":")
        store = next((s for s in stores_visible_to(actor) if kind == "store" and s.code == value), None)
        point = _pickup_points(actor).filter(pk=value).first() if kind == "point" else None
        try:
            order = orders.verify_pickup(actor, code=form.cleaned_data["code"].strip(), store=store,
                                         pickup_point=point)
        except Problem as problem:
            messages.error(request, commerce_problem_text(problem))
        else:
            messages.success(request, _("订单 %(no)s 已核销提货。") % {"no": order.order_no})
            return redirect("console:commerce_order", order.pk)
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(reverse("console:commerce_orders"))


@require_POST
@console_view(VIEW, write_permission=REFUND)
def order_refund(request, order_id: int):
    actor = request.actor
    order = selectors.get_order(actor, order_id)
    form = RefundForm(request.POST, lines=list(order.lines.all()))
    if form.is_valid():
        data = form.cleaned_data
        lines = form.refund_lines()
        if data["amount"] is None and not lines:
            form.add_error("amount", _("请填写退款金额，或选择要退的商品数量。"))
        else:
            try:
                refund = refunds.refund_order(actor, order, reason=data["reason"], amount_fen=data["amount"],
                                              lines=lines or None, refund_no=f"RFC{data['token'][:20]}")
            except Problem as problem:
                form.add_error(None, commerce_problem_text(problem))
            else:
                return _after_action(request, order_id, _("已退款 ¥%(amount)s（%(no)s）。") % {
                    "amount": f"{refund.amount_fen / 100:,.2f}", "no": refund.refund_no})
    return _detail(request, order_id, status=422, refund_form=form)
