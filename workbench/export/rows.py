"""The claims an export writes, read once for every format: one streamed query, completed a batch
at a time.

The claims come from `queue.claims_query`, the query behind the review queue and the JSON API, so
a filter selects the same claims everywhere. They are read in one streamed query ordered by claim
id (a server-side cursor on PostgreSQL, SQLite's own stepping cursor) and completed in batches:
evidence, clusters and names are fetched for a batch of ids at a time. Memory stays flat however
many claims match, and the whole export reads one snapshot of the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from workbench.models import (
    Article,
    Claim,
    ClaimStatus,
    Cluster,
    Evidence,
    Source,
    Stance,
    User,
    VerdictState,
)
from workbench.review.queue import ClaimFilters, claims_query
from workbench.shapes import iso_time

BATCH_SIZE = 2_000


def _raw_time(column: Any) -> Any:
    """A time column read without conversion: SQLite hands back SQLAlchemy's stored text (UTC),
    PostgreSQL a datetime; `iso_time` makes both the same ISO text. Parsing a million times into
    datetimes only to print them again was a third of a CSV export's time."""
    return sa.type_coerce(column, sa.String)


def _raw_text(column: Any) -> Any:
    """A status or verdict as its stored text: the writers print the value, and building an
    enum member per row only to print its value again is time spent for nothing."""
    return sa.type_coerce(column, sa.String)


_COLUMNS = (
    Claim.id,
    Claim.external_id,
    Claim.text,
    _raw_text(Claim.status),
    _raw_text(Claim.verdict),
    Claim.verdict_summary,
    _raw_text(Claim.verdict_state),
    _raw_time(Claim.approved_at),
    Claim.dismiss_reason,
    Claim.claimant,
    Claim.cluster_id,
    Claim.assignee_id,
    Claim.updated_by_id,
    _raw_time(Claim.created_at),
    _raw_time(Claim.updated_at),
    Claim.check_worthiness,
    Claim.priority,
    Claim.repeat_count,
    Claim.version,
    Article.id,
    Article.title,
    Article.url,
    Article.outlet,
    _raw_time(Article.published_at),
)
# Times below are ISO 8601 text in UTC (see shapes.iso_time), or None.
Time = str


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    id: int
    stance: Stance
    quote: str | None
    note: str | None
    created_at: Time
    added_by: str | None
    source_id: int
    source_title: str
    source_url: str | None
    source_publisher: str | None
    source_kind: str
    source_archived_url: str | None
    source_created_at: Time


@dataclass(frozen=True, slots=True)
class Appearance:
    """An article a claim (or a duplicate of it in its cluster) appeared in."""

    article_id: int
    title: str
    url: str | None
    outlet: str | None
    published_at: Time | None
    ingested_at: Time


_NO_EVIDENCE: tuple[EvidenceItem, ...] = ()


class ExportRow:
    """One claim with everything an export says about it.

    A plain class filled from the query's row tuple: a million of them are made per export, and
    tuple unpacking is the cheapest way to name sixteen columns.
    """

    __slots__ = (
        "id",
        "external_id",
        "text",
        "status",
        "verdict",
        "verdict_summary",
        "verdict_state",
        "approved_at",
        "dismiss_reason",
        "claimant",
        "cluster_id",
        "assignee_id",
        "updated_by_id",
        "created_at",
        "updated_at",
        "check_worthiness",
        "priority",
        "repeat_count",
        "version",
        "article_id",
        "article_title",
        "article_url",
        "outlet",
        "published_at",
        "evidence",
        "canonical_claim_id",
        "inherited_verdict",
        "assignee",
        "updated_by",
        "appearances",
    )
    id: int
    external_id: str | None
    text: str
    status: str  # a ClaimStatus value
    verdict: str | None  # a Verdict value
    verdict_summary: str | None
    verdict_state: str | None  # a VerdictState value
    approved_at: Time | None
    dismiss_reason: str | None
    claimant: str | None
    cluster_id: int | None
    assignee_id: int | None
    updated_by_id: int | None
    created_at: Time
    updated_at: Time
    check_worthiness: float
    priority: float
    repeat_count: int
    version: int
    article_id: int
    article_title: str
    article_url: str | None
    outlet: str | None
    published_at: Time | None
    evidence: list[EvidenceItem] | tuple[EvidenceItem, ...]
    canonical_claim_id: int | None
    # The canonical claim's verdict, for a claim in a cluster that has none of its own.
    inherited_verdict: str | None
    assignee: str | None
    updated_by: str | None
    # ClaimReview only: where the claim (or a confirmed repeat of it) appeared.
    appearances: list[Appearance]

    def __init__(self, values: Sequence[Any]) -> None:
        (
            self.id,
            self.external_id,
            self.text,
            self.status,
            self.verdict,
            self.verdict_summary,
            self.verdict_state,
            approved_at,
            self.dismiss_reason,
            self.claimant,
            self.cluster_id,
            self.assignee_id,
            self.updated_by_id,
            created_at,
            updated_at,
            self.check_worthiness,
            self.priority,
            self.repeat_count,
            self.version,
            self.article_id,
            self.article_title,
            self.article_url,
            self.outlet,
            published_at,
        ) = values
        self.created_at = iso_time(created_at)  # type: ignore[assignment]
        self.updated_at = iso_time(updated_at)  # type: ignore[assignment]
        self.published_at = iso_time(published_at)
        self.approved_at = iso_time(approved_at)
        self.evidence = _NO_EVIDENCE
        self.canonical_claim_id = None
        self.inherited_verdict = None
        self.assignee = None
        self.updated_by = None
        self.appearances = []

    def is_published_review(self) -> bool:
        """The claim has its own verdict, approved (signed off, or saved with sign-off off), and
        was not set aside: a fact check that may be published as ClaimReview."""
        return (
            self.verdict is not None
            and self.verdict_state == VerdictState.APPROVED
            and self.approved_at is not None
            and self.status != ClaimStatus.DISMISSED
        )

    def stance_counts(self) -> dict[Stance, int]:
        counts = dict.fromkeys(Stance, 0)
        for item in self.evidence:
            counts[item.stance] += 1
        return counts

    def stance_counts_tuple(self) -> tuple[int, int, int]:
        """(supports, conflicts, context); most claims have no evidence, so that case is cheap."""
        if not self.evidence:
            return (0, 0, 0)
        counts = self.stance_counts()
        return counts[Stance.SUPPORTS], counts[Stance.CONFLICTS], counts[Stance.CONTEXT]

    def source_urls(self) -> list[str]:
        """Distinct source addresses in the order the evidence was linked."""
        return list(dict.fromkeys(e.source_url for e in self.evidence if e.source_url))


def export_batches(
    session: Session,
    filters: ClaimFilters,
    *,
    batch_size: int = BATCH_SIZE,
    reviews: bool = False,
) -> Iterator[list[ExportRow]]:
    """The filtered claims in claim-id order, a completed batch at a time.

    `reviews` also fetches what ClaimReview needs: the articles the claim appeared in.
    """
    statement = (
        claims_query(session, filters)
        .with_only_columns(*_COLUMNS)
        .order_by(None)
        .order_by(Claim.id)
    )
    # Core execution: plain row tuples, without the ORM's per-row bookkeeping. stream_results
    # is a server-side cursor on PostgreSQL; SQLite's cursor steps through rows as they are read.
    # The options go on this statement only: set on the connection they would stay there and
    # turn the session's later statements (an INSERT) into server-side cursors too.
    result = session.connection().execute(
        statement, execution_options={"stream_results": True, "max_row_buffer": batch_size}
    )
    names: dict[int, str] = {}
    for chunk in result.partitions(batch_size):
        rows = [ExportRow(values) for values in chunk]
        _add_evidence(session, rows)
        _add_clusters(session, rows)
        _add_names(session, rows, names)
        if reviews:
            _add_appearances(session, rows)
        yield rows


# The per-batch queries, built once: an expanding parameter takes each batch's ids.
_IDS = sa.bindparam("ids", expanding=True)
_EVIDENCE = (
    sa.select(
        Evidence.claim_id,
        Evidence.id,
        Evidence.stance,
        Evidence.quote,
        Evidence.note,
        _raw_time(Evidence.created_at),
        User.username,
        Source.id,
        Source.title,
        Source.url,
        Source.publisher,
        Source.kind,
        Source.archived_url,
        _raw_time(Source.created_at),
    )
    .join(Source, Evidence.source_id == Source.id)
    .outerjoin(User, Evidence.created_by_id == User.id)
    .where(Evidence.claim_id.in_(_IDS))
    .order_by(Evidence.claim_id, Evidence.id)
)
_CANONICAL = aliased(Claim)
_CLUSTERS = (
    sa.select(
        Cluster.id,
        Cluster.canonical_claim_id,
        # Only an approved verdict is inherited: a draft is nobody's verdict yet.
        sa.case((_CANONICAL.verdict_state == "approved", _raw_text(_CANONICAL.verdict))),
    )
    .outerjoin(_CANONICAL, _CANONICAL.id == Cluster.canonical_claim_id)
    .where(Cluster.id.in_(_IDS))
)
_APPEARANCES = (
    sa.select(
        Claim.cluster_id,
        Article.id,
        Article.title,
        Article.url,
        Article.outlet,
        _raw_time(Article.published_at),
        _raw_time(Article.ingested_at),
    )
    .join(Article, Claim.article_id == Article.id)
    .where(Claim.cluster_id.in_(_IDS))
    .order_by(Claim.cluster_id, Claim.id)
)


def _add_evidence(session: Session, rows: list[ExportRow]) -> None:
    by_id = {row.id: row for row in rows}
    result = session.connection().execute(_EVIDENCE, {"ids": list(by_id)})
    for claim_id, evidence_id, stance, quote, note, created_at, added_by, *source in result:
        row = by_id[claim_id]
        if not row.evidence:
            row.evidence = []
        *source, source_created_at = source
        row.evidence.append(  # type: ignore[union-attr]
            EvidenceItem(
                evidence_id,
                stance,
                quote,
                note,
                iso_time(created_at),  # type: ignore[arg-type]
                added_by,
                *source,
                iso_time(source_created_at),  # type: ignore[arg-type]
            )
        )


def _add_clusters(session: Session, rows: list[ExportRow]) -> None:
    cluster_ids = {row.cluster_id for row in rows if row.cluster_id is not None}
    if not cluster_ids:
        return
    result = session.connection().execute(_CLUSTERS, {"ids": list(cluster_ids)})
    clusters = {cluster_id: (claim_id, verdict) for cluster_id, claim_id, verdict in result}
    for row in rows:
        if row.cluster_id not in clusters:
            continue
        row.canonical_claim_id, verdict = clusters[row.cluster_id]
        # The same rule as duplicates.effective_verdict: only a claim without its own approved
        # verdict inherits, and never from itself.
        own = row.verdict if row.verdict_state == "approved" else None
        if own is None and row.canonical_claim_id not in (None, row.id):
            row.inherited_verdict = verdict


def _add_names(session: Session, rows: list[ExportRow], names: dict[int, str]) -> None:
    """User names, cached for the whole export (a newsroom has few users, a batch many rows)."""
    wanted = {i for row in rows for i in (row.assignee_id, row.updated_by_id) if i is not None}
    missing = wanted - names.keys()
    if missing:
        names.update(
            session.execute(sa.select(User.id, User.username).where(User.id.in_(missing))).all()
        )
    for row in rows:
        row.assignee = names.get(row.assignee_id) if row.assignee_id else None
        row.updated_by = names.get(row.updated_by_id) if row.updated_by_id else None


def _add_appearances(session: Session, rows: list[ExportRow]) -> None:
    """Where each reviewed claim appeared: its own article and, for the canonical claim of a
    cluster, the articles of its confirmed repeats; the earliest published first, then the
    undated ones in the order they came in."""
    reviewed = [row for row in rows if row.is_published_review()]
    leading = {
        row.cluster_id: row
        for row in reviewed
        if row.cluster_id is not None and row.canonical_claim_id == row.id
    }
    members: dict[int, list[Appearance]] = defaultdict(list)
    if leading:
        result = session.connection().execute(_APPEARANCES, {"ids": list(leading)})
        for cluster_id, article_id, title, url, outlet, published_at, ingested_at in result:
            members[cluster_id].append(
                Appearance(
                    article_id, title, url, outlet, iso_time(published_at), iso_time(ingested_at)
                )  # type: ignore[arg-type]
            )
    for row in reviewed:
        own = Appearance(
            row.article_id,
            row.article_title,
            row.article_url,
            row.outlet,
            row.published_at,
            row.created_at,
        )
        found = [own, *members.get(row.cluster_id, [])] if row.cluster_id in leading else [own]
        unique = {appearance.article_id: appearance for appearance in reversed(found)}
        row.appearances = sorted(unique.values(), key=_appearance_order)


def _appearance_order(appearance: Appearance) -> tuple[bool, str, int]:
    # An article without a date is not known to be the first: it goes after every dated one,
    # however early it was ingested. ISO text in UTC with microseconds sorts as the times do.
    undated = appearance.published_at is None
    return (undated, appearance.published_at or appearance.ingested_at, appearance.article_id)
