"""The member's login session on the H5 pages (session key `member_id`)."""

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from shequn.accounts.actors import client_ip, member_actor
from shequn.core.actor import Actor
from shequn.members.models import Member

SESSION_KEY = "member_id"


def log_in(request, member: Member) -> None:
    # A new session key on login: a key planted before login is worthless afterwards.
    request.session.cycle_key()
    request.session[SESSION_KEY] = member.pk


def log_out(request) -> None:
    # Only the member part: a staff login in the same browser stays signed in.
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def current_member(request) -> Member | None:
    member_id = request.session.get(SESSION_KEY)
    if member_id is None:
        return None
    member = Member.objects.select_related("home_store").filter(pk=member_id, is_active=True).first()
    if member is None:
        request.session.pop(SESSION_KEY, None)
    return member


def actor_for(request) -> Actor:
    return member_actor(request.member.pk, client_ip(request))


def safe_next(request, candidate: str | None) -> str:
    default = reverse("h5:card")
    if not candidate or not candidate.startswith("/m/"):
        return default
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return default
    return candidate


def member_required(view):
    """Send a visitor without a member session to the login page, then back."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        member = current_member(request)
        if member is None:
            # After login, come back to the page asked for; a form post lands on the card.
            back = request.get_full_path() if request.method == "GET" else reverse("h5:card")
            return redirect(f"{reverse('h5:login')}?{urlencode({'next': back})}")
        request.member = member
        return view(request, *args, **kwargs)

    return wrapper
