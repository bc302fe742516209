"""The editors' review queue: which claims to look at first, and the filters every claim list
shares.

Claims come in priority order (see priority.py), the newer claim first among equals: news ages.
The score is kept in `Claim.priority`, so the queue reads an index instead of sorting a million
rows.

One function, `claims_query`, turns `ClaimFilters` into SQL; the queue page, the export and the
JSON API all call it, so a filter means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from workbench.matching import text_index
from workbench.matching.aliases import load_aliases
from workbench.matching.normalize import content_words, normalize
from workbench.models import OPEN_STATUSES, Article, Claim, ClaimStatus, Feed, Verdict

PER_PAGE = 50
# Counts above this are shown as "10,000+": an exact count of a million rows costs more than the
# difference tells an editor.
COUNT_CAP = 10_000
# A text filter whose rarest word is in more claims than this reads the queue in priority order
# and checks each claim against the matches, instead of sorting every match (see _text_condition).
COMMON_TEXT_MATCHES = 2_000
# The same for an outlet: with more articles than this, its page walks the queue in order.
BIG_OUTLET_ARTICLES = 200
UNASSIGNED = "none"


class StatusGroup(StrEnum):
    """Statuses a status filter can name together. The queue's page shows OPEN when no status is
    asked for (web/claims.py); everywhere else no status means every status, as it always has,
    so an export or an API call without filters still hands out every claim."""

    OPEN = "open"  # still waiting for someone (models.OPEN_STATUSES): not dismissed or resolved
    ALL = "all"  # every status: the same as no status filter, said out loud


@dataclass(frozen=True)
class ClaimFilters:
    """What a person can narrow a list of claims by; every field empty means all claims.

    `assignee` is a user id, or UNASSIGNED for claims nobody has taken. `text` finds claims
    containing all its words (after the same normalisation matching uses, so "Shoygu" finds
    "Shoigu"). Dates are inclusive lower and exclusive upper bounds.
    `claimant` is who made the claim, exactly as claims name them (the queue links each one).
    """

    status: ClaimStatus | StatusGroup | None = None
    verdict: Verdict | None = None
    outlet: str | None = None
    claimant: str | None = None
    feed_id: int | None = None
    article_id: int | None = None
    assignee: int | str | None = None
    text: str | None = None
    cluster_id: int | None = None
    ingested_from: datetime | None = None
    ingested_until: datetime | None = None
    changed_from: datetime | None = None
    changed_until: datetime | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "", StatusGroup.ALL) for f in fields(self))

    def as_query(self) -> dict[str, str]:
        """The filters as URL query arguments, so links and exports keep them."""
        query = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, ""):
                continue
            query[f.name] = value.isoformat() if isinstance(value, datetime) else str(value)
        return query


def claims_query(session: Session, filters: ClaimFilters) -> sa.Select[Any]:
    """Claims with their articles, filtered, in queue order (priority, then newest)."""
    statement = sa.select(Claim, Article).join(Article, Claim.article_id == Article.id)
    return _where(session, statement, filters).order_by(Claim.priority.desc(), Claim.id.desc())


def _where(
    session: Session, statement: sa.Select[Any], filters: ClaimFilters, *, in_order: bool = True
) -> sa.Select[Any]:
    """`statement` narrowed by the filters; only `claim` columns are used (the outlet through a
    subquery), so counts never touch the wide article rows. `in_order` says the caller reads
    claims in priority order and stops early (a page), rather than counting them all."""
    conditions: list[sa.ColumnElement[bool]] = []
    sqlite = text_index.is_sqlite(session)
    if filters.status == StatusGroup.OPEN:
        status_in: Any = Claim.status
        if in_order and sqlite:
            # Open claims are most of the queue: walking the priority index and skipping the
            # few others finds a page at once, where the status index would hand over every
            # open claim to sort. Counts (in_order=False) still read the status index.
            status_in = sa.type_coerce(Claim.status, sa.String()).op("||")("")
        conditions.append(status_in.in_([s.value for s in OPEN_STATUSES]))
    elif isinstance(filters.status, ClaimStatus):
        status: Any = Claim.status
        if filters.verdict is not None and sqlite:
            # Claims with a verdict are few: SQLite (without statistics) would rather walk every
            # claim of the status; `status || ''` leaves it the verdict index.
            status = sa.type_coerce(Claim.status, sa.String()).op("||")("")
        conditions.append(status == filters.status.value)
    if filters.verdict is not None:
        conditions.append(Claim.verdict == filters.verdict)
    if filters.outlet:
        articles = sa.select(Article.id).where(Article.outlet == filters.outlet)
        article_id: Any = Claim.article_id
        if in_order and sqlite and _outlet_size(session, filters.outlet) > BIG_OUTLET_ARTICLES:
            # A big outlet has a claim every few rows of the queue: walking the queue in order
            # and checking each beats fetching all its claims and sorting them.
            article_id = Claim.article_id + 0
        conditions.append(article_id.in_(articles))
    if filters.claimant:
        conditions.append(Claim.claimant == filters.claimant)
    if filters.feed_id is not None:
        from_feed = sa.select(Article.id).where(Article.feed_id == filters.feed_id)
        conditions.append(Claim.article_id.in_(from_feed))
    if filters.article_id is not None:
        conditions.append(Claim.article_id == filters.article_id)
    if filters.assignee == UNASSIGNED:
        assignee: Any = Claim.assignee_id
        if in_order and sqlite:
            # Most claims have nobody: walking the queue in order finds a page at once, where
            # the assignee index would hand over nearly every claim to sort.
            assignee = Claim.assignee_id + 0
        conditions.append(assignee.is_(None))
    elif filters.assignee not in (None, ""):
        conditions.append(Claim.assignee_id == int(filters.assignee))
    if filters.cluster_id is not None:
        conditions.append(Claim.cluster_id == filters.cluster_id)
    if filters.ingested_from is not None:
        conditions.append(Claim.created_at >= filters.ingested_from)
    if filters.ingested_until is not None:
        conditions.append(Claim.created_at < filters.ingested_until)
    if filters.changed_from is not None:
        conditions.append(Claim.updated_at >= filters.changed_from)
    if filters.changed_until is not None:
        conditions.append(Claim.updated_at < filters.changed_until)
    if filters.text:
        conditions.append(_text_condition(session, filters.text, in_order=in_order))
    return statement.where(*conditions)


def _outlet_size(session: Session, outlet: str) -> int:
    """Articles from this outlet, counted up to one past BIG_OUTLET_ARTICLES."""
    articles = sa.select(Article.id).where(Article.outlet == outlet)
    return _count_up_to(session, articles, BIG_OUTLET_ARTICLES)


def _text_condition(session: Session, text: str, *, in_order: bool) -> sa.ColumnElement[bool]:
    """Claims whose text has every word of `text`, answered by the search index.

    When even the rarest word is in thousands of claims and the caller wants a page in priority
    order, SQLite does better walking the priority index and checking each claim against the
    matches (`claim.id + 0` stops it from starting at the matches and sorting them all).
    """
    words = sorted(set(content_words(normalize(text, load_aliases(session))))) or sorted(
        set(normalize(text).split())
    )
    if not words:
        return sa.true()
    if not text_index.is_sqlite(session):
        # The claim's own stored vector, not `id IN (claims matching)`: PostgreSQL merge-joined
        # that second pass over claim along the whole primary key for a common word (0.8 s for a
        # capped count at 1,000,000 claims, benchmarks/review_queue.py --database).
        return text_index.holds_all_words(words)
    matches = text_index.all_words_query(session, words)
    if in_order and text_index.is_sqlite(session):
        rarest = min(text_index.document_counts(session, words).values(), default=0)
        if rarest > COMMON_TEXT_MATCHES:
            return (Claim.id + 0).in_(matches)
    return Claim.id.in_(matches)


@dataclass(frozen=True)
class QueuePage:
    """One screen of the queue; cursors are opaque strings for the next and previous screens."""

    items: list[tuple[Claim, Article]]
    next_cursor: str | None
    previous_cursor: str | None


def encode_cursor(claim: Claim) -> str:
    return f"{claim.priority!r}_{claim.id}"


def decode_cursor(cursor: str) -> tuple[float, int] | None:
    """None for anything that is not a cursor we made; the caller starts from the top."""
    head, _, tail = cursor.partition("_")
    try:
        return float(head), int(tail)
    except ValueError:
        return None


def list_claims(
    session: Session,
    filters: ClaimFilters = ClaimFilters(),
    *,
    after: str | None = None,
    before: str | None = None,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """A screen of the queue after (or before) a cursor: keyset paging, so the thousandth page
    costs what the first does."""
    statement = claims_query(session, filters)
    position = decode_cursor(after or before or "")
    backwards = before is not None and position is not None
    if position is not None:
        ranked = sa.tuple_(Claim.priority, Claim.id)
        statement = statement.where(ranked > position if backwards else ranked < position)
    if backwards:
        statement = statement.order_by(None).order_by(Claim.priority, Claim.id)
    rows = [tuple(row) for row in session.execute(statement.limit(per_page + 1)).all()]
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    items: list[tuple[Claim, Article]] = rows  # type: ignore[assignment]
    has_next = more if not backwards else True
    has_previous = (more if backwards else position is not None) and bool(items)
    return QueuePage(
        items=items,
        next_cursor=encode_cursor(items[-1][0]) if items and has_next else None,
        previous_cursor=encode_cursor(items[0][0]) if has_previous else None,
    )


def count_claims(session: Session, filters: ClaimFilters, cap: int = COUNT_CAP) -> int:
    """How many claims match, counted up to `cap` (a result of cap + 1 means "more than cap")."""
    return _count_up_to(session, _where(session, sa.select(Claim.id), filters, in_order=False), cap)


def _count_up_to(session: Session, statement: sa.Select[Any], cap: int) -> int:
    """Rows of `statement`, counted up to one past `cap`: enough to say "more than cap" without
    reading a million rows."""
    inner = statement.limit(cap + 1).subquery()
    return session.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one()


def status_counts(session: Session, filters: ClaimFilters) -> dict[ClaimStatus, int | None]:
    """Per-status counts of the claims the other filters select, for the queue's tabs.

    Each status is counted up to COUNT_CAP through its index. With a text filter the matches are
    counted in one grouped pass instead, when there are at most COUNT_CAP of them; a broader
    search leaves the split unknown (None) rather than count tens of thousands of matches.
    """
    if filters.text:
        if count_claims(session, replace(filters, status=None)) > COUNT_CAP:
            return dict.fromkeys(ClaimStatus)
        others = _where(
            session,
            sa.select(Claim.status, sa.func.count()).group_by(Claim.status),
            replace(filters, status=None),
            in_order=False,
        )
        found = {ClaimStatus(status): count for status, count in session.execute(others)}
        return {status: found.get(status, 0) for status in ClaimStatus}
    return {
        status: count_claims(session, replace(filters, status=status)) for status in ClaimStatus
    }


def tab_counts(
    session: Session, filters: ClaimFilters, by_status: dict[ClaimStatus, int | None] | None = None
) -> dict[str, int | None]:
    """The queue's tabs: open, each status, all; from the per-status counts, so no more queries.

    A sum of capped counts is only exact while none of them reached the cap; past it the tab
    says "10,000+" all the same (any value above COUNT_CAP is shown so)."""
    if by_status is None:
        by_status = status_counts(session, filters)
    tabs: dict[str, int | None] = {StatusGroup.OPEN.value: _sum(by_status, OPEN_STATUSES)}
    tabs.update({status.value: count for status, count in by_status.items()})
    tabs[StatusGroup.ALL.value] = _sum(by_status, tuple(ClaimStatus))
    return tabs


def _sum(counts: dict[ClaimStatus, int | None], statuses: tuple[ClaimStatus, ...]) -> int | None:
    values = [counts[status] for status in statuses]
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def neighbours(
    session: Session, claim: Claim, filters: ClaimFilters
) -> tuple[int | None, int | None]:
    """The claims before and after this one in the (filtered) queue, for next/previous keys."""
    base = _where(session, sa.select(Claim.id), filters)
    ranked = sa.tuple_(Claim.priority, Claim.id)
    position = (claim.priority, claim.id)
    previous = session.execute(
        base.where(ranked > position).order_by(Claim.priority, Claim.id).limit(1)
    ).scalar()
    following = session.execute(
        base.where(ranked < position).order_by(Claim.priority.desc(), Claim.id.desc()).limit(1)
    ).scalar()
    return previous, following


def feed_choices(session: Session) -> list[tuple[int, str]]:
    """The monitored feeds, as the queue's and the export's feed filter offers them."""
    rows = session.execute(sa.select(Feed.id, Feed.title, Feed.url).order_by(Feed.title, Feed.id))
    return [(feed_id, title or url) for feed_id, title, url in rows]


def outlets(session: Session) -> list[str]:
    rows = session.execute(
        sa.select(Article.outlet)
        .where(Article.outlet.is_not(None))
        .distinct()
        .order_by(Article.outlet)
    )
    return [row[0] for row in rows]
