from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from shequn.core.errors import Problem
from shequn.core.models import AuditEntry
from shequn.core.pagination import paginate

from ..access import console_view
from ..problems import problem_text

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("操作"), required=False, max_length=64)
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150)
    object_id = forms.CharField(label=_("对象 ID"), required=False, max_length=64)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)


def audit_entries(actor, *, action: str = "", who: str = "", object_id: str = ""):
    qs = AuditEntry.objects.all()
    if actor.store_ids is not None:
        qs = qs.filter(store_id__in=actor.store_ids)
    if action:
        qs = qs.filter(action__startswith=action)
    if who:
        qs = qs.filter(actor_label__icontains=who)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs


@console_view("audit.view")
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = audit_entries(request.actor, action=filters.get("action", ""),
                       who=filters.get("actor", ""), object_id=filters.get("object_id", ""))
    error = ""
    try:
        rows, next_cursor = paginate(qs, filters.get("cursor") or None, PAGE_SIZE)
    except Problem as problem:
        rows, next_cursor, error = [], None, problem_text(problem)
    actions = (AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())
    return render(request, "console/audit_log.html", {
        "form": form, "rows": rows, "next_cursor": next_cursor, "error": error,
        "paged": bool(filters.get("cursor")), "actions": list(actions[:200]), "nav": "audit"})
