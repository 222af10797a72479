"""Webhook fan-out and delivery rate to a local receiver, on a fresh SQLite database.

1. Fan-out: N outbox events (written with one bulk insert) drained into deliveries for S subscriptions
   (the outbox drain with the webhook consumer: deliveries created per second).
2. Delivery: the sender (claim a batch, sign, POST in parallel threads, record the attempt) against a
   receiver in a separate process on 127.0.0.1 that answers 204, optionally after a fixed latency;
   deliveries per second for each sender concurrency. The receiver checks every signature.

Reference: the same number of signed POSTs to the same receiver through the same HTTP function and
thread pool, without the database (no claim, no attempt log) — the ceiling the sender can approach.
Printed, not asserted.

    .venv/bin/python bench/webhook_fanout.py [--events 1000] [--subscriptions 2] [--latency-ms 0,50]
                                             [--concurrency 1,8,32]
"""

import argparse
import hashlib
import hmac
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def receiver(port_queue, secrets: list[str], latency: float, counter) -> None:
    """A plain HTTP receiver that verifies each signature and answers 204 (401 if the signature is wrong)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    keys = [s.encode() for s in secrets]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            parts = dict(p.split("=", 1) for p in self.headers["X-Shequn-Signature"].split(","))
            signed = parts["t"].encode() + b"." + body
            ok = any(hmac.compare_digest(hmac.new(k, signed, hashlib.sha256).hexdigest(), parts["v1"]) for k in keys)
            if latency:
                time.sleep(latency)
            with counter.get_lock():
                counter.value += 1
            self.send_response(204 if ok else 401)
            self.end_headers()

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def setup_django(tmp: Path) -> None:
    os.environ["SHEQUN_VAR_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def emit_events(n: int) -> None:
    from shequn.core.models import OutboxEvent

    OutboxEvent.objects.bulk_create(
        OutboxEvent(topic="order.completed", aggregate_type="order", aggregate_id=str(i),
                    payload={"order_no": f"SO2026112300{i:05d}", "member_id": 1000 + i % 500})
        for i in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--subscriptions", type=int, default=2)
    parser.add_argument("--latency-ms", default="0,50", help="receiver latencies to try, comma separated")
    parser.add_argument("--concurrency", default="1,8,32", help="sender threads to try, comma separated")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shequn-bench-webhooks-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> None:
    setup_django(tmp)
    from django.conf import settings
    from django.utils import timezone

    from shequn.core import outbox
    from shequn.core.actor import SYSTEM
    from shequn.messaging.webhooks import sender, transport
    from shequn.messaging.webhooks.models import Delivery, DeliveryAttempt
    from shequn.messaging.webhooks.services import create_subscription
    from shequn.messaging.webhooks.signing import header

    print(f"Webhook fan-out and delivery, SQLite, {args.events:,} events × {args.subscriptions} subscriptions")
    for latency_ms in [int(x) for x in args.latency_ms.split(",")]:
        for threads in [int(x) for x in args.concurrency.split(",")]:
            Delivery.objects.all().delete()
            subs, secrets = [], []
            port_queue, counter = multiprocessing.Queue(), multiprocessing.Value("i", 0)
            # Subscriptions first (they receive only later events), then the receiver knowing their secrets.
            for _ in range(args.subscriptions):
                sub, secret = create_subscription(SYSTEM, url="http://127.0.0.1:1/", events=["*"])
                subs.append(sub)
                secrets.append(secret)
            proc = multiprocessing.Process(target=receiver, args=(port_queue, secrets, latency_ms / 1000, counter),
                                           daemon=True)
            proc.start()
            port = port_queue.get(timeout=30)
            subs_index = {sub.pk: n for n, sub in enumerate(subs)}
            for sub in subs:
                sub.url = f"http://127.0.0.1:{port}/hooks/{sub.pk}"
                sub.save(update_fields=["url"])
            time.sleep(0.05)
            emit_events(args.events)

            started = time.perf_counter()
            outbox.drain()
            fanout_s = time.perf_counter() - started
            total = Delivery.objects.count()
            assert total == args.events * args.subscriptions, total

            settings.WEBHOOK_CONCURRENCY = threads
            started = time.perf_counter()
            sent: dict[str, int] = {}
            while True:
                counts = sender.send_due(batch_size=max(32, threads * 2), time_budget=3600, now=timezone.now())
                for k, v in counts.items():
                    sent[k] = sent.get(k, 0) + v
                if not counts:
                    break
            send_s = time.perf_counter() - started
            bodies = [(d.subscription.url, d.body.encode(), secrets[subs_index[d.subscription_id]])
                      for d in Delivery.objects.select_related("subscription")]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                codes = list(pool.map(lambda item: transport.post(
                    item[0], item[1], {"X-Shequn-Signature": header([item[2]], item[1])},
                    timeout=10).status_code, bodies))
            raw_s = time.perf_counter() - started
            assert codes == [204] * total, set(codes)
            proc.terminate()
            proc.join()
            assert sent == {"succeeded": total}, sent
            assert counter.value == 2 * total and DeliveryAttempt.objects.filter(status_code=204).count() == total
            print(f"  receiver latency {latency_ms:>3} ms, {threads:>2} sender threads: "
                  f"fan-out {total / fanout_s:>8,.0f} deliveries/s ({fanout_s:.2f} s)  ·  "
                  f"delivery {total / send_s:>6,.0f} deliveries/s ({send_s:.2f} s)  ·  "
                  f"reference POSTs only {total / raw_s:>6,.0f}/s, sender at {raw_s / send_s:.0%} of it")
            for sub in subs:
                sub.delete()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of the sender process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
