from django.contrib import messages
from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequn.accounts.models import ApiToken, StaffUser
from shequn.accounts.staff import ensure_staff
from shequn.accounts.tokens import issue_token, revoke_token
from shequn.core import audit
from shequn.core.errors import Problem
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.staff import StaffCreateForm, TokenCreateForm
from ..problems import problem_text


def _page(request, *, staff_form=None, token_form=None, new_token=None, status=200):
    actor = request.actor
    return render(request, "console/staff.html", {
        "staff": StaffUser.objects.prefetch_related("stores").order_by("-is_active", "username"),
        "tokens": ApiToken.objects.select_related("user").order_by(F("revoked_at").asc(nulls_first=True), "-id")[:200],
        "staff_form": staff_form or StaffCreateForm(stores=stores_visible_to(actor)),
        "token_form": token_form or TokenCreateForm(),
        "new_token": new_token,
        "nav": "staff",
    }, status=status)


@console_view("staff.manage")
def staff_page(request):
    return _page(request)


@require_POST
@console_view("staff.manage")
def staff_create(request):
    actor = request.actor
    form = StaffCreateForm(request.POST, stores=stores_visible_to(actor))
    if form.is_valid():
        data = form.cleaned_data
        try:
            user, _created = ensure_staff(actor, data["username"], role=data["role"],
                                   store_codes=data["stores"], password=data["password"],
                                   display_name=data["display_name"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("已创建员工 %(username)s。") % {"username": user.username})
            return redirect("console:staff")
    return _page(request, staff_form=form)


@require_POST
@console_view("staff.manage")
def staff_toggle_active(request, user_id: int):
    actor = request.actor
    user = get_object_or_404(StaffUser, pk=user_id)
    if user.pk == request.user.pk:
        messages.error(request, _("不能停用自己的账号。"))
        return redirect("console:staff")
    with transaction.atomic():
        user.is_active = not user.is_active
        user.save(update_fields=["is_active"])
        audit.record(actor, "staff.activated" if user.is_active else "staff.deactivated", user,
                     before={"is_active": not user.is_active}, after={"is_active": user.is_active})
    done = _("已启用 %(username)s。") if user.is_active else _("已停用 %(username)s。")
    messages.success(request, done % {"username": user.username})
    return redirect("console:staff")


@require_POST
@console_view("staff.manage")
def token_create(request):
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, token_form=form)
    token, raw = issue_token(request.actor, form.cleaned_data["user"], form.cleaned_data["name"])
    response = _page(request, new_token={"token": token, "raw": raw})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view("staff.manage")
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=token_id)
    if token.revoked_at is None:
        revoke_token(request.actor, token)
        messages.success(request, _("令牌 %(prefix)s… 已吊销。") % {"prefix": token.prefix})
    return redirect("console:staff")
