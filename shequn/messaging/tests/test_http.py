import httpx
import pytest

from shequn.messaging import http


def test_get_is_retried_on_5xx_with_backoff():
    answers = [httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"ok": 1})]
    waits = []
    with http.use_transport(httpx.MockTransport(lambda r: answers.pop(0)), sleep=waits.append):
        response = http.request("GET", "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpsecret=s")
    assert response.json() == {"ok": 1}
    assert waits == [0.5, 1.0]


def test_post_is_not_repeated_after_a_5xx():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(500)

    with http.use_transport(httpx.MockTransport(handler)):
        response = http.request("POST", "https://dysmsapi.aliyuncs.com/", data={"a": "b"})
    assert response.status_code == 500 and len(calls) == 1


def test_connect_errors_are_retried_even_for_post_then_reported():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    with http.use_transport(httpx.MockTransport(handler)):
        with pytest.raises(http.HttpFailure) as err:
            http.request("POST", "https://sms.tencentcloudapi.com/?token=secret")
    assert len(calls) == http.MAX_ATTEMPTS
    assert "secret" not in str(err.value)  # queries (keys, tokens) stay out of errors


def test_read_timeout_on_post_is_not_retried():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    with http.use_transport(httpx.MockTransport(handler)):
        with pytest.raises(http.HttpFailure):
            http.request("POST", "https://dysmsapi.aliyuncs.com/")
    assert len(calls) == 1
