"""Public endpoints: tracked short links, the email unsubscribe page, the SMS reply callback."""

import json
import logging

from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from shequn.accounts.actors import client_ip
from shequn.core.errors import Problem

from . import consent, links
from .models import Channel

log = logging.getLogger("shequn.messaging")


def short_link(request, code: str):
    """/l/<code>: record the click for the member the link was sent to, then go to the target."""
    link = links.record_click(code, request.headers.get("User-Agent", ""))
    if link is None:
        raise Http404("Unknown link.")
    return HttpResponseRedirect(link.target_url)


@csrf_exempt  # mail providers POST here for one-click unsubscribe (RFC 8058); the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """/u/<token>/: a page with one button; the POST withdraws marketing consent at once."""
    data = links.read_unsubscribe_token(token)
    if data is None:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        member = consent.unsubscribe_with_token(token, client_ip(request))
        if member is None:
            return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=400)
        return render(request, "messaging/unsubscribe.html", {"done": True})
    return render(request, "messaging/unsubscribe.html", {"token": token})


def _replies(payload) -> list[tuple[str, str]]:
    """(phone, text) pairs from an Alibaba Cloud SmsUp push (list of phone_number/content) or a Tencent
    Cloud reply callback (mobile/text, one object or a list)."""
    items = payload if isinstance(payload, list) else [payload]
    pairs = []
    for item in items:
        if not isinstance(item, dict):
            continue
        phone = item.get("phone_number") or item.get("mobile") or ""
        text = item.get("content") if "content" in item else item.get("text", "")
        if phone and isinstance(text, str):
            pairs.append((str(phone), text))
    return pairs


@csrf_exempt  # called by the SMS provider; the unguessable token in the URL identifies the channel
@require_POST
def sms_reply_callback(request, token: str):
    channel = Channel.objects.filter(callback_token=token, kind=Channel.Kind.SMS).first()
    if channel is None:
        raise Http404("Unknown callback.")
    try:
        pairs = _replies(json.loads(request.body or b"null"))
    except ValueError:
        pairs = []
    if not pairs:
        return JsonResponse({"code": 1, "msg": "no replies in body", "result": 1, "errmsg": "bad request"},
                            status=400)
    for phone, text in pairs:
        try:
            consent.receive_sms_reply(channel, phone, text)
        except Problem as problem:
            log.warning("sms reply on channel %s ignored: %s", channel.pk, problem.detail)
    return JsonResponse({"code": 0, "msg": "成功", "result": 0, "errmsg": "OK"})
