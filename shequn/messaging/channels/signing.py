"""Request signing for the SMS providers, following their published algorithms.

- Alibaba Cloud RPC signature v1 (SignatureMethod HMAC-SHA1, SignatureVersion 1.0), used by Dysmsapi.
- Tencent Cloud API signature v3 (TC3-HMAC-SHA256), used by SMS 2021-01-11.
"""

import base64
import datetime as dt
import hashlib
import hmac
from urllib.parse import quote


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud wants it: space → %20, * → %2A, ~ kept."""
    return quote(str(value), safe="~")


def aliyun_string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}"
                         for k, v in sorted(params.items()) if k != "Signature")
    return f"{method.upper()}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(method: str, params: dict[str, str], access_key_secret: str) -> str:
    digest = hmac.new(f"{access_key_secret}&".encode(), aliyun_string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _sha256_hex(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_canonical_request(host: str, payload: str, content_type: str = "application/json; charset=utf-8") -> str:
    headers = f"content-type:{content_type}\nhost:{host}\n"
    return "\n".join(["POST", "/", "", headers, "content-type;host", _sha256_hex(payload)])


def tc3_string_to_sign(timestamp: int, service: str, canonical_request: str) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    return "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/{service}/tc3_request",
                      _sha256_hex(canonical_request)])


def tc3_signature(secret_key: str, timestamp: int, service: str, string_to_sign: str) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    key = _hmac256(f"TC3{secret_key}".encode(), date)
    key = _hmac256(key, service)
    key = _hmac256(key, "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(secret_id: str, secret_key: str, *, service: str, host: str, payload: str,
                      timestamp: int) -> str:
    """The Authorization header of a POST JSON request."""
    string_to_sign = tc3_string_to_sign(timestamp, service, tc3_canonical_request(host, payload))
    signature = tc3_signature(secret_key, timestamp, service, string_to_sign)
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}")
