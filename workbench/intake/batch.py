"""A batch import: many articles, each stored on its own (a failure undoes only itself), committed a
few at a time, with worker processes preparing and matching the next articles while this process
stores. `flask ingest` and the demo fixtures come in this way.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workbench.config import Settings
from workbench.db import end_transaction, make_engine, snapshot
from workbench.intake.errors import DuplicateArticle, IngestError
from workbench.intake.preparing import PreparedArticle, prepare_article
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import IngestResult, match_article, store_article
from workbench.matching.normalize import AliasTable
from workbench.matching.similar import ArchiveCandidates, load_aliases


@dataclass
class BatchReport:
    """What a batch import did, article by article, for the person who started it."""

    imported: list[IngestResult] = field(default_factory=list)
    duplicates: list[DuplicateArticle] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def claims(self) -> int:
        return sum(result.claims for result in self.imported)

    def summary(self) -> str:
        parts = [f"Imported {len(self.imported)} article(s) with {self.claims} claim(s)"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} already in the archive")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return "; ".join(parts) + "."


PARALLEL_MIN_ARTICLES = 16  # below this, starting worker processes costs more than it saves
# Articles prepared ahead of the one being stored, per worker process: enough to keep the workers
# busy, few enough that the claims stored since a worker's snapshot stay a short read.
AHEAD_PER_WORKER = 3
# A batch commits its articles in groups of at most this many, or this long: other writers (an
# editor's verdict) wait for a group, never longer.
GROUP_ARTICLES = 8
GROUP_SECONDS = 0.2

Prepared = tuple[PreparedArticle, ArchiveCandidates | None] | str


def ingest_batch(
    session: Session,
    articles: Iterable[ArticleInput],
    report: BatchReport,
    *,
    user_id: int | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    match: bool = True,
) -> BatchReport:
    """Ingest many articles, noting what happened to each.

    A failure in one article never undoes another, and a rerun of the same batch skips what is
    already in: so a long import can be killed and simply started again (see _store_all).
    With `workers` > 1, that many other processes clean, split and normalise, and search the
    archive for each article's duplicate candidates in a read-only snapshot of their own, while
    this one stores (in order) and matches only the claims stored since that snapshot. Storing
    is the smaller share of the work, so on two cores two workers and this process keep both
    cores busy.
    """
    bind = session.get_bind()
    end_transaction(session)
    with snapshot(bind) as reader:
        aliases = load_aliases(reader)
    articles = list(articles) if workers > 1 else articles
    parallel = (
        workers > 1
        and len(articles) >= PARALLEL_MIN_ARTICLES  # type: ignore[arg-type]
        and _shareable(bind)
    )
    if parallel:
        url = bind.engine.url.render_as_string(hide_password=False)
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, _start_worker, (url, aliases, match)) as pool:
            ahead = _Ahead(pool, _prepare_in_worker, articles, workers * AHEAD_PER_WORKER)
            _store_all(session, ahead, report, user_id, progress, match, aliases, ahead.next_ready)
    else:
        word_counts: dict[str, int] = {}

        def prepare(article: ArticleInput) -> Prepared:
            with snapshot(bind) as reader:
                return _prepare_and_match(reader, article, aliases, match, word_counts)

        # Here the next article is split only once this one is stored: each commits on its own,
        # so no other writer waits while this process splits.
        _store_all(session, map(prepare, articles), report, user_id, progress, match, aliases)
    return report


def _shareable(bind: Engine | sa.Connection) -> bool:
    """Whether another process can open the same database (not an in-memory SQLite one)."""
    url = bind.engine.url
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


def _prepare_and_match(
    reader: Session,
    article: ArticleInput,
    aliases: AliasTable,
    match: bool,
    word_counts: dict[str, int],
) -> Prepared:
    try:
        prepared = prepare_article(article, aliases)
    except IngestError as exc:
        return str(exc)
    found = match_article(reader, prepared, aliases, word_counts=word_counts) if match else None
    return prepared, found


@dataclass
class _Worker:
    """What a batch worker process keeps between articles: its own engine (connections are not
    shared across a fork), the aliases, and its memo of word counts."""

    engine: Engine
    aliases: AliasTable
    match: bool
    word_counts: dict[str, int] = field(default_factory=dict)


_worker: _Worker | None = None  # set in each worker process by _start_worker, never in the parent


def _start_worker(url: str, aliases: AliasTable, match: bool) -> None:
    global _worker
    _worker = _Worker(make_engine(Settings(database_url=url)), aliases, match)


def _prepare_in_worker(article: ArticleInput) -> Prepared:
    assert _worker is not None, "runs only in a pool started with _start_worker"
    with snapshot(_worker.engine) as reader:
        return _prepare_and_match(
            reader, article, _worker.aliases, _worker.match, _worker.word_counts
        )


class _Ahead:
    """pool.apply_async in order, but never more than `window` articles ahead of the consumer
    (imap would prepare the whole batch ahead, and every snapshot would grow old)."""

    def __init__(
        self,
        pool: multiprocessing.pool.Pool,
        func: Callable[[ArticleInput], Prepared],
        articles: Iterable[ArticleInput],
        window: int,
    ) -> None:
        self._pool, self._func, self._articles, self._window = pool, func, articles, window
        self._pending: deque[multiprocessing.pool.AsyncResult[Prepared]] = deque()

    def __iter__(self) -> Iterator[Prepared]:
        for article in self._articles:
            self._pending.append(self._pool.apply_async(self._func, (article,)))
            if len(self._pending) > self._window:
                yield self._pending.popleft().get()
        while self._pending:
            yield self._pending.popleft().get()

    def next_ready(self) -> bool:
        """Whether the next article is prepared, so storing it would not wait for a worker."""
        return bool(self._pending) and self._pending[0].ready()


def _store_all(
    session: Session,
    prepared: Iterable[Prepared],
    report: BatchReport,
    user_id: int | None,
    progress: Callable[[int], None] | None,
    match: bool,
    aliases: AliasTable,
    next_ready: Callable[[], bool] = lambda: False,
) -> None:
    """Store each article in a savepoint and commit every few: an article that fails undoes
    only itself, and a crash loses at most the articles of the last uncommitted group, which a
    rerun imports (the articles before are in, and skipped). Other writers wait for a group, so
    it is committed before this process would wait for the next article (`next_ready`), and
    stays short (`GROUP_ARTICLES`, `GROUP_SECONDS`)."""
    group: list[IngestResult] = []
    opened = 0.0
    for item in prepared:
        if isinstance(item, str):
            report.refused.append(item)
        else:
            article, found = item
            try:
                stored = store_article(
                    session,
                    article,
                    user_id=user_id,
                    match=match,
                    found=found,
                    aliases=aliases,
                    commit=False,
                )
                if not group:
                    opened = time.monotonic()
                group.append(stored)
            except DuplicateArticle as exc:
                report.duplicates.append(exc)
            except IngestError as exc:
                report.refused.append(str(exc))
        if group and (
            len(group) >= GROUP_ARTICLES
            or time.monotonic() - opened >= GROUP_SECONDS
            or not next_ready()
        ):
            _commit_group(session, group, report)
        if progress is not None:
            progress(1)
    _commit_group(session, group, report)


def _commit_group(session: Session, group: list[IngestResult], report: BatchReport) -> None:
    """Commit the stored group (and whatever the duplicate checks read) and report it."""
    session.commit()
    report.imported.extend(group)
    group.clear()
