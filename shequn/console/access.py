"""Console access: login required, the staff Actor on the request, permission checks,
and business errors rendered as readable pages instead of tracebacks."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _

from shequn.accounts.actors import client_ip, staff_actor
from shequn.core.errors import Problem

from .problems import problem_text


def render_problem(request, problem: Problem):
    return render(request, "console/error.html",
                  {"status": problem.status, "message": problem_text(problem)}, status=problem.status)


def forbidden(request, message: str | None = None):
    message = message or _("你的角色没有权限访问这个页面。")
    return render(request, "console/error.html", {"status": 403, "message": message}, status=403)


def console_view(permission: str | None = None, *, write_permission: str | None = None) -> Callable:
    """Wrap a console view: a logged-in staff user, `request.actor`, and permission checks.

    `permission` is needed for any request; `write_permission` additionally for POST.
    A `Problem` raised inside (not found outside scope, forbidden...) becomes an error page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = staff_actor(user, ip=client_ip(request))
            request.actor = actor
            if permission and not actor.can(permission):
                return forbidden(request)
            if request.method == "POST" and write_permission and not actor.can(write_permission):
                return forbidden(request, _("你的角色只能查看，不能修改。"))
            try:
                return view(request, *args, **kwargs)
            except Problem as problem:
                return render_problem(request, problem)

        return wrapper

    return decorator
