"""Member H5 referral pages: the referral link landing page, 邀请好友 (my link, QR, my referrals and
rewards) and the distributor page (my commission, my team, withdrawals).

The link page remembers the referrer in the session and a signed cookie; when the visitor then signs up,
`attribute_pending` (called from the login view) records the referral. It also sets the session key the
shop uses as the order's referrer, so a distributor's link earns them commission on the visitor's orders."""

import datetime as dt
import secrets

from django.contrib import messages
from django.core.signing import BadSignature
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequn.accounts.actors import client_ip, member_actor
from shequn.commerce.referral import distribution, selectors, services
from shequn.commerce.referral.models import Distributor
from shequn.core.errors import Problem
from shequn.core.money import format_fen, yuan_to_fen

from .session import actor_for, current_member, member_required

PENDING_KEY = "referral_pending"  # {"code", "clicked_at"} until the visitor signs up
REFERRER_KEY = "referrer_member_id"  # read by the shop: the order's referrer
COOKIE = "sq_ref"
DEVICE_COOKIE = "sq_dev"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600


def device_id(request) -> str:
    return (request.COOKIES.get(DEVICE_COOKIE) or "")[:64]


def _with_device(request, response):
    if not device_id(request):
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=DEVICE_MAX_AGE, httponly=True,
                            samesite="Lax")
    return response


def link(request, code: str):
    """/m/r/<code>/: a friend's invitation. New visitors are asked to sign up; members just shop."""
    try:
        referrer = services.referrer_for_code(code)
    except Problem:
        raise Http404("No such referral code.") from None
    code = services.code_for(referrer).code
    member = current_member(request)
    now = timezone.now()
    if member is None or member.pk != referrer.pk:
        request.session[REFERRER_KEY] = referrer.pk
    window_days = services.settings_row().signup_window_days
    if member is None:
        request.session[PENDING_KEY] = {"code": code, "clicked_at": now.isoformat()}
    login_url = f"{reverse('h5:login')}?next={reverse('h5:card')}"
    response = render(request, "h5/referral/link.html", {
        "referrer_name": referrer.name or _("你的朋友"), "member": member, "login_url": login_url,
        "own_link": member is not None and member.pk == referrer.pk,
        "referee_points": services.settings_row().referee_points})
    if member is None:
        response.set_signed_cookie(COOKIE, f"{code}|{now.isoformat()}", salt="referral",
                                   max_age=window_days * 24 * 3600, httponly=True, samesite="Lax")
    return _with_device(request, response)


def _pending(request) -> tuple[str, dt.datetime] | None:
    data = request.session.pop(PENDING_KEY, None)
    raw = f"{data.get('code')}|{data.get('clicked_at')}" if isinstance(data, dict) else None
    if raw is None:
        try:
            raw = request.get_signed_cookie(COOKIE, salt="referral")
        except (KeyError, BadSignature):
            return None
    code, _sep, clicked = raw.partition("|")
    try:
        clicked_at = dt.datetime.fromisoformat(clicked)
    except ValueError:
        return None
    return code, clicked_at


def attribute_pending(request, member) -> None:
    """After login: a visitor who came through a referral link and just signed up is attributed to the
    referrer. Anyone who is not a new member (or was referred already) is simply logged in."""
    pending = _pending(request)
    if pending is None:
        return
    code, clicked_at = pending
    try:
        services.attribute(member_actor(member.pk, client_ip(request)), referee=member, code=code,
                           device_id=device_id(request), ip=client_ip(request), clicked_at=clicked_at)
    except Problem:
        return


@member_required
def invite(request):
    """邀请好友: my link and QR, who I invited and what it earned."""
    member = request.member
    services.see_device(member, device_id(request))
    code = services.code_for(member).code
    url = request.build_absolute_uri(services.link_path(code))
    referrals = list(selectors.referrals_of(member.pk)[:50])
    rewards = list(selectors.rewards_of(member.pk)[:50])
    row = services.settings_row()
    response = render(request, "h5/referral/invite.html", {
        "code": code, "url": url, "qr": services.qr_svg(url), "referrals": referrals, "rewards": rewards,
        "points_total": sum(r.points for r in rewards), "settings": row,
        "distributor": selectors.distributor_of(member.pk)})
    return _with_device(request, response)


def _money(fen: int) -> str:
    return format_fen(fen)


@member_required
def distributor(request):
    """分销中心: apply, or see my commission, my team and my withdrawals."""
    me = selectors.distributor_of(request.member.pk)
    context = {"distributor": me, "settings": distribution.settings_row()}
    if me is not None and me.status == Distributor.Status.APPROVED:
        context.update({
            "balances": [(_("待结算"), _money(me.pending_fen)), (_("可提现"), _money(me.available_fen)),
                         (_("提现中"), _money(me.frozen_fen)), (_("已提现"), _money(me.withdrawn_fen))],
            "entries": list(selectors.ledger(me).order_by("-id")[:30]),
            "team": list(selectors.team_of(me)[:50]),
            "withdrawals": list(me.withdrawals.order_by("-id")[:20]),
            "min_withdrawal": _money(context["settings"].min_withdrawal_fen),
            "share_url": request.build_absolute_uri(services.link_path(services.code_for(request.member).code)),
        })
    return render(request, "h5/referral/distributor.html", context)


@require_POST
@member_required
def distributor_apply(request):
    try:
        distribution.apply(actor_for(request), request.member)
    except Problem as problem:
        messages.error(request, problem.detail)
    else:
        messages.success(request, _("申请已提交，审核通过后即可开始分销。"))
    return redirect("h5:distributor")


@require_POST
@member_required
def distributor_withdraw(request):
    me = selectors.distributor_of(request.member.pk)
    if me is None:
        return redirect("h5:distributor")
    amount_fen = _yuan_to_fen(request.POST.get("amount_yuan") or "")
    if amount_fen is None:
        messages.error(request, _("请输入正确的提现金额（元，最多两位小数）。"))
        return redirect("h5:distributor")
    try:
        distribution.request_withdrawal(actor_for(request), me, amount_fen)
    except Problem as problem:
        messages.error(request, _withdraw_error(problem))
    else:
        messages.success(request, _("提现申请已提交，等待审核打款。"))
    return redirect("h5:distributor")


def _yuan_to_fen(raw: str) -> int | None:
    try:
        fen = yuan_to_fen(raw)
    except ValueError:
        return None
    return fen if 0 < fen <= 100_000_000 else None


def _withdraw_error(problem: Problem) -> str:
    if problem.type == "insufficient-commission":
        return _("可提现金额不足。")
    if problem.type == "invalid-withdrawal":
        return _("单次提现至少 %(min)s。") % {"min": _money(distribution.settings_row().min_withdrawal_fen)}
    if problem.type == "distributor-state":
        return _("审核通过的分销员才能提现。")
    return problem.detail
