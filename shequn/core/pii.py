"""Personal data at rest: AES-GCM encryption, HMAC blind index, masking."""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = "v1"


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(master.encode()).digest()
    enc = hmac.new(root, b"shequn-pii-encryption", hashlib.sha256).digest()
    idx = hmac.new(root, b"shequn-pii-blind-index", hashlib.sha256).digest()
    return enc, idx


def encrypt(plaintext: str) -> str:
    enc_key, _ = _keys(settings.PII_KEY)
    nonce = os.urandom(12)
    sealed = AESGCM(enc_key).encrypt(nonce, plaintext.encode(), _VERSION.encode())
    return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    version, _, data = token.partition(":")
    enc_key, _ = _keys(settings.PII_KEY)
    raw = base64.urlsafe_b64decode(data)
    return AESGCM(enc_key).decrypt(raw[:12], raw[12:], version.encode()).decode()


def blind_index(value: str) -> str:
    """Keyed hash for exact look-ups of an encrypted value."""
    _, idx_key = _keys(settings.PII_KEY)
    return hmac.new(idx_key, value.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """'13812341234' -> '138****1234'."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
