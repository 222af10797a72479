"""One message per member through the full send path: compose (consent, render, short links, audit,
outbox) then deliver (claim, send, record), into the in-app channel and into a local SMTP sink (aiosmtpd).

Reference: the same number of finished message rows written with one `bulk_create` (the floor of any send
path that stores a row per message). Runs on a fresh SQLite database in a temporary
directory. Printed, not asserted.

    .venv/bin/python bench/messaging_send.py [--members 500]
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def set_up(n: int):
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from shequn.accounts.roles import Role, permissions_for
    from shequn.core.actor import Actor
    from shequn.loyalty.services import ensure_default_tiers
    from shequn.members.services import create_member
    from shequn.messaging.consent import set_email
    from shequn.stores.models import Store

    ensure_default_tiers()
    actor = Actor(kind="system", id="bench", label="bench", role=Role.OWNER, permissions=permissions_for(Role.OWNER))
    store = Store.objects.create(code="SH01", name="上海静安店", city="上海")
    members = []
    for i in range(n):
        member = create_member(actor, phone=f"139{i:08d}", name=f"会员{i}", store=store,
                               consents={"marketing": True})
        set_email(actor, member, f"m{i}@example.com")
        members.append(member)
    return actor, members


def run(actor, members, channel, template) -> tuple[float, float, int]:
    """Send to every member; (seconds, messages/s, peak RSS bytes so far)."""
    from shequn.messaging import sending

    started = time.perf_counter()
    for member in members:
        message = sending.compose(actor, channel=channel, member=member, template=template, audit_it=True,
                                  enqueue=False)
        sending.deliver(message.pk)
    elapsed = time.perf_counter() - started
    return elapsed, len(members) / elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="shequn-bench-msg-")
    os.environ["SHEQUN_VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequn.config.settings")
    try:
        actor, members = set_up(args.members)
        from aiosmtpd.controller import Controller

        from shequn.messaging.models import Message
        from shequn.messaging.services import create_channel, save_template

        class Sink:
            count = 0

            async def handle_DATA(self, server, session, envelope):
                Sink.count += 1
                return "250 OK"

        smtp = Controller(Sink(), hostname="127.0.0.1", port=18025)
        smtp.start()
        body = "{{ member.name }}您好，{{ member.tier }}会员日全场 9 折，积分 {{ member.points }}：https://shop.example.com/d/8"
        in_app = create_channel(actor, name="站内信", kind="in_app")
        email = create_channel(actor, name="邮件", kind="email", provider="smtp", settings={
            "host": "127.0.0.1", "port": "18025", "security": "none", "from_email": "club@shequn.example"})
        print(f"{args.members} members, marketing template with 3 variables and one tracked link")
        for channel in (in_app, email):
            template = save_template(actor, channel=channel, name="会员日", purpose="marketing",
                                     subject_zh="会员日", body_zh=body)
            elapsed, rate, peak = run(actor, members, channel, template)
            ok = Message.objects.filter(channel=channel, status__in=["sent", "delivered"]).count()
            print(f"  {channel.get_kind_display():6} {rate:8.1f} messages/s  ({elapsed * 1000 / len(members):.2f} ms "
                  f"each, {ok} sent, process peak RSS {peak / 1e6:.0f} MB)")
        smtp.stop()
        print(f"  SMTP sink received {Sink.count}")
        started = time.perf_counter()
        Message.objects.bulk_create([Message(member=m, channel=in_app, purpose="marketing", body="x",
                                             status="delivered") for m in members])
        elapsed = time.perf_counter() - started
        print(f"  reference: bulk_create of {len(members)} rows {len(members) / elapsed:,.0f} rows/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
