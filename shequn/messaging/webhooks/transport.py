"""The one place webhooks touch the network: POST bytes, get a status code or an error.

Redirects are not followed (a moved endpoint must be updated by its owner), and only the start of
the response body is read.
"""

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

READ_LIMIT = 4096


@dataclass(frozen=True)
class Result:
    status_code: int | None  # None: no HTTP response (timeout, refused, DNS, TLS)
    error: str
    excerpt: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")[:500]


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Result:
    """POST and report what happened; never raises for network trouble."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with _opener.open(request, timeout=timeout) as response:
            excerpt = _text(response.read(READ_LIMIT))
            return Result(response.status, "", excerpt, took())
    except urllib.error.HTTPError as exc:
        try:
            excerpt = _text(exc.read(READ_LIMIT))
        except (OSError, ValueError):
            excerpt = ""
        return Result(exc.code, f"HTTP {exc.code} {exc.reason}"[:300], excerpt, took())
    except TimeoutError:
        return Result(None, f"timed out after {timeout:g} s", "", took())
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return Result(None, f"timed out after {timeout:g} s", "", took())
        return Result(None, f"connection failed: {reason}"[:300], "", took())
    except (OSError, ValueError, http.client.HTTPException) as exc:  # reset, bad status line, bad URL
        return Result(None, f"{type(exc).__name__}: {exc}"[:300], "", took())
