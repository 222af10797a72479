"""Member H5 flash sales (秒杀): the list of running and upcoming sales and a sale's page with a countdown
and 马上抢. The server decides every purchase (window, allotment, per-member limit); the page only shows
the result and sends a successful buyer to pay within 5 minutes."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shequn.commerce.flash import selectors, services
from shequn.commerce.flash.models import FlashSale
from shequn.core import clock
from shequn.core.errors import Problem

from .session import actor_for, member_required
from .views_teams import to_payment


def flash_problem_text(problem: Problem) -> str:
    texts = {
        "flash-sale-sold-out": _("手慢了，已经抢光了。"),
        "flash-sale-limit": _("每人限购 %(limit)s 件，你已达到上限。") % {"limit": problem.extra.get("limit", "")},
        "flash-sale-closed": _("秒杀未开始或已结束。"),
        "out-of-stock": _("商品库存不足，已经抢光了。"),
    }
    return texts.get(problem.type, _("抢购失败：%(detail)s") % {"detail": problem.detail})


def _sale_or_404(sale_id: int) -> FlashSale:
    try:
        return selectors.sale_for_members(sale_id)
    except Problem:
        raise Http404("No such flash sale.") from None


@member_required
def sales(request):
    now = clock.now()
    rows = [{"sale": s, "phase": selectors.phase(s, now)} for s in selectors.current_and_upcoming(now)[:30]]
    return render(request, "h5/flash/list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@member_required
def sale(request, sale_id: int):
    """秒杀: countdown to the start (or the end), what is left, 马上抢."""
    item = _sale_or_404(sale_id)
    error, status = None, 200
    if request.method == "POST":
        try:
            order = services.buy(actor_for(request), item, request.member)
        except Problem as problem:
            error, status = flash_problem_text(problem), problem.status
            item = _sale_or_404(sale_id)
        else:
            return to_payment(request, order)
    now = clock.now()
    phase = selectors.phase(item, now)
    bought = selectors.member_units(item, request.member)
    return render(request, "h5/flash/sale.html", {
        "sale": item, "phase": phase, "error": error, "bought": bought,
        "at_limit": bought >= item.per_member_limit,
        "deadline": item.starts_at if phase == "upcoming" else item.ends_at,
        "sold_pct": round(100 * (item.quantity - item.remaining) / item.quantity),
        "saving_fen": item.sku.price_fen - item.flash_price_fen}, status=status)
