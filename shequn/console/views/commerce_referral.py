"""Referral (裂变) and distribution (分销) console: the referral report with held referrals to review and the
reward rules; the distribution report with applications, commission by level and rates; withdrawals."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequn.commerce.referral import distribution, selectors, services
from shequn.commerce.referral.models import Distributor, Referral, ReferralSettings, Withdrawal
from shequn.core.errors import Problem

from ..access import console_view

VIEW, CAMPAIGNS, COMMISSIONS = "commerce.view", "commerce.campaigns", "commerce.commissions"
HOLD_REASONS = {"self": gettext_lazy("自己推荐自己"), "self-device": gettext_lazy("与推荐人同一设备"),
                "burst-device": gettext_lazy("同一设备短时间多次注册"),
                "burst-network": gettext_lazy("同一网段短时间多次注册"), "ring": gettext_lazy("互相推荐(环)")}


class ReferralSettingsForm(forms.ModelForm):
    class Meta:
        model = ReferralSettings
        fields = ["reward_kind", "referrer_points", "referee_points", "referrer_coupon_template_id",
                  "referee_coupon_template_id", "signup_window_days", "first_order_window_days", "hold_days",
                  "burst_limit", "burst_window_minutes"]
        labels = {"reward_kind": gettext_lazy("奖励方式"), "referrer_points": gettext_lazy("推荐人积分"),
                  "referee_points": gettext_lazy("新人积分"),
                  "referrer_coupon_template_id": gettext_lazy("推荐人券模板 ID"),
                  "referee_coupon_template_id": gettext_lazy("新人券模板 ID"),
                  "signup_window_days": gettext_lazy("点击后注册有效期（天）"),
                  "first_order_window_days": gettext_lazy("注册后首单有效期（天）"),
                  "hold_days": gettext_lazy("首单冷静期（天）"), "burst_limit": gettext_lazy("同设备/网段每窗口上限"),
                  "burst_window_minutes": gettext_lazy("突发检测窗口（分钟）")}


class RatesForm(forms.Form):
    level1 = forms.IntegerField(label=gettext_lazy("一级佣金（‰）"), min_value=0, max_value=500)
    level2 = forms.IntegerField(label=gettext_lazy("二级佣金（‰）"), min_value=0, max_value=500, required=False)
    min_withdrawal_yuan = forms.IntegerField(label=gettext_lazy("最低提现（元）"), min_value=1, max_value=100000)


def _say(request, problem: Problem) -> None:
    messages.error(request, problem.detail)


@console_view(VIEW)
def referral_report(request):
    actor = request.actor
    status = request.GET.get("status", "held")
    held = selectors.referrals_visible_to(actor)
    if status in Referral.Status.values:
        held = held.filter(status=status)
    row = services.settings_row()
    form = ReferralSettingsForm(instance=row)
    rows = list(held.order_by("-id")[:100])
    for r in rows:
        r.reason_labels = [HOLD_REASONS.get(x, x) for x in r.hold_reasons]
    return render(request, "console/commerce/referral.html", {
        "nav": "commerce_referral", "report": selectors.referral_report(actor)[:100],
        "totals": selectors.referral_totals(actor), "referrals": rows, "status": status,
        "statuses": Referral.Status.choices, "form": form, "can_review": actor.can(CAMPAIGNS)})


@console_view(VIEW, write_permission=CAMPAIGNS)
@require_POST
def referral_review(request, referral_id: int):
    selectors.get_referral(request.actor, referral_id)
    approve = request.POST.get("approve") == "1"
    try:
        services.review(request.actor, referral_id, approve=approve, note=request.POST.get("note", ""))
    except Problem as problem:
        _say(request, problem)
    else:
        messages.success(request, _("已通过推荐 #%(id)s。") % {"id": referral_id} if approve
                         else _("已驳回推荐 #%(id)s。") % {"id": referral_id})
    return redirect("console:commerce_referral")


@console_view(VIEW, write_permission=CAMPAIGNS)
@require_POST
def referral_settings(request):
    form = ReferralSettingsForm(request.POST, instance=services.settings_row())
    if not form.is_valid():
        messages.error(request, _("设置有误：%(errors)s") % {"errors": "; ".join(
            f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items())})
        return redirect("console:commerce_referral")
    try:
        services.update_settings(request.actor, **{k: form.cleaned_data[k] for k in form.Meta.fields})
    except Problem as problem:
        _say(request, problem)
    else:
        messages.success(request, _("裂变规则已保存。"))
    return redirect("console:commerce_referral")


@console_view(VIEW)
def distribution_report(request):
    actor = request.actor
    row = distribution.settings_row()
    rates = row.level_rates_permille + [None] * (2 - len(row.level_rates_permille))
    form = RatesForm(initial={"level1": rates[0], "level2": rates[1],
                              "min_withdrawal_yuan": row.min_withdrawal_fen // 100})
    applications = selectors.distributors_visible_to(actor).filter(status=Distributor.Status.APPLIED)
    return render(request, "console/commerce/referral_distribution.html", {
        "nav": "commerce_distribution", "report": selectors.distribution_report(actor),
        "applications": list(applications.order_by("applied_at")[:100]), "form": form,
        "settings": row, "can_manage": actor.can(COMMISSIONS)})


@console_view(VIEW, write_permission=COMMISSIONS)
@require_POST
def distributor_decide(request, distributor_id: int):
    selectors.get_distributor(request.actor, distributor_id)
    approve = request.POST.get("approve") == "1"
    try:
        distribution.decide(request.actor, distributor_id, approve=approve, note=request.POST.get("note", ""))
    except Problem as problem:
        _say(request, problem)
    else:
        messages.success(request, _("已处理分销员申请。"))
    return redirect("console:commerce_distribution")


@console_view(VIEW, write_permission=COMMISSIONS)
@require_POST
def distribution_rates(request):
    form = RatesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写正确的佣金比例（0–500‰）和最低提现金额。"))
        return redirect("console:commerce_distribution")
    rates = [form.cleaned_data["level1"]]
    if form.cleaned_data["level2"] is not None:
        rates.append(form.cleaned_data["level2"])
    try:
        distribution.configure(request.actor, level_rates_permille=rates,
                               min_withdrawal_fen=form.cleaned_data["min_withdrawal_yuan"] * 100)
    except Problem as problem:
        _say(request, problem)
    else:
        messages.success(request, _("佣金规则已保存。"))
    return redirect("console:commerce_distribution")


@console_view(VIEW)
def withdrawals(request):
    status = request.GET.get("status", "requested")
    qs = selectors.withdrawals_visible_to(request.actor)
    if status in Withdrawal.Status.values:
        qs = qs.filter(status=status)
    return render(request, "console/commerce/referral_withdrawals.html", {
        "nav": "commerce_withdrawals", "rows": list(qs.order_by("-id")[:200]), "status": status,
        "statuses": Withdrawal.Status.choices, "can_manage": request.actor.can(COMMISSIONS)})


@console_view(VIEW, write_permission=COMMISSIONS)
@require_POST
def withdrawal_decide(request, withdrawal_id: int):
    selectors.get_withdrawal(request.actor, withdrawal_id)
    approve = request.POST.get("approve") == "1"
    try:
        distribution.decide_withdrawal(request.actor, withdrawal_id, approve=approve,
                                       reference=request.POST.get("reference", ""),
                                       note=request.POST.get("note", ""))
    except Problem as problem:
        messages.error(request, _("打款时请填写转账流水号。") if problem.type == "invalid-withdrawal"
                       else problem.detail)
    else:
        messages.success(request, _("提现 #%(id)s 已处理。") % {"id": withdrawal_id})
    return redirect("console:commerce_withdrawals")
