"""Payment provider contract (支付渠道): what the order core calls to take and refund money.

A provider turns an order into what the member's page needs to pay (`Checkout`), turns a provider's
notification into a verified `PaidNotice` (or raises `InvalidNotification`), and refunds. Providers hold
no database state: the order core dedupes notices on (provider, transaction_id) and owns every write.
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from shequn.core import clock
from shequn.core.errors import Problem, ValidationProblem

PROVIDER_NAMES = ("offline", "sandbox", "wechat")
# A notification or response whose timestamp is further than this from our clock is refused (replay window).
REPLAY_WINDOW = dt.timedelta(minutes=5)
# WeChat Pay's limits, applied to every provider so an order number is valid whichever way it is paid.
ORDER_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
MAX_TRANSACTION_ID = 64
MAX_AMOUNT_FEN = 100_000_000_00  # ¥100,000,000: far above any basket, catches unit mix-ups (yuan vs fen)


@dataclass(frozen=True)
class Checkout:
    """What the member's page needs to pay: {"pay_url"} (sandbox), JSAPI params (wechat), {} (offline)."""

    provider: str
    params: dict


@dataclass(frozen=True)
class PaidNotice:
    """A verified "this order was paid" message (支付成功通知)."""

    provider: str
    order_no: str
    transaction_id: str  # the provider's id; the order core dedupes on (provider, transaction_id)
    amount_fen: int
    paid_at: dt.datetime  # aware UTC


@dataclass(frozen=True)
class RefundReceipt:
    """The provider's answer to a refund request (退款受理)."""

    provider: str
    refund_no: str
    provider_ref: str
    status: str  # "succeeded" | "processing"


class InvalidNotification(Problem):
    """The notification is not authentic, too old, unreadable, or not a payment."""

    status, type, title = 400, "invalid-notification", "Invalid payment notification"


class NotPaidNotification(InvalidNotification):
    """An authentic notification that does not say "paid" (e.g. a closed or refunded trade).

    A subclass of InvalidNotification, so callers that only know that one still refuse it; the order core
    may acknowledge it (HTTP 200) instead, since the provider would otherwise resend it for a day.
    """

    type, title = "notification-not-paid", "Notification is not a payment"


class UnknownPaymentMethod(ValidationProblem):
    type, title = "unknown-payment-method", "Unknown payment method"


class PaymentMethodUnavailable(Problem):
    status, type, title = 503, "payment-method-unavailable", "Payment method is not available"


class PaymentProviderError(Problem):
    """The provider refused a request or could not be reached; detail carries its code and message."""

    status, type, title = 502, "payment-provider-error", "Payment provider error"


class PaymentProvider(Protocol):
    name: str

    def checkout(self, *, order_no: str, amount_fen: int, description: str, payer_openid: str = "") -> Checkout:
        ...

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaidNotice:
        ...

    def refund(self, *, order_no: str, refund_no: str, amount_fen: int, total_fen: int,
               reason: str) -> RefundReceipt:
        ...


def get_provider(name: str) -> PaymentProvider:
    """The provider for a payment method: "offline" | "sandbox" | "wechat"."""
    if name == "offline":
        from .offline import OfflineProvider

        return OfflineProvider()
    if name == "sandbox":
        from .sandbox import SandboxProvider

        return SandboxProvider()
    if name == "wechat":
        from .wechatpay import WechatPayProvider, load_config

        return WechatPayProvider(load_config())
    raise UnknownPaymentMethod(
        f"Unknown payment method {name!r}; choose one of {', '.join(PROVIDER_NAMES)}.", field="provider")


# --- checks shared by providers -------------------------------------------------------------------------


def validate_checkout(order_no: str, amount_fen: int, description: str) -> str:
    """Check what every provider needs; returns the description cut to WeChat's 127 bytes."""
    check_order_no(order_no)
    _check_amount(amount_fen, "amount_fen")
    if not isinstance(description, str) or not description.strip():
        raise ValidationProblem("description must name what is being paid for.", field="description")
    return fit_bytes(" ".join(description.split()), 127)


def validate_refund(order_no: str, refund_no: str, amount_fen: int, total_fen: int, reason: str) -> str:
    """Check what every provider needs; returns the reason cut to WeChat's 80 characters."""
    check_order_no(order_no)
    if not isinstance(refund_no, str) or not refund_no or len(refund_no) > 64 or not refund_no.isprintable() \
            or any(c.isspace() for c in refund_no):
        raise ValidationProblem("refund_no must be 1-64 characters without spaces.", field="refund_no")
    _check_amount(amount_fen, "amount_fen")
    _check_amount(total_fen, "total_fen")
    if amount_fen > total_fen:
        raise ValidationProblem(f"Cannot refund {amount_fen} fen of an order paid {total_fen} fen.",
                                field="amount_fen")
    if not isinstance(reason, str):
        raise ValidationProblem("reason must be text.", field="reason")
    reason = " ".join(reason.split())
    return reason if len(reason) <= 80 else reason[:79] + "…"


def fit_bytes(text: str, limit: int) -> str:
    """Cut text to at most `limit` UTF-8 bytes on a character boundary, marking the cut with "…"."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[:limit - 3].decode(errors="ignore") + "…"  # "…" is 3 bytes; a split character is dropped


def check_order_no(order_no: str) -> None:
    if not isinstance(order_no, str) or not ORDER_NO_RE.match(order_no):
        raise ValidationProblem("order_no must be 6-32 letters, digits or _-|*.", field="order_no")


def _check_amount(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationProblem(f"{field} must be a whole number of fen.", field=field)
    if not 0 < value <= MAX_AMOUNT_FEN:
        raise ValidationProblem(f"{field} must be between 1 and {MAX_AMOUNT_FEN} fen.", field=field)


def header_map(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case header names; accepts request.headers, a plain dict or request.META (HTTP_X_Y)."""
    out: dict[str, str] = {}
    for key, value in headers.items():
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        name = key[5:].replace("_", "-") if key.startswith("HTTP_") else key
        out[name.lower()] = value
    return out


def check_fresh(timestamp: str, error: type[Problem] = InvalidNotification) -> dt.datetime:
    """Parse a Unix-seconds timestamp header and refuse it outside the replay window."""
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 10:
        raise error("The timestamp header is missing or not Unix seconds.")
    at = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    if abs(clock.now() - at) > REPLAY_WINDOW:
        raise error(f"The timestamp {timestamp} is more than 5 minutes away from the server clock "
                    "(a replayed message, or a clock out of sync).")
    return at


def parse_time(value: object, error: type[Problem] = InvalidNotification) -> dt.datetime:
    """An ISO 8601 time with an offset (2026-11-23T19:20:00+08:00), as aware UTC."""
    try:
        at = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise error(f"The payment time {value!r} is not an ISO 8601 time with a time zone.")
    return at.astimezone(dt.UTC)


def check_transaction_id(value: object) -> str:
    """A provider's transaction id as the order core stores it: 1-64 printable characters."""
    if not isinstance(value, str) or not value or len(value) > MAX_TRANSACTION_ID or not value.isprintable():
        raise InvalidNotification("The notification's transaction id is missing or longer than 64 characters.")
    return value
