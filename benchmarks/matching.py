"""Similar-claims search at scale: build cost, latency, and recall against an exact full scan.

What it measures, and why
=========================

Editors ask "has this been checked before?" against the whole archive, so the similar-claims
search (``similar.find_similar``: FTS5 candidates, then ``matching.scores`` on each) has a target:
**at 1,000,000 claims, p95 latency at most 50 ms on a 2-core machine and recall@10 at least 0.95**
against the exact top 10 of the same scorer over every claim; and the index must stay affordable
to build and store. Per archive size (``--sizes``), in a fresh process (its peak RSS is its own):

1. **Claims**: real news sentences (MSRP first sentences from ``../shared/data/paraphrase/``, the
   seed article; ``datasets.matching_corpus``), then deterministic perturbations of them
   (``--seed``: words dropped, swapped or doubled, numbers and synonyms changed, clauses
   appended, sentences spliced), so the archive is full of near-duplicates as a news archive is;
   ``--title-share`` of them have a title.
2. **Build**: ``normalize`` (``--workers`` processes), then bulk inserts with the migrations' FTS5
   triggers; the same rows again into a database without the triggers, for the index overhead
   ratio (claim insert time with the index / without). Database and FTS sizes, peak RSS.
3. **Latency** of the real ``find_similar(session, text, limit=10)``, one read session per query,
   database in the page cache, wall and CPU time (this thread's, SQLite included: other processes
   do not inflate it). Queries are never archive rows: MSRP second sentences and fresh
   perturbations. A second pass calls the public pieces find_similar is made of one by one
   (``load_aliases``, ``normalize``, ``similar._prepare``, ``similar._candidates``: the index's
   ranked matches joined to their rows, ``similar.best_ranked``: a bound on every candidate, then
   the full score of those that can still place, loading the results) to show where the time
   goes, and checks that they give find_similar's top 10.
4. **Recall** on the first ``--brute-queries`` queries: the exact top 10 over every claim with
   ``matching.scores``, the same normalised query and idf (``similar._prepare``), ordered as
   find_similar orders, by (-score, -duplicate score, id). Scoring 1M claims in Python takes a
   minute, so the exact top 10 comes from a pruned scan: a numpy upper bound of every claim's
   similarity (overlap, length and title features exact, text fuzz ratios at their best), then
   the real scorer in descending bound order until the bound cannot reach the 10th score. It is
   exact, and checked against naive full scans (``scores`` on every claim) of the first queries
   (``--scan-budget`` seconds per size), whose time over find_similar's is the speed-up.

The 1-minute load average is sampled throughout (this benchmark keeps about one core busy).
Run from the repository root: ``python benchmarks/matching.py`` (about 6 minutes on 2 cores);
``--sizes 10000,100000`` for a quick run; ``--strict`` exits 1 when the target is missed.

PostgreSQL
==========

``--database postgresql+psycopg://user@host:port/db`` runs every size on that server too, after
SQLite, with the same claims, queries and target: the archive is a database of its own there
(``wb_bench_matching_<size>``), made by the real migrations (so the text index is the GIN index
they make) and filled by ``COPY`` with the index on, then vacuumed and analysed; the index-less
copy for the overhead ratio has the migrations' index dropped. ``pg_prewarm`` reads it into shared
buffers before the queries. The baseline is SQLite at the same size in the same run (a table of
PostgreSQL's p50 and p95 over SQLite's), besides the naive scans of each; ``--skip-sqlite`` leaves
SQLite out. The slowest query's slowest statements are shown with ``EXPLAIN (ANALYZE, BUFFERS)``.
The database is dropped afterwards, unless ``--pg-cache``: then it is kept (its build record as
the database's comment) and reused by the next run of the same seed and title share, migrated
to head first, so a second run does not build a million claims again. CPU ms are the benchmark
process's only; the server's work shows in wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import math
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402
import postgres  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from datasets import MatchingCorpus, matching_corpus  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import select  # noqa: E402

from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, read_session  # noqa: E402
from workbench.matching import similar  # noqa: E402
from workbench.matching import text_index as search_index  # noqa: E402
from workbench.matching.aliases import load_aliases  # noqa: E402
from workbench.matching.normalize import (  # noqa: E402
    FEATURE_COUNT,
    SIMILARITY_MODEL,
    Idf,
    content_words,
    normalize,
)
from workbench.matching.social import clean_post  # noqa: E402
from workbench.models import Article, Claim, utcnow  # noqa: E402

TARGET_SIZE = 1_000_000
TARGET_P95_MS = 50.0
TARGET_RECALL = 0.95
TOP = 10  # find_similar(limit=10)

CLAIMS_PER_ARTICLE = 20
CLAIMS_PER_TRANSACTION = 20_000
WARMUP_QUERIES = 5
PARAPHRASE_SHARE = 0.75  # of the queries; the rest are fresh perturbations
FTS_TRIGGERS = ("claim_fts_insert", "claim_fts_delete", "claim_fts_update")
MIN_NAIVE_SCANS = 2
SCAN_CHUNK = 256  # claims scored exactly between two checks of the pruning bound
Z_EPS = 1e-6  # slack on the numpy bound for float summation order
# A similarity of 50 or more: more likely than not what the query is about. On a small archive the
# exact top 10 is mostly unrelated claims scoring near 0, in an order no index can be expected to
# reproduce, so recall is also given for the exact top-10 claims scoring at least this.
LIKELY = 50.0

Ranked = list[tuple[int, float]]  # (claim id, ranking score), best first


def rank_key(item: tuple[int, float]) -> tuple[float, int]:
    """find_similar's order of the candidates: ranking score, then the older claim. (Among the
    10 shown, a duplicate then moves up to its duplicate score: the same 10 claims.)"""
    return (-item[1], item[0])


def score_of(normalized: str, text: str, title: str | None, idf: Idf) -> float:
    """similar.ranking_score for a query given by its normalised text."""
    return similar.ranking_score(normalized, text, title, idf, similar.query_keywords(normalized))


# --- Claims and queries -------------------------------------------------------------------------


# Small, news-flavoured; both directions are used.
_SYNONYM_PAIRS = (
    "said/stated, says/states, big/large, rise/increase, rose/climbed, fell/dropped, cut/reduce, "
    "buy/purchase, company/firm, police/officers, killed/slain, government/administration, "
    "shares/stock, profit/earnings, plan/proposal, help/assist, start/begin, show/indicate, "
    "about/around, nearly/almost, officials/authorities, children/kids, car/vehicle, "
    "percent/per cent, quarter/three months, week/seven days, agreed/consented, "
    "lawmakers/legislators, attack/assault, prices/costs"
)
_PAIRS = [pair.split("/") for pair in _SYNONYM_PAIRS.split(", ")]
SYNONYM = {a: b for a, b in _PAIRS} | {b: a for a, b in _PAIRS if " " not in b}
_CORE = re.compile(r"^(\W*)(.*?)(\W*)$")
_DIGITS = re.compile(r"\d+")
_END = ".!?\"'"


class Perturber:
    """Deterministic edits of real sentences: the near-duplicates a news archive is full of."""

    def __init__(self, pool: Sequence[str], rng: random.Random) -> None:
        self.pool, self.rng = pool, rng
        self.ops = [self.drop, self.swap, self.double, self.number, self.synonym]
        self.ops += [self.append_clause, self.splice]
        self.weights = [3, 2, 1, 2, 3, 2, 1]

    def variant(self, base: str, changes: int | None = None) -> str:
        words = base.split()
        for _ in range(changes or 1 + (self.rng.random() < 0.5)):
            words = self.rng.choices(self.ops, self.weights)[0](words)
        text = " ".join(words)
        return self.cosmetic(text) if self.rng.random() < 0.3 else text

    def drop(self, words: list[str]) -> list[str]:
        if len(words) <= 5:
            return self.swap(words)
        i = self.rng.randrange(1, len(words))
        return words[:i] + words[i + 1 :]

    def swap(self, words: list[str]) -> list[str]:
        if len(words) < 3:
            return words
        i = self.rng.randrange(len(words) - 1)
        return words[:i] + [words[i + 1], words[i]] + words[i + 2 :]

    def double(self, words: list[str]) -> list[str]:
        i = self.rng.randrange(len(words))
        return words[: i + 1] + [words[i].strip(",;:")] + words[i + 1 :]

    def number(self, words: list[str]) -> list[str]:
        found = [i for i, w in enumerate(words) if _DIGITS.search(w)]
        if not found:
            return self.drop(words)
        i = self.rng.choice(found)
        step = self.rng.choice((-3, -2, -1, 1, 2, 5, 10, 100))
        new = _DIGITS.sub(lambda m: str(max(0, int(m.group(0)) + step)), words[i], count=1)
        return words[:i] + [new] + words[i + 1 :]

    def synonym(self, words: list[str]) -> list[str]:
        found = [
            (i, m)
            for i, w in enumerate(words)
            if (m := _CORE.match(w)) and m.group(2).lower() in SYNONYM
        ]
        if not found:
            return self.drop(words)
        i, match = self.rng.choice(found)
        lead, core, tail = match.groups()
        other = SYNONYM[core.lower()]
        if core[:1].isupper():
            other = other[:1].upper() + other[1:]
        return words[:i] + f"{lead}{other}{tail}".split() + words[i + 1 :]

    def append_clause(self, words: list[str]) -> list[str]:
        other = self.rng.choice(self.pool).rstrip(_END)
        clauses = [c.split() for c in other.split(", ")[1:] if 3 <= len(c.split()) <= 10]
        clause = list(
            self.rng.choice(clauses) if clauses else other.split()[-self.rng.randint(4, 8) :]
        )
        clause[-1] = clause[-1].rstrip(",;:") + "."
        return [*words[:-1], words[-1].rstrip(_END) + ",", *clause]

    def splice(self, words: list[str]) -> list[str]:
        other = self.rng.choice(self.pool).split()
        if len(words) < 6 or len(other) < 6:
            return self.append_clause(words)
        cut = self.rng.randint(len(words) // 3, 2 * len(words) // 3)
        return words[:cut] + other[self.rng.randint(len(other) // 3, 2 * len(other) // 3) :]

    def cosmetic(self, text: str) -> str:
        kind = self.rng.randrange(6)
        if kind == 4:
            words = text.split()
            i = self.rng.randrange(len(words))
            return " ".join(words[:i] + [words[i].upper()] + words[i + 1 :])
        return (
            text[:1].lower() + text[1:],
            text.rstrip(_END),
            text.replace(", ", " - ", 1),
            f'"{text.rstrip(_END)}."',
            text,
            text.replace(" ", "  ", 1).rstrip(_END) + "!",
        )[kind]


def make_archive(
    corpus: MatchingCorpus, size: int, seed: int, title_share: float
) -> tuple[list[str], list[str | None]]:
    """(texts, titles): the first ``size`` claims of one deterministic stream."""
    rng = random.Random(seed)
    bases = list(corpus.bases)
    rng.shuffle(bases)
    perturber = Perturber(bases, random.Random(seed + 1))
    texts = bases[:size]
    seen = set(texts)
    while len(texts) < size:
        text = perturber.variant(rng.choice(bases))
        if text not in seen:
            seen.add(text)
            texts.append(text)
    title_rng = random.Random(seed + 2)
    titles: list[str | None] = []
    for text in texts:
        if title_rng.random() < title_share:
            words = text.rstrip(_END).split()[: title_rng.randint(6, 10)]
            titles.append(" ".join(words) + ("?" if title_rng.random() < 0.5 else ""))
        else:
            titles.append(None)
    return texts, titles


def make_queries(corpus: MatchingCorpus, count: int, seed: int) -> list[str]:
    """Warm-up, measured and as many reserve queries; the same for every archive size."""
    rng = random.Random(seed + 3)
    paraphrases = list(corpus.paraphrases)
    rng.shuffle(paraphrases)
    perturber = Perturber(corpus.bases, random.Random(seed + 4))
    out: dict[str, None] = {}
    for _ in range(WARMUP_QUERIES + 2 * count):
        if rng.random() < PARAPHRASE_SHARE and paraphrases:
            out[paraphrases.pop()] = None
        else:
            out[perturber.variant(rng.choice(corpus.bases), changes=2)] = None
    return list(out)


# --- Build --------------------------------------------------------------------------------------


def normalize_all(texts: Sequence[str], workers: int) -> list[str]:
    if workers <= 1 or len(texts) < 20_000:
        return [normalize(t) for t in texts]
    with mp.get_context("fork").Pool(workers) as pool:
        return pool.map(normalize, texts, chunksize=2_000)


ARTICLE_COLUMNS = "id title body content_hash outlet origin ingested_at".split()
CLAIM_COLUMNS = (
    "id article_id position start_offset end_offset text normalized_text title normalized_title "
    "check_worthiness status version created_at updated_at"
).split()


def insert_archive(
    engine: Engine,
    texts: list[str],
    titles: list[str | None],
    norm: list[str],
    norm_titles: list[str | None],
) -> tuple[float, float]:
    """(article seconds, claim seconds): executemany in large transactions, ids 1..n."""
    now = utcnow()
    n, per_tx, per_article = len(texts), CLAIMS_PER_TRANSACTION, CLAIMS_PER_ARTICLE
    started = time.perf_counter()
    for first in range(0, n, per_tx):
        rows = []
        for a in range(first, min(n, first + per_tx), per_article):
            body = " ".join(texts[a : a + per_article])
            digest = hashlib.sha256(body.encode()).hexdigest()
            values = (a // per_article + 1, " ".join(texts[a].split()[:8]), body, digest)
            row = (*values, "Benchmark Wire", "benchmark", now)
            rows.append(dict(zip(ARTICLE_COLUMNS, row, strict=True)))
        store_rows(engine, Article, rows)
    articles_s = time.perf_counter() - started
    started = time.perf_counter()
    for first in range(0, n, per_tx):
        rows, offset = [], 0
        for i in range(first, min(n, first + per_tx)):
            offset = offset if i % per_article else 0
            place = (i + 1, i // per_article + 1, i % per_article, offset, offset + len(texts[i]))
            text = (texts[i], norm[i], titles[i], norm_titles[i])
            row = (*place, *text, 0.5, "new", 1, now, now)
            rows.append(dict(zip(CLAIM_COLUMNS, row, strict=True)))
            offset += len(texts[i]) + 1
        store_rows(engine, Claim, rows)
    return articles_s, time.perf_counter() - started


def store_rows(engine: Engine, model: type[Article] | type[Claim], rows: list[dict]) -> None:
    """One transaction of rows: executemany on SQLite, COPY on PostgreSQL."""
    if engine.dialect.name == "postgresql":
        postgres.copy_rows(engine, model.__table__, rows)  # type: ignore[attr-defined]
        return
    with engine.begin() as conn:
        conn.execute(sa.insert(model), rows)


# The build's recipe: a PostgreSQL archive kept by --pg-cache is reused only when it matches.
BUILD_VERSION = 1


@dataclass
class PgArchive:
    """The size's archive as a database of its own on a PostgreSQL server (see postgres.py):
    the real migrations, COPY with the GIN index on, then VACUUM ANALYZE. The index-less copy
    (for the overhead ratio) is the same with the migrations' text index dropped (and the stored
    vector it indexes, from migration 0016 on)."""

    server: str
    size: int

    @property
    def name(self) -> str:
        return f"wb_bench_matching_{self.size}"

    def recipe(self, args: argparse.Namespace) -> dict[str, object]:
        return {
            "version": BUILD_VERSION,
            "size": self.size,
            "seed": args.seed,
            "title_share": args.title_share,
        }

    def cached(self, args: argparse.Namespace) -> dict[str, float] | None:
        """The build figures of a kept archive of the same recipe, or None."""
        record = postgres.build_record(self.server, self.name)
        if record is None or record.get("recipe") != self.recipe(args):
            return None
        return record["figures"]

    def engine(self) -> Engine:
        return make_engine(Settings(database_url=postgres.database_url(self.server, self.name)))

    def new(self, *, index: bool = True) -> Engine:
        name = self.name if index else f"{self.name}_plain"
        engine = postgres.fresh_database(self.server, name)
        if not index:
            # The migrations' text index (and the stored vector it indexes, from 0016 on).
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP INDEX IF EXISTS ix_claim_search")
                conn.exec_driver_sql("ALTER TABLE claim DROP COLUMN IF EXISTS search_vector")
        return engine

    def drop(self, *, index: bool = True) -> None:
        postgres.drop_database(self.server, self.name if index else f"{self.name}_plain")


def new_database(path: Path, *, index: bool = True) -> Engine:
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    migrate(engine)
    if not index:
        with engine.begin() as conn:
            for trigger in FTS_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER {trigger}")
    return engine


def db_bytes(engine: Engine, path: Path) -> tuple[int, int | None]:
    """(database file bytes, FTS5 shadow tables' bytes or None when SQLite lacks dbstat)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            fts = conn.exec_driver_sql(
                "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'claim_fts%'"
            ).scalar_one()
        except sa.exc.OperationalError:
            fts = None
    return path.stat().st_size, fts


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- The search, whole and step by step ---------------------------------------------------------


def timed_find_similar(engine: Engine, text: str) -> tuple[float, float, Ranked]:
    """(wall ms, CPU ms of this thread, results) of one find_similar call in its own session."""
    with read_session(engine) as session:
        wall, cpu = time.perf_counter(), time.thread_time()
        found = similar.find_similar(session, text, limit=TOP)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    return 1000 * wall, 1000 * cpu, [(r.claim.id or 0, r.score) for r in found]


STEPS = (
    "load_aliases|clean_post + normalize query|_prepare (word counts, idf)"
    "|candidates (index match, ranked, joined to their rows)|best_ranked (bound, then scores)"
    "|load top 10 (Claim+Article)"
).split("|")


@dataclass
class Steps:
    ms: list[float]  # per STEPS
    ranked: Ranked
    words: int  # sent to MATCH
    matched: int  # claims the index query hits: it ranks all of them
    candidates: int


def timed_steps(engine: Engine, text: str) -> tuple[Steps, str, Idf]:
    """find_similar's steps, each timed, by calling the public pieces it is made of; and the
    normalised query and idf it scores with."""
    ms: list[float] = []
    clock = [time.perf_counter()]

    def lap() -> None:
        now = time.perf_counter()
        ms.append(1000 * (now - clock[0]))
        clock[0] = now

    with read_session(engine) as session:
        aliases = load_aliases(session)
        lap()
        normalized = normalize(clean_post(text), aliases)
        lap()
        query = similar._prepare(session, normalized)
        lap()
        rows = similar._candidates(session, query, max(similar.CANDIDATES, TOP))
        lap()
        ranked = [(claim_id, score) for score, claim_id in similar.best_ranked(query, rows, TOP)]
        lap()
        statement = select(Claim, Article).join(Article, Claim.article_id == Article.id)
        session.exec(statement.where(Claim.id.in_([r[0] for r in ranked]))).all()
        lap()
        match = search_index.candidate_match(
            session, query.words, pairs=False, matches=query.matches
        )
        if search_index.is_sqlite(session):
            count = "SELECT count(*) FROM claim_fts WHERE claim_fts MATCH :m"
        else:
            count = (
                f"SELECT count(*) FROM claim WHERE {search_index.PG_VECTOR} "
                "@@ to_tsquery('simple', :m)"
            )
        matched = session.execute(sa.text(count), {"m": match}).scalar_one() if match else 0
    steps = Steps(ms, ranked, len(query.words), matched, len(rows))
    return steps, query.normalized, query.idf


# --- Exact top 10 over every claim --------------------------------------------------------------

Words = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def word_ids(texts: Sequence[str], vocab: dict[str, int]) -> Words:
    """(content-word ids, row of each, distinct content words per text, words per text)."""
    ids, content, length = array("i"), array("i"), array("i")
    for text in texts:
        distinct = set(content_words(text))
        ids.extend(vocab.setdefault(word, len(vocab)) for word in distinct)
        content.append(len(distinct))
        length.append(len(text.split()))
    counts = np.frombuffer(content, dtype=np.int32).astype(np.int64)
    rows = np.repeat(np.arange(len(texts)), counts)
    ids_array = np.frombuffer(ids, dtype=np.int32).astype(np.int64)
    return ids_array, rows, counts, np.frombuffer(length, dtype=np.int32).astype(np.float64)


@dataclass
class ScanIndex:
    """Every claim in memory: texts for the real scorer, word ids for the numpy bound."""

    ids: list[int]
    texts: list[str]
    titles: list[str | None]
    vocab: dict[str, int]
    text_words: Words
    titled: np.ndarray  # rows with a non-empty normalised title
    title_texts: list[str]
    title_words: Words

    @classmethod
    def load(cls, engine: Engine) -> ScanIndex:
        sql = "SELECT id, normalized_text, normalized_title FROM claim ORDER BY id"
        with engine.connect() as conn:
            ids, texts, titles = map(list, zip(*conn.exec_driver_sql(sql).all(), strict=True))
        vocab: dict[str, int] = {}
        titled = np.array([i for i, t in enumerate(titles) if t], dtype=np.int64)
        title_texts = [titles[i] for i in titled]
        text_words = word_ids(texts, vocab)
        return cls(
            ids, texts, titles, vocab, text_words, titled, title_texts, word_ids(title_texts, vocab)
        )


TEXT_WEIGHTS = SIMILARITY_MODEL.weights[:FEATURE_COUNT]
TITLE_WEIGHTS = SIMILARITY_MODEL.weights[FEATURE_COUNT:]
# matching.features: 0-3 rapidfuzz ratios, 4-6 idf-weighted overlap, 7 numbers differ, 8 shared
# word pairs, 9 length ratio, 10 Jaccard; every one lies in [0, 1].
FUZZ_SCORERS = (fuzz.token_sort_ratio, fuzz.token_set_ratio, fuzz.ratio, fuzz.partial_ratio)


def overlap_features(
    words: Words, weight: np.ndarray, q_weight: float, q_size: int, q_len: int, default: float
) -> dict[int, np.ndarray]:
    """Features 4, 5, 6, 9 and 10 of matching.features(query, text) for every text, exactly."""
    ids, rows, content, length = words
    hit = np.flatnonzero(weight[ids] > 0)
    shared = np.bincount(rows[hit], minlength=len(content)).astype(np.float64)
    shared_weight = np.bincount(rows[hit], weights=weight[ids[hit]], minlength=len(content))
    c_weight = default * (content - shared) + shared_weight
    covers_query = shared_weight / q_weight
    covers_text = shared_weight / np.where(c_weight == 0, 1e-9, c_weight)
    return {
        4: covers_query,
        5: covers_text,
        6: np.minimum(covers_query, covers_text),
        9: np.minimum(q_len, length) / np.maximum(np.maximum(q_len, length), 1e-9),
        10: shared / np.maximum(1.0, q_size + content - shared),
    }


def bound(weights: Sequence[float], exact: dict[int, np.ndarray], n: int) -> np.ndarray:
    """Upper bound of the model's linear term: exact features as they are, others at their best."""
    z = np.zeros(n)
    for i, weight in enumerate(weights):
        z += weight * exact[i] if i in exact else max(weight, 0.0)
    return z


def logit(p: float) -> float:
    p = min(max(p, 1e-300), 1 - 1e-16)
    return math.log(p / (1 - p))


@dataclass
class Scan:
    top: Ranked
    wall_ms: float
    cpu_ms: float
    scored: int  # claims given to the real scorer


def naive_scan(index: ScanIndex, normalized: str, idf: Idf) -> Scan:
    """The brute force: matching.scores on every claim, in Python, one process."""
    wall, cpu = time.perf_counter(), time.thread_time()
    ranked = [
        (claim_id, score_of(normalized, text, title, idf))
        for claim_id, text, title in zip(index.ids, index.texts, index.titles, strict=True)
    ]
    top = heapq.nsmallest(TOP, ranked, key=rank_key)
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    return Scan(top, 1000 * wall, 1000 * cpu, len(ranked))


def pruned_scan(index: ScanIndex, normalized: str, idf: Idf) -> Scan:
    """Exact top 10 over every claim: numpy upper bounds, then the real scorer in bound order."""
    wall, cpu = time.perf_counter(), time.thread_time()
    query_words = set(content_words(normalized))
    weight = np.zeros(len(index.vocab))
    for word in query_words & index.vocab.keys():
        weight[index.vocab[word]] = idf(word)
    q_weight = sum(idf(w) for w in query_words) or 1e-9
    default = idf(" not a word ")  # what idf gives any word outside the query
    common = (weight, q_weight, len(query_words), len(normalized.split()), default)
    exact = overlap_features(index.text_words, *common)
    z = SIMILARITY_MODEL.bias + Z_EPS + bound(TEXT_WEIGHTS, exact, len(index.texts))
    # The keyword score (a query of a few words) is at most the share of the query's weight in
    # the text plus the share in the title.
    keyword_share = exact[4].copy()
    if len(index.titled):
        exact = overlap_features(index.title_words, *common)
        keyword_share[index.titled] += exact[4]
        for i, scorer in enumerate(FUZZ_SCORERS):
            ratios = process.cdist([normalized], index.title_texts, scorer=scorer, dtype=np.float64)
            exact[i] = ratios[0] / 100
        z[index.titled] += bound(TITLE_WEIGHTS, exact, len(index.titled))
    if similar.query_keywords(normalized):
        share = np.clip(keyword_share + Z_EPS, 1e-12, 1 - 1e-12)
        z = np.maximum(z, np.log(share / (1 - share)))
    # A claim worded exactly as the query scores 100 whatever the model says.
    z[[row for row, text in enumerate(index.texts) if text == normalized]] = np.inf

    # Claims whose score must round to 0.0 are left out: with a 10th score of 0.1 or more they
    # cannot enter the top 10; with 0.0, ties at 0.0 need every claim (the naive scan below).
    order = np.flatnonzero(z >= logit(0.0005))
    order = order[np.argsort(-z[order], kind="stable")]
    ranked: Ranked = []
    best: list[float] = []  # heap of the 10 best scores so far
    for begin in range(0, len(order), SCAN_CHUNK):
        # Claims left can enter the top 10 only if their score can round to the 10th one.
        if len(best) == TOP and z[order[begin]] < logit(max(best[0] - 0.05, 0.0) / 100):
            break
        for row in order[begin : begin + SCAN_CHUNK].tolist():
            item = (index.ids[row], score_of(normalized, index.texts[row], index.titles[row], idf))
            ranked.append(item)
            if len(best) < TOP:
                heapq.heappush(best, item[1])
            elif item[1] > best[0]:
                heapq.heapreplace(best, item[1])
    if not normalized or len(best) < TOP or best[0] < 0.1:
        return naive_scan(index, normalized, idf)
    top = heapq.nsmallest(TOP, ranked, key=rank_key)
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    return Scan(top, 1000 * wall, 1000 * cpu, len(ranked))


# --- One archive size ---------------------------------------------------------------------------


@dataclass
class SizeResult:
    size: int
    backend: str = "SQLite"
    cached: bool = False  # a PostgreSQL archive kept by --pg-cache: build figures from its build
    settle_s: float = 0.0  # PostgreSQL: sequences and VACUUM ANALYZE after the COPY
    warmed: str = ""
    server: str = ""
    slowest_query: str = ""  # PostgreSQL: the measured query that took longest...
    plans: list[str] = field(default_factory=list)  # ...and its slowest statements' plans
    titled: int = 0
    normalize_s: float = 0.0
    articles_s: float = 0.0
    claims_fts_s: float = 0.0
    claims_plain_s: float = 0.0
    db_bytes: int = 0
    plain_db_bytes: int = 0
    fts_bytes: int | None = None
    rss_build_mb: float = 0.0
    rss_search_mb: float = 0.0  # after the build and every search
    rss_end_mb: float = 0.0  # with the benchmark's in-memory copy for the exact scans
    replaced: int = 0  # perturbed queries that were archive rows, replaced by reserve ones
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    steps: list[Steps] = field(default_factory=list)
    step_mismatches: int = 0  # step-by-step top 10 != find_similar's
    scan_load_s: float = 0.0
    recalls: list[float] = field(default_factory=list)
    tie_recalls: list[float] = field(default_factory=list)  # a found claim tying the 10th counts
    likely_found: int = 0  # exact top-10 claims scoring >= LIKELY that find_similar returned
    likely_total: int = 0  # exact top-10 claims scoring >= LIKELY
    pruned: list[Scan] = field(default_factory=list)
    naive: list[Scan] = field(default_factory=list)
    naive_mismatches: int = 0  # naive top 10 != pruned top 10 (ids, scores, order)
    load: str = ""

    @property
    def recall(self) -> float:
        return float(np.mean(self.recalls))

    def speedup(self, cpu: bool = False) -> float:
        indexed = (self.cpu_ms if cpu else self.wall_ms)[: len(self.naive)]
        return float(
            np.mean([s.cpu_ms if cpu else s.wall_ms for s in self.naive]) / np.mean(indexed)
        )

    def verdict(self) -> str:
        if self.size != TARGET_SIZE:
            return "n/a"
        passed = pct(self.wall_ms, 95) <= TARGET_P95_MS and self.recall >= TARGET_RECALL
        return "PASS" if passed else "FAIL"


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def run_size(
    args: argparse.Namespace,
    size: int,
    corpus: MatchingCorpus,
    queries: list[str],
    tmp: Path,
    server: str | None = None,
) -> SizeResult:
    r = SizeResult(size=size, backend="PostgreSQL" if server else "SQLite")
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        log(f"[{size:,} {r.backend}] {name}: {now - clock[0]:.1f} s")
        clock[0] = now

    texts, titles = make_archive(corpus, size, args.seed, args.title_share)
    if server:
        engine = build_postgres(args, PgArchive(server, size), texts, titles, r, lap)
        usable = usable_queries(args, r, texts, queries)
        del texts, titles
        return measure(args, r, engine, usable, lap)
    norm, norm_titles = normalise_archive(args, texts, titles, r, lap)

    plain_path, path = tmp / f"plain-{size}.db", tmp / f"matching-{size}.db"
    plain = new_database(plain_path, index=False)
    _, r.claims_plain_s = insert_archive(plain, texts, titles, norm, norm_titles)
    r.plain_db_bytes = db_bytes(plain, plain_path)[0]
    plain.dispose()
    remove_database(plain_path)
    lap("insert, no index")
    engine = new_database(path)
    r.articles_s, r.claims_fts_s = insert_archive(engine, texts, titles, norm, norm_titles)
    r.db_bytes, r.fts_bytes = db_bytes(engine, path)
    r.rss_build_mb = rss_peak_mb()
    usable = usable_queries(args, r, texts, queries)
    del texts, titles, norm, norm_titles
    lap("insert with FTS")
    measure(args, r, engine, usable, lap)
    if not args.keep:
        remove_database(path)
    return r


def normalise_archive(
    args: argparse.Namespace,
    texts: list[str],
    titles: list[str | None],
    r: SizeResult,
    lap: Callable[[str], None],
) -> tuple[list[str], list[str | None]]:
    """The claims' and titles' matching keys, timed into `r`, for either database's build."""
    started = time.perf_counter()
    norm = normalize_all(texts, args.workers)
    norm_titles = [normalize(t) if t else None for t in titles]
    r.normalize_s = time.perf_counter() - started
    r.titled = sum(1 for t in norm_titles if t)
    lap("generate + normalise")
    return norm, norm_titles


def build_postgres(
    args: argparse.Namespace,
    archive: PgArchive,
    texts: list[str],
    titles: list[str | None],
    r: SizeResult,
    lap: Callable[[str], None],
) -> Engine:
    """The size's PostgreSQL archive, built as the SQLite one is (and its index-less copy for
    the overhead ratio), or the one --pg-cache kept from an earlier run of the same recipe."""
    figures = archive.cached(args) if args.pg_cache else None
    if figures is not None:
        for name, value in figures.items():
            setattr(r, name, value)
        r.cached = True
        lap(f"reusing database {archive.name} (--pg-cache)")
    else:
        norm, norm_titles = normalise_archive(args, texts, titles, r, lap)
        plain = archive.new(index=False)
        _, r.claims_plain_s = insert_archive(plain, texts, titles, norm, norm_titles)
        postgres.finish_build(plain, ["article", "claim"])
        r.plain_db_bytes = postgres.database_bytes(plain)
        plain.dispose()
        archive.drop(index=False)
        lap("COPY, no index")
        engine = archive.new()
        r.articles_s, r.claims_fts_s = insert_archive(engine, texts, titles, norm, norm_titles)
        started = time.perf_counter()
        postgres.finish_build(engine, ["article", "claim"])
        r.settle_s = time.perf_counter() - started
        r.db_bytes = postgres.database_bytes(engine)
        r.fts_bytes = postgres.search_index_bytes(engine)
        r.rss_build_mb = rss_peak_mb()
        engine.dispose()
        del norm, norm_titles
        lap("COPY with the GIN index, VACUUM ANALYZE")
        if args.pg_cache:
            kept = [*BUILD_FIGURES]
            record = {"recipe": archive.recipe(args), "figures": {k: getattr(r, k) for k in kept}}
            postgres.save_record(archive.server, archive.name, record)
    engine = archive.engine()
    migrate(engine)  # a newer migration (an index, say) applies to a kept archive too
    r.warmed = postgres.prewarm(engine)
    r.server = postgres.server_description(engine)
    return engine


# What a kept PostgreSQL archive remembers of its build.
BUILD_FIGURES = (
    "titled normalize_s articles_s claims_fts_s claims_plain_s settle_s db_bytes plain_db_bytes "
    "fts_bytes rss_build_mb"
).split()


def usable_queries(
    args: argparse.Namespace, r: SizeResult, texts: list[str], queries: list[str]
) -> list[str]:
    """The queries that are not archive rows (counting the measured ones replaced)."""
    archived = set(texts)
    r.replaced = sum(1 for q in queries[: WARMUP_QUERIES + args.queries] if q in archived)
    return [q for q in queries if q not in archived]


def measure(
    args: argparse.Namespace,
    r: SizeResult,
    engine: Engine,
    usable: list[str],
    lap: Callable[[str], None],
) -> SizeResult:
    """Latency, step breakdown and recall of find_similar on the archive `engine` holds."""
    measured = usable[WARMUP_QUERIES : WARMUP_QUERIES + args.queries]
    for text in usable[:WARMUP_QUERIES]:
        timed_find_similar(engine, text)
    found: list[Ranked] = []
    for text in measured:
        wall, cpu, ranked = timed_find_similar(engine, text)
        r.wall_ms.append(wall)
        r.cpu_ms.append(cpu)
        found.append(ranked)
    r.rss_search_mb = rss_peak_mb()
    lap(f"latency (p95 {pct(r.wall_ms, 95):.1f} ms)")
    if r.backend == "PostgreSQL":
        slowest = measured[int(np.argmax(r.wall_ms))]
        r.slowest_query = slowest

        def search() -> None:
            with read_session(engine) as session:
                similar.find_similar(session, slowest, limit=TOP)

        r.plans = postgres.slowest_plans(engine, search, args.explain_top)
    prepared: list[tuple[str, Idf]] = []
    for text in measured:
        steps, normalized, idf = timed_steps(engine, text)
        r.steps.append(steps)
        prepared.append((normalized, idf))
    r.step_mismatches = sum(
        {i for i, _ in s.ranked} != {i for i, _ in f} for s, f in zip(r.steps, found, strict=True)
    )
    lap("step breakdown")

    started = time.perf_counter()
    scan = ScanIndex.load(engine)
    engine.dispose()
    r.scan_load_s = time.perf_counter() - started
    for (normalized, idf), indexed in zip(prepared[: args.brute_queries], found, strict=False):
        r.pruned.append(pruned_scan(scan, normalized, idf))
        exact = r.pruned[-1].top
        ids = {claim_id for claim_id, _ in indexed}
        r.recalls.append(sum(claim_id in ids for claim_id, _ in exact) / len(exact))
        tied = sum(item[1] >= round(exact[-1][1], 1) for item in indexed)
        r.tie_recalls.append(min(tied, len(exact)) / len(exact))
        likely = [claim_id for claim_id, score in exact if score >= LIKELY]
        r.likely_found += sum(claim_id in ids for claim_id in likely)
        r.likely_total += len(likely)
    lap(f"pruned exact scans (recall@10 {r.recall:.3f})")
    for (normalized, idf), pruned in zip(prepared, r.pruned, strict=False):
        done = [s.wall_ms / 1000 for s in r.naive]
        if len(done) >= MIN_NAIVE_SCANS and sum(done) + np.mean(done) > args.scan_budget:
            break  # one more would likely overrun the budget
        r.naive.append(naive_scan(scan, normalized, idf))
        r.naive_mismatches += r.naive[-1].top != pruned.top
    lap(f"{len(r.naive)} naive full scans")
    r.rss_end_mb = rss_peak_mb()
    if r.backend == "PostgreSQL" and not (args.keep or args.pg_cache):
        PgArchive(args.database, r.size).drop()
    return r


class LoadSampler:
    """The 1-minute load average every few seconds, in a background thread."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(every_s,), daemon=True)
        self.thread.start()

    def run(self, every_s: float) -> None:
        while True:
            self.mark()
            if self.stopped.wait(every_s):
                return

    def mark(self) -> None:
        self.samples.append((time.monotonic(), os.getloadavg()[0]))

    def between(self, start: float = -math.inf, end: float = math.inf) -> str:
        values = [load for at, load in self.samples if start <= at <= end] or [math.nan]
        return f"{np.mean(values):.1f} / {max(values):.1f}"


# --- Report -------------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else math.nan


def mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:,.1f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(c) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def spread(values: Sequence[float], digits: int = 1) -> str:
    return " / ".join(f"{pct(values, q):,.{digits}f}" for q in (50, 95, 99, 100))


def mean_p95(values: Sequence[float], digits: int = 1) -> str:
    return f"{np.mean(values):,.{digits}f} [{pct(values, 95):,.{digits}f}]"


def describe(r: SizeResult, both: bool = False) -> list[tuple[str, str]]:
    """(label, value) rows of the detailed report; the same labels for every size (and, when
    PostgreSQL ran too, for both databases: `both`)."""
    steps, pruned, naive = r.steps, r.pruned, r.naive
    likely = f"{r.likely_found / max(r.likely_total, 1):.3f} ({r.likely_found}/{r.likely_total})"
    if both:
        build = [
            ("archive", "kept (--pg-cache)" if r.cached else "built"),
            ("claims with a title", f"{r.titled:,}"),
            ("normalise s (claims and titles)", f"{r.normalize_s:.1f}"),
            ("article inserts (SQLite) / COPY (PostgreSQL) s", f"{r.articles_s:.1f}"),
            ("claims with the index on (FTS5 triggers / GIN) s", f"{r.claims_fts_s:.1f}"),
            ("claims, no index s", f"{r.claims_plain_s:.1f}"),
            ("index overhead ratio", f"{r.claims_fts_s / r.claims_plain_s:.2f}x"),
            ("VACUUM ANALYZE s (PostgreSQL)", f"{r.settle_s:.1f}"),
            ("DB MB / no-index DB MB", f"{mb(r.db_bytes)} / {mb(r.plain_db_bytes)}"),
            ("text index MB (FTS5 tables / GIN index)", mb(r.fts_bytes)),
        ]
    else:
        build = [
            ("claims with a title", f"{r.titled:,}"),
            ("normalise s (claims and titles)", f"{r.normalize_s:.1f}"),
            ("article inserts s", f"{r.articles_s:.1f}"),
            ("claim inserts with the FTS triggers s", f"{r.claims_fts_s:.1f}"),
            ("claim inserts, no index s", f"{r.claims_plain_s:.1f}"),
            ("index overhead ratio", f"{r.claims_fts_s / r.claims_plain_s:.2f}x"),
            ("DB MB / no-index DB MB", f"{mb(r.db_bytes)} / {mb(r.plain_db_bytes)}"),
            ("FTS tables MB", mb(r.fts_bytes)),
        ]
    return [
        ("BUILD", ""),
        *build,
        ("peak RSS MB: build / + queries", f"{r.rss_build_mb:,.0f} / {r.rss_search_mb:,.0f}"),
        ("peak RSS MB with the exact-scan copy", f"{r.rss_end_mb:,.0f}"),
        ("LATENCY, find_similar(limit=10)", ""),
        ("queries (replaced: were archive rows)", f"{len(r.wall_ms)} ({r.replaced})"),
        ("wall ms p50 / p95 / p99 / max", spread(r.wall_ms)),
        ("CPU ms p50 / p95 / p99 / max", spread(r.cpu_ms)),
        ("1-min load average mean / max", r.load),
        ("STEPS, pieces called one by one, ms mean [p95]", ""),
        *((name, mean_p95([s.ms[i] for s in steps], 2)) for i, name in enumerate(STEPS)),
        ("total", mean_p95([sum(s.ms) for s in steps], 2)),
        ("words sent to MATCH, mean", f"{np.mean([s.words for s in steps]):.1f}"),
        ("claims MATCH hits, mean [p95]", mean_p95([s.matched for s in steps], 0)),
        ("candidates scored, mean", f"{np.mean([s.candidates for s in steps]):.0f}"),
        ("top 10 differs from find_similar", f"{r.step_mismatches}/{len(steps)}"),
        ("RECALL vs the exact top 10, same scorer", ""),
        ("queries", str(len(r.recalls))),
        ("recall@10 (tie-aware)", f"{r.recall:.3f} ({np.mean(r.tie_recalls):.3f})"),
        ("queries with all 10 found", f"{sum(x == 1 for x in r.recalls)}/{len(r.recalls)}"),
        (f"recall of those scoring >= {LIKELY:.0f} (found/all)", likely),
        ("exact scan: claims into memory s", f"{r.scan_load_s:.1f}"),
        ("pruned exact scan ms", mean_p95([s.wall_ms for s in pruned], 0)),
        ("pruned exact scan: claims scored", mean_p95([s.scored for s in pruned], 0)),
        ("naive full scans", str(len(naive))),
        ("naive full scan ms wall", mean_p95([s.wall_ms for s in naive], 0)),
        ("naive full scan ms CPU", mean_p95([s.cpu_ms for s in naive], 0)),
        ("naive top 10 != pruned top 10", f"{r.naive_mismatches}/{len(naive)}"),
    ]


def print_report(
    args: argparse.Namespace, corpus: MatchingCorpus, results: list[SizeResult]
) -> None:
    print(f"\n=== Similar-claims search, seed {args.seed} ===\n\nSentences: {corpus.source}.")
    print(
        f"{args.queries} queries per size after {WARMUP_QUERIES} warm-up ones (about "
        f"{PARAPHRASE_SHARE:.0%} MSRP paraphrases); normalisation in {args.workers} processes; "
        f"{os.cpu_count()} CPU cores; SQLite "
        f"{sqlite3.sqlite_version}; CANDIDATES={similar.CANDIDATES}, "
        f"TITLE_WEIGHT={similar.TITLE_WEIGHT}, SEARCH_COMMON_SHARE={similar.SEARCH_COMMON_SHARE}."
    )
    both = any(r.backend == "PostgreSQL" for r in results)
    for server in dict.fromkeys(r.server for r in results if r.server):
        print(f"{server}; CPU ms are this process's only (the server's work is not in them).")
    print()
    described = [describe(r, both) for r in results]
    rows = [[label, *(d[i][1] for d in described)] for i, (label, _) in enumerate(described[0])]
    print(table(["claims", *(name(r, both) for r in results)], rows))

    print(
        f"\nSummary; target at {TARGET_SIZE:,} claims: p95 <= {TARGET_P95_MS:.0f} ms and "
        f"recall@10 >= {TARGET_RECALL}. Speed-up: naive full scan / find_similar, same queries.\n"
    )
    headers = ["claims", "build s", "index ratio", "DB / FTS MB", "peak RSS MB", "p50 ms"]
    headers += ["p95 ms", "CPU p95", "full scan ms/q", "speed-up wall/CPU", "recall@10"]
    headers += ["load avg", "target"]
    summary = [
        [
            name(r, both),
            f"{r.normalize_s + r.articles_s + r.claims_fts_s:.1f}",
            f"{r.claims_fts_s / r.claims_plain_s:.2f}x",
            f"{mb(r.db_bytes)} / {mb(r.fts_bytes)}",
            f"{r.rss_search_mb:,.0f}",
            f"{pct(r.wall_ms, 50):.1f}",
            f"{pct(r.wall_ms, 95):.1f}",
            f"{pct(r.cpu_ms, 95):.1f}",
            f"{np.mean([s.wall_ms for s in r.naive]):,.0f} (n={len(r.naive)})",
            f"{r.speedup():,.0f}x / {r.speedup(cpu=True):,.0f}x",
            f"{r.recall:.3f}",
            r.load,
            r.verdict(),
        ]
        for r in results
    ]
    print(table(headers, summary))
    print(
        "\nbuild s = normalise + article and claim inserts with the FTS triggers; peak RSS after "
        "build and queries (with the benchmark's own lists of the claims); load avg = 1-min mean "
        f"/ max during the size, {os.cpu_count()} cores."
    )
    if both:
        print_comparison(results)
        for r in results:
            if r.plans:
                print(
                    f"\nSLOWEST STATEMENTS of the slowest find_similar at {name(r, both)} "
                    f"(EXPLAIN (ANALYZE, BUFFERS); {r.warmed}); query: {r.slowest_query!r}"
                )
                print("\n".join(r.plans))


def name(r: SizeResult, both: bool) -> str:
    """A result's column: its size, and its database when PostgreSQL ran too."""
    return f"{r.size:,} {r.backend}" if both else f"{r.size:,}"


def print_comparison(results: list[SizeResult]) -> None:
    """PostgreSQL's latency over SQLite's at the same size, the same queries, the same run."""
    rows = []
    for size in dict.fromkeys(r.size for r in results):
        lite = next((r for r in results if r.size == size and r.backend == "SQLite"), None)
        pg = next((r for r in results if r.size == size and r.backend == "PostgreSQL"), None)
        if lite is None or pg is None:
            continue
        rows.append(
            [
                f"{size:,}",
                f"{pct(lite.wall_ms, 50):.1f} / {pct(lite.wall_ms, 95):.1f}",
                f"{pct(pg.wall_ms, 50):.1f} / {pct(pg.wall_ms, 95):.1f}",
                f"{pct(pg.wall_ms, 50) / pct(lite.wall_ms, 50):.2f}x",
                f"{pct(pg.wall_ms, 95) / pct(lite.wall_ms, 95):.2f}x",
                f"{lite.recall:.3f} / {pg.recall:.3f}",
            ]
        )
    if rows:
        print("\nPOSTGRESQL / SQLITE, find_similar wall ms, same queries, same run")
        headers = ["claims", "SQLite p50 / p95", "PG p50 / p95", "x p50", "x p95"]
        print(table([*headers, "recall@10 SQLite / PG"], rows))


# --- Main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    add = parser.add_argument
    add("--sizes", default="10000,100000,1000000", help="archive sizes, comma-separated")
    add("--queries", type=int, default=200, help="timed queries per size")
    add("--brute-queries", type=int, default=50, help="queries with an exact top 10, per size")
    add("--scan-budget", type=float, default=60.0, help="seconds per size for naive full scans")
    add("--seed", type=int, default=20240601, help="seed for claims and queries")
    add("--title-share", type=float, default=0.05, help="share of claims with a title")
    add("--workers", type=int, default=os.cpu_count() or 1, help="processes for normalisation")
    add("--keep", action="store_true", help="keep the databases (path printed)")
    add("--strict", action="store_true", help="exit status 1 when the target is missed")
    add(
        "--database",
        metavar="URL",
        help="also measure on this PostgreSQL server (postgresql+psycopg://user@host:port/db): "
        "each size gets a database of its own there, wb_bench_matching_<size>, dropped afterwards",
    )
    add("--skip-sqlite", action="store_true", help="with --database, PostgreSQL only")
    add("--explain-top", type=int, default=2, help="PostgreSQL plans shown, slowest first")
    add(
        "--pg-cache",
        action="store_true",
        help="keep the PostgreSQL databases, and reuse kept ones of the same seed and title share "
        "instead of building them again",
    )
    args = parser.parse_args(argv)
    if args.database and not postgres.is_postgres(args.database):
        parser.error("--database: a postgresql+psycopg:// URL")
    if (args.skip_sqlite or args.pg_cache) and not args.database:
        parser.error("--skip-sqlite and --pg-cache: only with --database")
    try:
        args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes: comma-separated integers")
    if not args.size_list or min(args.size_list) < TOP:
        parser.error(f"--sizes: each size must be at least {TOP}")
    if args.queries < 1 or not 1 <= args.brute_queries <= args.queries:
        parser.error("--queries >= 1 and 1 <= --brute-queries <= --queries")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = matching_corpus()
    queries = make_queries(corpus, args.queries, args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-matching-"))
    sampler = LoadSampler()
    started = time.perf_counter()
    results: list[SizeResult] = []
    try:
        servers = ([] if args.skip_sqlite else [None]) + ([args.database] if args.database else [])
        for size in args.size_list:
            for server in servers:
                sampler.mark()
                begin = time.monotonic()
                # A fresh process per size: its peak RSS is that size's alone.
                with ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:
                    job = pool.submit(run_size, args, size, corpus, queries, tmp, server)
                    result = job.result()
                sampler.mark()
                result.load = sampler.between(begin, time.monotonic())
                results.append(result)
    finally:
        sampler.stopped.set()
        if args.keep:
            print(f"Databases kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_report(args, corpus, results)
    print(
        f"\nTotal wall time {time.perf_counter() - started:.0f} s; 1-min load average mean / max "
        f"over the run {sampler.between()}."
    )
    return 1 if args.strict and any(r.verdict() == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
