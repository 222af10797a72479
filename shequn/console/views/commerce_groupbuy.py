"""Group-buy console (社群团购): campaigns with items and sales against the minimum, leaders and their
applications, each leader's order sheet, pickup verification for staff, and commission statements."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shequn.commerce.groupbuy import campaigns, exports, leaders, selectors, statements
from shequn.commerce.groupbuy.commissions import verify_pickup_by_leader
from shequn.commerce.groupbuy.models import Campaign, LeaderApplication
from shequn.commerce.models import Sku
from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.stores.models import Store
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.commerce import YuanField
from ..forms.communities_content import local_datetime

VIEW, CAMPAIGNS, ORDERS, COMMISSIONS = "commerce.view", "commerce.campaigns", "commerce.orders", "commerce.commissions"
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_CLASS = {"draft": "inactive", "open": "running", "closed": "pending", "succeeded": "done", "failed": "failed",
                "pending": "pending", "approved": "done", "rejected": "failed", "active": "done",
                "suspended": "inactive", "confirmed": "running", "paid": "done"}


class CampaignForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("活动名称"), max_length=80)
    starts_at = local_datetime(gettext_lazy("开始时间"))
    ends_at = local_datetime(gettext_lazy("截单时间"))
    pickup_date = forms.DateField(label=gettext_lazy("提货日"), widget=DATE)
    commission_permille = forms.IntegerField(label=gettext_lazy("团长佣金（‰）"), min_value=0, max_value=1000,
                                             initial=80)
    min_quantity = forms.IntegerField(label=gettext_lazy("成团数量（0 = 不限）"), min_value=0, max_value=1_000_000,
                                      initial=0)
    stores = forms.ModelMultipleChoiceField(label=gettext_lazy("参与门店（不选 = 全部）"), required=False,
                                            queryset=Store.objects.none())
    description = forms.CharField(label=gettext_lazy("说明"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = stores_visible_to(actor).filter(kind=Store.Kind.STORE, is_active=True)


class ItemForm(forms.Form):
    sku = forms.CharField(label=gettext_lazy("SKU 编码"), max_length=40)
    group_price = YuanField(label=gettext_lazy("团购价（元）"))
    per_member_limit = forms.IntegerField(label=gettext_lazy("每人限购（空 = 不限）"), min_value=1, max_value=999,
                                          required=False)
    commission_permille = forms.IntegerField(label=gettext_lazy("佣金（‰，空 = 活动佣金）"), min_value=0,
                                             max_value=1000, required=False)

    def clean_sku(self):
        sku = Sku.objects.select_related("product").filter(code=self.cleaned_data["sku"].strip()).first()
        if sku is None:
            raise forms.ValidationError(_("没有这个 SKU。"))
        return sku


class PickupForm(forms.Form):
    leader_code = forms.CharField(label=gettext_lazy("团长码"), max_length=8)
    code = forms.CharField(label=gettext_lazy("提货码"), max_length=20)


class PeriodForm(forms.Form):
    period_start = forms.DateField(label=gettext_lazy("开始日期"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("结束日期（含）"), widget=DATE)


def problem_message(problem: Problem) -> str:
    texts = {
        "invalid-campaign": _("活动设置有误：%(detail)s") % {"detail": problem.detail},
        "campaign-state": _("活动当前状态不能这样操作：%(detail)s") % {"detail": problem.detail},
        "invalid-pickup-code": _("提货码无效：请核对 8 位数字，且订单须在该团长的自提点提货。"),
        "order-state": _("该订单未付款或已退款，不能核销。"),
        "leader-not-found": _("没有这个团长码。"),
        "leader-state": _("该申请已处理，或该会员已是团长。"),
        "invalid-statement": _("结算周期有误：%(detail)s") % {"detail": problem.detail},
        "statement-state": _("结算单当前状态不能这样操作：%(detail)s") % {"detail": problem.detail},
    }
    return texts.get(problem.type, problem.detail)


def _with_css(rows) -> list:
    rows = list(rows)
    for row in rows:
        row.css = STATUS_CLASS.get(row.status, "")
    return rows


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Campaigns


def _campaign_list(request, form: CampaignForm, status: int = 200):
    rows, next_cursor = paginate(selectors.campaigns_visible_to(request.actor), request.GET.get("cursor"), 30)
    return render(request, "console/commerce/groupbuy.html", {
        "nav": "commerce_groupbuy", "form": form, "next_cursor": next_cursor,
        "rows": [{"c": c, "progress": selectors.campaign_progress(c), "cls": STATUS_CLASS.get(c.status, "")}
                 for c in rows],
        "pending_applications": selectors.applications_visible_to(request.actor, "pending").count(),
        "can_edit": request.actor.can(CAMPAIGNS)}, status=status)


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CAMPAIGNS)
def campaign_list(request):
    """团购活动: every campaign with its sales against the minimum, and a form for a new one."""
    if request.method != "POST":
        now = timezone.localtime()
        initial = {"starts_at": now.replace(minute=0, second=0, microsecond=0),
                   "ends_at": (now + dt.timedelta(days=2)).replace(hour=22, minute=0, second=0, microsecond=0),
                   "pickup_date": (now + dt.timedelta(days=3)).date()}
        return _campaign_list(request, CampaignForm(actor=request.actor, initial=initial))
    form = CampaignForm(request.POST, actor=request.actor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaigns.create_campaign(
                request.actor, title=data["title"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                pickup_date=data["pickup_date"], commission_permille=data["commission_permille"],
                min_quantity=data["min_quantity"], stores=list(data["stores"]), description=data["description"])
        except Problem as problem:
            form.add_error(None, problem_message(problem))
        else:
            messages.success(request, _("已创建团购活动「%(title)s」，请添加商品后开团。") % {"title": campaign.title})
            return redirect("console:commerce_groupbuy_campaign", campaign_id=campaign.pk)
    return _campaign_list(request, form, status=422)


def _campaign_page(request, campaign: Campaign, item_form: ItemForm, status: int = 200):
    leader_rows = []
    for leader in selectors.leaders_of_campaign(campaign).filter(pk__in=selectors.leaders_visible_to(request.actor)):
        sheet = selectors.order_sheet(campaign, leader)
        leader_rows.append({"leader": leader, "totals": sheet["totals"]})
    return render(request, "console/commerce/groupbuy_campaign.html", {
        "nav": "commerce_groupbuy", "campaign": campaign, "cls": STATUS_CLASS.get(campaign.status, ""),
        "items": list(campaign.items.select_related("sku__product")), "progress": selectors.campaign_progress(campaign),
        "leader_rows": leader_rows, "item_form": item_form, "stores": list(campaign.stores.all()),
        "can_edit": request.actor.can(CAMPAIGNS)}, status=status)


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CAMPAIGNS)
def campaign_detail(request, campaign_id: int):
    """A campaign: items at group-buy prices (added while a draft), status actions, leaders' sales."""
    campaign = selectors.get_campaign(request.actor, campaign_id)
    if request.method != "POST":
        return _campaign_page(request, campaign, ItemForm())
    form = ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaigns.add_item(request.actor, campaign, sku=data["sku"], group_price_fen=data["group_price"],
                               per_member_limit=data["per_member_limit"],
                               commission_permille=data["commission_permille"])
        except Problem as problem:
            form.add_error(None, problem_message(problem))
        else:
            messages.success(request, _("已添加 %(sku)s。") % {"sku": data["sku"].code})
            return redirect("console:commerce_groupbuy_campaign", campaign_id=campaign.pk)
    return _campaign_page(request, campaign, form, status=422)


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def campaign_status(request, campaign_id: int):
    """开团 / 截单 (closing decides success against the minimum; failure refunds and cancels)."""
    campaign = selectors.get_campaign(request.actor, campaign_id)
    action = request.POST.get("action")
    try:
        if action == "open":
            campaigns.open_campaign(request.actor, campaign)
            messages.success(request, _("已开团。"))
        elif action == "close":
            campaign = campaigns.close_campaign(request.actor, campaign)
            messages.success(request, _("已截单：%(status)s。") % {"status": campaign.get_status_display()})
        elif action == "remove" and request.POST.get("sku"):
            sku = Sku.objects.filter(code=request.POST["sku"]).first()
            if sku is not None:
                campaigns.remove_item(request.actor, campaign, sku)
    except Problem as problem:
        messages.error(request, problem_message(problem))
    return redirect("console:commerce_groupbuy_campaign", campaign_id=campaign.pk)


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def close_due(request):
    done = campaigns.close_due()
    messages.success(request, _("已处理 %(n)s 个到期团购活动。") % {"n": done})
    return redirect("console:commerce_groupbuy")


@console_view(VIEW)
def order_sheet(request, campaign_id: int, leader_id: int):
    """团长订单汇总: each member's orders and pickup status, and the picking list; Excel with ?format=xlsx."""
    campaign = selectors.get_campaign(request.actor, campaign_id)
    leader = selectors.get_leader(request.actor, leader_id)
    sheet = selectors.order_sheet(campaign, leader)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.order_sheet_xlsx(sheet), exports.sheet_filename(campaign, leader))
    return render(request, "console/commerce/groupbuy_sheet.html", {
        "nav": "commerce_groupbuy", "campaign": campaign, "leader": leader, "sheet": sheet})


# Leaders


@console_view(VIEW)
def leader_list(request):
    """团长: applications waiting for review (approve / reject) and every leader with link, QR and balance."""
    actor = request.actor
    rows, next_cursor = paginate(selectors.leaders_visible_to(actor), request.GET.get("cursor"), 50)
    return render(request, "console/commerce/groupbuy_leaders.html", {
        "nav": "commerce_groupbuy_leaders", "leaders": rows, "next_cursor": next_cursor,
        "pending": list(selectors.applications_visible_to(actor, LeaderApplication.Status.PENDING)[:100]),
        "decided": _with_css(selectors.applications_visible_to(actor).exclude(status="pending")[:20]),
        "can_edit": actor.can(CAMPAIGNS)})


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def application_decide(request, application_id: int):
    application = selectors.get_application(request.actor, application_id)
    try:
        if request.POST.get("decision") == "approve":
            leader = leaders.approve(request.actor, application)
            messages.success(request, _("已通过：团长码 %(code)s，自提点「%(name)s」。") % {
                "code": leader.code, "name": leader.pickup_point.name})
        else:
            leaders.reject(request.actor, application, reason=request.POST.get("reason", ""))
            messages.success(request, _("已拒绝该申请。"))
    except Problem as problem:
        messages.error(request, problem_message(problem) if problem.type != "invalid-leader-application"
                       else _("拒绝时请填写原因。"))
    return redirect("console:commerce_groupbuy_leaders")


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def leader_status(request, leader_id: int):
    leader = selectors.get_leader(request.actor, leader_id)
    try:
        if request.POST.get("action") == "resume":
            leaders.resume(request.actor, leader)
        else:
            leaders.suspend(request.actor, leader, reason=request.POST.get("reason", "") or _("运营暂停"))
    except Problem as problem:
        messages.error(request, problem_message(problem))
    return redirect("console:commerce_groupbuy_leaders")


@console_view(VIEW)
def leader_qr(request, leader_id: int):
    leader = selectors.get_leader(request.actor, leader_id)
    return HttpResponse(leaders.qr_svg(leader, request.build_absolute_uri("/")), content_type="image/svg+xml")


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=ORDERS)
def pickup(request):
    """核销 for staff: the leader's code and the member's pickup code."""
    form, order, status = PickupForm(request.POST or None), None, 200
    if request.method == "POST" and form.is_valid():
        try:
            leader = selectors.leader_by_code(form.cleaned_data["leader_code"])
            selectors.get_leader(request.actor, leader.pk)  # in the staff member's stores
            order = verify_pickup_by_leader(request.actor, leader, form.cleaned_data["code"])
        except Problem as problem:
            form.add_error(None, problem_message(problem))
            status = problem.status
        else:
            messages.success(request, _("核销成功：订单 %(no)s 已自提。") % {"no": order.order_no})
    elif request.method == "POST":
        status = 422
    return render(request, "console/commerce/groupbuy_pickup.html", {
        "nav": "commerce_groupbuy_pickup", "form": form, "order": order}, status=status)


# Statements


def _period(request) -> tuple[dt.date, dt.date] | None:
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["period_start"], form.cleaned_data["period_end"]
    return None


def _last_half_month() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    if today.day > 15:
        return today.replace(day=1), today.replace(day=15)
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=16), end


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=COMMISSIONS)
def statement_list(request):
    """结算单: generate a period's statements for every leader, confirm, mark paid, export."""
    actor = request.actor
    period = _period(request)
    if request.method == "POST":
        form = PeriodForm(request.POST)
        if form.is_valid():
            start, end = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
            try:
                made = statements.generate(actor, period_start=start, period_end=end)
            except Problem as problem:
                messages.error(request, problem_message(problem))
            else:
                messages.success(request, _("已生成 %(n)s 张结算单。") % {"n": len(made)})
            return redirect(f"{request.path}?period_start={start}&period_end={end}")
        messages.error(request, _("请填写开始和结束日期。"))
    start, end = period or _last_half_month()
    qs = selectors.statements_visible_to(actor)
    if period:
        qs = qs.filter(period_start=start, period_end=end)
    if request.GET.get("format") == "xlsx" and period:
        return _xlsx(exports.period_xlsx(list(qs.order_by("leader_id"))), f"groupbuy-statements-{start}-{end}.xlsx")
    rows, next_cursor = paginate(qs, request.GET.get("cursor"), 50)
    return render(request, "console/commerce/groupbuy_statements.html", {
        "nav": "commerce_groupbuy_statements", "rows": _with_css(rows), "next_cursor": next_cursor, "period": period,
        "form": PeriodForm(initial={"period_start": start, "period_end": end}),
        "can_edit": actor.can(COMMISSIONS)})


@require_POST
@console_view(VIEW, write_permission=COMMISSIONS)
def statement_action(request, statement_id: int):
    statement = selectors.get_statement(request.actor, statement_id)
    try:
        if request.POST.get("action") == "confirm":
            statements.confirm(request.actor, statement)
            messages.success(request, _("结算单已确认。"))
        else:
            statements.mark_paid(request.actor, statement, reference=request.POST.get("reference", ""))
            messages.success(request, _("结算单已标记为已支付。"))
    except Problem as problem:
        messages.error(request, problem_message(problem) if problem.type != "invalid-statement"
                       else _("请填写支付凭证号（银行或微信转账单号）。"))
    back = request.POST.get("back") or ""
    return redirect(back if back.startswith("/console/") else "console:commerce_groupbuy_statements")


@console_view(VIEW)
def statement_xlsx(request, statement_id: int):
    statement = selectors.get_statement(request.actor, statement_id)
    return _xlsx(exports.statement_xlsx(statement),
                 f"statement-{statement.pk}-{statement.leader.code}-{statement.period_start}.xlsx")

