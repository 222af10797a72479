"""Tracked short links (/l/<code>) and signed one-click unsubscribe links (/u/<token>/)."""

import re
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import LinkClick, Message, ShortLink

URL = re.compile(r"https?://[^\s<>\"'，。；）】]+")
CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
UNSUBSCRIBE_SALT = "shequn.messaging.unsubscribe"


def public_url(path: str) -> str:
    return (settings.SHEQUN_PUBLIC_URL or "http://localhost:8000").rstrip("/") + path


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def shorten(target: str, *, message: Message | None = None) -> ShortLink:
    for _ in range(5):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(code=_new_code(), target_url=target[:1000], message=message,
                                                member_id=message.member_id if message else None)
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a short link code")


def track_links(text: str, message: Message) -> str:
    """Every http(s) link in a message body becomes a short link that records the member's click."""
    own = public_url("/l/")

    def replace(match: re.Match) -> str:
        url = match.group(0)
        if url.startswith(own) or "/u/" in url.removeprefix(public_url("")):
            return url  # already tracked, or an unsubscribe link
        return public_url(f"/l/{shorten(url, message=message).code}")

    return URL.sub(replace, text)


def record_click(code: str, user_agent: str = "") -> ShortLink | None:
    link = ShortLink.objects.filter(code=code).first()
    if link is None:
        return None
    with transaction.atomic():
        LinkClick.objects.create(link=link, member_id=link.member_id, user_agent=user_agent[:200])
        if link.message_id:
            Message.objects.filter(pk=link.message_id, clicked_at__isnull=True).update(clicked_at=timezone.now())
    return link


def unsubscribe_token(member_id: int, message_id: int | None = None) -> str:
    return signing.dumps({"m": member_id, "msg": message_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict | None:
    """The member (and message) of a genuine token; a forged or damaged token gives None."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("m"), int) else None


def unsubscribe_url(member_id: int, message_id: int | None = None) -> str:
    return public_url(f"/u/{unsubscribe_token(member_id, message_id)}/")
