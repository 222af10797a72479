"""The one HTTP client for calls that leave Shequn (SMS providers, WeCom).

Timeouts on every call; idempotent calls (GET, or a POST the caller marks safe to repeat) are retried a
few times with exponential backoff on read timeouts and 5xx answers; a connect error is retried for any
call, since the request never reached the other side.
Tests swap the transport for an `httpx.MockTransport` with `use_transport`; nothing reaches the internet.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

log = logging.getLogger("shequn.messaging.http")

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
_transport: httpx.BaseTransport | None = None
_sleep = time.sleep


class HttpFailure(Exception):
    """The call did not get a usable answer (network error or status >= 500 after the retries)."""


@contextmanager
def use_transport(transport: httpx.BaseTransport, *, sleep=lambda s: None) -> Iterator[None]:
    """Route every call through `transport` (tests), without real waits between retries."""
    global _transport, _sleep
    previous = _transport, _sleep
    _transport, _sleep = transport, sleep
    try:
        yield
    finally:
        _transport, _sleep = previous


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, transport=_transport, follow_redirects=False,
                        headers={"User-Agent": "Shequn/1 (+messaging)"})


def request(method: str, url: str, *, idempotent: bool | None = None, **kwargs) -> httpx.Response:
    """Send one request; retry only where repeating it cannot do anything twice."""
    retry = idempotent if idempotent is not None else method.upper() in ("GET", "HEAD", "PUT", "DELETE")
    attempts = MAX_ATTEMPTS
    failure: Exception = HttpFailure("no attempt")
    with _client() as client:
        for attempt in range(1, attempts + 1):
            try:
                response = client.request(method, url, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = exc
            except httpx.TimeoutException as exc:
                if not retry:
                    raise HttpFailure(f"timed out: {exc}") from exc
                failure = exc
            except httpx.HTTPError as exc:
                raise HttpFailure(str(exc)) from exc
            else:
                if response.status_code < 500 or not retry:
                    return response
                failure = HttpFailure(f"HTTP {response.status_code}")
            if attempt < attempts:
                delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
                log.warning("%s %s failed (%s); retry %s in %.1fs", method, _safe(url), failure, attempt, delay)
                _sleep(delay)
    raise HttpFailure(f"{method} {_safe(url)}: {failure}") from failure


def _safe(url: str) -> str:
    """The URL without its query (which may carry keys or tokens), for logs and errors."""
    return url.split("?", 1)[0]
