"""What a record looks like when it leaves the workbench: one pydantic model per record.

The JSON API returns these, the JSON Lines export writes them one a line, webhooks and the alert
feed send them, and the OpenAPI document is generated from them (web/api/openapi.py), so a field
has one name and one meaning wherever a newsroom tool reads it. A shape that says more about a
record extends the shorter one: `ClaimRef` (enough to name a claim) is in `Claim` (as lists show
it), which is in `ClaimDetail` (one claim's page) and `ClaimRecord` (the export's line).

Times are ISO 8601 text in UTC with microseconds, from `iso_time` only: SQLite hands times back
as text and PostgreSQL as datetimes, and the reader sees the same text from both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field

from workbench import models
from workbench.models import (
    AlertKind,
    AlertState,
    ClaimStatus,
    Stance,
    SuggestionKind,
    SuggestionState,
    Verdict,
    VerdictState,
)

# Ids are 32-bit INTEGER columns on PostgreSQL (SQLite's are wider): a bigger number can name no
# record, and sent to the database it is an error (a 500) instead of "nothing found".
ID_MAX = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=ID_MAX)]
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def iso_time(value: datetime | str | None) -> str | None:
    """ISO 8601 in UTC with microseconds, the same text from SQLite and PostgreSQL."""
    if value is None:
        return None
    if isinstance(value, str):
        # SQLAlchemy keeps SQLite times as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, by UTCDateTime).
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}+00:00"
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class Shape(BaseModel):
    """A record as it leaves. The types are the contract the OpenAPI document publishes and the
    tests read answers back through."""

    model_config = ConfigDict(use_enum_values=True)

    @classmethod
    def build(cls, **fields: Any) -> Self:
        """The shape from its fields, validated: pydantic's compiled core checks a dict faster
        than `model_construct` sets fields one by one in Python, and a record that breaks the
        contract fails here rather than in a newsroom's script."""
        return cls.model_validate(fields)


# --- Articles -------------------------------------------------------------------------------------


class ArticleRef(Shape):
    """The article a claim came from, as every claim carries it."""

    id: Id
    title: str
    url: str | None
    outlet: str | None
    published_at: Time | None

    @classmethod
    def of(cls, article: models.Article) -> Self:
        return cls.build(**_article_ref_fields(article))


def _article_ref_fields(article: models.Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "outlet": article.outlet,
        "published_at": iso_time(article.published_at),
    }


class ArticleSummary(ArticleRef):
    """An article in the archive's list, with how many claims it was split into."""

    origin: str
    byline: str | None
    feed_id: int | None  # the monitored feed it came from
    ingested_at: Time
    claim_count: int

    @classmethod
    def of(  # type: ignore[override]
        cls, article: models.Article, claim_count: int = 0, **more: Any
    ) -> Self:
        """The summary, or a longer shape of the article with `more` fields (its text, its
        claims, what storing it did), built in one validation."""
        return cls.build(
            **_article_ref_fields(article),
            origin=article.origin,
            byline=article.byline,
            feed_id=article.feed_id,
            ingested_at=iso_time(article.ingested_at),
            claim_count=claim_count,
            **more,
        )


class IngestedArticle(ArticleSummary):
    """What storing an article did: its claims, suggestions found, and sentences skipped."""

    suggestions: int
    skipped: dict[str, int] = Field(description="Sentences not made claims, by reason.")


# --- Claims ---------------------------------------------------------------------------------------


class ClaimRef(Shape):
    """Enough to name a claim and say where it stands: alerts and search results carry this."""

    id: Id
    external_id: str | None
    text: str
    status: ClaimStatus
    verdict: Verdict | None
    article: ArticleRef

    @classmethod
    def of(cls, claim: models.Claim, article: models.Article, **more: Any) -> Self:
        """The claim, or a longer shape of it with `more` fields (a search result's scores),
        built in one validation."""
        return cls.build(**_claim_ref_fields(claim, article), **more)


def _claim_ref_fields(claim: models.Claim, article: models.Article) -> dict[str, Any]:
    return {
        "id": claim.id,
        "external_id": claim.external_id,
        "text": claim.text,
        "status": claim.status.value,
        # Only a published (approved) verdict leaves in the short shape that alerts and
        # webhooks carry; the longer Claim shape says what the claim holds, with its state.
        "verdict": claim.verdict.value
        if claim.verdict and claim.verdict_state == models.VerdictState.APPROVED
        else None,
        "article": ArticleRef.of(article),
    }


class Claim(ClaimRef):
    """A claim as the queue and every list show it; `version` is what a change must send back."""

    verdict_summary: str | None
    verdict_state: VerdictState | None = Field(
        description="draft or sent_back while a verdict awaits sign-off; approved once published."
    )
    approved_at: Time | None = Field(description="When the verdict was approved (published).")
    dismiss_reason: str | None = Field(description="Why the claim was set aside, if it was.")
    claimant: str | None = Field(description="Who made the claim: a person or organisation.")
    check_worthiness: float
    priority: float
    repeat_count: int
    assignee_id: Id | None
    cluster_id: Id | None
    version: int = Field(description="Send it back with every change.")
    created_at: Time = Field(description="When the claim was ingested.")
    updated_at: Time
    updated_by_id: Id | None

    @classmethod
    def of(cls, claim: models.Claim, article: models.Article, **more: Any) -> Self:
        """The claim as lists show it, or a longer shape with `more` fields (its page's
        evidence, suggestions and cluster), built in one validation."""
        return cls.build(**_claim_fields(claim, article), **more)


def _claim_fields(claim: models.Claim, article: models.Article) -> dict[str, Any]:
    return {
        **_claim_ref_fields(claim, article),
        "verdict": claim.verdict.value if claim.verdict else None,
        "verdict_summary": claim.verdict_summary,
        "verdict_state": claim.verdict_state.value if claim.verdict_state else None,
        "approved_at": iso_time(claim.approved_at),
        "dismiss_reason": claim.dismiss_reason,
        "claimant": claim.claimant,
        "check_worthiness": claim.check_worthiness,
        "priority": claim.priority,
        "repeat_count": claim.repeat_count,
        "assignee_id": claim.assignee_id,
        "cluster_id": claim.cluster_id,
        "version": claim.version,
        "created_at": iso_time(claim.created_at),
        "updated_at": iso_time(claim.updated_at),
        "updated_by_id": claim.updated_by_id,
    }


class SimilarClaim(ClaimRef):
    """A search result: the score contract (see the README's table) on the claim it found."""

    score: float = Field(description="How close, 0-100; results are ranked by it.")
    duplicate_score: float = Field(description="The duplicate decision's score, 0-100.")
    duplicate: bool = Field(description="duplicate_score >= 75 and no fact differs.")
    kind: str = Field(description="duplicate, variant (a fact differs) or related.")
    changed: str | None = Field(description="The facts that differ, in words, for a variant.")


class SimilarClaims(Shape):
    query: str
    results: list[SimilarClaim]


class SnippetPiece(Shape):
    text: str
    match: bool = Field(description="One of the query's words (normalised as claims are).")


class SearchHit(Claim):
    """A search result: the claim as lists show it, with the query's words marked in its text."""

    snippet: list[SnippetPiece] = Field(
        description="The claim's own text (a window of a long one) in pieces, in order; the "
        "pieces with match true are the query's words."
    )
    score: float = Field(
        description="0-100. keyword: the share of the query's words the claim holds, weighted by "
        "rarity (results are in the index's relevance order); similar: the similarity score."
    )
    matched_words: int | None = Field(
        description="keyword: how many of the query's (normalised) words the claim holds."
    )
    kind: str | None = Field(description="similar: duplicate, variant or related.")


class SearchResults(Shape):
    query: str
    mode: str = Field(description="How the search ran: keyword or similar.")
    automatic: bool = Field(description="The mode was chosen from the text (mode=auto).")
    words: list[str] = Field(description="keyword: the normalised words the index was asked for.")
    page: int
    next_page: int | None = Field(description="The next page's number, if there is one.")
    results: list[SearchHit]


# --- Sources and evidence -------------------------------------------------------------------------


class Source(Shape):
    id: Id
    title: str
    url: str | None
    publisher: str | None
    kind: str
    archived_url: str | None
    created_at: Time

    @classmethod
    def of(cls, source: models.Source) -> Source:
        return cls.build(
            id=source.id,
            title=source.title,
            url=source.url,
            publisher=source.publisher,
            kind=source.kind,
            archived_url=source.archived_url,
            created_at=iso_time(source.created_at),
        )


class Evidence(Shape):
    """A source linked to a claim, with the quote that supports or conflicts with it."""

    id: Id
    claim_id: Id
    stance: Stance
    quote: str | None
    note: str | None
    added_by: str | None = Field(description="The editor's user name.")
    created_at: Time
    source: Source

    @classmethod
    def of(cls, evidence: models.Evidence, source: models.Source, added_by: str | None) -> Evidence:
        return cls.build(
            id=evidence.id,
            claim_id=evidence.claim_id,
            stance=evidence.stance.value,
            quote=evidence.quote,
            note=evidence.note,
            added_by=added_by,
            created_at=iso_time(evidence.created_at),
            source=Source.of(source),
        )


class EvidenceChange(Shape):
    """The answer to linking or changing evidence: the claim's new version to send next."""

    evidence: Evidence
    claim_version: int


class ClaimVersion(Shape):
    claim_version: int


class BulkRefusal(Shape):
    claim_id: int
    code: str  # stale_version, not_allowed, not_found, wrong_state
    reason: str  # in words, e.g. "changed meanwhile (reload it)"


class BulkOutcome(Shape):
    """What one bulk action did: the claims done, and those refused with why."""

    action: str
    done: list[Id]
    refused: list[BulkRefusal]
    message: str  # the whole outcome as one sentence, as the queue's page shows it


# --- Duplicates and clusters ----------------------------------------------------------------------


class Suggestion(Shape):
    """A claim the matcher found to repeat this one (`duplicate`) or change one of its facts
    (`variant`), waiting for an editor's decision."""

    id: Id
    claim_id: Id
    candidate_id: Id
    score: float
    method: str
    kind: SuggestionKind
    state: SuggestionState
    decided_at: Time | None
    other: Claim

    @classmethod
    def of(
        cls,
        suggestion: models.DuplicateSuggestion,
        other: models.Claim,
        other_article: models.Article,
    ) -> Suggestion:
        return cls.build(
            id=suggestion.id,
            claim_id=suggestion.claim_id,
            candidate_id=suggestion.candidate_id,
            score=suggestion.score,
            method=suggestion.method,
            kind=suggestion.kind.value,
            state=suggestion.state.value,
            decided_at=iso_time(suggestion.decided_at),
            other=Claim.of(other, other_article),
        )


class SuggestionDecision(Shape):
    id: Id
    state: SuggestionState
    claim_id: Id
    candidate_id: Id
    cluster_id: Id | None


class ClusterRef(Shape):
    id: Id
    canonical_claim_id: Id | None


class ClusterSummary(ClusterRef):
    size: int


class Cluster(ClusterRef):
    """Claims an editor confirmed as one: a verdict on the canonical claim covers them all."""

    created_at: Time
    members: list[Claim]

    @classmethod
    def of(
        cls, cluster: models.Cluster, members: list[tuple[models.Claim, models.Article]]
    ) -> Cluster:
        return cls.build(
            id=cluster.id,
            canonical_claim_id=cluster.canonical_claim_id,
            created_at=iso_time(cluster.created_at),
            members=[Claim.of(claim, article) for claim, article in members],
        )


class EffectiveVerdict(Shape):
    verdict: Verdict | None
    inherited_from: Id | None = Field(description="The claim whose verdict this one shares.")


class ClaimDetail(Claim):
    """One claim with everything its page shows."""

    effective_verdict: EffectiveVerdict
    evidence: list[Evidence]
    suggestions: list[Suggestion]
    cluster: Cluster | None


class ClaimRecord(Claim):
    """A claim as the JSON Lines export writes it, one a line: the API's claim, with the names
    of the people on it, its evidence and its cluster, so a line stands on its own."""

    inherited_verdict: Verdict | None = Field(
        description="The verdict its cluster's canonical claim has, when it has none of its own."
    )
    assignee: str | None = Field(description="The assigned editor's user name.")
    updated_by: str | None = Field(description="Who changed it last, by user name.")
    evidence_counts: dict[str, int] = Field(description="Pieces of evidence by stance.")
    evidence: list[Evidence]
    cluster: ClusterRef | None


# --- Alerts ---------------------------------------------------------------------------------------


class Alert(Shape):
    """A new claim repeats (or changes a fact of) a claim already checked or in review: what the
    alert inbox, the API, the feed and webhooks all say about it."""

    id: Id
    kind: AlertKind
    state: AlertState
    created_at: Time
    score: float
    verdict: Verdict | None = Field(description="The matched claim's verdict when raised.")
    note: str | None
    claim: ClaimRef
    matched_claim: ClaimRef

    @classmethod
    def of(
        cls,
        alert: models.Alert,
        claim: ClaimRef,
        matched_claim: ClaimRef,
    ) -> Alert:
        return cls.build(
            id=alert.id,
            kind=alert.kind.value,
            state=alert.state.value,
            created_at=iso_time(alert.created_at),
            score=alert.score,
            verdict=alert.verdict.value if alert.verdict else None,
            note=alert.note,
            claim=claim,
            matched_claim=matched_claim,
        )


# --- Lists ----------------------------------------------------------------------------------------


class ClaimList(Shape):
    claims: list[Claim]
    next_cursor: str | None = Field(description="Send it as ?after= for the next page.")


class ArticleList(Shape):
    articles: list[ArticleSummary]
    next_cursor: str | None


class ArticleDetail(ArticleSummary):
    body: str
    claims: list[Claim]


class SourceList(Shape):
    sources: list[Source]


class ClusterList(Shape):
    clusters: list[ClusterSummary]
    next_cursor: str | None


class AlertList(Shape):
    alerts: list[Alert]
    next_before: Id | None = Field(description="Send it as ?before= for the next page.")
