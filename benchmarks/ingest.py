"""Ingest throughput: articles/s and claims/s end to end, and the sentence splitter on its own.

What it measures, and why
=========================

Newsrooms import archives and wire feeds in bulk, so ingest has a throughput target: **at least
1,000 claims/s end to end on a 2-core machine**, importing 10,000 news-length articles into a
database that already holds 100,000 claims (indexes and the content-hash lookup cost more on a full
table than on an empty one).

1. **Articles.** Built deterministically (``--seed``) from real news sentences: the MSRP corpus
   (``../shared/data/paraphrase/msrp-train.tsv`` next to the repository, ~7,000 distinct
   sentences, ``datasets.article_sentences``); without it the benchmark stops (the 16 seed
   sentences would make an archive of near-copies and figures that mean nothing). Each article
   is 600-900 words in paragraphs of 1-4 sentences separated by blank lines, with its own sample
   of sentences so that the content-hash duplicate check never skips one.
2. **Pre-fill** (timed separately, not part of the target): a fresh, migrated database gets the
   existing claims by bulk ``INSERT ... executemany`` (20 claims per article), not through
   ``ingest_article``.
3. **End to end** (the target): the new articles go through the real domain path,
   ``ingest_batch`` with a ``write_session`` (clean, duplicate check, split, score, match, store,
   one transaction per article). The steps of ``ingest_article`` are timed in the same run by
   wrapping the functions it calls, so the time share shows where to optimise.
   **Baseline, same run:** unless ``--no-match`` (or ``--no-baseline``), the same articles are
   also ingested *without* duplicate matching into a copy of the same pre-filled archive (a
   file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), a tenth at a time in
   turn with the measured pass, and the matching rate is printed as a ratio of that rate: on a
   machine shared with other work the absolute figure moves with the load, the ratio much less.
4. **Splitter alone vs the raw library**, on the same sample of article texts:
   ``split_sentences`` and ``find_claims`` against ``pysbd.Segmenter(language="en",
   clean=False).segment(text)``, the call they are built on. "x raw" is raw time / our time on
   the same texts (above 1: ours is faster).

Run from the repository root: ``python benchmarks/ingest.py`` (``make bench``).
``--profile`` adds a cProfile of the end-to-end phase (its timings are then inflated).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pysbd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from datasets import article_sentences  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

import workbench.intake.preparing as preparing_module  # noqa: E402
import workbench.intake.splitting as splitting_module  # noqa: E402
import workbench.intake.storing as storing_module  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, write_session  # noqa: E402
from workbench.intake.batch import BatchReport, ingest_batch  # noqa: E402
from workbench.intake.claim_spotting import check_worthiness, find_claims  # noqa: E402
from workbench.intake.preparing import content_hash  # noqa: E402
from workbench.intake.reading import ArticleInput, clean_text  # noqa: E402
from workbench.intake.splitting import split_sentences  # noqa: E402
from workbench.matching.normalize import normalize  # noqa: E402
from workbench.models import Article, Claim, utcnow  # noqa: E402

TARGET_CLAIMS_PER_S = 1_000.0
WORDS_PER_ARTICLE = (600, 900)
SENTENCES_PER_PARAGRAPH = (1, 2, 3, 4)
PARAGRAPH_WEIGHTS = (2, 4, 3, 1)
PREFILL_CLAIMS_PER_ARTICLE = 20
PREFILL_BATCH_ARTICLES = 500
PROGRESS_STEPS = 10
PROFILE_TOP = 15


# --- Articles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedArticle:
    title: str
    body: str
    spans: tuple[tuple[int, int], ...]  # offsets of each sentence in body

    @property
    def words(self) -> int:
        return len(self.body.split())


class ArticleFactory:
    """Distinct news-length articles from a pool of sentences, reproducible from a seed."""

    def __init__(self, sentences: Sequence[str], seed: int) -> None:
        self._pool = list(sentences)
        self._rng = random.Random(seed)
        self._hashes: set[str] = set()

    def make(self, sentence_count: int | None = None) -> GeneratedArticle:
        """One article: ``sentence_count`` sentences, or 600-900 words when None."""
        while True:
            article = self._build(sentence_count)
            digest = content_hash(article.body)
            if digest not in self._hashes:
                self._hashes.add(digest)
                return article

    def _sentences(self, sentence_count: int | None) -> list[str]:
        rng = self._rng
        if sentence_count is None:
            target_words = rng.randint(*WORDS_PER_ARTICLE)
            chosen: list[str] = []
            words = 0
            while words < target_words:
                sentence = rng.choice(self._pool)
                chosen.append(sentence)
                words += len(sentence.split())
            return chosen
        if sentence_count <= len(self._pool):
            return rng.sample(self._pool, sentence_count)
        return rng.choices(self._pool, k=sentence_count)

    def _build(self, sentence_count: int | None) -> GeneratedArticle:
        sentences = self._sentences(sentence_count)
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        index = 0
        while index < len(sentences):
            size = self._rng.choices(SENTENCES_PER_PARAGRAPH, PARAGRAPH_WEIGHTS)[0]
            if parts:
                parts.append("\n\n")
                pos += 2
            for offset, sentence in enumerate(sentences[index : index + size]):
                if offset:
                    parts.append(" ")
                    pos += 1
                parts.append(sentence)
                spans.append((pos, pos + len(sentence)))
                pos += len(sentence)
            index += size
        headline_words = sentences[0].rstrip(".!?\"' ").split()
        title = " ".join(headline_words[: self._rng.randint(6, 10)])
        return GeneratedArticle(title=title, body="".join(parts), spans=tuple(spans))


# --- Database -----------------------------------------------------------------------------------


def database_url(value: str | None, tmp_dir: Path) -> str:
    """A SQLAlchemy URL from ``--database``: a URL as is, a path as SQLite, None as a temp file."""
    if value is None:
        return f"sqlite:///{tmp_dir / 'bench-ingest.db'}"
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).resolve()}"


def describe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def require_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        articles = conn.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one()
    if articles:
        raise SystemExit(
            f"The database already holds {articles:,} article(s); the benchmark needs an empty one "
            "(its figures assume exactly --existing-claims claims, and a rerun's articles would "
            "all be skipped as duplicates)."
        )


@contextmanager
def cloned(engine: Engine, url: str) -> Iterator[Engine]:
    """An engine on a copy of the database as it is now, dropped afterwards: a SQLite file copy,
    or a PostgreSQL ``CREATE DATABASE ... TEMPLATE`` (which needs no other session on it)."""
    parsed = make_url(url)
    engine.dispose()
    if parsed.get_backend_name() == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        source = Path(parsed.database or "")
        target = source.with_name(source.stem + "-baseline" + source.suffix)
        shutil.copyfile(source, target)
        copy_url = parsed.set(database=str(target))
        drop: Callable[[], None] = lambda: target.unlink(missing_ok=True)  # noqa: E731
    else:
        name = f"{parsed.database}_baseline"
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"')
        copy_url = parsed.set(database=name)

        def drop() -> None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

    copy = make_engine(Settings(database_url=copy_url.render_as_string(hide_password=False)))
    try:
        yield copy
    finally:
        copy.dispose()
        drop()


def prefill(engine: Engine, factory: ArticleFactory, claims: int) -> tuple[int, int]:
    """Bulk-insert ``claims`` claims (and their articles); returns (articles, claims) stored."""
    article_count = math.ceil(claims / PREFILL_CLAIMS_PER_ARTICLE)
    stored_articles = stored_claims = 0
    remaining = claims
    while stored_articles < article_count:
        batch_size = min(PREFILL_BATCH_ARTICLES, article_count - stored_articles)
        batch: list[tuple[GeneratedArticle, str, int]] = []
        for _ in range(batch_size):
            count = min(PREFILL_CLAIMS_PER_ARTICLE, remaining)
            article = factory.make(sentence_count=count)
            batch.append((article, content_hash(article.body), count))
            remaining -= count
        now = utcnow()
        with engine.begin() as conn:
            conn.execute(
                sa.insert(Article),
                [
                    {
                        "title": article.title,
                        "body": article.body,
                        "content_hash": digest,
                        "origin": "benchmark",
                        "ingested_at": now,
                    }
                    for article, digest, _ in batch
                ],
            )
            hashes = [digest for _, digest, _ in batch]
            ids = dict(
                conn.execute(
                    sa.select(Article.content_hash, Article.id).where(
                        Article.content_hash.in_(hashes)  # type: ignore[attr-defined]
                    )
                ).all()
            )
            rows: list[dict[str, Any]] = []
            for article, digest, count in batch:
                for position, (start, end) in enumerate(article.spans[:count]):
                    text = article.body[start:end]
                    rows.append(
                        {
                            "article_id": ids[digest],
                            "position": position,
                            "start_offset": start,
                            "end_offset": end,
                            "text": text,
                            "normalized_text": normalize(text),
                            "check_worthiness": check_worthiness(text),
                            "status": "new",
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
            conn.execute(sa.insert(Claim), rows)
        stored_articles += batch_size
        stored_claims += len(rows)
    return stored_articles, stored_claims


# --- End to end ---------------------------------------------------------------------------------


@dataclass
class StepTimer:
    """Time spent inside functions that ``ingest_article`` calls, measured in the real run."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        self.seconds.setdefault(name, 0.0)
        self.calls.setdefault(name, 0)
        clock = time.perf_counter

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] += clock() - started
                self.calls[name] += 1

        return timed


# (label, module, attribute): module globals that ingest_article and find_claims look up per call.
TIMED_STEPS: tuple[tuple[str, Any, str], ...] = (
    ("clean_text", preparing_module, "clean_text"),
    ("duplicate check", storing_module, "find_duplicate"),
    ("find_claims", preparing_module, "find_claims"),
    ("split_sentences", splitting_module, "split_sentences"),
    ("normalize", preparing_module, "normalize"),
)


@contextmanager
def timed_steps(timer: StepTimer) -> Iterator[None]:
    present = [step for step in TIMED_STEPS if hasattr(step[1], step[2])]
    originals = [(module, name, getattr(module, name)) for _, module, name in present]
    try:
        for label, module, name in present:
            setattr(module, name, timer.wrap(label, getattr(module, name)))
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


@dataclass
class EndToEnd:
    articles: int
    claims: int
    seconds: float
    duplicates: int
    refused: int
    steps: StepTimer

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds

    @property
    def claims_per_s(self) -> float:
        return self.claims / self.seconds


def run_end_to_end(
    engine: Engine,
    articles: Sequence[ArticleInput],
    profiler: cProfile.Profile | None,
    workers: int = 1,
    match: bool = True,
    baseline_engine: Engine | None = None,
) -> tuple[EndToEnd, EndToEnd | None]:
    """The articles through ingest_batch in chunks; with `baseline_engine`, each chunk is first
    ingested there without matching, so that both passes take turns and meet the same load on a
    shared machine (only the time inside ingest_batch counts)."""
    timer = StepTimer()
    passes = [(engine, match, BatchReport(), [0.0])]
    if baseline_engine is not None:
        passes.insert(0, (baseline_engine, False, BatchReport(), [0.0]))
    step = max(1, math.ceil(len(articles) / PROGRESS_STEPS))
    # Under the profiler the step wrappers would only add noise frames to its call tree.
    # With worker processes the preparing steps run elsewhere and cannot be timed from here.
    steps = nullcontext() if profiler is not None or workers > 1 else timed_steps(timer)
    sessions = [write_session(db) for db, *_ in passes]
    with steps:
        for first in range(0, len(articles), step):
            chunk = articles[first : first + step]
            for session, (_db, matching, report, seconds) in zip(sessions, passes, strict=True):
                started = time.perf_counter()
                if profiler is not None and matching == match:
                    profiler.enable()
                ingest_batch(session, chunk, report, workers=workers, match=matching)
                if profiler is not None:
                    profiler.disable()
                seconds[0] += time.perf_counter() - started
                done = min(first + step, len(articles))
                label = "matching" if matching else "no match"
                print(
                    f"  ingest ({label}) {done:>7,}/{len(articles):,} articles"
                    f"  {report.claims:>9,} claims  {seconds[0]:7.1f} s"
                    f"  {report.claims / seconds[0]:7,.0f} claims/s",
                    file=sys.stderr,
                    flush=True,
                )
    for session in sessions:
        session.close()
    results = [
        EndToEnd(
            articles=len(report.imported),
            claims=report.claims,
            seconds=seconds[0],
            duplicates=len(report.duplicates),
            refused=len(report.refused),
            steps=timer if matching == match else StepTimer(),
        )
        for _db, matching, report, seconds in passes
    ]
    return results[-1], (results[0] if baseline_engine is not None else None)


# --- Splitter alone -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitRun:
    name: str
    texts: int
    sentences: int
    seconds: float

    @property
    def texts_per_s(self) -> float:
        return self.texts / self.seconds

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds


def time_splitter(
    name: str, func: Callable[[str], Sequence[Any]], texts: Sequence[str]
) -> SplitRun:
    for text in texts[:3]:  # warm-up: rule tables, regex caches
        func(text)
    sentences = 0
    started = time.perf_counter()
    for text in texts:
        sentences += len(func(text))
    return SplitRun(name, len(texts), sentences, time.perf_counter() - started)


def run_splitters(texts: Sequence[str]) -> list[SplitRun]:
    raw = pysbd.Segmenter(language="en", clean=False)
    return [
        time_splitter("pysbd segment() (raw library)", raw.segment, texts),
        time_splitter("split_sentences", split_sentences, texts),
        time_splitter("find_claims (split + classify + score)", find_claims, texts),
    ]


# --- Reporting ----------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def share_rows(e2e: EndToEnd) -> list[list[str]]:
    """Seconds and share per step; "n/a" for a step the current code no longer calls."""
    seconds, calls = e2e.steps.seconds, e2e.steps.calls

    def measured(label: str) -> float | None:
        return seconds[label] if calls.get(label) else None

    clean, duplicate = measured("clean_text"), measured("duplicate check")
    claims, split = measured("find_claims"), measured("split_sentences")
    norm = measured("normalize")
    classify = None if claims is None or split is None else max(0.0, claims - split)
    # split_sentences runs inside find_claims: count it once.
    outer = [clean, duplicate, norm, claims if claims is not None else split]
    rest = max(0.0, e2e.seconds - sum(t for t in outer if t is not None))
    parts = [
        ("clean_text", clean),
        ("duplicate check (content hash lookup)", duplicate),
        ("splitting: split_sentences", split),
        ("find_claims minus splitting (classify + score)", classify),
        ("normalize (per claim)", norm),
        ("rest: ORM add/flush, claim INSERT, commit", rest),
    ]
    rows = [
        [name, "n/a", "n/a"] if t is None else [name, f"{t:.2f}", f"{100 * t / e2e.seconds:.1f}%"]
        for name, t in parts
    ]
    rows.append(["total end to end", f"{e2e.seconds:.2f}", "100.0%"])
    return rows


def print_profile(profiler: cProfile.Profile) -> None:
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats("cumulative")
    stats.print_stats(PROFILE_TOP)
    print(f"\ncProfile of the end-to-end phase (top {PROFILE_TOP} by cumulative time):")
    print(buffer.getvalue().rstrip())


# --- Main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=10_000, help="new articles to ingest")
    parser.add_argument(
        "--existing-claims", type=int, default=100_000, help="claims in the database beforehand"
    )
    parser.add_argument(
        "--database",
        default=None,
        help="an empty database: SQLAlchemy URL (as DATABASE_URL) or SQLite file path; "
        "default: a temporary SQLite file",
    )
    parser.add_argument("--seed", type=int, default=20240601, help="seed for the articles")
    parser.add_argument(
        "--split-sample", type=int, default=500, help="article texts for the splitter benchmark"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the end-to-end phase (slows it down)"
    )
    parser.add_argument(
        "--no-match",
        action="store_true",
        help="skip duplicate matching, to time the ingest pipeline alone",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes for ingest_batch, as `flask ingest --workers` (default 2, its "
        "default on this machine, beside the storing process); 1 times every step in-process",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the same-run baseline (the same articles without matching, on a copy)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when the target is missed"
    )
    args = parser.parse_args(argv)
    if args.articles < 1 or args.existing_claims < 0 or args.split_sample < 1:
        parser.error("--articles and --split-sample must be >= 1, --existing-claims >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pool = article_sentences()
    factory = ArticleFactory(pool.sentences, args.seed)
    print(f"Sentences: {len(pool.sentences):,} distinct, from {pool.source}")

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        url = database_url(args.database, Path(tmp))
        engine = make_engine(Settings(database_url=url))
        try:
            print(f"Database: {describe_url(url)}")
            migrate(engine)
            require_empty(engine)

            started = time.perf_counter()
            prefill_articles, prefill_claims = prefill(engine, factory, args.existing_claims)
            prefill_s = time.perf_counter() - started
            print(
                f"Pre-fill: {prefill_claims:,} claims in {prefill_articles:,} articles "
                f"by bulk insert, {prefill_s:.1f} s (not part of the target)"
            )

            started = time.perf_counter()
            generated = [factory.make() for _ in range(args.articles)]
            inputs = [
                ArticleInput(body=a.body, title=a.title, outlet="Benchmark Wire", origin="text")
                for a in generated
            ]
            words = statistics.mean(a.words for a in generated)
            sentences_each = statistics.mean(len(a.spans) for a in generated)
            print(
                f"New articles: {len(inputs):,}, mean {words:.0f} words and {sentences_each:.1f} "
                f"sentences each (built in {time.perf_counter() - started:.1f} s)"
            )

            workers = 1 if args.profile else args.workers
            profiler = cProfile.Profile() if args.profile else None
            print(f"End to end: ingest_batch of {len(inputs):,} articles (progress on stderr)")
            if not args.no_match and not args.no_baseline:
                print(
                    "Baseline: the same articles without matching, into a copy of the archive, "
                    "chunk by chunk in turn with the measured pass"
                )
                with cloned(engine, url) as copy:
                    e2e, baseline = run_end_to_end(
                        engine, inputs, profiler, workers, True, baseline_engine=copy
                    )
            else:
                e2e, baseline = run_end_to_end(engine, inputs, profiler, workers, not args.no_match)
        finally:
            engine.dispose()

    sample = [clean_text(a.body) for a in generated[: args.split_sample]]
    print(f"Splitter alone: {len(sample):,} article texts, raw library vs ours")
    splits = run_splitters(sample)

    print_summary(
        args, prefill_claims, prefill_s, e2e, baseline, splits, profiled=profiler is not None
    )
    if profiler is not None:
        print_profile(profiler)
    passed = e2e.claims_per_s >= TARGET_CLAIMS_PER_S
    return 1 if args.strict and not passed else 0


def print_summary(
    args: argparse.Namespace,
    prefill_claims: int,
    prefill_s: float,
    e2e: EndToEnd,
    baseline: EndToEnd | None,
    splits: Sequence[SplitRun],
    *,
    profiled: bool,
) -> None:
    passed = e2e.claims_per_s >= TARGET_CLAIMS_PER_S
    verdict = "PASS" if passed else "FAIL"
    note = " (under cProfile: slower than real)" if profiled else ""
    print(f"\n=== Ingest benchmark: {args.articles:,} new articles, seed {args.seed}{note} ===\n")

    prefill_rate = (
        f"{prefill_claims / prefill_s:,.0f} claims/s" if prefill_claims and prefill_s else "-"
    )
    print(
        table(
            ["end to end", "value"],
            [
                ["existing claims (pre-fill)", f"{prefill_claims:,} in {prefill_s:.1f} s"],
                ["pre-fill rate (bulk insert + normalize + score)", prefill_rate],
                ["articles ingested", f"{e2e.articles:,}"],
                ["claims stored", f"{e2e.claims:,}"],
                ["claims per article", f"{e2e.claims / max(1, e2e.articles):.1f}"],
                ["duplicates / refused", f"{e2e.duplicates:,} / {e2e.refused:,}"],
                ["wall time", f"{e2e.seconds:.1f} s"],
                ["articles/s", f"{e2e.articles_per_s:,.1f}"],
                ["claims/s", f"{e2e.claims_per_s:,.0f}"],
                [
                    f"target >= {TARGET_CLAIMS_PER_S:,.0f} claims/s",
                    f"{verdict} ({e2e.claims_per_s / TARGET_CLAIMS_PER_S:.2f}x target)",
                ],
                [
                    "baseline, same run: the same articles without matching",
                    f"{baseline.claims_per_s:,.0f} claims/s" if baseline else "-",
                ],
                [
                    "with matching / without (same run)",
                    f"{e2e.claims_per_s / baseline.claims_per_s:.2f}x" if baseline else "-",
                ],
                [
                    "ingest vs bulk insert (same run)",
                    f"{e2e.claims_per_s / (prefill_claims / prefill_s):.3f}x"
                    if prefill_claims and prefill_s
                    else "-",
                ],
            ],
        )
    )

    if profiled:
        print("\nWhere end-to-end time goes: see the profile below (steps not timed under it).")
    elif args.workers > 1:
        print("\nWhere end-to-end time goes: run with --workers 1 (worker processes prepare")
        print("articles out of reach of the step timers).")
    else:
        print("\nWhere end-to-end time goes (timed inside the same run):\n")
        print(table(["step", "seconds", "share"], share_rows(e2e)))

    raw = splits[0]
    rows = [
        [
            run.name,
            f"{run.seconds:.2f}",
            f"{run.texts_per_s:,.1f}",
            f"{run.sentences:,}",
            f"{run.sentences_per_s:,.0f}",
            f"{raw.seconds / run.seconds:.2f}x",
        ]
        for run in splits
    ]
    print(f"\nSplitter alone on {raw.texts:,} article texts (baseline: raw pysbd, same texts):\n")
    print(table(["splitter", "seconds", "articles/s", "sentences", "sentences/s", "x raw"], rows))
    ours = splits[1]
    print(
        f"\nsplit_sentences vs raw pysbd: {raw.seconds / ours.seconds:.2f}x the speed on the same "
        f"texts; sentences/s ratio ours/raw {ours.sentences_per_s / raw.sentences_per_s:.2f}."
    )
    ratio = (
        f", {e2e.claims_per_s / baseline.claims_per_s:.2f}x the rate without matching"
        if (baseline)
        else ""
    )
    print(f"Result: {e2e.claims_per_s:,.0f} claims/s end to end{ratio}: {verdict}.")


if __name__ == "__main__":
    sys.exit(main())
