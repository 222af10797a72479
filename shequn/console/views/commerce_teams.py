"""Team purchase console (拼团): deals with their teams and seats, new deals, pause/resume, and running the
expiry job now (failed teams: paid members refunded, unpaid orders cancelled)."""

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shequn.commerce.models import Sku
from shequn.commerce.teams import selectors, services
from shequn.commerce.teams.models import Team, TeamDeal
from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.stores.models import Store
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.commerce import YuanField
from ..forms.communities_content import local_datetime

VIEW, CAMPAIGNS = "commerce.view", "commerce.campaigns"
TEAM_STATUS_CLASS = {"forming": "running", "complete": "done", "failed": "failed"}
SEAT_STATUS_CLASS = {"held": "running", "paid": "pending", "confirmed": "done", "refunded": "failed",
                     "released": "inactive"}


class DealForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("活动名称"), max_length=60)
    sku = forms.CharField(label=gettext_lazy("SKU 编码"), max_length=40)
    store = forms.ModelChoiceField(label=gettext_lazy("发货/自提门店"), queryset=Store.objects.none())
    team_price = YuanField(label=gettext_lazy("拼团价（元）"))
    team_size = forms.IntegerField(label=gettext_lazy("成团人数"), min_value=2, max_value=50, initial=3)
    hours = forms.IntegerField(label=gettext_lazy("成团时限（小时）"), min_value=1, max_value=168, initial=24)
    per_member_limit = forms.IntegerField(label=gettext_lazy("每人限购"), min_value=1, max_value=99, initial=1)
    starts_at = local_datetime(gettext_lazy("开始时间"))
    ends_at = local_datetime(gettext_lazy("结束时间"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_visible_to(actor).filter(kind=Store.Kind.STORE, is_active=True)

    def clean_sku(self):
        code = self.cleaned_data["sku"].strip()
        sku = Sku.objects.select_related("product").filter(code=code).first()
        if sku is None:
            raise forms.ValidationError(_("没有这个 SKU。"))
        return sku


def problem_message(problem: Problem) -> str:
    texts = {
        "invalid-team-deal": _("活动设置有误：%(detail)s") % {"detail": problem.detail},
        "team-deal-not-found": _("找不到这个拼团活动，或者它不属于你的门店。"),
    }
    return texts.get(problem.type, problem.detail)


def _list(request, form: DealForm, status: int = 200):
    actor = request.actor
    qs = selectors.deals_visible_to(actor)
    rows, next_cursor = paginate(qs, request.GET.get("cursor"), 30)
    teams = Team.objects.filter(deal__in=[d.pk for d in rows])
    totals = teams.aggregate(forming=Count("id", filter=Q(status=Team.Status.FORMING)),
                             complete=Count("id", filter=Q(status=Team.Status.COMPLETE)),
                             failed=Count("id", filter=Q(status=Team.Status.FAILED)))
    return render(request, "console/commerce/teams.html", {
        "nav": "commerce_teams", "rows": rows, "next_cursor": next_cursor, "form": form, "totals": totals,
        "can_edit": actor.can(CAMPAIGNS)}, status=status)


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CAMPAIGNS)
def deal_list(request):
    """拼团活动: every deal with its forming / complete / failed teams, and a form for a new one."""
    actor = request.actor
    if request.method != "POST":
        return _list(request, DealForm(actor=actor))
    form = DealForm(request.POST, actor=actor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            deal = services.create_deal(
                actor, title=data["title"], sku=data["sku"], store=data["store"], team_price_fen=data["team_price"],
                team_size=data["team_size"], hours=data["hours"], per_member_limit=data["per_member_limit"],
                starts_at=data["starts_at"], ends_at=data["ends_at"])
        except Problem as problem:
            form.add_error(None, problem_message(problem))
        else:
            messages.success(request, _("已创建拼团活动「%(title)s」。") % {"title": deal.title})
            return redirect("console:commerce_team_deal", deal_id=deal.pk)
    return _list(request, form, status=422)


def _team_rows(teams) -> list[dict]:
    return [{"team": t, "seats": [(s, SEAT_STATUS_CLASS.get(s.status, "")) for s in selectors.seats_of(t)],
             "minutes_left": selectors.seconds_left(t) // 60, "status_class": TEAM_STATUS_CLASS.get(t.status, "")}
            for t in teams]


@console_view(VIEW)
def deal_detail(request, deal_id: int):
    """A deal's teams with every seat, its order and refund; filter by status."""
    deal = selectors.get_deal(request.actor, deal_id)
    status = request.GET.get("status", "")
    if status not in Team.Status.values:
        status = ""
    teams, next_cursor = paginate(selectors.teams_of(deal, status), request.GET.get("cursor"), 30)
    return render(request, "console/commerce/teams_deal.html", {
        "nav": "commerce_teams", "deal": deal, "rows": _team_rows(teams), "next_cursor": next_cursor,
        "status": status, "statuses": Team.Status.choices,
        "can_edit": request.actor.can(CAMPAIGNS)})


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def deal_status(request, deal_id: int):
    deal = selectors.get_deal(request.actor, deal_id)
    wanted = TeamDeal.Status.PAUSED if request.POST.get("status") == "paused" else TeamDeal.Status.ACTIVE
    services.set_deal_status(request.actor, deal, wanted)
    messages.success(request, _("活动已暂停，不再接受开团和参团。") if wanted == TeamDeal.Status.PAUSED
                     else _("活动已恢复。"))
    return redirect("console:commerce_team_deal", deal_id=deal.pk)


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def expire_now(request):
    """Run the expiry job now instead of waiting for the next minute."""
    done = services.expire_teams()
    text = _("已处理到期拼团：%(failed)s 个团未成团，退款 %(refunded)s 笔，取消未付款订单 %(cancelled)s 笔。")
    messages.success(request, text % {"failed": done.get("failed", 0), "refunded": done.get("refunded", 0),
                                      "cancelled": done.get("cancelled", 0)})
    return redirect(request.POST.get("next") if (request.POST.get("next") or "").startswith("/console/")
                    else "console:commerce_teams")
