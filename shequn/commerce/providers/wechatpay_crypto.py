"""WeChat Pay API v3 (微信支付 APIv3) signing, signature checks and resource decryption.

- Requests: `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",
  serial_no="…"`, signature = base64(RSA-SHA256, PKCS#1 v1.5) over
  `METHOD\\nURL_PATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n` with the merchant private key.
- Responses and notifications: `Wechatpay-Signature` over `TIMESTAMP\\nNONCE\\nBODY\\n` with the platform key
  named by `Wechatpay-Serial` (a platform certificate serial or a "PUB_KEY_ID_…" public key id).
- JSAPI: paySign over `appId\\ntimeStamp\\nnonceStr\\npackage\\n` with the merchant private key.
- Notification `resource`: AEAD_AES_256_GCM, key = the 32-byte APIv3 key, nonce and associated_data as
  UTF-8, ciphertext = base64(encrypted bytes + 16-byte tag).
"""

import base64
import binascii
import secrets
import string
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
_NONCE_ALPHABET = string.ascii_uppercase + string.digits


class UnusableKey(ValueError):
    """A key or certificate that cannot be used (unreadable PEM, not RSA, too short)."""


class DecryptError(ValueError):
    """The resource cannot be decrypted: wrong APIv3 key, tampered ciphertext or bad encoding."""


def new_nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


@lru_cache(maxsize=8)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise UnusableKey("the merchant private key is not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise UnusableKey("the merchant private key must be RSA of at least 2048 bits")
    return key


@lru_cache(maxsize=32)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """A platform public key from a certificate PEM (平台证书) or a public key PEM (微信支付公钥)."""
    key: object
    try:
        if "BEGIN CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        else:
            key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise UnusableKey("a platform certificate is not a PEM certificate or public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise UnusableKey("a platform key must be RSA")
    return key


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def request_message(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{method}\n{path_with_query}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def authorization(*, mchid: str, serial_no: str, private_key: rsa.RSAPrivateKey, method: str,
                  path_with_query: str, body: bytes, timestamp: str, nonce: str) -> str:
    signature = sign(private_key, request_message(method, path_with_query, timestamp, nonce, body))
    return (f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial_no}"')


def jsapi_pay_sign(private_key: rsa.RSAPrivateKey, app_id: str, timestamp: str, nonce: str, package: str) -> str:
    return sign(private_key, f"{app_id}\n{timestamp}\n{nonce}\n{package}\n".encode())


def decrypt_resource(apiv3_key: bytes, nonce: str, associated_data: str, ciphertext_b64: str) -> bytes:
    try:
        sealed = base64.b64decode(ciphertext_b64, validate=True)
        return AESGCM(apiv3_key).decrypt(nonce.encode(), sealed, associated_data.encode())
    except (binascii.Error, ValueError, InvalidTag) as exc:
        raise DecryptError("the notification resource cannot be decrypted") from exc
