"""Secrets and signatures: `X-Shequn-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

The HMAC key is the whole secret string (`whsec_…`) as UTF-8. During a secret rotation the header
carries one v1 per valid secret; a receiver accepts the request if any of them matches.
"""

import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, too old, or matches no secret."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)  # 32 random bytes


def compute(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header(secrets_: list[str], body: bytes, timestamp: int | None = None) -> str:
    """The header value for a body, signed with every currently valid secret."""
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}"] + [f"v1={compute(s, t, body)}" for s in secrets_])


def verify(secret: str, header_value: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE_SECONDS,
           now: float | None = None) -> int:
    """Check a received request; returns its timestamp or raises SignatureError.

    `body` must be the raw request body, byte for byte, before any JSON parsing."""
    timestamp, candidates = None, []
    for part in (header_value or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    now = time.time() if now is None else now
    if tolerance and abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    expected = compute(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no signature matches")
    return timestamp
