from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.loyalty import selectors as loyalty
from shequn.loyalty import services as loyalty_services
from shequn.loyalty.models import BulkGrant
from shequn.loyalty.tasks import run_bulk_grant
from shequn.members.selectors import search_members
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.grants import BulkGrantForm
from ..forms.members import new_form_token
from ..member_lists import resolve_member_lines
from ..problems import problem_text

GRANTS_SHOWN = 20
ERRORS_SHOWN = 50


def _grants_context(request) -> dict:
    rows, next_cursor = paginate(loyalty.bulk_grants(), request.GET.get("cursor"), GRANTS_SHOWN)
    active = any(g.status in (BulkGrant.Status.PENDING, BulkGrant.Status.RUNNING) for g in rows)
    return {"grants": rows, "grants_next": next_cursor, "polling": active}


def _member_ids(actor, form) -> tuple[list[int], list[str]]:
    data = form.cleaned_data
    if data["target"] == BulkGrantForm.LIST:
        resolved = resolve_member_lines(actor, data["members_text"])
        return resolved.member_ids, resolved.errors
    qs = search_members(actor, tier=data["tier"], store=data["store"])
    return list(qs.values_list("pk", flat=True)), []


@console_view("points.bulk_grant")
def bulk_grants(request):
    actor = request.actor
    form = BulkGrantForm(request.POST or None, request.FILES or None, tiers=loyalty.tiers(),
                         stores=stores_visible_to(actor),
                         initial={"token": new_form_token()})
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        member_ids, line_errors = _member_ids(actor, form)
        if not line_errors:
            data = form.cleaned_data
            try:
                grant, created = loyalty_services.create_bulk_grant(
                    actor, idempotency_key=f"console:{data['token']}", points_each=data["points"],
                    reason=data["reason"], member_ids=member_ids)
            except Problem as problem:
                form.add_error(None, problem_text(problem))
            else:
                if created:
                    run_bulk_grant.enqueue(grant.pk, actor.label)
                    messages.success(request, _("已创建发放任务 #%(id)s：%(total)s 位会员，每人 %(points)s 积分。")
                                     % {"id": grant.pk, "total": f"{grant.total:,}", "points": f"{grant.points:,}"})
                return redirect("console:bulk_grants")
    context = {"form": form, "line_errors": line_errors[:ERRORS_SHOWN],
               "hidden_line_errors": max(0, len(line_errors) - ERRORS_SHOWN), "nav": "grants",
               **_grants_context(request)}
    return render(request, "console/bulk_grants.html", context)


@console_view("points.bulk_grant")
def bulk_grants_table(request):
    return render(request, "console/partials/grants_table.html", _grants_context(request))
