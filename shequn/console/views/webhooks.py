"""Webhook 订阅: subscriptions (create, edit, pause, rotate the secret, delete) and each one's delivery log."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequn.core import pii
from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.messaging.webhooks import selectors, services
from shequn.messaging.webhooks.events import ALL, CATALOGUE, LABELS
from shequn.messaging.webhooks.models import Delivery

from ..access import console_view
from ..forms.webhooks import SubscriptionForm
from ..problems import problem_text

MANAGE = "integrations.manage"
PAGE_SIZE = 30


SECRET_KEY = "webhook_new_secret"


def _hand_over_secret(request, sub_id: int, secret: str, created: bool):
    """Redirect to the subscription page, which shows the secret once (kept encrypted in the session)."""
    request.session[SECRET_KEY] = {"sub": sub_id, "secret": pii.encrypt(secret), "created": created}
    return redirect("console:webhook_detail", sub_id=sub_id)


def _take_secret(request, sub_id: int) -> tuple[str | None, bool]:
    handed = request.session.get(SECRET_KEY)
    if not handed or handed.get("sub") != sub_id:
        return None, False
    del request.session[SECRET_KEY]
    return pii.decrypt(handed["secret"]), bool(handed.get("created"))


def _event_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    return [(str(group), [(code, str(label)) for code, label in items]) for group, items in CATALOGUE.items()]


def _event_names(events: list[str]) -> list[str]:
    return [_("全部事件") if e == ALL else str(LABELS.get(e, e)) for e in events]


@console_view(MANAGE)
def webhook_list(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub, secret = services.create_subscription(request.actor, url=data["url"], events=data["event_list"],
                                                       description=data["description"], active=data["active"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            return _hand_over_secret(request, sub.pk, secret, created=True)
    subs = list(selectors.subscriptions())
    counts = selectors.status_counts([s.pk for s in subs])
    rows = [{"sub": s, "events": _event_names(s.events), "counts": counts[s.pk]} for s in subs]
    return render(request, "console/webhooks/list.html", {"rows": rows, "form": form, "event_groups": _event_groups(),
                                                         "nav": "webhooks"},
                  status=400 if form.errors else 200)


def _detail(request, sub_id: int, *, form=None, status=200):
    sub = selectors.get_subscription(sub_id)
    new_secret, created = _take_secret(request, sub.pk)
    state = request.GET.get("status") or ""
    if state not in Delivery.Status.values:
        state = ""
    try:
        deliveries, next_cursor = paginate(selectors.deliveries(sub, state or None)
                                           .prefetch_related("attempt_log"), request.GET.get("cursor"), PAGE_SIZE)
    except Problem as problem:
        deliveries, next_cursor = [], None
        messages.error(request, problem_text(problem))
    for d in deliveries:
        d.event_label = LABELS.get(d.event_type, d.event_type)
    response = render(request, "console/webhooks/detail.html", {
        "sub": sub, "events": _event_names(sub.events), "counts": selectors.status_counts([sub.pk])[sub.pk],
        "form": form or SubscriptionForm(subscription=sub), "new_secret": new_secret, "created": created,
        "deliveries": deliveries, "next_cursor": next_cursor, "state": state,
        "states": Delivery.Status.choices, "event_groups": _event_groups(), "nav": "webhooks",
    }, status=status)
    if new_secret:
        response["Cache-Control"] = "no-store"  # a page with a secret is never kept by the browser
    return response


@console_view(MANAGE)
def webhook_detail(request, sub_id: int):
    if request.method != "POST":
        return _detail(request, sub_id)
    sub = selectors.get_subscription(sub_id)
    form = SubscriptionForm(request.POST, subscription=sub)
    if form.is_valid():
        data = form.cleaned_data
        services.update_subscription(request.actor, sub, url=data["url"], events=data["event_list"],
                                     description=data["description"], active=data["active"])
        messages.success(request, _("订阅设置已保存。"))
        return redirect("console:webhook_detail", sub_id=sub.pk)
    return _detail(request, sub_id, form=form, status=400)


@require_POST
@console_view(MANAGE)
def webhook_active(request, sub_id: int):
    sub = selectors.get_subscription(sub_id)
    sub = services.update_subscription(request.actor, sub, active=not sub.active)
    messages.success(request, _("已恢复推送，积压的事件会陆续发出。") if sub.active
                     else _("已暂停推送；新事件不再进入这个订阅，未发出的会等恢复后再发。"))
    return redirect("console:webhook_detail", sub_id=sub.pk)


@require_POST
@console_view(MANAGE)
def webhook_rotate(request, sub_id: int):
    sub, secret = services.rotate_secret(request.actor, selectors.get_subscription(sub_id))
    return _hand_over_secret(request, sub.pk, secret, created=False)


@require_POST
@console_view(MANAGE)
def webhook_delete(request, sub_id: int):
    sub = selectors.get_subscription(sub_id)
    services.delete_subscription(request.actor, sub)
    messages.success(request, _("已删除订阅 %(url)s 及其推送记录。") % {"url": sub.url})
    return redirect("console:webhooks")


@require_POST
@console_view(MANAGE)
def webhook_redeliver(request, delivery_id: int):
    delivery = selectors.get_delivery(delivery_id)
    try:
        services.redeliver(request.actor, delivery)
    except Problem as problem:
        messages.error(request, _("这条推送正在发送，请稍后刷新再看。") if problem.type == "delivery-in-progress"
                       else problem_text(problem))
    else:
        messages.success(request, _("已安排重新推送 %(event)s，稍后刷新查看结果。") % {"event": delivery.event_ref})
    return redirect("console:webhook_detail", sub_id=delivery.subscription_id)
