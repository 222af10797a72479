"""Coupon console (优惠券): templates with their usage and cost per campaign, a new template, a template's
coupons, granting to members by member numbers, a tag or a tier, and pausing issue."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shequn.commerce.coupons import selectors, services
from shequn.commerce.coupons.engine import describe
from shequn.commerce.coupons.models import Coupon, CouponTemplate
from shequn.commerce.coupons.redemption import template_terms
from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.loyalty.models import Tier
from shequn.members.models import Tag

from ..access import console_view
from ..forms.commerce import YuanField
from ..forms.communities_content import local_datetime

VIEW, CAMPAIGNS = "commerce.view", "commerce.campaigns"
# service field → form field, so a rule broken in the service is shown next to the input that broke it
FORM_FIELD = {"amount_fen": "amount", "threshold_fen": "threshold", "max_discount_fen": "max_discount",
              "min_spend_fen": "min_spend", "sku_codes": "sku_codes", "categories": "categories"}


FIELD_TEXT = {
    "amount_fen": gettext_lazy("请填写减免金额（立减券、满减券必填）。"),
    "threshold_fen": gettext_lazy("请填写满减门槛，且不能低于减免金额。"),
    "percent": gettext_lazy("折扣券请填写 1–99 的折扣，例如 85 表示 85 折。"),
    "free_sku_code": gettext_lazy("请填写存在的免费商品 SKU；限定 SKU 时，它也要在适用 SKU 里。"),
    "categories": gettext_lazy("请填写已有的分类名称。"),
    "sku_codes": gettext_lazy("请填写已有的 SKU 编码。"),
    "valid_days": gettext_lazy("请填写领取后有效天数（1–3650）。"),
    "valid_from": gettext_lazy("固定时间段的券请填写开始时间和结束时间。"),
    "valid_until": gettext_lazy("结束时间要晚于开始时间，并且不能已经过去。"),
}


def _template_error(problem: Problem) -> str:
    """The operator's version of a refused template: what to fill in, and which names were not found."""
    text = FIELD_TEXT.get(problem.extra.get("field", ""))
    if text is None:
        return _("券设置有误：%(detail)s") % {"detail": problem.detail}
    missing = problem.extra.get("missing")
    return f"{text} {_('找不到：%(names)s') % {'names': '、'.join(missing)}}" if missing else str(text)


def _codes(text: str) -> list[str]:
    return [c for c in text.replace("，", ",").replace("\n", ",").replace(" ", ",").split(",") if c.strip()]


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("券名称"), max_length=60)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=CouponTemplate.Kind.choices)
    amount = YuanField(label=gettext_lazy("减免金额（元）"), required=False,
                       help_text=gettext_lazy("立减、满减券填写"))
    threshold = YuanField(label=gettext_lazy("满多少可用（元）"), required=False, help_text=gettext_lazy("满减券填写"))
    percent = forms.IntegerField(label=gettext_lazy("折扣"), min_value=1, max_value=99, required=False,
                                 help_text=gettext_lazy("折扣券填写：85 表示 85 折"))
    max_discount = YuanField(label=gettext_lazy("最多减（元）"), required=False,
                             help_text=gettext_lazy("折扣券可选，留空不封顶"))
    free_sku_code = forms.CharField(label=gettext_lazy("免费商品 SKU"), max_length=40, required=False)
    scope = forms.ChoiceField(label=gettext_lazy("适用范围"), choices=CouponTemplate.Scope.choices)
    categories = forms.CharField(label=gettext_lazy("适用分类"), max_length=500, required=False,
                                 help_text=gettext_lazy("分类名称，逗号分隔"))
    sku_codes = forms.CharField(label=gettext_lazy("适用 SKU"), max_length=2000, required=False,
                                help_text=gettext_lazy("SKU 编码，逗号分隔"))
    min_spend = YuanField(label=gettext_lazy("最低消费（元）"), required=False)
    validity = forms.ChoiceField(label=gettext_lazy("有效期"), choices=CouponTemplate.Validity.choices,
                                 initial=CouponTemplate.Validity.DAYS)
    valid_days = forms.IntegerField(label=gettext_lazy("领取后有效天数"), min_value=1, max_value=3650,
                                    required=False, initial=30)
    valid_from = local_datetime(gettext_lazy("开始时间"), required=False)
    valid_until = local_datetime(gettext_lazy("结束时间"), required=False)
    per_member_limit = forms.IntegerField(label=gettext_lazy("每人限领"), min_value=0, max_value=1000, initial=1,
                                          help_text=gettext_lazy("0 表示不限"))
    total_quantity = forms.IntegerField(label=gettext_lazy("发放总量"), min_value=1, max_value=10_000_000,
                                        required=False, help_text=gettext_lazy("留空表示不限量"))
    stackable = forms.BooleanField(label=gettext_lazy("可与其他券叠加"), required=False)
    claimable = forms.BooleanField(label=gettext_lazy("会员可自行领取"), required=False, initial=True)
    auto_issue = forms.ChoiceField(label=gettext_lazy("自动发放"), choices=CouponTemplate.AutoIssue.choices,
                                   required=False)
    campaign = forms.CharField(label=gettext_lazy("归属活动"), max_length=60, required=False,
                               help_text=gettext_lazy("券的成本计入这个活动"))

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"name": d["name"], "kind": d["kind"], "amount_fen": d["amount"] or 0,
                "threshold_fen": d["threshold"] or 0, "percent": d["percent"] or 0,
                "max_discount_fen": d["max_discount"] or 0, "free_sku_code": d["free_sku_code"].strip(),
                "scope": d["scope"], "categories": _codes(d["categories"]), "sku_codes": _codes(d["sku_codes"]),
                "min_spend_fen": d["min_spend"] or 0, "validity": d["validity"], "valid_days": d["valid_days"] or 0,
                "valid_from": d["valid_from"], "valid_until": d["valid_until"],
                "per_member_limit": d["per_member_limit"], "total_quantity": d["total_quantity"],
                "stackable": d["stackable"], "claimable": d["claimable"], "auto_issue": d["auto_issue"] or "",
                "campaign": d["campaign"]}


class GrantForm(forms.Form):
    member_nos = forms.CharField(label=gettext_lazy("会员号"), required=False, max_length=200_000,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=gettext_lazy("每行一个或用逗号分隔，例如 M00000012"))
    tag = forms.ChoiceField(label=gettext_lazy("或按标签"), required=False)
    tier = forms.ChoiceField(label=gettext_lazy("或按等级"), required=False)
    ref = forms.CharField(label=gettext_lazy("发放批次"), max_length=80,
                          help_text=gettext_lazy("同一批次重复提交不会重复发券"))
    holdout_percent = forms.IntegerField(label=gettext_lazy("对照组比例（%）"), min_value=0, max_value=50, initial=0,
                                         required=False, help_text=gettext_lazy(
                                             "随机留出这部分会员不发券，用来衡量券带来的增量；0 表示不设对照组"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "—")] + [(t, t) for t in Tag.objects.order_by("name")
                                                    .values_list("name", flat=True)]
        self.fields["tier"].choices = [("", "—")] + list(Tier.objects.order_by("rank").values_list("code", "name"))


def _rows(actor, templates_) -> list[dict]:
    usage = selectors.usage([t.pk for t in templates_], actor)
    return [{"t": t, "rule": describe(template_terms(t)),
             **usage.get(t.pk, {"used": 0, "discount_fen": 0, "orders": 0, "sales_fen": 0})} for t in templates_]


def _list(request, form: TemplateForm, status: int = 200):
    campaign = request.GET.get("campaign", "").strip()
    qs = selectors.templates(campaign=campaign, q=request.GET.get("q", "").strip())
    rows, next_cursor = paginate(qs, request.GET.get("cursor"), 30)
    return render(request, "console/commerce/coupons.html", {
        "nav": "commerce_coupons", "rows": _rows(request.actor, rows), "next_cursor": next_cursor, "form": form,
        "campaigns": selectors.cost_report(request.actor, campaign=campaign), "campaign": campaign,
        "can_edit": request.actor.can(CAMPAIGNS)}, status=status)


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CAMPAIGNS)
def coupon_list(request):
    """优惠券: templates with issued / used / cost, campaign totals, and a form for a new template."""
    if request.method != "POST":
        return _list(request, TemplateForm())
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            template = services.create_template(request.actor, **form.service_kwargs())
        except Problem as problem:
            field = problem.extra.get("field", "")
            field = FORM_FIELD.get(field, field)
            form.add_error(field if field in form.fields else None, _template_error(problem))
        else:
            messages.success(request, _("已创建优惠券「%(name)s」。") % {"name": template.name})
            return redirect("console:commerce_coupon", template_id=template.pk)
    return _list(request, form, status=422)


def _detail(request, template: CouponTemplate, grant_form: GrantForm, status: int = 200):
    coupons, next_cursor = paginate(Coupon.objects.select_related("member", "order").filter(template=template),
                                    request.GET.get("cursor"), 50)
    if request.actor.scoped:
        coupons = [c for c in coupons if c.member.home_store_id in request.actor.store_ids]
    return render(request, "console/commerce/coupons_detail.html", {
        "nav": "commerce_coupons", "row": _rows(request.actor, [template])[0], "t": template,
        "coupons": coupons, "next_cursor": next_cursor, "grant_form": grant_form,
        "can_edit": request.actor.can(CAMPAIGNS), "now": timezone.now(),
        "claim_url": request.build_absolute_uri(reverse("h5:coupon_claim", args=[template.pk]))}, status=status)


@console_view(VIEW)
def coupon_detail(request, template_id: int):
    template = selectors.get_template(template_id)
    return _detail(request, template, GrantForm(initial={"ref": f"grant-{timezone.localtime():%Y%m%d-%H%M}"}))


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def coupon_grant(request, template_id: int):
    """活动发放 to the members listed, tagged or of a tier (within the operator's stores)."""
    template = selectors.get_template(template_id)
    form = GrantForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            members = selectors.members_for_grant(request.actor, member_nos=_codes(d["member_nos"]), tag=d["tag"],
                                                  tier=d["tier"])
            result = services.grant(request.actor, template, members, ref=d["ref"].strip(),
                                    holdout_percent=d["holdout_percent"] or 0)
        except Problem as problem:
            field = {"members": "member_nos", "holdout_percent": "holdout_percent"}.get(problem.extra.get("field"))
            form.add_error(field, _("这个发放批次此前的对照组比例是 %(n)s%%，请保持一致或换一个批次。")
                           % {"n": problem.extra.get("percent")} if problem.type == "holdout-mismatch"
                           else problem.detail)
        else:
            messages.success(request, _("已发放 %(issued)s 张；此前已发 %(already)s，已达上限 %(over)s，"
                                        "因券已发完未发 %(sold_out)s。") % {
                "issued": result["issued"], "already": result["already"], "over": result["over_limit"],
                "sold_out": result["sold_out"]}
                + (_("对照组 %(n)s 人未发券。") % {"n": result["held_out"]} if result["held_out"] else ""))
            return redirect("console:commerce_coupon", template_id=template.pk)
    return _detail(request, template, form, status=422)


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def coupon_status(request, template_id: int):
    template = selectors.get_template(template_id)
    status = request.POST.get("status", "")
    template = services.set_status(request.actor, template, status)
    messages.success(request, _("「%(name)s」已暂停发放，已发出的券仍可使用。") % {"name": template.name}
                     if template.status == "paused" else _("「%(name)s」已恢复发放。") % {"name": template.name})
    return redirect("console:commerce_coupon", template_id=template.pk)
