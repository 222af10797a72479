"""Member H5 payment: choose how to pay an order, and the sandbox gateway page (沙箱支付).

到店付款 (offline) does not confirm anything from the member's phone: the order stays 待付款 until the
store confirms the money at the counter. 在线支付 goes through the provider contract
(`payments.start_payment`); the sandbox page stands in for the gateway and pays by sending the core a
notification signed exactly as the gateway signs it, through `payments.handle_notification` — the same
path the HTTP notify endpoint takes. It is for the demo and tests only, and says so on the page."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shequn.commerce import payments
from shequn.commerce.models import Order
from shequn.commerce.providers.sandbox import sign_notification
from shequn.core.errors import Problem

from .card import local_time
from .session import actor_for, member_required
from .views_shop import member_order, order_problem_text

METHODS = ("sandbox", "offline")


def sandbox_enabled() -> bool:
    """The sandbox marks orders paid without money, so it is on only where nobody pays for real: the demo
    and development (DEMO_MODE / DEBUG), or a deployment that sets SHEQUN_H5_ONLINE_PAYMENT = "sandbox"."""
    configured = getattr(settings, "SHEQUN_H5_ONLINE_PAYMENT", "")
    if configured:
        return configured == "sandbox"
    return bool(settings.DEMO_MODE or settings.DEBUG)


def _not_pending(request, order: Order):
    messages.info(request, _("该订单%(status)s，无需付款") % {"status": order.get_status_display()})
    return redirect("h5:order", order_no=order.order_no)


@require_http_methods(["GET", "POST"])
@member_required
def pay(request, order_no: str):
    """收银台: 在线支付 (sandbox gateway) or 到店付款 (the store confirms at the counter)."""
    order = member_order(request, order_no)
    if order.status != Order.Status.PENDING_PAYMENT:
        return _not_pending(request, order)
    error, status = None, 200
    if request.method == "POST":
        method = request.POST.get("method")
        if method == "offline":
            messages.info(request, _("请在 %(time)s 前到门店收银台出示订单付款，店员确认收款后订单变为已付款；"
                                     "超时未付款的订单会自动取消。") % {
                "time": local_time(request.member, order.expires_at).strftime("%H:%M")})
            return redirect("h5:order", order_no=order.order_no)
        if method == "sandbox" and sandbox_enabled():
            try:
                payments.start_payment(actor_for(request), order, "sandbox")
            except Problem as problem:
                error, status = order_problem_text(problem, paying=True), problem.status
            else:
                return redirect("h5:pay_sandbox", order_no=order.order_no)
        else:
            error, status = _("请选择支付方式。"), 400
    return render(request, "h5/shop/pay.html", {
        "order": order, "expires_at": local_time(request.member, order.expires_at), "error": error,
        "online": sandbox_enabled()}, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def sandbox(request, order_no: str):
    """沙箱支付: shows the amount; 确认支付 sends the signed "paid" notification to the order core."""
    if not sandbox_enabled():
        raise Http404("The sandbox gateway is off.")
    order = member_order(request, order_no)
    if order.status != Order.Status.PENDING_PAYMENT:
        return _not_pending(request, order)
    error, status = None, 200
    if request.method == "POST":
        headers, body = sign_notification(order.order_no, order.total_fen)
        try:
            order = payments.handle_notification("sandbox", headers, body)
        except Problem as problem:
            error, status = order_problem_text(problem, paying=True), problem.status
        else:
            if order.status == Order.Status.PAID:
                messages.success(request, _("支付成功"))
            else:  # cancelled meanwhile: the core recorded the money as late and sent it back
                messages.info(request, _("订单已%(status)s，这笔付款已原路退回") % {
                    "status": order.get_status_display()})
            return redirect("h5:order", order_no=order.order_no)
    return render(request, "h5/shop/sandbox.html", {"order": order, "error": error}, status=status)
