"""Claims out of the workbench: CSV, JSON Lines and schema.org ClaimReview, streamed.

The claims come from `queue.claims_query`, the query behind the review queue and the JSON API, so
a filter selects the same claims everywhere. They are read in one streamed query ordered by claim
id (a server-side cursor on PostgreSQL, SQLite's own stepping cursor) and completed in batches:
evidence, clusters and names are fetched for a batch of ids at a time. Memory stays flat however
many claims match, and the whole export reads one snapshot of the database.

Output is reproducible: the same data and filters give the same bytes (claim-id order, times in
UTC, no "exported at" stamp in the body; a file name may carry the date instead).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from workbench import shapes
from workbench.config import Settings
from workbench.models import (
    Article,
    AuditEvent,
    Claim,
    Cluster,
    Evidence,
    Source,
    Stance,
    User,
    Verdict,
)
from workbench.review.queue import ClaimFilters, claims_query
from workbench.shapes import iso_time

BATCH_SIZE = 2_000


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    media_type: str
    suffix: str


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("csv", "CSV (one row a claim)", "text/csv; charset=utf-8", "csv"),
        ExportFormat(
            "jsonl",
            "JSON Lines (one claim a line, with evidence and cluster)",
            "application/x-ndjson; charset=utf-8",
            "jsonl",
        ),
        ExportFormat(
            "claimreview",
            "schema.org ClaimReview (claims with a verdict, JSON-LD)",
            "application/ld+json; charset=utf-8",
            "json",
        ),
    )
}


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class Publisher:
    """Who publishes the fact checks, and where: the ClaimReview `author` and `url`."""

    name: str
    url: str
    public_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Publisher:
        return cls(settings.publisher_name, settings.publisher_url, settings.public_url)

    def review_url(self, claim_id: int) -> str:
        if "{id}" in self.public_url:
            return self.public_url.replace("{id}", str(claim_id))
        return f"{self.public_url.rstrip('/')}/claims/{claim_id}"


# --- Reading: one streamed query, completed a batch at a time ------------------------------------


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
        "verdict_at",
        "appearances",
    )
    id: int
    external_id: str | None
    text: str
    status: str  # a ClaimStatus value
    verdict: str | None  # a Verdict value
    verdict_summary: str | None
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
    # ClaimReview only: when the current verdict was given, and where the claim appeared.
    verdict_at: Time | None
    appearances: list[Appearance]

    def __init__(self, values: Sequence[Any]) -> None:
        (
            self.id,
            self.external_id,
            self.text,
            self.status,
            self.verdict,
            self.verdict_summary,
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
        self.evidence = _NO_EVIDENCE
        self.canonical_claim_id = None
        self.inherited_verdict = None
        self.assignee = None
        self.updated_by = None
        self.verdict_at = None
        self.appearances = []

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

    `reviews` also fetches what ClaimReview needs: verdict dates and the cluster's appearances.
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
            _add_verdict_times(session, rows)
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
    sa.select(Cluster.id, Cluster.canonical_claim_id, _raw_text(_CANONICAL.verdict))
    .outerjoin(_CANONICAL, _CANONICAL.id == Cluster.canonical_claim_id)
    .where(Cluster.id.in_(_IDS))
)
_VERDICT_TIMES = (
    sa.select(AuditEvent.entity_id, sa.func.max(_raw_time(AuditEvent.created_at)))
    .where(
        AuditEvent.entity_type == "claim",
        AuditEvent.action == "claim.verdict",
        AuditEvent.entity_id.in_(_IDS),
    )
    .group_by(AuditEvent.entity_id)
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
    .where(Claim.cluster_id.in_(_IDS), Claim.verdict.is_(None))
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
        # The same rule as duplicates.effective_verdict: only a claim without its own verdict
        # inherits, and never from itself.
        if row.verdict is None and row.canonical_claim_id not in (None, row.id):
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


def _add_verdict_times(session: Session, rows: list[ExportRow]) -> None:
    """When each claim's current verdict was given: its latest verdict in the audit log."""
    reviewed = [row.id for row in rows if row.verdict is not None]
    if not reviewed:
        return
    result = session.connection().execute(_VERDICT_TIMES, {"ids": reviewed})
    times = dict(result.all())
    for row in rows:
        if row.verdict is not None:
            # Claims imported from an archive came with their verdict and have no such event.
            row.verdict_at = iso_time(times.get(row.id)) or row.updated_at


def _add_appearances(session: Session, rows: list[ExportRow]) -> None:
    """Where each reviewed claim appeared: its own article and, for the canonical claim of a
    cluster, the articles of the duplicates that share (inherit) its verdict."""
    reviewed = [row for row in rows if row.verdict is not None]
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


def _appearance_order(appearance: Appearance) -> tuple[str, int]:
    # ISO text in UTC with microseconds sorts as the times do.
    return (appearance.published_at or appearance.ingested_at, appearance.article_id)


# --- Writing ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "claim_id",
    "external_id",
    "text",
    "article_id",
    "article_title",
    "article_url",
    "outlet",
    "published_at",
    "ingested_at",
    "status",
    "verdict",
    "verdict_summary",
    "inherited_verdict",
    "evidence_supports",
    "evidence_conflicts",
    "evidence_context",
    "source_urls",
    "cluster_id",
    "canonical_claim_id",
    "assignee",
    "updated_by",
    "updated_at",
)
# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)").
_FORMULA_CHARS = frozenset("=+-@\t\r")


def neutralise(value: str | None) -> str | None:
    """A text cell a spreadsheet will show as text: a leading quote defuses formula starters.
    (None stays None: csv writes it as an empty cell.)"""
    if value and value[0] in _FORMULA_CHARS:
        return "'" + value
    return value


def write_csv(batches: Iterable[list[ExportRow]]) -> Iterator[str]:
    """CSV (RFC 4180: comma, double quotes, CRLF), UTF-8, a header row, then one row a claim."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    text = neutralise
    for rows in batches:
        for row in rows:
            supports, conflicts, context = row.stance_counts_tuple()
            writer.writerow(
                (
                    row.id,
                    text(row.external_id),
                    text(row.text),
                    row.article_id,
                    text(row.article_title),
                    text(row.article_url),
                    text(row.outlet),
                    row.published_at,
                    row.created_at,
                    row.status,
                    row.verdict,
                    text(row.verdict_summary),
                    row.inherited_verdict,
                    supports,
                    conflicts,
                    context,
                    # Source addresses cannot contain white space (review.add_source).
                    text(" ".join(row.source_urls())) if row.evidence else None,
                    row.cluster_id,
                    row.canonical_claim_id,
                    text(row.assignee),
                    text(row.updated_by),
                    row.updated_at,
                )
            )
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def claim_record(row: ExportRow) -> shapes.ClaimRecord:
    """One claim as the JSON Lines export writes it: the API's claim and more (see shapes)."""
    counts = row.stance_counts()
    return shapes.ClaimRecord.model_construct(
        id=row.id,
        external_id=row.external_id,
        text=row.text,
        status=row.status,
        verdict=row.verdict,
        article=shapes.ArticleRef.model_construct(
            id=row.article_id,
            title=row.article_title,
            url=row.article_url,
            outlet=row.outlet,
            published_at=row.published_at,
        ),
        verdict_summary=row.verdict_summary,
        check_worthiness=row.check_worthiness,
        priority=row.priority,
        repeat_count=row.repeat_count,
        assignee_id=row.assignee_id,
        cluster_id=row.cluster_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by_id=row.updated_by_id,
        inherited_verdict=row.inherited_verdict,
        assignee=row.assignee,
        updated_by=row.updated_by,
        evidence_counts={stance.value: counts[stance] for stance in Stance},
        evidence=[_evidence(row.id, item) for item in row.evidence],
        cluster=(
            shapes.ClusterRef.model_construct(
                id=row.cluster_id, canonical_claim_id=row.canonical_claim_id
            )
            if row.cluster_id is not None
            else None
        ),
    )


def _evidence(claim_id: int, item: EvidenceItem) -> shapes.Evidence:
    return shapes.Evidence.model_construct(
        id=item.id,
        claim_id=claim_id,
        stance=item.stance.value,
        quote=item.quote,
        note=item.note,
        added_by=item.added_by,
        created_at=item.created_at,
        source=shapes.Source.model_construct(
            id=item.source_id,
            title=item.source_title,
            url=item.source_url,
            publisher=item.source_publisher,
            kind=item.source_kind,
            archived_url=item.source_archived_url,
            created_at=item.source_created_at,
        ),
    )


def _dumps(value: Any) -> str:
    # ensure_ascii=False keeps non-Latin scripts readable; json still escapes the line breaks
    # inside strings, so one object is always one line.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Characters that end or confuse a <script> block in HTML, or a JavaScript string in old
# engines, written as JSON escapes: `</script>` in a claim cannot close the JSON-LD block it is
# pasted into, `<!--` cannot open an HTML comment, `&` cannot start an entity. The JSON means the
# same to every reader.
_HTML_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def dumps_for_html(value: Any) -> str:
    """JSON that can be pasted into a `<script type="application/ld+json">` block as it is: the
    form ClaimReview is published in. Those characters only occur inside JSON strings, where an
    escape is the same character to every JSON reader."""
    return _dumps(value).translate(_HTML_SAFE)


def write_jsonl(batches: Iterable[list[ExportRow]]) -> Iterator[str]:
    for rows in batches:
        yield "".join(claim_record(row).model_dump_json() + "\n" for row in rows)


# Our verdicts on the 1 (false) to 5 (true) scale Google's fact-check markup reads; see README.
RATINGS: dict[Verdict, tuple[str, int | None]] = {
    Verdict.REFUTED: ("False", 1),
    Verdict.MIXED: ("Mixed", 3),
    Verdict.SUPPORTED: ("True", 5),
    # No place on a true-false scale: named only, with no number.
    Verdict.UNVERIFIABLE: ("Unverifiable", None),
}
WORST_RATING, BEST_RATING = 1, 5


def claim_review(row: ExportRow, publisher: Publisher) -> dict[str, Any]:
    """A schema.org ClaimReview for a claim with its own verdict, shaped for Google's fact-check
    markup: claimReviewed, reviewRating.alternateName, url, author, datePublished, itemReviewed."""
    assert row.verdict is not None
    name, value = RATINGS[Verdict(row.verdict)]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": name}
    if value is not None:
        rating.update(ratingValue=value, bestRating=BEST_RATING, worstRating=WORST_RATING)
    if row.verdict_summary:
        rating["ratingExplanation"] = row.verdict_summary
    claim: dict[str, Any] = {"@type": "Claim"}
    appearances = [_creative_work(a) for a in row.appearances]
    if appearances:
        claim["appearance"] = appearances
        claim["firstAppearance"] = appearances[0]
        first = row.appearances[0]
        if first.outlet:
            claim["author"] = {"@type": "Organization", "name": first.outlet}
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.review_url(row.id),
        "claimReviewed": row.text,
        "datePublished": (row.verdict_at or row.updated_at)[:10],
        "author": {"@type": "Organization", "name": publisher.name, "url": publisher.url},
        "reviewRating": rating,
        "itemReviewed": claim,
    }
    if row.external_id:
        review["identifier"] = row.external_id
    return review


def _creative_work(appearance: Appearance) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "headline": appearance.title}
    if appearance.url:
        work["url"] = appearance.url
    if appearance.published_at:
        work["datePublished"] = appearance.published_at
    if appearance.outlet:
        work["publisher"] = {"@type": "Organization", "name": appearance.outlet}
    return work


def write_claimreview(batches: Iterable[list[ExportRow]], publisher: Publisher) -> Iterator[str]:
    """A JSON array of ClaimReview objects (a valid JSON-LD document), one object a line, safe
    to embed in a page's `<script type="application/ld+json">` block (see dumps_for_html).

    Only claims with their own verdict are reviews; a duplicate that inherits a verdict is listed
    as an appearance in its canonical claim's review instead of as a second review.
    """
    first = True
    yield "["
    for rows in batches:
        parts = []
        for row in rows:
            if row.verdict is None:
                continue
            review = dumps_for_html(claim_review(row, publisher))
            parts.append(("\n" if first else ",\n") + review)
            first = False
        if parts:
            yield "".join(parts)
    yield "\n]\n" if not first else "]\n"


# --- One entry point ----------------------------------------------------------------------------


def export(
    session: Session,
    format_name: str,
    filters: ClaimFilters,
    publisher: Publisher,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """The export as text chunks, produced as the caller reads them (nothing is held whole).

    `progress` is called with the number of claims in each batch read.
    """
    if format_name not in FORMATS:
        raise ExportError(f"Choose a format: one of {', '.join(FORMATS)}.")
    batches = export_batches(
        session, filters, batch_size=batch_size, reviews=format_name == "claimreview"
    )
    if progress is not None:
        batches = _counted(batches, progress)
    if format_name == "csv":
        return write_csv(batches)
    if format_name == "jsonl":
        return write_jsonl(batches)
    return write_claimreview(batches, publisher)


def _counted(
    batches: Iterator[list[ExportRow]], progress: Callable[[int], None]
) -> Iterator[list[ExportRow]]:
    for rows in batches:
        yield rows
        progress(len(rows))


def file_name(format_name: str, filters: ClaimFilters, day: datetime | None = None) -> str:
    """claims-2026-11-25.csv, or claims-refuted-2026-11-25.csv when filtered by verdict."""
    parts = ["claims"]
    for value in (filters.status, filters.verdict):
        if value is not None:
            parts.append(value.value)
    if day is not None:
        parts.append(day.date().isoformat())
    return "-".join(parts) + "." + FORMATS[format_name].suffix
