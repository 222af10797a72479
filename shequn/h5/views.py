"""Member H5 pages: login by phone code, member card, check-in, points history."""

import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from shequn.accounts import otp
from shequn.accounts.actors import client_ip
from shequn.core import pii
from shequn.core.errors import Problem
from shequn.core.models import DevInboxMessage
from shequn.core.pagination import decode_cursor, paginate
from shequn.core.phones import InvalidPhone, normalise_cn_mobile
from shequn.loyalty import selectors
from shequn.loyalty.errors import AlreadyCheckedIn
from shequn.loyalty.services import check_in as loyalty_check_in
from shequn.members.services import PRIVACY_NOTICE_VERSION

from . import card as card_view
from . import views_referral
from .problems import login_error_text
from .session import actor_for, current_member, log_in, log_out, member_required, safe_next

POINTS_PAGE_SIZE = 20
INBOX_SIZE = 30


def _login_form(request) -> dict:
    data = request.POST if request.method == "POST" else {}
    return {
        "phone": (data.get("phone") or "").strip()[:20],
        "privacy": bool(data.get("privacy")),
        "marketing": bool(data.get("marketing")),
        "profiling": bool(data.get("profiling")),
        "next": data.get("next") or request.GET.get("next", ""),
    }


def _masked(phone_raw: str) -> str:
    try:
        return pii.mask_phone(normalise_cn_mobile(phone_raw))
    except InvalidPhone:
        return ""


@require_http_methods(["GET", "POST"])
def login(request):
    """手机号 + 验证码 登录; a phone without a membership registers one."""
    if request.method == "GET" and current_member(request) is not None:
        return redirect(safe_next(request, request.GET.get("next")))
    form = _login_form(request)
    context = {"form": form, "error": None, "error_field": None, "sent_to": "", "wait": 0}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "login")
        try:
            if action == "send":
                otp.request_code(form["phone"], client_ip(request))
                context["sent_to"] = _masked(form["phone"])
            else:
                if not form["privacy"]:
                    raise Problem(_("请阅读并勾选同意《会员隐私政策》。"), status=400,
                                  type="privacy-not-accepted", field="privacy")
                member = otp.verify_code(form["phone"], request.POST.get("code", ""), client_ip(request),
                                         otp.Registration(marketing=form["marketing"],
                                                          profiling=form["profiling"]))
                log_in(request, member)
                views_referral.attribute_pending(request, member)
                return redirect(safe_next(request, form["next"]))
        except Problem as problem:
            context["error"], context["error_field"] = login_error_text(problem), problem.extra.get("field")
            status = problem.status
        context["wait"] = otp.seconds_until_next_code(form["phone"])
    return render(request, "h5/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def logout(request):
    """GET asks to confirm; only a (CSRF-checked) POST signs out."""
    if request.method == "GET":
        if current_member(request) is None:
            return redirect("h5:login")
        return render(request, "h5/logout.html")
    log_out(request)
    messages.info(request, _("已退出登录"))
    return redirect("h5:login")


@member_required
def card(request):
    return render(request, "h5/card.html", card_view.card_context(request.member))


@require_POST
@member_required
def check_in(request):
    """签到: once a day; the second try the same day only says so."""
    try:
        done = loyalty_check_in(actor_for(request), request.member.pk)
    except AlreadyCheckedIn:
        messages.info(request, _("今天已签到，明天再来吧"))
    else:
        if done.streak > 1:
            text = ngettext("签到成功 +%(points)s 积分，已连续签到 %(days)s 天",
                            "签到成功 +%(points)s 积分，已连续签到 %(days)s 天",
                            done.streak) % {"points": done.points, "days": done.streak}
        else:
            text = _("签到成功 +%(points)s 积分") % {"points": done.points}
        messages.success(request, text)
    return redirect("h5:card")


@member_required
def points(request):
    """积分明细: newest first, in pages."""
    cursor = request.GET.get("cursor") or None
    if cursor:
        try:
            decode_cursor(cursor)
        except Problem:
            return redirect("h5:points")
    entries, next_cursor = paginate(selectors.ledger(request.member.pk), cursor, POINTS_PAGE_SIZE)
    rows = [{"entry": e, "at": card_view.local_time(request.member, e.created_at),
             "label": e.reason or card_view.entry_kind_label(e.kind)} for e in entries]
    return render(request, "h5/points.html", {
        "account": selectors.account(request.member.pk), "rows": rows, "next_cursor": next_cursor,
        "first_page": cursor is None,
    })


def privacy(request):
    return render(request, "h5/privacy.html", {"version": PRIVACY_NOTICE_VERSION})


_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def dev_inbox(request):
    """开发收件箱: messages that would have been sent, for demo logins only."""
    if not settings.DEV_INBOX:
        raise Http404("The dev inbox is off.")
    items = [{"message": m, "code": (_CODE.search(m.body) or [None])[0]}
             for m in DevInboxMessage.objects.order_by("-id")[:INBOX_SIZE]]
    return render(request, "h5/dev_inbox.html", {"items": items})
