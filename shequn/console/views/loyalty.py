from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from shequn.core.errors import Conflict, ValidationProblem
from shequn.loyalty import selectors as loyalty
from shequn.loyalty import services as loyalty_services

from ..access import console_view
from ..forms.loyalty import TIER_FIELDS, NewTierForm, ProgramForm, TierForm, TierFormSet, config_error_messages


def _tier_formset(data=None):
    return TierFormSet(data, prefix="tiers",
                       initial=[TierForm.initial_for(t) for t in loyalty.tiers()])


def _tier_changes(formset) -> dict[str, dict]:
    """{tier code: edited fields} for the rows of tiers that still exist."""
    codes = {t.pk: t.code for t in loyalty.tiers()}
    return {codes[form.cleaned_data["id"]]: {f: form.cleaned_data[f] for f in TIER_FIELDS}
            for form in formset.forms if form.cleaned_data.get("id") in codes}


def _disable(*forms) -> None:
    for form in forms:
        for field in form.fields.values():
            field.disabled = True


def _save_tiers(request, formset) -> list[str]:
    """Errors to show above the tier table, or [] once saved."""
    try:
        changed = loyalty_services.update_tiers(request.actor, _tier_changes(formset))
    except ValidationProblem as problem:
        return config_error_messages(problem)
    if changed:
        saved = ngettext("已保存，%(count)s 个等级有修改。", "已保存，%(count)s 个等级有修改。", len(changed))
        messages.success(request, saved % {"count": len(changed)})
    else:
        messages.success(request, _("没有修改。"))
    return []


def _add_tier(request, form) -> bool:
    data = form.cleaned_data
    try:
        tier = loyalty_services.create_tier(request.actor, **{f: data[f] for f in ("code", *TIER_FIELDS)})
    except Conflict:
        form.add_error("code", _("这个代码已经被其他等级使用。"))
        return False
    except ValidationProblem as problem:
        for message in config_error_messages(problem):
            form.add_error(None, message)
        return False
    messages.success(request, _("已新增等级「%(name)s」。") % {"name": tier.name})
    return True


def _save_program(request, form) -> bool:
    try:
        changed = loyalty_services.update_program(request.actor, **form.cleaned_data)
    except ValidationProblem as problem:
        for message in config_error_messages(problem):
            form.add_error(None, message)
        return False
    if changed:
        saved = ngettext("积分规则已保存（修改了 %(count)s 项）。",
                         "积分规则已保存（修改了 %(count)s 项）。", len(changed))
        messages.success(request, saved % {"count": len(changed)})
    else:
        messages.success(request, _("积分规则没有修改。"))
    return True


@require_http_methods(["GET", "POST"])
@console_view("loyalty.view", write_permission="loyalty.configure")
def loyalty_settings(request):
    action = request.POST.get("action") if request.method == "POST" else None
    tier_formset = _tier_formset(request.POST if action == "tiers" else None)
    new_tier_form = NewTierForm(request.POST if action == "new_tier" else None, prefix="new")
    program_form = ProgramForm(request.POST if action == "program" else None,
                               initial=ProgramForm.initial_for(loyalty_services.program()))
    tier_errors: list[str] = []

    if action == "tiers" and tier_formset.is_valid():
        tier_errors = _save_tiers(request, tier_formset)
        if not tier_errors:
            return redirect("console:loyalty_settings")
    if action == "new_tier" and new_tier_form.is_valid() and _add_tier(request, new_tier_form):
        return redirect("console:loyalty_settings")
    if action == "program" and program_form.is_valid() and _save_program(request, program_form):
        return redirect("console:loyalty_settings")

    editable = request.actor.can("loyalty.configure")
    if not editable:
        _disable(*tier_formset.forms, new_tier_form, program_form)
    return render(request, "console/loyalty_settings.html", {
        "tier_formset": tier_formset, "tier_errors": tier_errors, "new_tier_form": new_tier_form,
        "program_form": program_form, "editable": editable, "nav": "loyalty",
    })
