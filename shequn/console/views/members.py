from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.loyalty import selectors as loyalty
from shequn.loyalty import services as loyalty_services
from shequn.loyalty.tiers import progress_to_next
from shequn.members import selectors as members
from shequn.members.services import current_consents, reveal_phone
from shequn.stores.selectors import stores_visible_to

from ..access import console_view, forbidden
from ..forms.members import AdjustPointsForm, MemberSearchForm, TierChangeForm, new_form_token
from ..problems import problem_text

PAGE_SIZE = 30
LEDGER_PAGE_SIZE = 20


@console_view("members.view")
def member_list(request):
    actor = request.actor
    form = MemberSearchForm(request.GET or None, tiers=loyalty.tiers(),
                            stores=stores_visible_to(actor))
    # Raw values: the selector scopes them, so a store outside the actor's finds nobody.
    filters = {key: request.GET.get(key, "").strip()[:64] for key in ("q", "tier", "store", "cursor")}
    qs = members.search_members(actor, q=filters["q"], tier=filters["tier"], store=filters["store"])
    error = ""
    try:
        rows, next_cursor = paginate(qs, filters["cursor"] or None, PAGE_SIZE)
    except Problem as problem:
        rows, next_cursor, error = [], None, problem_text(problem)
    context = {"form": form, "rows": rows, "next_cursor": next_cursor, "error": error,
               "total": qs.count(), "paged": bool(filters["cursor"]),
               "searching": any(filters[k] for k in ("q", "tier", "store")), "nav": "members"}
    if _wants_fragment(request):
        return render(request, "console/partials/member_results.html", context)
    return render(request, "console/member_list.html", context)


def _wants_fragment(request) -> bool:
    """An HTMX live-search request swaps only the results (a history restore needs the page)."""
    headers = request.headers
    return bool(headers.get("HX-Request")) and not (
        headers.get("HX-Boosted") or headers.get("HX-History-Restore-Request"))


def _detail_context(request, member, *, adjust_form=None, tier_form=None) -> dict:
    actor = request.actor
    account = loyalty.account(member.pk)
    tiers = list(loyalty.tiers())
    try:
        ledger, ledger_next = paginate(loyalty.ledger(member.pk), request.GET.get("ledger_cursor"),
                                       LEDGER_PAGE_SIZE)
    except Problem:
        ledger, ledger_next = paginate(loyalty.ledger(member.pk), None, LEDGER_PAGE_SIZE)
    return {
        "member": member,
        "account": account,
        "progress": progress_to_next(member.pk, account.tier),
        "tier_history": loyalty.tier_history(member.pk)[:20],
        "ledger": ledger,
        "ledger_next": ledger_next,
        "ledger_paged": bool(request.GET.get("ledger_cursor")),
        "consents": current_consents(member),
        "tags": list(member.tags.values_list("name", flat=True)),
        "adjust_form": adjust_form or (AdjustPointsForm(initial={"token": new_form_token()})
                                       if actor.can("points.adjust") else None),
        "tier_form": tier_form or (TierChangeForm(tiers=tiers, initial={"tier": account.tier.code})
                                   if actor.can("loyalty.configure") else None),
        "nav": "members",
    }


@console_view("members.view")
def member_detail(request, member_id: int):
    member = members.get_member(request.actor, member_id)
    return render(request, "console/member_detail.html", _detail_context(request, member))


@require_POST
@console_view("members.view")
def member_reveal_phone(request, member_id: int):
    actor = request.actor
    member = members.get_member(actor, member_id)
    if not actor.can("members.reveal_pii"):
        return forbidden(request, _("你的角色不能查看完整手机号。"))
    phone = reveal_phone(actor, member)
    return HttpResponse(format_html('<span class="phone revealed" id="phone">{}</span>', phone))


@require_POST
@console_view("members.view", write_permission="points.adjust")
def member_adjust_points(request, member_id: int):
    actor = request.actor
    member = members.get_member(actor, member_id)
    form = AdjustPointsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = loyalty_services.adjust(actor, member.pk, data["points"], reason=data["reason"],
                                            ref=f"console:{data['token']}")
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            if (entry.points, entry.reason) != (data["points"], data["reason"]):
                # The token was used before for a different adjustment (e.g. a form reopened
                # with the browser's back button): the first one stands, nothing new is written.
                form.add_error(None, _("这个表单已经提交过，请刷新页面后重新填写。"))
                return render(request, "console/member_detail.html",
                              _detail_context(request, member, adjust_form=form))
            done = (_("已增加 %(points)s 积分，当前余额 %(balance)s。") if entry.points > 0
                    else _("已扣减 %(points)s 积分，当前余额 %(balance)s。"))
            messages.success(request, done % {"points": f"{abs(entry.points):,}",
                                              "balance": f"{entry.balance_after:,}"})
            return redirect(f"{member_detail_url(member.pk)}#ledger")
    context = _detail_context(request, member, adjust_form=form)
    return render(request, "console/member_detail.html", context)


@require_POST
@console_view("members.view", write_permission="loyalty.configure")
def member_set_tier(request, member_id: int):
    actor = request.actor
    member = members.get_member(actor, member_id)
    form = TierChangeForm(request.POST, tiers=loyalty.tiers())
    if form.is_valid():
        try:
            change = loyalty_services.set_tier(actor, member.pk, form.cleaned_data["tier"],
                                               form.cleaned_data["reason"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("等级已调整为%(tier)s。") % {"tier": change.to_tier.name})
            return redirect(f"{member_detail_url(member.pk)}#tier")
    context = _detail_context(request, member, tier_form=form)
    return render(request, "console/member_detail.html", context)


def member_detail_url(member_id: int) -> str:
    return reverse("console:member_detail", args=[member_id])
