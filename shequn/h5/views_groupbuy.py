"""Member H5 group buy (社群团购): the leader's page (a member orders through the leader's link), the leader's
own view (orders to hand out, pickup verification, commission), and applying to become a leader.

Every write goes through the group-buy services; payment through the order core's sandbox provider."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequn.commerce import payments
from shequn.commerce.groupbuy import leaders, selectors
from shequn.commerce.groupbuy.commissions import ledger_totals, verify_pickup_by_leader
from shequn.commerce.groupbuy.errors import CampaignNotOpen, InvalidLeaderApplication
from shequn.commerce.groupbuy.models import Campaign, LeaderApplication
from shequn.commerce.groupbuy.ordering import bought_quantities, place_groupbuy_order
from shequn.commerce.models import Order
from shequn.commerce.selectors import stock_available
from shequn.core.errors import Problem
from shequn.stores.models import Store

from .session import actor_for, member_required
from .views_pay import sandbox_enabled

MAX_ROWS = 30


def problem_text(problem: Problem) -> str:
    """A readable sentence for a refused group-buy action."""
    texts = {
        "campaign-not-open": _("这个团购现在不接受下单（未开始或已截单）。"),
        "member-limit-reached": _("超过每人限购数量了。"),
        "out-of-stock": _("库存不足，请减少数量或选择其他商品。"),
        "leader-suspended": _("该团长暂停接单，请联系门店。"),
        "leader-out-of-scope": _("该团长的自提点不参与这个团购。"),
        "not-in-campaign": _("该商品不在这个团购中。"),
        "invalid-campaign": _("请至少选择一件商品，数量为 1-999。"),
        "invalid-pickup-code": _("提货码无效：请核对 8 位数字，且订单须在本自提点提货。"),
        "order-state": _("该订单未付款或已退款，不能核销。"),
        "invalid-leader-application": _("请填写自提点名称、地址，并选择供货门店。"),
        "leader-state": _("你已经是团长，或已有待审核的申请。"),
    }
    return texts.get(problem.type, problem.detail)


def _leader_or_404(code: str):
    try:
        return selectors.leader_by_code(code)
    except Problem:
        raise Http404("No such leader.") from None


def _to_payment(request, actor, order: Order):
    """Online payment through the order core (the sandbox gateway where it is on); otherwise the cashier
    page, which offers paying at the counter."""
    if sandbox_enabled():
        try:
            payments.start_payment(actor, order, "sandbox")
        except Problem as problem:
            messages.error(request, problem_text(problem))
        else:
            return redirect("h5:pay_sandbox", order_no=order.order_no)
    return redirect("h5:order_pay", order_no=order.order_no)


def _wanted(post, campaign: Campaign) -> list[dict]:
    items = []
    for item in campaign.items.all():
        raw = (post.get(f"qty_{item.sku.code}") or "").strip()
        if raw and raw != "0":
            quantity = int(raw) if raw.isdigit() and len(raw) <= 4 else -1
            items.append({"sku": item.sku.code, "quantity": quantity})
    return items


def _offer(leader, member) -> list[dict]:
    offer = []
    store_id = leader.pickup_point.store_id
    for campaign in selectors.open_campaigns_for(leader):
        held = bought_quantities(campaign, member)
        rows = [{"item": item, "available": max(0, stock_available(item.sku, [store_id])),
                 "held": held.get(item.sku_id, 0)} for item in campaign.items.all()]
        offer.append({"campaign": campaign, "rows": rows, "progress": selectors.campaign_progress(campaign)})
    return offer


@member_required
def leader_find(request):
    """输入团长码: a member who got the code by word of mouth types it instead of opening the link."""
    code = "".join(ch for ch in (request.GET.get("code") or "").upper() if ch.isalnum())[:8]
    error = None
    if code:
        try:
            return redirect("h5:gb_leader_page", code=selectors.leader_by_code(code).code)
        except Problem:
            error = _("没有这个团长码，请核对后再输入。")
    return render(request, "h5/groupbuy/find.html", {"code": code, "error": error}, status=404 if error else 200)


@require_http_methods(["GET", "POST"])
@member_required
def leader_page(request, code: str):
    """团长的团购页: open campaigns at group-buy prices, pickup at the leader's point."""
    leader = _leader_or_404(code)
    error, status = None, 200
    if request.method == "POST":
        campaign = next((c for c in selectors.open_campaigns_for(leader)
                         if str(c.pk) == request.POST.get("campaign")), None)
        try:
            if campaign is None:
                raise CampaignNotOpen("")
            actor = actor_for(request)
            order = place_groupbuy_order(actor, campaign=campaign, leader=leader, member=request.member,
                                         items=_wanted(request.POST, campaign),
                                         note=(request.POST.get("note") or "")[:200])
        except Problem as problem:
            error, status = problem_text(problem), problem.status
        else:
            return _to_payment(request, actor, order)
    return render(request, "h5/groupbuy/leader_page.html", {
        "leader": leader, "point": leader.pickup_point, "offer": _offer(leader, request.member),
        "active": leader.status == leader.Status.ACTIVE, "error": error}, status=status)


@member_required
def leader_home(request):
    """团长工作台: orders to hand out per campaign, verify a pickup, commission and statements."""
    leader = selectors.leader_of_member(request.member)
    if leader is None:
        application = LeaderApplication.objects.filter(member=request.member).order_by("-id").first()
        return render(request, "h5/groupbuy/not_leader.html", {"application": application})
    to_hand_out: dict[int, dict] = {}
    for gb in selectors.leader_orders_to_hand_out(leader):
        block = to_hand_out.setdefault(gb.campaign_id, {"campaign": gb.campaign, "orders": []})
        block["orders"].append(gb)
    return render(request, "h5/groupbuy/leader_home.html", {
        "leader": leader, "point": leader.pickup_point, "blocks": list(to_hand_out.values()),
        "totals": ledger_totals(leader), "link": request.build_absolute_uri(leaders.leader_path(leader)),
        "qr": mark_safe(leaders.qr_svg(leader, request.build_absolute_uri("/"), scale=4)),  # noqa: S308 (our SVG)
        "entries": list(selectors.commission_entries(leader).order_by("-id")[:MAX_ROWS]),
        "statements": list(leader.statements.order_by("-period_start")[:12]),
        "verified": request.session.pop("gb_verified", None)})


@require_POST
@member_required
def leader_verify(request):
    """核销: the leader types the member's 8-digit pickup code (or scans its QR into the field)."""
    leader = selectors.leader_of_member(request.member)
    if leader is None:
        return redirect("h5:gb_leader")
    code = "".join(ch for ch in (request.POST.get("code") or "") if ch.isdigit())[:8]
    try:
        order = verify_pickup_by_leader(actor_for(request), leader, code)
    except Problem as problem:
        messages.error(request, problem_text(problem))
    else:
        request.session["gb_verified"] = order.order_no
        messages.success(request, _("核销成功：订单 %(no)s 已自提") % {"no": order.order_no})
    return redirect("h5:gb_leader")


@require_http_methods(["GET", "POST"])
@member_required
def leader_apply(request):
    """申请成为团长: the proposed pickup point (name, address, hours) and the supplying store."""
    if selectors.leader_of_member(request.member) is not None:
        return redirect("h5:gb_leader")
    stores = list(Store.objects.filter(is_active=True, kind=Store.Kind.STORE).order_by("code"))
    error, status = None, 200
    form = {k: (request.POST.get(k) or "").strip() for k in ("point_name", "address", "hours", "store", "note")}
    if request.method == "POST":
        store = next((s for s in stores if s.code == form["store"]), None)
        try:
            if store is None:
                raise InvalidLeaderApplication("")
            leaders.apply(actor_for(request), request.member, point_name=form["point_name"],
                          address=form["address"], hours=form["hours"], store=store, note=form["note"])
        except Problem as problem:
            error, status = problem_text(problem), problem.status
        else:
            messages.success(request, _("申请已提交，门店审核通过后即可开始团购。"))
            return redirect("h5:gb_leader")
    elif request.member.home_store_id:
        form["store"] = request.member.home_store.code
    return render(request, "h5/groupbuy/apply.html", {"stores": stores, "form": form, "error": error},
                  status=status)
