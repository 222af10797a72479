"""Member H5 coupons (我的优惠券): available / used / expired tabs, and the claim page of a template that a
share link or poster points to (领券)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shequn.commerce.coupons import selectors, services
from shequn.commerce.coupons.engine import describe
from shequn.commerce.coupons.models import CouponTemplate
from shequn.commerce.coupons.redemption import template_terms
from shequn.core.errors import Problem
from shequn.core.pagination import paginate

from .session import actor_for, member_required

TAB_LABELS = (("available", gettext_lazy("可使用")), ("used", gettext_lazy("已使用")),
              ("expired", gettext_lazy("已过期")))


def coupon_problem_text(problem: Problem) -> str:
    texts = {
        "coupon-sold-out": _("手慢了，券已经被领完了。"),
        "coupon-limit-reached": _("你已经领过这张券了（每人限领 %(limit)s 张）。") % {
            "limit": problem.extra.get("limit", "")},
        "coupon-not-issuable": _("这张券现在不能领取。"),
    }
    return texts.get(problem.type, problem.detail)


def _card(coupon=None, template: CouponTemplate | None = None) -> dict:
    template = template or coupon.template
    return {"coupon": coupon, "t": template, "rule": describe(template_terms(template))}


@member_required
def my_coupons(request):
    tab = request.GET.get("tab", "available")
    if tab not in selectors.TABS:
        tab = "available"
    rows, next_cursor = paginate(selectors.member_coupons(request.member, tab), request.GET.get("cursor"), 30)
    return render(request, "h5/coupons/list.html", {
        "tab": tab, "tabs": TAB_LABELS, "cards": [_card(c) for c in rows],
        "next_cursor": next_cursor, "now": timezone.now()})


@require_http_methods(["GET", "POST"])
@member_required
def claim(request, template_id: int):
    try:
        template = selectors.claimable_template(template_id)
    except Problem:
        raise Http404("No such coupon.") from None
    error, status = "", 200
    if request.method == "POST":
        try:
            coupon = services.claim(actor_for(request), template, request.member)
        except Problem as problem:
            error, status = coupon_problem_text(problem), 409 if problem.status == 409 else problem.status
        else:
            messages.success(request, _("领取成功：%(name)s，%(until)s 前有效。") % {
                "name": template.name, "until": timezone.localtime(coupon.valid_until).strftime("%Y-%m-%d")})
            return redirect("h5:coupons")
    held = selectors.member_coupons(request.member).filter(template=template).count()
    return render(request, "h5/coupons/claim.html", {
        **_card(template=template), "error": error, "held": held,
        "sold_out": template.remaining == 0, "paused": template.status != CouponTemplate.Status.ACTIVE}, status=status)
