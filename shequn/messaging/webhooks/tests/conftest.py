"""A local webhook receiver (127.0.0.1, random port) that answers from a script, and subscription helpers."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int | None  # the status sent back; None when the receiver stalled past the sender's timeout

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    script: list = field(default_factory=list)  # per request: a status code, or "stall"; then `default`
    default: int = 200
    stall_seconds: float = 1.5
    requests: list[Received] = field(default_factory=list)

    @property
    def accepted(self) -> list[Received]:
        """Requests the receiver acknowledged with a 2xx in time: what it processed."""
        return [r for r in self.requests if r.answered is not None and 200 <= r.answered < 300]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # concurrent senders must not find the backlog full


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            step = receiver.script.pop(0) if receiver.script else receiver.default
            record = Received(dict(self.headers), body, None if step == "stall" else step)
            receiver.requests.append(record)
            if step == "stall":
                time.sleep(receiver.stall_seconds)
                step = 200
            try:
                if 300 <= step < 400:
                    self.send_response(step)
                    self.send_header("Location", "https://example.invalid/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                reply = b'{"ok": true}' if step < 300 else "接收失败 upstream error".encode()
                self.send_response(step)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    rec = Receiver(url="")
    server = _Server(("127.0.0.1", 0), _handler(rec))
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/shequn"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscribe(system_actor):
    from shequn.messaging.webhooks.services import create_subscription

    def make(url="https://pos.example.com/hooks", events=("*",), **kwargs):
        return create_subscription(system_actor, url=url, events=list(events), **kwargs)

    return make


PASSWORD = "correct-horse-42"


@pytest.fixture
def console_as(db):
    """A Django test client logged in as a staff user of the given role."""
    from django.test import Client

    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    def make(role="owner", stores=None, username=None):
        user, _ = ensure_staff(SYSTEM, username or f"{role}_console", role=role, store_codes=stores,
                               password=PASSWORD, display_name=f"{role} 测试")
        client = Client()
        client.force_login(user)
        return client

    return make
