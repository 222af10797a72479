"""Member H5 team purchase (拼团): open deals, a deal's page (开团, or join a team that is forming), and the
team page friends open through the share link (/m/team/<code>/) with seats filled, time left and 参团.

Opening and joining go through the team services acting as the member; the order they place is paid on
the sandbox gateway page like any other order."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequn.commerce import payments
from shequn.commerce.models import Order
from shequn.commerce.teams import selectors, services
from shequn.commerce.teams.models import Team, TeamDeal
from shequn.core import clock
from shequn.core.errors import Problem

from .session import actor_for, member_required
from .views_pay import sandbox_enabled


def team_problem_text(problem: Problem) -> str:
    """A sentence the member can act on when opening or joining is refused."""
    texts = {
        "team-full": _("这个团已经满员了，你可以自己开一个新团。"),
        "team-closed": _("这个团已结束，你可以自己开一个新团。"),
        "already-in-team": _("你已经在这个团里了，把链接分享给好友一起拼吧。"),
        "team-limit": _("每人限购 %(limit)s 件，你已达到上限。") % {"limit": problem.extra.get("limit", "")},
        "team-deal-closed": _("这个拼团活动未开始或已结束。"),
        "out-of-stock": _("商品库存不足，暂时无法拼团。"),
    }
    return texts.get(problem.type, _("操作失败：%(detail)s") % {"detail": problem.detail})


def to_payment(request, order: Order):
    """Straight to the online payment page (the order page when online payment is off or not possible)."""
    if order.status == Order.Status.PENDING_PAYMENT and sandbox_enabled():
        try:
            payments.start_payment(actor_for(request), order, "sandbox")
        except Problem:
            return redirect("h5:order", order_no=order.order_no)
        return redirect("h5:pay_sandbox", order_no=order.order_no)
    return redirect("h5:order_pay" if order.status == Order.Status.PENDING_PAYMENT else "h5:order",
                    order_no=order.order_no)


def _deal_or_404(deal_id: int) -> TeamDeal:
    deal = TeamDeal.objects.select_related("sku__product", "store").filter(pk=deal_id).first()
    if deal is None:
        raise Http404("No such team deal.")
    return deal


def _team_or_404(code: str) -> Team:
    try:
        return services.team_by_code(code)
    except Problem:
        raise Http404("No such team.") from None


@member_required
def deals(request):
    """拼团: deals open now."""
    rows = list(selectors.open_deals())
    return render(request, "h5/teams/deals.html", {"deals": rows})


def _deal_context(deal: TeamDeal, member, now) -> dict:
    mine = list(Team.objects.filter(deal=deal, seats__member=member).select_related("deal").distinct()
                .order_by("-id")[:10])
    return {"deal": deal, "now": now, "is_open": deal.status == TeamDeal.Status.ACTIVE
            and deal.starts_at <= now < deal.ends_at,
            "forming": list(selectors.forming_teams(deal, now, exclude_member=member)[:5]),
            "mine": mine, "saving_fen": deal.sku.price_fen - deal.team_price_fen}


@member_required
def deal(request, deal_id: int):
    item = _deal_or_404(deal_id)
    return render(request, "h5/teams/deal.html", _deal_context(item, request.member, clock.now()))


@require_POST
@member_required
def open_team(request, deal_id: int):
    """开团: the member opens a team and goes to pay."""
    item = _deal_or_404(deal_id)
    try:
        seat = services.open_team(actor_for(request), item, request.member)
    except Problem as problem:
        context = _deal_context(item, request.member, clock.now())
        context["error"] = team_problem_text(problem)
        return render(request, "h5/teams/deal.html", context, status=problem.status)
    return to_payment(request, seat.order)


def _team_context(team: Team, member) -> dict:
    now = clock.now()
    seats = selectors.seats_of(team)
    mine = next((s for s in seats if s.member_id == member.pk and s.status in ("held", "paid", "confirmed")), None)
    shown = [s for s in seats if s.status in ("held", "paid", "confirmed")]
    return {"team": team, "deal": team.deal, "seats": shown, "empty": range(max(team.size - len(shown), 0)),
            "mine": mine, "seconds_left": selectors.seconds_left(team, now),
            "can_join": mine is None and team.status == Team.Status.FORMING and team.expires_at > now
            and team.seats_taken < team.size, "share_path": selectors.share_path(team)}


@require_http_methods(["GET", "POST"])
@member_required
def team(request, code: str):
    """The share link: seats filled, time left, 参团."""
    item = _team_or_404(code)
    error, status = None, 200
    if request.method == "POST":
        try:
            seat = services.join_team(actor_for(request), item, request.member)
        except Problem as problem:
            error, status = team_problem_text(problem), problem.status
            item = _team_or_404(code)
        else:
            return to_payment(request, seat.order)
    context = _team_context(item, request.member)
    context["error"] = error
    return render(request, "h5/teams/team.html", context, status=status)
