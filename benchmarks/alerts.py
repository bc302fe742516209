"""Alert delivery: alerts per second through the outbox, and the delay from ingest to delivery.

What it measures, and why
=========================

An alert is only useful while the claim is news, so what matters is how soon a webhook hears of
it, and how many the worker can push when a wire feed brings a burst of repeats.

Set-up (untimed): a fresh, migrated SQLite database (or ``--database-url``), one webhook pointed
at a real HTTP server on loopback that answers 200 at once and records when each message came,
and an archive of ``--alerts`` claims in review. Sentences are made of invented words, so each
repeat matches exactly one archived claim.

1. **Throughput.** ``--alerts`` repeats are ingested through the real path (``ingest_article``:
   suggestions, alert rules, outbox rows in the same transaction); then one ``deliver_once`` pass
   sends them all, in order, each a lease transaction + a signed HTTP POST + a record transaction.
   Printed: alerts/s through the outbox, against the raw rate of the same POSTs made by a bare
   ``http.client`` loop to the same receiver (the ceiling of the HTTP part alone).
2. **Ingest to delivery.** With the worker running in a thread (the ``alerts deliver`` loop), at
   each idle poll in ``--polls`` (default 1 s, the setting's default, and 0.1 s), ``--latency``
   further repeats are ingested one every ``--gap`` s; for each, the
   delay from just before ``ingest_article`` to the receiver getting it. Printed: p50, p95, max.
   The idle poll bounds the delay: a quiet worker looks for work every ``poll_s`` seconds
   (``WORKBENCH_WEBHOOK_POLL_S``), so expect up to about that much on top of the send.

Run from the repository root: ``python benchmarks/alerts.py`` (``make bench``).
"""

from __future__ import annotations

import argparse
import http.client
import random
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import select  # noqa: E402

from workbench.alerts import webhooks  # noqa: E402
from workbench.alerts.delivery import DeliveryConfig, deliver_once, run  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, read_session, write_session  # noqa: E402
from workbench.intake.reading import ArticleInput  # noqa: E402
from workbench.intake.storing import ingest_article  # noqa: E402
from workbench.models import Alert, Claim, Delivery, DeliveryState  # noqa: E402
from workbench.net.egress import Allowance  # noqa: E402

_RECEIVER = """
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.monotonic()
        data = json.loads(body).get("data") or {}
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with lock:  # one whole line at a time: handlers run in threads
            sys.stdout.write(f"{data.get('id', 0)} {now}\\n")
            sys.stdout.flush()

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_port, flush=True)
server.serve_forever(0.05)
"""


class Receiver:
    """A loopback HTTP server in its own process (so it does not share the worker's GIL) that
    answers 200 at once; remembers when each alert id arrived (CLOCK_MONOTONIC, which every
    process on the machine shares)."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.count = 0
        self.process = subprocess.Popen(
            [sys.executable, "-c", _RECEIVER], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/hook"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            alert_id, when = line.split()
            self.count += 1
            self.arrived.setdefault(int(alert_id), float(when))

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(7, 10)))


def _pair(rng: random.Random) -> tuple[str, str]:
    """An archived claim and a reworded repeat of it, sharing invented rare words."""
    a, b, c, d = (_word(rng).capitalize() for _ in range(4))
    n = rng.randint(2, 900)
    first = f"{a} {b} officials in {c} spent {n} million dollars on the {d} bridge last year."
    again = f"Last year {a} {b} officials in {c} spent {n} million dollars on the {d} bridge."
    return first, again


def _archive(engine: sa.Engine, pairs: list[tuple[str, str]]) -> None:
    with write_session(engine) as db:
        for number, (first, _again) in enumerate(pairs):
            ingest_article(db, ArticleInput(body=first, title=f"Archive {number}"), match=False)
        db.execute(sa.update(Claim).values(status="in_review"))
        db.commit()


def _ingest_repeat(engine: sa.Engine, text: str, title: str) -> None:
    with write_session(engine) as db:
        ingest_article(db, ArticleInput(body=text, title=title))


def _raw_posts(url: str, body: bytes, count: int) -> float:
    """The same POSTs with a bare http.client, one connection each, as the worker makes them."""
    host, port = "127.0.0.1", int(url.split(":")[2].split("/")[0])
    start = time.monotonic()
    for _ in range(count):
        connection = http.client.HTTPConnection(host, port, timeout=5)
        connection.request("POST", "/hook", body=body, headers={"content-type": "application/json"})
        connection.getresponse().read()
        connection.close()
    return count / (time.monotonic() - start)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _latency(
    engine: sa.Engine,
    config: DeliveryConfig,
    receiver: Receiver,
    pairs: list[tuple[str, str]],
    gap: float,
) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=run, args=(engine, config, stop), daemon=True)
    worker.start()
    started: dict[int, float] = {}
    for _first, again in pairs:
        before = time.monotonic()
        _ingest_repeat(engine, again, f"Live {before}")
        with read_session(engine) as db:
            alert_id = db.exec(select(sa.func.max(Alert.id))).one()
        started[alert_id] = before
        time.sleep(gap)
    deadline = time.monotonic() + 30
    while any(i not in receiver.arrived for i in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(10)
    delays = [(receiver.arrived[i] - t) * 1000 for i, t in started.items() if i in receiver.arrived]
    print(
        f"ingest to delivery ({len(started)} repeats, one every {gap:g} s, worker idle poll "
        f"{config.poll_s:g} s): p50 {_percentile(delays, 0.5):.0f} ms, "
        f"p95 {_percentile(delays, 0.95):.0f} ms, max {max(delays):.0f} ms; "
        f"not arrived: {len(started) - len(delays)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=500, help="alerts for the throughput run")
    parser.add_argument("--latency", type=int, default=100, help="repeats for the delay run")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between those repeats")
    parser.add_argument(
        "--polls", default="1,0.1", help="worker idle polls to measure the delay at, seconds"
    )
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    polls = [float(p) for p in args.polls.split(",")]

    rng = random.Random(args.seed)
    receiver = Receiver()
    try:
        _measure(args, polls, rng, receiver)
    finally:
        receiver.close()


def _measure(
    args: argparse.Namespace, polls: list[float], rng: random.Random, receiver: Receiver
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        engine = make_engine(Settings(database_url=url))
        migrate(engine)
        allow = Allowance.parse(["127.0.0.1"])
        config = DeliveryConfig(timeout_s=5, allow=allow)
        with write_session(engine) as db:
            webhooks.register(db, None, receiver.url, allow=allow)  # type: ignore[arg-type]

        pairs = [_pair(rng) for _ in range(args.alerts + args.latency * len(polls))]
        _archive(engine, pairs)

        # 1. Throughput through the outbox.
        start = time.monotonic()
        for number, (_first, again) in enumerate(pairs[: args.alerts]):
            _ingest_repeat(engine, again, f"Repeat {number}")
        ingest_s = time.monotonic() - start
        with read_session(engine) as db:
            made = db.exec(select(sa.func.count()).select_from(Alert)).one()
        if made != args.alerts:
            sys.exit(f"expected {args.alerts} alerts from the repeats, the rules made {made}")
        start = time.monotonic()
        report = deliver_once(engine, config)
        deliver_s = time.monotonic() - start
        with read_session(engine) as db:
            ids = list(db.exec(select(Alert.id).order_by(Alert.id)).all())
            delivered = db.exec(
                select(sa.func.count())
                .select_from(Delivery)
                .where(Delivery.state == DeliveryState.DELIVERED)
            ).one()
            sample = webhooks.encode({"data": {"id": 0, "text": "x" * 900}})
        in_order = sorted(receiver.arrived, key=receiver.arrived.__getitem__) == ids
        raw = _raw_posts(receiver.url, sample, args.alerts)
        rate = report.delivered / deliver_s
        print(f"database: {engine.dialect.name}; receiver in its own process on loopback")
        print(
            f"ingest of {args.alerts} repeats (suggestions, alert rules, outbox rows): "
            f"{args.alerts / ingest_s:,.0f} articles/s"
        )
        print(
            f"outbox throughput: {rate:,.0f} alerts/s ({report.delivered} delivered in "
            f"{deliver_s:.2f} s; {delivered} rows delivered; in creation order: {in_order}); "
            f"bare http.client to the same receiver: {raw:,.0f} POSTs/s "
            f"(outbox/bare = {rate / raw:.2f})"
        )

        # 2. Ingest to delivery, with the worker running, at each idle poll asked for.
        live = pairs[args.alerts :]
        share = len(live) // len(polls)
        for round_number, poll in enumerate(polls):
            chunk = live[round_number * share : (round_number + 1) * share]
            _latency(engine, replace(config, poll_s=poll), receiver, chunk, args.gap)
        engine.dispose()


if __name__ == "__main__":
    main()
