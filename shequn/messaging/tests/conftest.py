import socket
import threading

import pytest


@pytest.fixture
def consenting_member(make_member, store):
    return make_member(store=store, name="王小红", consents={"marketing": True})


@pytest.fixture
def in_app(db, system_actor):
    from shequn.messaging.services import create_channel

    return create_channel(system_actor, name="站内信", kind="in_app")


@pytest.fixture
def dev_sms(db, system_actor):
    from shequn.messaging.services import create_channel

    return create_channel(system_actor, name="开发短信", kind="sms", provider="dev")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.envelopes = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.received.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def email_channel(db, system_actor, smtp_server):
    from shequn.messaging.services import create_channel

    controller, _ = smtp_server
    return create_channel(system_actor, name="会员邮件", kind="email", provider="smtp", settings={
        "host": "127.0.0.1", "port": str(controller.port), "security": "none",
        "from_email": "club@shequn.example", "from_name": "社群会员俱乐部"})
