"""Review queue and claim page server time on large archives: p50/p95 per page at 10k-1M claims.

What it measures, and why
=========================

Editors live in the review queue and on claim pages, and the archive only grows, so both pages
have a target: **at 1,000,000 claims in SQLite, p95 server time under 100 ms** for the queue's
first page, its filtered pages, a later page reached by the cursor, and a claim page. Server
time is the time the Flask app takes to produce the whole HTML response (routing, log-in check,
every query, template rendering), measured in process with ``app.test_client()`` logged in as an
editor and ``time.perf_counter`` around each request; no network, no browser.

1. **Archive** per size (``--sizes``): a fresh database migrated to head, then bulk
   ``sa.insert(Article)`` / ``sa.insert(Claim)`` in transactions of ``CLAIMS_PER_TRANSACTION``
   with the migrations' FTS5 triggers on (the queue's text search reads ``claim_fts``). Claims
   are real news sentences (MSRP first and second sentences from ``../shared/data/paraphrase/``
   and the seed article) spliced two by two (the head of one, the tail of another), 40 to an
   article whose body is its claims joined by spaces (so offsets and the claim page's context
   are exact), 20 outlets. Status mix 90 % new / 7 % in review (each assigned to one of
   ``REVIEWERS`` editors) / 3 % with a verdict. About 0.4 % of claims start a group of 1-4
   near-copies (a word dropped) with duplicate suggestions (pending, confirmed or rejected);
   confirmed ones form clusters. ``repeat_count`` and ``priority`` are what
   ``workbench.review.priority`` gives for those suggestions; ``normalized_text`` is the real
   ``workbench.matching.normalize.normalize`` (two processes; about a minute at 1M).
   Archives are cached under ``--cache`` (default ``/tmp/wb-bench-queue``) and reused, since 1M
   takes several minutes to build; ``--rebuild`` starts over. A reused archive is migrated to
   head again first, so indexes added by new migrations are there.
2. **Pages**: each case is a list of URLs (several outlets, reviewers, words or claim ids, taken
   in turn), ``WARMUP`` untimed requests, then ``--requests`` timed ones (fewer, but at least
   ``MIN_REQUESTS``, once a case has taken ``--case-seconds``: a page that takes seconds shows it
   in ten requests). The database file is read once beforehand so it is in the OS page cache (a
   busy server's steady state); the 1-minute load average is printed, since other processes on
   the machine inflate p95 more than p50. Cases:
   the first page; status, outlet, assignee (a reviewer, and "none"), verdict and text filters
   (a rare-ish word in about 0.05 % of claims and a common one in about 5 %); later pages
   reached by following each page's "next" link (its ``after=`` cursor) from the first page,
   unfiltered and with a status filter; claim pages for random ids, for claims with duplicate
   suggestions or a cluster, and opened from an outlet-filtered queue (``?outlet=``, for the
   previous/next neighbours). Query arguments a page does not understand yet are ignored by it,
   so the same cases run while the pages grow more filters and panels.
3. **Baselines** in the same run, SQL only (no page): the first-page query as keyset paging runs
   it (``list_claims``), the same query paged with ``OFFSET`` half-way down the list, and the
   same page ordered by the unindexed ``check_worthiness``; their p50 over the keyset p50 is what
   the priority index and the cursor save.
4. **Diagnosis**: one more request per case with every SQL statement timed (SQLAlchemy cursor
   events). For a case over the target (or all, with ``--explain``) the slowest statements are
   printed with SQLite's ``EXPLAIN QUERY PLAN``.

Run from the repository root: ``python benchmarks/queue.py`` (all three sizes: about 15 minutes
on 2 cores, plus about 4 minutes the first time to build the 1M archive), ``--sizes 10000
100000`` for a quick run, ``--strict`` exits 1 when the target is missed.

PostgreSQL
==========

``--database postgresql+psycopg://user@host:port/db`` measures the same cases on that server too,
with the same target: each size's archive is a database of its own there
(``wb_bench_queue_<size>``, created through the server's URL), made by the real migrations and
filled by ``COPY`` with the GIN text index on, then vacuumed and analysed (see ``postgres.py``);
it is kept, with its build record as the database's comment, and reused like the SQLite archives
(``--rebuild`` rebuilds both). Before the pages, ``pg_prewarm`` reads the archive into shared
buffers. The baseline is SQLite at the same size, in the same run: a last table gives each
case's PostgreSQL p50 and p95 over SQLite's (``--skip-sqlite`` leaves SQLite out; the SQL
baselines above are then the run's own). Slow statements (all with ``--explain``) are shown with
``EXPLAIN (ANALYZE, BUFFERS)``, which runs them again, in a transaction rolled back.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import multiprocessing as mp
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import postgres  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from datasets import queue_sentences  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app import create_app  # noqa: E402
from workbench.accounts import users as accounts  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, read_session, write_session  # noqa: E402
from workbench.matching import text_index  # noqa: E402
from workbench.matching.normalize import STOPWORDS, normalize  # noqa: E402
from workbench.models import (  # noqa: E402
    Article,
    Claim,
    ClaimStatus,
    Cluster,
    DuplicateSuggestion,
    Role,
    User,
    Verdict,
    utcnow,
)
from workbench.review.priority import REPEAT_CAP, priority  # noqa: E402
from workbench.review.queue import ClaimFilters, claims_query, list_claims  # noqa: E402

DEFAULT_CACHE = Path("/tmp/wb-bench-queue")
BUILD_VERSION = 1  # bump when the archive's recipe changes, so cached archives are rebuilt

TARGET_SIZE = 1_000_000
TARGET_P95_MS = 100.0
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_REQUESTS = 60
BASELINE_REQUESTS = 15
WARMUP = 3
MIN_REQUESTS = 10
DEFAULT_CASE_BUDGET_S = 30.0
CURSOR_PAGES = 8  # later pages followed from the first one

# Build steps whose name says what the backend does (the SQLite names are those of its records).
CLAIM_INSERT = {
    "SQLite": "insert claims (FTS triggers on)",
    "PostgreSQL": "COPY claims (GIN index on)",
}
SETTLE = {"SQLite": "suggestions + checkpoint", "PostgreSQL": "suggestions + VACUUM ANALYZE"}

CLAIMS_PER_ARTICLE = 40
CLAIMS_PER_TRANSACTION = 20_000
OUTLETS = (
    "Associated Press",
    "Reuters",
    "BBC News",
    "The Guardian",
    "The New York Times",
    "The Washington Post",
    "Le Monde",
    "Der Spiegel",
    "El País",
    "Al Jazeera",
    "NPR",
    "Politico",
    "Bloomberg",
    "Financial Times",
    "The Times of India",
    "ABC News Australia",
    "CBC News",
    "The Irish Times",
    "Deutsche Welle",
    "Agence France-Presse",
)
STATUS_MIX = ((ClaimStatus.NEW, 0.90), (ClaimStatus.IN_REVIEW, 0.07), (ClaimStatus.VERDICT, 0.03))
REVIEWERS = 5
EDITOR = "bench-editor"
PASSWORD = "benchmark password"
GROUP_SHARE = 0.004  # claims that start a group of near-copies with duplicate suggestions
GROUP_COPIES = (1, 2, 3, 4)
SUGGESTION_STATES = (("pending", 0.7), ("confirmed", 0.2), ("rejected", 0.1))
RARE_SHARE = 0.0005  # of claims containing the rare-ish search word
COMMON_SHARE = 0.05
ARCHIVE_DAYS = 365


# --- The archive --------------------------------------------------------------------------------


def splice(words_a: list[str], words_b: list[str], rng: random.Random) -> str:
    """The head of one sentence and the tail of another: a new, plausible-looking claim."""
    cut_a = rng.randint(len(words_a) // 3, max(len(words_a) // 3, 2 * len(words_a) // 3))
    cut_b = rng.randint(len(words_b) // 3, max(len(words_b) // 3, 2 * len(words_b) // 3))
    text = " ".join(words_a[:cut_a] + words_b[cut_b:])
    return text if text.endswith((".", "?", "!", '"')) else text + "."


def near_copy(text: str, rng: random.Random) -> str:
    """The same claim as another outlet words it: one word dropped."""
    words = text.split()
    if len(words) > 6:
        del words[rng.randrange(1, len(words) - 1)]
    return " ".join(words)


def normalize_all(texts: Sequence[str]) -> list[str]:
    if len(texts) < 50_000:
        return [normalize(t) for t in texts]
    with mp.get_context("fork").Pool(2) as pool:
        return pool.map(normalize, texts, chunksize=5_000)


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


@dataclass
class Plan:
    """Everything about the claims except their articles, decided before anything is stored."""

    texts: list[str]
    worth: list[float]
    statuses: list[ClaimStatus]
    repeats: list[int]
    cluster_of: dict[int, int] = field(default_factory=dict)  # claim index -> cluster id
    clusters: list[tuple[int, int]] = field(default_factory=list)  # (cluster id, canonical index)
    suggestions: list[tuple[int, int, float, str]] = field(default_factory=list)


def plan_claims(n: int, sentences: list[str], rng: random.Random) -> Plan:
    split = [s.split() for s in sentences]
    texts = [splice(rng.choice(split), rng.choice(split), rng) for _ in range(n)]
    worth = [round(rng.betavariate(2, 3), 4) for _ in range(n)]  # ties, as real scores have
    statuses = [pick(rng, STATUS_MIX) for _ in range(n)]
    plan = Plan(texts, worth, statuses, [0] * n)
    used: set[int] = set()
    for _ in range(max(2, int(n * GROUP_SHARE))):
        canonical = rng.randrange(n // 2)
        copies = [rng.randrange(canonical + 1, n) for _ in range(rng.choice(GROUP_COPIES))]
        copies = sorted({c for c in copies if c not in used and c != canonical})
        if canonical in used or not copies:
            continue
        used.update(copies, [canonical])
        confirmed = []
        for copy in copies:
            texts[copy] = near_copy(texts[canonical], rng)
            state = pick(rng, SUGGESTION_STATES)
            plan.suggestions.append((copy, canonical, round(rng.uniform(60, 98), 1), state))
            if state != "rejected":
                plan.repeats[copy] += 1
                plan.repeats[canonical] += 1
            if state == "confirmed":
                confirmed.append(copy)
        if confirmed:
            cluster_id = len(plan.clusters) + 1
            plan.clusters.append((cluster_id, canonical))
            for member in [canonical, *confirmed]:
                plan.cluster_of[member] = cluster_id
    return plan


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def database_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass
class Store:
    """Where the archive of n claims lives: a SQLite file in the cache folder, or (with a
    server) a database of its own on PostgreSQL, filled by COPY (see postgres.py)."""

    n: int
    cache: Path
    server: str | None = None

    @property
    def backend(self) -> str:
        return "PostgreSQL" if self.server else "SQLite"

    @property
    def path(self) -> Path:
        return self.cache / f"claims-{self.n}.db"

    @property
    def pg_name(self) -> str:
        return f"wb_bench_queue_{self.n}"

    @property
    def url(self) -> str:
        if self.server:
            return postgres.database_url(self.server, self.pg_name)
        return database_url(self.path)

    @property
    def where(self) -> str:
        return f"database {self.pg_name}" if self.server else str(self.path)

    def record(self) -> dict[str, Any] | None:
        if self.server:
            return postgres.build_record(self.server, self.pg_name)
        record_path = self.cache / f"claims-{self.n}.json"
        record = json.loads(record_path.read_text()) if record_path.is_file() else None
        return record if record is not None and self.path.is_file() else None

    def forget(self) -> None:
        """A build that dies half-way is never reused."""
        if not self.server:
            (self.cache / f"claims-{self.n}.json").unlink(missing_ok=True)

    def save(self, record: dict[str, Any]) -> None:
        if self.server:
            postgres.save_record(self.server, self.pg_name, record)
        else:
            (self.cache / f"claims-{self.n}.json").write_text(json.dumps(record, indent=2))

    def fresh_engine(self) -> Engine:
        """An empty archive migrated to head."""
        if self.server:
            return postgres.fresh_database(self.server, self.pg_name)
        remove_database(self.path)
        engine = make_engine(Settings(database_url=self.url))
        migrate(engine)
        return engine

    def insert(self, engine: Engine, model: Any, rows: list[dict[str, Any]]) -> None:
        """One transaction of rows, with the search index on (FTS5 triggers or the GIN index)."""
        if self.server:
            postgres.copy_rows(engine, model.__table__, rows)
        else:
            with engine.begin() as conn:
                conn.execute(sa.insert(model), rows)

    def settle(self, engine: Engine) -> None:
        """The archive as a server that has been up would have it: SQLite's WAL checkpointed
        into the file; PostgreSQL's sequences past the copied ids, vacuumed and analysed."""
        if self.server:
            postgres.finish_build(engine, ["article", "claim", "cluster", "duplicatesuggestion"])
        else:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def size_bytes(self) -> int:
        if self.server:
            engine = make_engine(Settings(database_url=self.url))
            try:
                return postgres.database_bytes(engine)
            finally:
                engine.dispose()
        return file_bytes(self.path)

    def warm(self) -> str:
        if self.server:
            engine = make_engine(Settings(database_url=self.url))
            try:
                return postgres.prewarm(engine)
            finally:
                engine.dispose()
        warm_page_cache(self.path)
        return "file read into the OS page cache"

    def explain(self, engine: Engine, statement: str, parameters: Any) -> list[str]:
        if self.server:
            return postgres.explain_analyze(engine, statement, parameters)
        return explain(engine, statement, parameters)


def create_users(engine: Engine) -> tuple[int, list[int]]:
    """(editor id, reviewer ids): the benchmark's editor, and the editors claims are assigned to."""
    with write_session(engine) as session:
        editor = accounts.create_user(session, EDITOR, PASSWORD, Role.EDITOR).id
        reviewers = [
            accounts.create_user(session, f"bench-reviewer-{i}", PASSWORD, Role.EDITOR).id
            for i in range(1, REVIEWERS + 1)
        ]
        session.commit()
    assert editor is not None and all(r is not None for r in reviewers)
    return editor, reviewers  # type: ignore[return-value]


def build_archive(store: Store, sentences: list[str], seed: int) -> dict[str, Any]:
    """A migrated database with n claims; returns the build's timings for the cache's record."""
    n = store.n
    timings: dict[str, float] = {}
    started = time.perf_counter()
    engine = store.fresh_engine()
    _, reviewers = create_users(engine)
    timings["migrate + users"] = time.perf_counter() - started

    lap = time.perf_counter()
    rng = random.Random(seed * 1_000_003 + n)
    plan = plan_claims(n, sentences, rng)
    timings["generate"] = time.perf_counter() - lap
    lap = time.perf_counter()
    normalized = normalize_all(plan.texts)
    timings["normalize"] = time.perf_counter() - lap

    lap = time.perf_counter()
    now = utcnow()
    span = timedelta(days=ARCHIVE_DAYS) / max(n, 1)
    created = [now - (n - i) * span for i in range(n)]
    articles = -(-n // CLAIMS_PER_ARTICLE)
    for first in range(0, articles, CLAIMS_PER_TRANSACTION // CLAIMS_PER_ARTICLE):
        rows = []
        last = min(articles, first + CLAIMS_PER_TRANSACTION // CLAIMS_PER_ARTICLE)
        for a in range(first, last):
            lo, hi = a * CLAIMS_PER_ARTICLE, min(n, (a + 1) * CLAIMS_PER_ARTICLE)
            body = " ".join(plan.texts[lo:hi])
            rows.append(
                {
                    "id": a + 1,
                    "title": " ".join(plan.texts[lo].split()[:9]).rstrip(".,;:"),
                    "url": f"https://news.example/{a + 1}",
                    "outlet": OUTLETS[rng.randrange(len(OUTLETS))],
                    "published_at": created[lo] - timedelta(hours=2),
                    "body": body,
                    "content_hash": hashlib.sha256(body.encode()).hexdigest(),
                    "origin": "jsonl",
                    "ingested_at": created[lo],
                }
            )
        store.insert(engine, Article, rows)
    timings["insert articles"] = time.perf_counter() - lap

    lap = time.perf_counter()
    if plan.clusters:
        store.insert(
            engine,
            Cluster,
            [
                {"id": c, "canonical_claim_id": canonical + 1, "created_at": now}
                for c, canonical in plan.clusters
            ],
        )
    verdicts = list(Verdict)
    for first in range(0, n, CLAIMS_PER_TRANSACTION):
        rows = []
        offset = 0
        for i in range(first, min(n, first + CLAIMS_PER_TRANSACTION)):
            position = i % CLAIMS_PER_ARTICLE
            offset = offset if position else 0
            text, status = plan.texts[i], plan.statuses[i]
            in_review = status == ClaimStatus.IN_REVIEW
            has_verdict = status == ClaimStatus.VERDICT
            changed = created[i] + timedelta(hours=rng.randint(1, 72)) if status != "new" else None
            rows.append(
                {
                    "id": i + 1,
                    "article_id": i // CLAIMS_PER_ARTICLE + 1,
                    "position": position,
                    "start_offset": offset,
                    "end_offset": offset + len(text),
                    "text": text,
                    "normalized_text": normalized[i],
                    "check_worthiness": plan.worth[i],
                    "repeat_count": plan.repeats[i],
                    "priority": priority(plan.worth[i], plan.repeats[i]),
                    "status": status.value,
                    "verdict": verdicts[i % len(verdicts)].value if has_verdict else None,
                    "verdict_summary": "Checked against the primary source."
                    if has_verdict
                    else None,
                    "assignee_id": reviewers[i % REVIEWERS] if in_review else None,
                    "assigned_at": changed if in_review else None,
                    "cluster_id": plan.cluster_of.get(i),
                    "version": 1 if changed is None else 2,
                    "created_at": created[i],
                    "updated_at": changed or created[i],
                }
            )
            offset += len(text) + 1
        store.insert(engine, Claim, rows)
    timings[CLAIM_INSERT[store.backend]] = time.perf_counter() - lap

    lap = time.perf_counter()
    if plan.suggestions:
        store.insert(
            engine,
            DuplicateSuggestion,
            [
                {
                    "claim_id": copy + 1,
                    "candidate_id": canonical + 1,
                    "score": score,
                    "method": "benchmark",
                    "state": state,
                    "created_at": created[copy],
                    "decided_at": None if state == "pending" else created[copy],
                }
                for copy, canonical, score, state in plan.suggestions
            ],
        )
    store.settle(engine)
    engine.dispose()
    timings[SETTLE[store.backend]] = time.perf_counter() - lap
    timings["total"] = time.perf_counter() - started
    return {
        "version": BUILD_VERSION,
        "claims": n,
        "seed": seed,
        "timings": timings,
        "suggestions": len(plan.suggestions),
        "clusters": len(plan.clusters),
        "capped_repeats": sum(r > REPEAT_CAP for r in plan.repeats),
    }


def archive(
    store: Store, seed: int, rebuild: bool, sentences: Callable[[], list[str]]
) -> dict[str, Any]:
    """The build record of the cached archive, built first when missing or stale."""
    store.cache.mkdir(parents=True, exist_ok=True)
    n = store.n
    record = store.record()
    fresh = (
        record is not None and record.get("version") == BUILD_VERSION and record.get("seed") == seed
    )
    if rebuild or not fresh:
        store.forget()
        log(f"building {n:,} claims into {store.where} ...")
        record = build_archive(store, sentences(), seed)
        store.save(record)
        record["reused"] = False
    else:
        assert record is not None
        log(
            f"reusing {store.where} (built in {record['timings']['total']:.0f} s; "
            "--rebuild rebuilds)"
        )
        record["reused"] = True
    lap = time.perf_counter()
    engine = make_engine(Settings(database_url=store.url))
    migrate(engine)  # a newer migration (an index, say) applies to the cached archive too
    if not store.server:
        store.settle(engine)
    engine.dispose()
    record["migrate_s"] = time.perf_counter() - lap
    return record


def file_bytes(path: Path) -> int:
    return sum(
        Path(f"{path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )


def warm_page_cache(path: Path) -> None:
    """Read the database once, so timings are of a server whose data is in memory."""
    with path.open("rb") as handle:
        while handle.read(16 * 1024 * 1024):
            pass


# --- Cases --------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    urls: list[str]
    note: str = ""
    samples: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    statements: list[tuple[float, str, Any]] = field(default_factory=list)

    def p(self, q: int) -> float:
        return percentile(self.samples, q)


def percentile(values: Sequence[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


_HREF = re.compile(r"<a\b[^>]*\bhref=\"([^\"]*)\"[^>]*>", re.IGNORECASE)


def next_link(page: str) -> str | None:
    """The page's "next" link: an anchor with rel=next, else any link carrying an after= cursor."""
    anchors = [(m.group(0), html.unescape(m.group(1))) for m in _HREF.finditer(page)]
    for tag, href in anchors:
        if re.search(r"\brel=\"[^\"]*\bnext\b", tag) and "after=" in href:
            return href
    for _tag, href in anchors:
        if re.search(r"[?&]after=", href):
            return href
    return None


def follow_cursor(
    client: FlaskClient, start: str, engine: Engine, filters: ClaimFilters, pages: int
) -> tuple[list[str], str]:
    """URLs of the `pages` pages after `start`, following each page's next link; (urls, note).

    Falls back to the cursors list_claims gives when the page shows no next link (the pager is
    being rebuilt), so the case still measures a deep keyset page.
    """
    urls, url = [], start
    for _ in range(pages):
        found = next_link(client.get(url).get_data(as_text=True))
        if found is None:
            break
        parts = urlsplit(found)
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        urls.append(url)
    if len(urls) == pages:
        return urls, "next links"
    urls, after = [], None
    base = start + ("&" if "?" in start else "?")
    with read_session(engine) as session:
        for _ in range(pages):
            after = list_claims(session, filters, after=after).next_cursor
            if after is None:
                break
            urls.append(f"{base}after={quote(after)}")
    return urls, "cursors from list_claims (no next link in the page)"


@dataclass
class Facts:
    """What the cases need to know about an archive, read from it."""

    editor_id: int
    editor_epoch: int
    reviewers: list[int]
    outlets: list[str]
    rare_words: list[str]
    common_words: list[str]
    random_ids: list[int]
    duplicate_ids: list[int]
    outlet_claims: list[tuple[int, str]]


# PostgreSQL's document counts of the words its text index holds (ts_stat reads every claim).
PG_VOCABULARY = (
    f"SELECT word, ndoc FROM ts_stat($$SELECT {text_index.PG_VECTOR} FROM claim$$) "
    "WHERE length(word) >= 5 ORDER BY abs(ndoc - %(doc)s), word"
)


def words_near(conn: sa.Connection, share: float, n: int, count: int) -> list[str]:
    """Content words in about `share` of the claims: the search index's own document counts."""
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(PG_VOCABULARY, {"doc": max(2.0, share * n)})
    else:
        rows = conn.exec_driver_sql(
            "SELECT term, doc FROM claim_fts_vocab WHERE length(term) >= 5 "
            "ORDER BY abs(doc - ?), term",
            (max(2.0, share * n),),
        )
    words = []
    for term, _doc in rows:
        if term.isalpha() and term not in STOPWORDS:
            words.append(term)
            if len(words) == count:
                break
    return words


def read_facts(engine: Engine, n: int, rng: random.Random) -> Facts:
    with engine.connect() as conn:
        editor_id, epoch = conn.execute(
            sa.select(User.id, User.session_epoch).where(User.username == EDITOR)
        ).one()
        reviewers = list(
            conn.execute(
                sa.select(User.id).where(User.username.like("bench-reviewer-%")).order_by(User.id)
            ).scalars()
        )
        duplicate_ids = list(
            conn.execute(
                sa.select(DuplicateSuggestion.claim_id)
                .union(sa.select(Claim.id).where(Claim.cluster_id.is_not(None)))
                .limit(5_000)
            ).scalars()
        )
        random_ids = [rng.randint(1, n) for _ in range(500)]
        outlet_claims = [
            (claim_id, outlet)
            for claim_id, outlet in conn.execute(
                sa.select(Claim.id, Article.outlet)
                .join(Article, Claim.article_id == Article.id)
                .where(Claim.id.in_(random_ids[:100]))
            )
        ]
        facts = Facts(
            editor_id=editor_id,
            editor_epoch=epoch,
            reviewers=reviewers,
            outlets=list(OUTLETS[:: len(OUTLETS) // 5]),
            rare_words=words_near(conn, RARE_SHARE, n, 5),
            common_words=words_near(conn, COMMON_SHARE, n, 3),
            random_ids=random_ids,
            duplicate_ids=rng.sample(duplicate_ids, min(200, len(duplicate_ids))),
            outlet_claims=outlet_claims,
        )
    return facts


def make_cases(facts: Facts, client: FlaskClient, engine: Engine) -> list[Case]:
    q = quote
    cases = [
        Case("queue: first page", ["/claims/"]),
        Case("queue: status=in_review", ["/claims/?status=in_review"]),
        Case("queue: status=verdict", ["/claims/?status=verdict"]),
        Case("queue: verdict=refuted", ["/claims/?verdict=refuted"]),
        Case("queue: outlet=<one of 5>", [f"/claims/?outlet={q(o)}" for o in facts.outlets]),
        Case("queue: assignee=<reviewer>", [f"/claims/?assignee={r}" for r in facts.reviewers]),
        Case("queue: assignee=none", ["/claims/?assignee=none"]),
        Case(
            "queue: text=<rare word>",
            [f"/claims/?text={q(w)}" for w in facts.rare_words],
            note="words: " + ", ".join(facts.rare_words),
        ),
        Case(
            "queue: text=<common word>",
            [f"/claims/?text={q(w)}" for w in facts.common_words],
            note="words: " + ", ".join(facts.common_words),
        ),
        Case(
            "queue: status=new&outlet=<one of 5>",
            [f"/claims/?status=new&outlet={q(o)}" for o in facts.outlets],
        ),
    ]
    urls, how = follow_cursor(client, "/claims/", engine, ClaimFilters(), CURSOR_PAGES)
    cases.append(Case(f"queue: pages 2-{len(urls) + 1} by cursor", urls, note=how))
    start = "/claims/?status=in_review"
    filters = ClaimFilters(status=ClaimStatus.IN_REVIEW)
    urls, how = follow_cursor(client, start, engine, filters, CURSOR_PAGES)
    cases.append(Case(f"queue: in_review pages 2-{len(urls) + 1}", urls, note=how))
    cases += [
        Case("claim page: random id", [f"/claims/{i}" for i in facts.random_ids]),
        Case(
            "claim page: with duplicates/cluster",
            [f"/claims/{i}" for i in facts.duplicate_ids],
        ),
        Case(
            "claim page: from ?outlet= queue",
            [f"/claims/{i}?outlet={q(o)}" for i, o in facts.outlet_claims],
        ),
    ]
    return [c for c in cases if c.urls]


def log_in(client: FlaskClient, facts: Facts) -> None:
    """The session an editor's log-in leaves (the log-in form is not what is measured)."""
    with client.session_transaction() as session:
        session["user_id"] = facts.editor_id
        session["epoch"] = facts.editor_epoch


def run_case(
    client: FlaskClient, engine: Engine, case: Case, requests: int, budget_s: float
) -> None:
    """Time `requests` requests, or fewer (at least MIN_REQUESTS) once `budget_s` is spent: a
    case that takes seconds a request says so in ten requests as well as in a hundred."""
    for i in range(WARMUP):
        client.get(case.urls[i % len(case.urls)])
    deadline = time.perf_counter() + budget_s
    for i in range(requests):
        if i >= MIN_REQUESTS and time.perf_counter() > deadline:
            break
        url = case.urls[i % len(case.urls)]
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        case.samples.append(1000 * (time.perf_counter() - started))
        case.statuses.add(response.status_code)
    with postgres.statements_timed(engine) as found:
        client.get(case.urls[0])
    case.statements = sorted(found, key=lambda s: -s[0])


# --- Baselines: the first page's SQL, keyset vs OFFSET vs an unindexed order --------------------


def time_sql(engine: Engine, run: Callable[[Any], Any], requests: int) -> list[float]:
    samples = []
    with read_session(engine) as session:
        for i in range(WARMUP + requests):
            started = time.perf_counter()
            run(session)
            if i >= WARMUP:
                samples.append(1000 * (time.perf_counter() - started))
            session.rollback()
    return samples


def baselines(engine: Engine, n: int, requests: int) -> list[tuple[str, list[float]]]:
    def keyset(session: Any) -> None:
        list_claims(session, ClaimFilters())

    def offset(session: Any) -> None:
        statement = claims_query(session, ClaimFilters()).limit(51).offset(n // 2)
        session.execute(statement).all()

    def unindexed(session: Any) -> None:
        statement = (
            claims_query(session, ClaimFilters())
            .order_by(None)
            .order_by(Claim.check_worthiness.desc(), Claim.id.desc())
            .limit(51)
        )
        session.execute(statement).all()

    return [
        ("first page SQL, keyset (list_claims)", time_sql(engine, keyset, requests)),
        (f"same query, OFFSET {n // 2:,}", time_sql(engine, offset, requests)),
        ("same page, ORDER BY check_worthiness (no index)", time_sql(engine, unindexed, requests)),
    ]


# --- Run and report -----------------------------------------------------------------------------


@dataclass
class SizeResult:
    n: int
    store: Store
    record: dict[str, Any]
    db_bytes: int
    cases: list[Case]
    baselines: list[tuple[str, list[float]]]
    load: tuple[float, float]  # 1-minute load average before and after the requests
    warmed: str = ""
    server: str = ""  # PostgreSQL's version and settings


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def run_size(
    args: argparse.Namespace, store: Store, sentences: Callable[[], list[str]]
) -> SizeResult:
    n = store.n
    record = archive(store, args.seed, args.rebuild, sentences)
    warmed = store.warm()
    app: Flask = create_app(
        {
            "TESTING": True,
            "WORKBENCH_SETTINGS": Settings(
                instance_dir=args.cache / "instance",
                database_url=store.url,
                secret_key="x",
            ),
        }
    )
    engine: Engine = app.extensions["workbench.engine"]
    facts = read_facts(engine, n, random.Random(args.seed))
    client = app.test_client()
    log_in(client, facts)
    probe = client.get("/claims/")
    if probe.status_code != 200:
        raise SystemExit(f"/claims/ answered {probe.status_code}: the log-in did not take")
    cases = make_cases(facts, client, engine)
    load_before = os.getloadavg()[0]
    for case in cases:
        log(f"{n:,} {store.backend}: {case.name} ({len(case.urls)} URLs)")
        run_case(client, engine, case, args.requests, args.case_seconds)
    base = baselines(engine, n, min(args.requests, BASELINE_REQUESTS))
    engine.dispose()
    load = (load_before, os.getloadavg()[0])
    server = ""
    if store.server:
        engine = make_engine(Settings(database_url=store.url))
        server = postgres.server_description(engine)
        engine.dispose()
    return SizeResult(n, store, record, store.size_bytes(), cases, base, load, warmed, server)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(c) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def verdict(result: SizeResult, case: Case) -> str:
    if case.statuses - {200}:
        return "HTTP " + ",".join(map(str, sorted(case.statuses)))
    if result.n < TARGET_SIZE:
        return ""
    return "PASS" if case.p(95) < TARGET_P95_MS else "FAIL"


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def print_report(args: argparse.Namespace, results: list[SizeResult]) -> bool:
    mixed = len({r.store.backend for r in results}) > 1

    def label(r: SizeResult) -> str:
        """Results are named by size; by size and database when both databases ran."""
        return f"{r.n:,} {r.store.backend}" if mixed else f"{r.n:,}"

    print("\nQUEUE AND CLAIM PAGE SERVER TIME (Flask test client, in process, editor logged in)")
    print(
        f"target: p95 < {TARGET_P95_MS:.0f} ms at {TARGET_SIZE:,} claims; up to {args.requests} "
        f"timed requests per case (n; fewer once a case has taken {args.case_seconds:.0f} s) "
        f"after {WARMUP} warm-up ones; Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    for server in dict.fromkeys(r.server for r in results if r.server):
        print(server)
    print("\nARCHIVES")
    rows = []
    for r in results:
        t = r.record["timings"]
        rows.append(
            [
                label(r),
                f"{t['total']:.1f}" + (" (cached)" if r.record["reused"] else ""),
                f"{t['normalize']:.1f}",
                f"{t[CLAIM_INSERT[r.store.backend]]:.1f}",
                f"{r.db_bytes / 1e6:,.1f}",
                f"{r.record['suggestions']:,} / {r.record['clusters']:,}",
                f"{r.record['migrate_s']:.1f}",
            ]
        )
    headers = ["claims", "build s", "normalize s", "claim insert s", "DB MB"]
    headers += ["suggestions / clusters", "migrate on open s"]
    print(table(headers, rows))
    if mixed:
        print(
            "claim insert: SQLite executemany with the FTS5 triggers on; PostgreSQL COPY with "
            "the GIN index on, then VACUUM ANALYZE (in build s)"
        )

    ok: dict[str, bool] = {}
    for r in results:
        print(
            f"\nPAGES at {label(r)} claims (ms; 1-minute load average {r.load[0]:.1f} -> "
            f"{r.load[1]:.1f} on {os.cpu_count()} CPUs: anything above 1 is other processes)"
        )
        if r.store.server:
            print(r.warmed)
        rows = []
        for case in r.cases:
            mark = verdict(r, case)
            ok[r.store.backend] = ok.get(r.store.backend, True) and mark in ("", "PASS")
            rows.append(
                [
                    case.name,
                    str(len(case.samples)),
                    f"{case.p(50):.1f}",
                    f"{case.p(95):.1f}",
                    f"{max(case.samples):.1f}",
                    f"{sum(s[0] for s in case.statements):.1f}",
                    str(len(case.statements)),
                    mark,
                ]
            )
        headers = ["case", "n", "p50", "p95", "max", "SQL ms (1 req)", "queries", "target"]
        print(table(headers, rows))
        for case in r.cases:
            if case.note:
                print(f"  {case.name}: {case.note}")
        keyset = percentile(r.baselines[0][1], 50)
        rows = [
            [
                name,
                f"{percentile(s, 50):.2f}",
                f"{percentile(s, 95):.2f}",
                f"{percentile(s, 50) / keyset:,.1f}x",
            ]
            for name, s in r.baselines
        ]
        print(f"\nBASELINES at {label(r)} claims: SQL only, same run (ms; ratio of p50 to keyset)")
        print(table(["query", "p50", "p95", "x keyset"], rows))
        first = next((c for c in r.cases if c.name == "queue: first page"), None)
        if first is not None:
            print(
                f"whole first page p50 / its keyset SQL p50: {first.p(50) / keyset:,.1f}x "
                "(the rest is Flask, the log-in check, the other queries and the template)"
            )
    if mixed:
        print_comparison(results)

    for r in results:
        slow = [
            c for c in r.cases if args.explain or (r.n >= TARGET_SIZE and verdict(r, c) == "FAIL")
        ]
        engine = make_engine(Settings(database_url=r.store.url))
        how = "EXPLAIN (ANALYZE, BUFFERS)" if r.store.server else "EXPLAIN QUERY PLAN"
        for case in slow:
            print(f"\nSLOWEST STATEMENTS of '{case.name}' at {label(r)} ({case.urls[0]}; {how})")
            for ms, statement, parameters in case.statements[: args.explain_top]:
                print(f"--- {ms:.1f} ms, parameters {parameters!r}")
                print("    " + " ".join(statement.split()))
                for line in r.store.explain(engine, statement, parameters):
                    print("    PLAN " + line)
        engine.dispose()
    if any(r.n >= TARGET_SIZE for r in results):
        for backend, passed in ok.items():
            outcome = "PASS" if passed else "FAIL"
            on = f" on {backend}" if mixed else ""
            print(
                f"\nOVERALL at {TARGET_SIZE:,}{on}: {outcome} (p95 < {TARGET_P95_MS:.0f} ms, "
                "every case)"
            )
    return all(ok.values())


def print_comparison(results: list[SizeResult]) -> None:
    """PostgreSQL's p50 and p95 per case over SQLite's at the same size, measured in the same run
    (the same archive recipe and seed, the same URLs)."""
    for n in dict.fromkeys(r.n for r in results):
        lite = next((r for r in results if r.n == n and not r.store.server), None)
        pg = next((r for r in results if r.n == n and r.store.server), None)
        if lite is None or pg is None:
            continue
        print(f"\nPOSTGRESQL / SQLITE at {n:,} claims (same run; ms, and PostgreSQL over SQLite)")
        baseline = {case.name: case for case in lite.cases}
        rows = []
        for case in pg.cases:
            base = baseline.get(case.name)
            if base is None:
                continue
            rows.append(
                [
                    case.name,
                    f"{base.p(50):.1f}",
                    f"{base.p(95):.1f}",
                    f"{case.p(50):.1f}",
                    f"{case.p(95):.1f}",
                    f"{case.p(50) / base.p(50):.2f}x",
                    f"{case.p(95) / base.p(95):.2f}x",
                ]
            )
        headers = ["case", "SQLite p50", "SQLite p95", "PG p50", "PG p95", "x p50", "x p95"]
        print(table(headers, rows))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS, help="timed per case")
    parser.add_argument(
        "--case-seconds",
        type=float,
        default=DEFAULT_CASE_BUDGET_S,
        help=f"stop a case after this many seconds (but not before {MIN_REQUESTS} requests)",
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="archives kept here")
    parser.add_argument("--rebuild", action="store_true", help="build the archives again")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="query plans for every case")
    parser.add_argument("--explain-top", type=int, default=2, help="statements shown per case")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="also measure on this PostgreSQL server (postgresql+psycopg://user@host:port/db): "
        "each size gets a database of its own there, wb_bench_queue_<size>, kept and reused "
        "like the SQLite archives",
    )
    parser.add_argument(
        "--skip-sqlite",
        action="store_true",
        help="with --database, PostgreSQL only (no SQLite figures to compare with)",
    )
    args = parser.parse_args(argv)
    if args.database and not postgres.is_postgres(args.database):
        parser.error("--database: a postgresql+psycopg:// URL")
    if args.skip_sqlite and not args.database:
        parser.error("--skip-sqlite: only with --database")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    loaded: list[list[str]] = []

    def sentences() -> list[str]:
        if not loaded:
            loaded.append(queue_sentences())
        return loaded[0]

    stores = []
    for n in sorted(args.sizes):
        if not args.skip_sqlite:
            stores.append(Store(n, args.cache))
        if args.database:
            stores.append(Store(n, args.cache, args.database))
    results = [run_size(args, store, sentences) for store in stores]
    ok = print_report(args, results)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
