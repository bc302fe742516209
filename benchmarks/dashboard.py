"""Dashboard server time on a large archive: p50/p95 of the home page and its JSON at 1M claims.

What it measures, and why
=========================

The dashboard is the home page: every editor opens it first, many times a day, and it counts
things across the whole archive. Target: **at 1,000,000 claims in SQLite, p95 server time under
100 ms** for the page (``GET /``) and for its JSON (``GET /api/dashboard``). Server time is what
the Flask app takes to produce the whole response (routing, log-in check, every query, template),
in process with ``app.test_client()`` logged in as an editor; no network, no browser.

1. **Archive**: the review queue benchmark's (``benchmarks/review_queue.py``, the same builder
   and cache format: 1M claims over 365 days, 90 % new / 7 % in review, each assigned to one of
   five editors / 3 % with a verdict, about 10,000 duplicate suggestions), cached under
   ``--cache`` (default ``/tmp/wb-bench-dashboard``, apart from the queue benchmark's, since the
   next step writes to it). Then **dressed** once for the dashboard: the verdicts are published
   (``verdict_state`` approved, ``approved_at`` an hour to three days after the claim came in, so
   about 2,500 claims are checked in any 30 days), ``ALERTS`` alerts on claims with suggestions
   (a third unread) and ``FEEDS`` feeds in every state of health.
2. **Cases**, each ``WARMUP`` untimed requests then ``--requests`` timed ones: the dashboard page,
   its JSON, and as the **baseline** of the same run the queue's first page (``/claims/``), the
   page benchmarks/review_queue.py holds to the same target.
3. **Statements**: the dashboard's reading (``review.dashboard.dashboard``) run ``--requests``
   times more with every SQL statement timed (SQLAlchemy cursor events): p50/p95 per statement,
   and SQLite's ``EXPLAIN QUERY PLAN`` of the slowest ``--explain-top`` by p95.

Run from the repository root: ``python benchmarks/dashboard.py`` (about 5 minutes to build the
archive the first time, then under a minute); ``--sizes 10000`` for a quick run; ``--strict``
exits 1 when the target is missed. PostgreSQL is not measured here.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import postgres  # noqa: E402
import review_queue as queue_bench  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from datasets import queue_sentences  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app import create_app  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db import read_session  # noqa: E402
from workbench.models import (  # noqa: E402
    Alert,
    AlertKind,
    AlertState,
    Claim,
    ClaimStatus,
    DuplicateSuggestion,
    Feed,
    User,
    VerdictState,
    utcnow,
)
from workbench.review.dashboard import dashboard  # noqa: E402

DEFAULT_CACHE = Path("/tmp/wb-bench-dashboard")
TARGET_SIZE = queue_bench.TARGET_SIZE
TARGET_P95_MS = queue_bench.TARGET_P95_MS
DEFAULT_REQUESTS = 100
WARMUP = 5
ALERTS = 6_000
FEEDS = 12


# --- The archive, dressed for the dashboard ------------------------------------------------------


def dress(engine: Engine, seed: int) -> dict[str, int]:
    """Publish the archive's verdicts, add alerts and feeds; once (a dressed archive is kept)."""
    with engine.begin() as conn:
        done = conn.execute(sa.select(Claim.id).where(Claim.approved_at.is_not(None)).limit(1))
        if done.first() is None:
            conn.execute(
                sa.update(Claim)
                .where(Claim.status == ClaimStatus.VERDICT)
                .values(verdict_state=VerdictState.APPROVED, approved_at=Claim.updated_at)
            )
            pairs = conn.execute(
                sa.select(DuplicateSuggestion.claim_id, DuplicateSuggestion.candidate_id)
                .order_by(DuplicateSuggestion.id)
                .limit(ALERTS)
            ).all()
            rng = random.Random(seed)
            states = (AlertState.UNREAD, AlertState.ACKNOWLEDGED, AlertState.DISMISSED)
            now = utcnow()
            conn.execute(
                sa.insert(Alert),
                [
                    {
                        "kind": AlertKind.BEING_CHECKED.value,
                        "claim_id": claim_id,
                        "matched_claim_id": matched_id,
                        "match_key": f"claim:{matched_id}",
                        "state": states[i % 3].value,
                        "created_at": now - timedelta(days=rng.uniform(0, 365)),
                    }
                    for i, (claim_id, matched_id) in enumerate(pairs)
                ],
            )
            conn.execute(
                sa.insert(Feed),
                [
                    {
                        "url": f"https://outlet-{i}.example/rss",
                        "title": f"Outlet {i}",
                        "is_active": i % 6 != 5,
                        "last_polled_at": None if i % 6 == 4 else now,
                        "last_error": "HTTP 503" if i % 6 == 3 else None,
                        "next_poll_at": now,
                        "created_at": now,
                    }
                    for i in range(FEEDS)
                ],
            )
        counts = {
            "approved verdicts": conn.execute(
                sa.select(sa.func.count()).where(Claim.approved_at.is_not(None))
            ).scalar_one(),
            "alerts": conn.execute(sa.select(sa.func.count()).select_from(Alert)).scalar_one(),
            "feeds": conn.execute(sa.select(sa.func.count()).select_from(Feed)).scalar_one(),
        }
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return counts


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Statement:
    label: str
    sql: str
    parameters: Any
    samples: list[float] = field(default_factory=list)


def statement_label(sql: str, parameters: Any) -> str:
    """A statement's first words and first parameters, enough to tell the dashboard's apart."""
    words = " ".join(sql.split())
    head = words[:80] + ("…" if len(words) > 80 else "")
    values = ", ".join(repr(v) for v in list(parameters or ())[:3])
    return f"{head} [{values}]" if values else head


def time_statements(engine: Engine, runs: int) -> tuple[list[float], list[Statement]]:
    """(the reading's total ms per run, its statements in order with their ms per run)."""
    totals: list[float] = []
    found: dict[int, Statement] = {}
    for i in range(WARMUP + runs):
        with read_session(engine) as session, postgres.statements_timed(engine) as timed:
            started = time.perf_counter()
            dashboard(session)
            elapsed = 1000 * (time.perf_counter() - started)
        if i < WARMUP:
            continue
        totals.append(elapsed)
        for n, (ms, sql, parameters) in enumerate(timed):
            statement = found.setdefault(
                n, Statement(statement_label(sql, parameters), sql, parameters)
            )
            statement.samples.append(ms)
    return totals, [found[n] for n in sorted(found)]


def spread(samples: list[float]) -> list[str]:
    """min, p50, p95 in ms."""
    p = queue_bench.percentile
    return [f"{min(samples):.2f}", f"{p(samples, 50):.2f}", f"{p(samples, 95):.2f}"]


def time_page(client: Any, url: str, requests: int) -> tuple[list[float], set[int]]:
    statuses: set[int] = set()
    samples: list[float] = []
    for i in range(WARMUP + requests):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        if i >= WARMUP:
            samples.append(1000 * (time.perf_counter() - started))
        statuses.add(response.status_code)
    return samples, statuses


def log_in(client: Any, engine: Engine) -> None:
    with engine.connect() as conn:
        user_id, epoch = conn.execute(
            sa.select(User.id, User.session_epoch).where(User.username == queue_bench.EDITOR)
        ).one()
    with client.session_transaction() as session:
        session["user_id"] = user_id
        session["epoch"] = epoch


def run_size(args: argparse.Namespace, n: int) -> bool:
    store = queue_bench.Store(n, args.cache)
    record = queue_bench.archive(store, args.seed, args.rebuild, queue_sentences)
    path = store.path
    app = create_app(
        {
            "TESTING": True,
            "WORKBENCH_SETTINGS": Settings(
                instance_dir=args.cache / "instance",
                database_url=queue_bench.database_url(path),
                secret_key="x",
            ),
        }
    )
    engine: Engine = app.extensions["workbench.engine"]
    dressed = dress(engine, args.seed)
    queue_bench.warm_page_cache(path)
    client = app.test_client()
    log_in(client, engine)
    load_before = os.getloadavg()[0]
    pages = {}
    for name, url in (
        ("dashboard page (GET /)", "/"),
        ("dashboard JSON (GET /api/dashboard)", "/api/dashboard"),
        ("baseline: queue first page (GET /claims/)", "/claims/"),
    ):
        queue_bench.log(f"{n:,}: {name}")
        pages[name] = time_page(client, url, args.requests)
    queue_bench.log(f"{n:,}: the dashboard's statements")
    totals, statements = time_statements(engine, args.requests)
    load_after = os.getloadavg()[0]
    with read_session(engine) as session:
        board = dashboard(session)
    engine.dispose()

    p = queue_bench.percentile
    print(f"\nDASHBOARD SERVER TIME at {n:,} claims (Flask test client, in process, editor)")
    print(
        f"target: p95 < {TARGET_P95_MS:.0f} ms at {TARGET_SIZE:,} claims; {args.requests} timed "
        f"requests per case after {WARMUP} warm-up ones; Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}; 1-minute load average {load_before:.1f} -> "
        f"{load_after:.1f} on {os.cpu_count()} CPUs (above 1: other processes)"
    )
    built = record["timings"]["total"]
    print(
        f"archive: {path} ({queue_bench.file_bytes(path) / 1e6:,.0f} MB, built in {built:.0f} s"
        f"{', cached' if record['reused'] else ''}); dressed with "
        + ", ".join(f"{count:,} {what}" for what, count in dressed.items())
    )
    print(
        f"figures: {board.waiting.count:,}{'+' if board.waiting.more else ''} waiting, "
        f"{sum(d.came_in for d in board.days):,} in and {sum(d.checked for d in board.days):,} "
        f"checked in {len(board.days)} days, {len(board.held)} editors holding claims, "
        f"{board.unread_alerts:,} unread alerts, {board.repeats_this_week:,} repeats this week"
    )
    baseline = p(pages["baseline: queue first page (GET /claims/)"][0], 50)
    ok = True
    rows = []
    for name, (samples, statuses) in pages.items():
        mark = ""
        if statuses - {200}:
            mark = "HTTP " + ",".join(map(str, sorted(statuses)))
        elif n >= TARGET_SIZE and not name.startswith("baseline"):
            mark = "PASS" if p(samples, 95) < TARGET_P95_MS else "FAIL"
        ok = ok and mark in ("", "PASS")
        rows.append(
            [
                name,
                f"{min(samples):.1f}",
                f"{p(samples, 50):.1f}",
                f"{p(samples, 95):.1f}",
                f"{max(samples):.1f}",
                f"{p(samples, 50) / baseline:.2f}x",
                mark,
            ]
        )
    print()
    print(queue_bench.table(["case", "min", "p50", "p95", "max", "p50 x queue", "target"], rows))

    print(
        f"\nSTATEMENTS of one dashboard reading ({len(statements)}; ms over {args.requests} runs)"
    )
    rows = [["the whole reading (SQL and Python)", *spread(totals)]]
    rows += [[statement.label, *spread(statement.samples)] for statement in statements]
    print(queue_bench.table(["statement", "min", "p50", "p95"], rows))

    slowest = sorted(statements, key=lambda s: -p(s.samples, 95))[: args.explain_top]
    engine = queue_bench.make_engine(Settings(database_url=queue_bench.database_url(path)))
    for statement in slowest:
        sql = " ".join(statement.sql.split())
        shown = sql if len(sql) <= 700 else sql[:700] + "…"
        print(f"\n--- p95 {p(statement.samples, 95):.2f} ms: {shown}")
        plan = queue_bench.explain(engine, statement.sql, statement.parameters)
        for line in collapsed(plan):
            print("    PLAN " + line)
    engine.dispose()
    if n >= TARGET_SIZE:
        print(f"\nOVERALL at {n:,}: {'PASS' if ok else 'FAIL'} (p95 < {TARGET_P95_MS:.0f} ms)")
    return ok


def collapsed(lines: Sequence[str]) -> list[str]:
    """A plan with a run of the same line, or of the same two lines, shown once with its count
    (the thirty days' constant rows and their UNION ALLs)."""
    found: list[str] = []
    i = 0
    while i < len(lines):
        for size in (1, 2):
            block = list(lines[i : i + size])
            times = 1
            while list(lines[i + times * size : i + (times + 1) * size]) == block:
                times += 1
            if times > 1:
                found += block[:-1] + [f"{block[-1]}  (x{times})"]
                i += times * size
                break
        else:
            found.append(lines[i])
            i += 1
    return found


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[TARGET_SIZE])
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS, help="timed per case")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="archives kept here")
    parser.add_argument("--rebuild", action="store_true", help="build the archives again")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain-top", type=int, default=3, help="plans of the slowest")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ok = all([run_size(args, n) for n in sorted(args.sizes)])
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
