from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from shequn.loyalty import selectors as loyalty
from shequn.loyalty.services import program

from .. import loyalty_config
from ..access import console_view
from ..forms.loyalty import TIER_FIELDS, NewTierForm, ProgramForm, TierForm, TierFormSet, ladder_errors


def _tier_formset(data=None):
    return TierFormSet(data, prefix="tiers",
                       initial=[TierForm.initial_for(t) for t in loyalty.tiers()])


def _disable(*forms) -> None:
    for form in forms:
        for field in form.fields.values():
            field.disabled = True


@require_http_methods(["GET", "POST"])
@console_view("loyalty.view", write_permission="loyalty.configure")
def loyalty_settings(request):
    actor = request.actor
    action = request.POST.get("action") if request.method == "POST" else None
    tier_formset = _tier_formset(request.POST if action == "tiers" else None)
    new_tier_form = NewTierForm(request.POST if action == "new_tier" else None, prefix="new")
    program_form = ProgramForm(request.POST if action == "program" else None,
                               initial=ProgramForm.initial_for(program()))

    if action == "tiers" and tier_formset.is_valid():
        known = {t.pk for t in loyalty.tiers()}
        rows = [f.cleaned_data for f in tier_formset.forms if f.cleaned_data.get("id") in known]
        changed = loyalty_config.update_tiers(actor, rows)
        messages.success(request, f"已保存，{changed} 个等级有修改。" if changed else "没有修改。")
        return redirect("console:loyalty_settings")
    if action == "new_tier" and new_tier_form.is_valid():
        data = new_tier_form.cleaned_data
        ladder = [{f: getattr(t, f) for f in TIER_FIELDS} for t in loyalty.tiers()] + [data]
        problems = ladder_errors(ladder)
        if problems:
            for problem in problems:
                new_tier_form.add_error(None, problem)
        else:
            tier = loyalty_config.create_tier(actor, data)
            messages.success(request, f"已新增等级「{tier.name}」。")
            return redirect("console:loyalty_settings")
    if action == "program" and program_form.is_valid():
        changed = loyalty_config.update_program(actor, program_form.cleaned_data)
        messages.success(request, f"积分规则已保存（修改了 {len(changed)} 项）。" if changed
                         else "积分规则没有修改。")
        return redirect("console:loyalty_settings")

    editable = actor.can("loyalty.configure")
    if not editable:
        _disable(*tier_formset.forms, new_tier_form, program_form)
    return render(request, "console/loyalty_settings.html", {
        "tier_formset": tier_formset, "new_tier_form": new_tier_form, "program_form": program_form,
        "editable": editable, "nav": "loyalty",
    })
