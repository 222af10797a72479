"""Fixed vectors: fixed keys, nonces and timestamps give fixed signatures and messages.

The expected signatures were computed outside Shequn with the OpenSSL command line
(`openssl dgst -sha256 -sign key.pem` over the documented message layout, and `openssl dgst -hmac`), so a
change in message layout, encoding or padding fails here even if signing and verifying still agree.
The keys are test keys made for these vectors only.
"""

import datetime as dt
import json

import pytest

from shequn.commerce.providers import sandbox
from shequn.commerce.providers.base import InvalidNotification, PaidNotice, PaymentProviderError
from shequn.commerce.providers.wechatpay import WechatPayConfig, WechatPayProvider
from shequn.core import clock

MERCHANT_KEY = """\
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDYPG2cpwKJSZc9
45RCeD0oqubM2xP+cEPsDsybmKvUQhDu7pPZXFTNSrggsAHGdaO03vkGzbLqMSm5
Xtz45wpjGsQfyaZlw6USdm9VtkjiCQVVlcEZwpY4+kzKC++3+BzXPuO1RKqtCWWe
x/3zvwWmzl8/uRVamnmiufLRr+x8ugWaNG23NV56OQ1kbVg9wmFJ8PNQ08rjkofe
3Uj25YDJVPTX/1q6pu58kz2WuDq1x4IC5IjVI4BJVpFcu0RrQ4EVjRVznorknRdQ
5o4zKIz3ROJkLuyvaQ5Ioz2BLEgj52VuiYPbp/y/1q8UvwMxoIfNjtp9qVUt/PEG
P45Se5yNAgMBAAECggEABchD5BsBMduibDjAN7DQbdx4FIVNORIWduMEbKq9+YyU
uFbv5DGYYO79En6yZXSy3nzR6vEoNiP/aiITxaIkAHdwRCtXxEPhj6dUHdYkh8rW
9i1tfvtZmgdzczmzfNdpKgZX/3ppF/x217KgY1q503aUTHduD0CvPP8884eBSup/
8jOIdl5dyZb0GfZT9bcEGvePjzzPgtOMFM03wSVC6M7lzUDb3pMBNu7fKOTVK+9T
ZJjjLOxcIKkOdBhcTqZKEGhy7PAc3oL/FxSCH5poSajTheohjJujbi2aN2YoAjKM
JFoRIq6MZ/btP1nUhwoSwvToVaCBM6zS9js7Jt9zfwKBgQDyLOg2cYe3qQdU2uo9
7dncBTKXEG+wlWSMlhYpC1ixZUzGgQXhFqCAPuj7fx+YhCPldCA8nzPmfudhbzOU
NciS11auEmoIRRjXZYW6PsUXAfz/MWGIRM1aD602j4rIb4wFTaBfhD0EMRYOSHVW
p+1azdI3lUnr4pjI2r/+yoL2RwKBgQDklHMMabYZ7qqlDFWcdeRPg8BmzGzCDgsV
KXlB5ypYnrXHCo2BnJf0RpArfAZ5U4eEUfUxlEvp++10RQ6tgUezDZEkWMzS389k
NVoUI6PS2nWCiIbqVYuz9QfKd7+H+q9R+UsWpZ2AMDEmRZfqfl09ECVUwF7/giqV
IqHn5H78iwKBgBkd2TOUULwWlsERN0wW+Apeq6GJPdw1kkkWY9P77kXvuKe5x+9R
VnIWlDlJNPCve72XbqR66noUXVD4pIPRlCzOkpnZJRAYgnwMdnMbgXtiZGffKjtk
z1tw1ska2AzzrLT8GQ7u+xkNMjlnAGxtXCuXvx6uqA0D4k6qiVEWlcCPAoGBANtZ
AVZGEzOrbiHYRkdQcnlDa1y6ixtlMolqNSxi0qYcF0AcBlL8nG0TUcII0IWY/JCj
vXGIZ5jv4pwSsNUbHFzchg2lEVjC4Ve+QuTUlp7+eIl8zksNMHTOjF1ksG2iyJ8X
ZVEkOJIMrP2XBwNFo9+3ILvFpuP2Wzql80x+XsWlAoGBAPH0md4SQ7qmhnPDrPa4
ZfSnpD0txKF6mrbXJCxlFT884tdopjRpGwC/vPhf021gDsnXuYddOJ4lNOZNm19V
YMtkukxlLQaojiTtnAuUbnYvQeGViKtu98Rczv2YvSqyeHuHhvG+612wTYmUEszp
xzuYooTav4OlVDDgzHdK9GK7
-----END PRIVATE KEY-----
"""
PLATFORM_PUBLIC_KEY = """\
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1PbSw6gA3XQbFBdyMk0q
/4iAc+c17CTXDPCoPEIgB0N1SLu7ByojAalk5v0KqeV7rqQyw0PMdVlpa6S1aZpD
eibZT+yN/4iBykIh3lG9kkU+XqMIhRD6G1bqYY/5PRpVDnjWkumh1nX21XMFky+6
hSPmiHjuY2OTsHX6w5z4yxcUliFw+VJSeuCrItPBd9EuvPxAZzDflprYJFOP1YT7
UMl1xIKn2DycXnPeWBeYs2/pkPV/WdTucrJ73andwdZXGLPw2GTb2NVI32X04vmw
ahIoVa6w6cDUnRJOczlqCt1acf2mfg4/k6Bm9jn7atG1wQ68JqysOQKRQmyQIo+k
xwIDAQAB
-----END PUBLIC KEY-----
"""
MCHID, APPID, MERCHANT_SERIAL, PLATFORM_SERIAL = (
    "1230000109", "wxd678efh567hg6787", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "PUB_KEY_ID_0112345678")
APIV3_KEY = b"0123456789abcdef0123456789ABCDEF"
TIMESTAMP = "1795000000"  # 2026-11-18 11:06:40 UTC

REQUEST_SIGNATURE = (
    "DXNPzbaaas1MS0nBhKVsqzcwjAJm6PMnnBon+cnM7ItDBmTUnz8xAih3WonoHrsO//3BUpGpGqfjwlXTbvaShlGzneR2eziV4MSI"
    "i2H6Se7XYlO0gYn9V0KFkJ7BDb00aTI3TMGYl+6Rs5WXmGpvhoN/H8UlM6aguq7Ica8H2DNUJ05WA74/zJfaBshZgLNAlv9hHpQY"
    "XQJBkfrlBvMmOMfsRMVGUadeS1ZneLicv9JP92Y/YG2NgAsNz2tGQUAwDDbQ2M3V9FbcVUKJgxAFt0C0o/M9HY9khCdjN0JvncOb"
    "S+MFGyztoY7SvJ/JiJRSLevf4TVdm4Ft0/ioRXsWHA=="
)
PAY_SIGN = (
    "1zNi91DW7ZDgDVPDGq0qZaOZYJUb3QGFEYvvJo60sorS850hsuCvcQY5EJMeybnZFgSXoY7vtSdpHLA3KKWczDH5uzPVj3oEBoS8"
    "c5q8I35v2dAoVG38ZHq5BUmlpbohcbaiM6KYrSQMuNppYfsheuTIBHZnMqvoj6F1h18oFKsRUCwc2A1m3rbrly6iRbJk3B7k4fsY"
    "5LUQagF3m+q2a69KEFSW5b6pdfMSUC0f9QIKm/hNYu9VnbneNbtW3E/lgcit8lcEEj4sAtka7sTR8iqlltMcIKYP6Nwkh3OU89wx"
    "e5g9q53fzQjMIzKJrVoxJ8/0whABHUPmngjiG8vDSA=="
)
NOTIFICATION_CIPHERTEXT = (
    "bz1kVndYkCFlgKSV7lZeuBxDb6Dr2XsCUhw9dEHzO9M653wGxG2i4fVCms/wOqKZjUsbFiP7HsHKfJhCIMNmvF5niAU8HQ61qQfi"
    "ip/nBeQXfoeci3yMn3VcdqMH1MB+fTMYa/3ZMrDJ8bVl2ibx4CUI5sYqQ5EoYtDCKUI//IXcMwYtDvdVgoHJW5eHIZCzSrKQ7tZO"
    "VOQmxrOieynwZFppDseHHE72zUZKYC0ktrG+l0ZLZocTc/k47DhYKGHM4L3vOVWp9TvMBF3v/dNko9SxRbzNBPDKsoMToLOabbYR"
    "HTH5YKJyl21ExibdqGyWfwLJkWlioC5hH2Mtl0Vx36RkbaiWVo9v3f9+HOdfZ/OwmMaga49RwdTd1BBWdtn/dFQs6XGQCHPLTKYP"
    "n0k9L4c8ueX+H3Q7UJKGX+d0XargmTNpqh9XD6Co3BPG9sDNLIWPE0vDisv/8uudQX0U/Di71TAL66Q0bvUwUWZH3n4l0d5VmnkF"
    "8csq6NYwARTipwVEr34HiglL7S/vKKZLs64RcNaON2XR+3hONM47EqYG33PuWl3QD1y3TBU85G4rTm0A2Af3fg=="
)
NOTIFICATION_SIGNATURE = (
    "TL27tLQCPWc/dCJ2ZbYRHmWLP5pIKbNmM98Nm9we9MeCsCaqncOfYzvV7BnqBl5KBWk9eqgwAnlIFLr7dEGl5pq2nIOuJm4MIVuW"
    "IaXO1A2Stm2a2Uu2WtEa+TjF/s+J/DgSCUXJ79Bw3Ze9WT8UErjx1FUShFA2pAmm9h90mk2ARfWxkbI7QDScDYJNtevGS9vPHzF3"
    "sJeaaczYUK30tZVrLsPB9z35PuGLcbdQL1erGWdrk8gimeME7ivdDny/MIKFDaiXFn1dfeoCkZxhbwmF8i3C2ZWtAeY7jQY1nwlq"
    "Tg5vcpfFUuaVxt9FSjGzmEwyAiaczeDs17nUxb5MIg=="
)
NOTIFICATION_BODY = (
    '{"id":"EV-2026112319200501","create_time":"2026-11-23T19:20:06+08:00","resource_type":"encrypt-resource",'
    '"event_type":"TRANSACTION.SUCCESS","summary":"支付成功","resource":{"original_type":"transaction",'
    '"algorithm":"AEAD_AES_256_GCM","ciphertext":"' + NOTIFICATION_CIPHERTEXT + '",'
    '"associated_data":"transaction","nonce":"fdasflkja484"}}'
).encode()
NOTIFICATION_HEADERS = {"Wechatpay-Serial": PLATFORM_SERIAL, "Wechatpay-Timestamp": TIMESTAMP,
                        "Wechatpay-Nonce": "WXNONCE0123456789", "Wechatpay-Signature": NOTIFICATION_SIGNATURE}


@pytest.fixture
def provider():
    return WechatPayProvider(WechatPayConfig(
        mchid=MCHID, appid=APPID, merchant_serial_no=MERCHANT_SERIAL, merchant_private_key_pem=MERCHANT_KEY,
        apiv3_key=APIV3_KEY, platform_certs={PLATFORM_SERIAL: PLATFORM_PUBLIC_KEY},
        notify_url="https://shop.example.cn/api/v1/payments/wechat/notify"))


@pytest.fixture
def frozen(monkeypatch):
    at = dt.datetime.fromtimestamp(int(TIMESTAMP) + 30, tz=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: at)
    return at


def test_authorization_header_is_exactly_as_documented(provider):
    header = provider.authorization("POST", "/v3/pay/transactions/jsapi", b'{"out_trade_no":"SQ20261123000001"}',
                                    timestamp=TIMESTAMP, nonce="593BEC0C930BF1AFEB40B4A08C8FB242")
    assert header == (
        'WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
        f'signature="{REQUEST_SIGNATURE}",timestamp="1795000000",'
        'serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"')


def test_jsapi_pay_sign_is_exactly_as_documented(provider):
    params = provider.jsapi_params("wx201410272009395522657a690389285100", timestamp=TIMESTAMP,
                                   nonce="5K8264ILTKCH16CQ2502SI8ZNMTM67VS")
    assert params == {"appId": APPID, "timeStamp": TIMESTAMP, "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
                      "package": "prepay_id=wx201410272009395522657a690389285100", "signType": "RSA",
                      "paySign": PAY_SIGN}


def test_jsapi_request_body_layout(provider, frozen):
    sent = []

    def transport(method, url, headers, body):
        sent.append(body)
        return 500, {}, b'{"code":"SYSTEM_ERROR","message":"stop here"}'

    provider.transport = transport
    with pytest.raises(PaymentProviderError, match="SYSTEM_ERROR"):
        provider.checkout(order_no="SQ20261123000001", amount_fen=12345, description="社群团购-大闸蟹",
                          payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    assert sent == [(
        '{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"社群团购-大闸蟹",'
        '"out_trade_no":"SQ20261123000001","notify_url":"https://shop.example.cn/api/v1/payments/wechat/notify",'
        '"amount":{"total":12345,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}').encode()]


def test_fixed_notification_parses(provider, frozen):
    assert provider.parse_notification(NOTIFICATION_HEADERS, NOTIFICATION_BODY) == PaidNotice(
        provider="wechat", order_no="SQ20261123000001", transaction_id="4200002026112312345678901234",
        amount_fen=12345, paid_at=dt.datetime(2026, 11, 23, 11, 20, 5, tzinfo=dt.UTC))


def test_fixed_notification_is_refused_once_the_window_has_passed(provider, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime.fromtimestamp(int(TIMESTAMP) + 301, tz=dt.UTC))
    with pytest.raises(InvalidNotification, match="more than 5 minutes"):
        provider.parse_notification(NOTIFICATION_HEADERS, NOTIFICATION_BODY)


def test_fixed_notification_resource_decrypts_to_the_transaction(provider):
    transaction = provider._decrypt(json.loads(NOTIFICATION_BODY))
    assert transaction["amount"] == {"total": 12345, "payer_total": 12000, "currency": "CNY",
                                     "payer_currency": "CNY"}
    assert transaction["trade_state_desc"] == "支付成功"


def test_sandbox_signature_vector(settings):
    settings.SHEQUN_SANDBOX_PAY_SECRET = "sandbox-test-secret"
    assert sandbox.signature(TIMESTAMP, "abc123", b'{"order_no":"SQ20261123000001"}') == (
        "daf2f014c6738e659478dad012b96d0778ef128c1bd04ee9713ffe7cd0d4c411")
