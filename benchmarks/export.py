"""Export speed and memory: CSV, JSON Lines and ClaimReview of 100,000 and 1,000,000 claims.

What it measures, and why
=========================

`workbench/export.py` promises that an export of the whole archive streams: rows are read in one
query and completed in batches, so memory stays flat however many claims match. Target: **at
least 50,000 claims/s for CSV, and peak memory under 300 MB at 1,000,000 claims** (2 cores).

1. **Build** (per size, untimed for the target): a migrated SQLite database filled with bulk
   inserts (`executemany`, not ingest): 10 claims an article, 40 outlets, a fifth of the claims
   with a verdict (and its audit event, which ClaimReview's datePublished reads), a tenth with 1-3
   pieces of evidence from a shared library of sources, and 5% in clusters of two. The full-text
   triggers are dropped first: they cost insert time only and the export never reads the index.
2. **Export**, each format in a fresh process (so its peak RSS is its own): the same call the CLI
   and the web download make (`export.export` over a read session, written to a file), timed
   wall-clock; claims/s is the matching claims read per second (ClaimReview reads every claim
   and writes the fifth with a verdict). The export runs in one thread with SQLite in-process, so
   claims per CPU-second (this process's CPU time) is also printed: it does not drop when other
   work shares the machine, as wall time does (the 1-minute load average is shown beside it).
   Peak RSS from getrusage, and the growth over the process's RSS before the export began
   (interpreter and imports), are both reported.
3. **tracemalloc** peak of Python allocations during a second export run per format (slower,
   so timed separately and not used for claims/s).

Run from the repository root: ``python benchmarks/export.py`` (about 5 minutes on 2 cores);
``--sizes 100000`` for a quick run; ``--strict`` exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from workbench import export  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, read_session  # noqa: E402
from workbench.review.queue import ClaimFilters  # noqa: E402

CLAIMS_PER_ARTICLE = 10
OUTLETS = 40
SOURCES = 500
TARGET_ROWS_PER_S = 50_000
TARGET_PEAK_MB = 300
PUBLISHER = export.Publisher("Bench Checks", "https://checks.example/", "https://checks.example")
WORDS = (
    "minister said talks would resume next week in Geneva after the ceasefire collapsed and "
    "officials reported that prices rose by 20 percent while the army denied any strike "
    "«цитата» 中文 مرحبا"
).split()
FTS_TRIGGERS = ("claim_fts_insert", "claim_fts_delete", "claim_fts_update")


def _stamp(moment: datetime) -> str:
    """How SQLModel's UTC datetime column stores a time on SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, claims: int, seed: int = 7) -> float:
    """A migrated database with `claims` claims; returns the seconds it took."""
    started = time.perf_counter()
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    migrate(engine)
    engine.dispose()
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    for trigger in FTS_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute(
        "INSERT INTO user_account (id, username, password_hash, role, is_active, session_epoch,"
        " created_at) VALUES (1, 'editor', 'x', 'editor', 1, 0, ?)",
        (_stamp(base),),
    )
    conn.executemany(
        "INSERT INTO source (id, url, title, publisher, kind, created_at) "
        "VALUES (?, ?, ?, ?, 'web', ?)",
        [
            (i, f"https://source{i}.example/doc", f"Source {i}", f"Publisher {i % 7}", _stamp(base))
            for i in range(1, SOURCES + 1)
        ],
    )
    articles = claims // CLAIMS_PER_ARTICLE
    batch = 20_000
    for first in range(1, articles + 1, batch):
        rows = []
        for a in range(first, min(articles, first + batch - 1) + 1):
            when = base + timedelta(minutes=a)
            rows.append(
                (
                    a,
                    f"Article {a}: {' '.join(rng.choices(WORDS, k=8))}",
                    f"https://outlet{a % OUTLETS}.example/news/{a}",
                    f"Outlet {a % OUTLETS}",
                    _stamp(when),
                    "x",
                    hashlib.sha256(str(a).encode()).hexdigest(),
                    "benchmark",
                    _stamp(when),
                )
            )
        conn.executemany(
            "INSERT INTO article (id, title, url, outlet, published_at, body, content_hash,"
            " origin, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    verdicts = ("supported", "refuted", "mixed", "unverifiable")
    cluster_id = 0
    for first in range(1, claims + 1, batch):
        claim_rows, evidence_rows, audit_rows, cluster_rows = [], [], [], []
        for c in range(first, min(claims, first + batch - 1) + 1):
            article = (c - 1) // CLAIMS_PER_ARTICLE + 1
            position = (c - 1) % CLAIMS_PER_ARTICLE
            text = " ".join(rng.choices(WORDS, k=rng.randint(8, 25)))
            if c % 97 == 0:
                text = '=SUM(A1) "quoted", with\na line break'
            when = _stamp(base + timedelta(minutes=article, seconds=position))
            verdict = verdicts[c % 4] if c % 5 == 0 else None
            cluster = None
            if c % 40 in (1, 2):  # 5%: pairs of neighbours
                if c % 40 == 1:
                    cluster_id += 1
                    cluster_rows.append((cluster_id, c, when))
                cluster = cluster_id
            claim_rows.append(
                (
                    c,
                    article,
                    position,
                    0,
                    len(text),
                    text,
                    text.lower(),
                    0.5,
                    0.5,
                    "verdict" if verdict else "new",
                    verdict,
                    "Summary of the evidence." if verdict else None,
                    cluster,
                    1 if verdict else None,
                    when,
                    when,
                )
            )
            if verdict:
                audit_rows.append((1, "claim.verdict", "claim", c, when))
            if c % 10 == 3:
                for k in range(rng.randint(1, 3)):
                    evidence_rows.append(
                        (
                            c,
                            rng.randint(1, SOURCES),
                            ("supports", "conflicts", "context")[k],
                            "A quote.",
                            when,
                            when,
                        )
                    )
        conn.executemany(
            "INSERT INTO cluster (id, canonical_claim_id, created_at) VALUES (?, ?, ?)",
            cluster_rows,
        )
        conn.executemany(
            "INSERT INTO claim (id, article_id, position, start_offset, end_offset, text,"
            " normalized_text, check_worthiness, priority, status, verdict, verdict_summary,"
            " cluster_id, updated_by_id, created_at, updated_at, repeat_count, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)",
            claim_rows,
        )
        conn.executemany(
            "INSERT INTO evidence (claim_id, source_id, stance, quote, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            evidence_rows,
        )
        conn.executemany(
            "INSERT INTO auditevent (actor_id, action, entity_type, entity_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            audit_rows,
        )
        conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(db: Path, format_name: str, traced: bool) -> dict[str, float]:
    """One export in this (fresh) process: seconds, claims read, bytes, memory."""
    engine = make_engine(Settings(database_url=f"sqlite:///{db}"))
    if traced:
        import tracemalloc

        tracemalloc.start()
    before = rss_mb()
    claims = 0

    def count(n: int) -> None:
        nonlocal claims
        claims += n

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"out.{format_name}"
        started, cpu = time.perf_counter(), time.process_time()
        with read_session(engine) as session, target.open("w", encoding="utf-8", newline="") as f:
            for chunk in export.export(
                session, format_name, ClaimFilters(), PUBLISHER, progress=count
            ):
                f.write(chunk)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = target.stat().st_size
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load": os.getloadavg()[0],
        "claims": claims,
        "bytes": size,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }
    if traced:
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return result


def in_fresh_process(db: Path, format_name: str, traced: bool) -> dict[str, float]:
    args = [sys.executable, __file__, "--measure", format_name, "--db", str(db)]
    if traced:
        args.append("--traced")
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--formats", default=",".join(export.FORMATS))
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(Path(options.db), options.measure, options.traced)))
        return 0

    missed = []
    print(
        f"Export benchmark, {os.cpu_count()} CPU(s); target CSV >= {TARGET_ROWS_PER_S:,} "
        f"claims/s and peak RSS < {TARGET_PEAK_MB} MB at 1,000,000 claims."
    )
    for size in (int(s) for s in options.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "bench.db"
            seconds = build(db, size)
            print(
                f"\n{size:,} claims: built in {seconds:.1f} s "
                f"({db.stat().st_size / 2**20:.0f} MB database)"
            )
            print(
                f"  {'format':<12} {'claims/s':>10} {'per CPU-s':>10} {'seconds':>8} {'load':>5} "
                f"{'output MB':>10} "
                f"{'peak RSS MB':>12} {'export RSS MB':>14} {'tracemalloc MB':>15}"
            )
            for format_name in options.formats.split(","):
                run = in_fresh_process(db, format_name, traced=False)
                traced = None if options.no_tracemalloc else in_fresh_process(db, format_name, True)
                rate = run["claims"] / run["seconds"]
                grown = run["peak_rss_mb"] - run["rss_before_mb"]
                peak_traced = f"{traced['tracemalloc_peak_mb']:.1f}" if traced else "-"
                print(
                    f"  {format_name:<12} {rate:>10,.0f} "
                    f"{run['claims'] / run['cpu_seconds']:>10,.0f} "
                    f"{run['seconds']:>8.1f} {run['load']:>5.1f} "
                    f"{run['bytes'] / 2**20:>10.1f} {run['peak_rss_mb']:>12.0f} "
                    f"{grown:>14.0f} {peak_traced:>15}",
                    flush=True,
                )
                assert run["claims"] == size, run
                if size >= 1_000_000 and run["peak_rss_mb"] >= TARGET_PEAK_MB:
                    missed.append(f"{format_name} peak RSS {run['peak_rss_mb']:.0f} MB")
                if format_name == "csv" and rate < TARGET_ROWS_PER_S:
                    missed.append(f"CSV at {size:,}: {rate:,.0f} claims/s")
    print("\nTarget " + ("missed: " + "; ".join(missed) if missed else "met."))
    return 1 if missed and options.strict else 0


if __name__ == "__main__":
    sys.exit(main())
