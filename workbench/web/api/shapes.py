"""How records look in the JSON API: one function per record, so every route shows a claim (or
an article, a source...) the same way and the OpenAPI document has one schema to describe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workbench.models import Article, Claim, Cluster, Evidence, Source
from workbench.review.duplicates import EffectiveVerdict, SuggestionView
from workbench.review.verdicts import EvidenceView


def time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def article_brief(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "outlet": article.outlet,
        "published_at": time(article.published_at),
    }


def article_json(article: Article, claims: int | None = None) -> dict[str, Any]:
    shape = {
        **article_brief(article),
        "origin": article.origin,
        "ingested_at": time(article.ingested_at),
    }
    if claims is not None:
        shape["claims"] = claims
    return shape


def claim_json(claim: Claim, article: Article) -> dict[str, Any]:
    """A claim as lists show it; `version` is what a change must send back."""
    return {
        "id": claim.id,
        "external_id": claim.external_id,
        "text": claim.text,
        "status": claim.status.value,
        "verdict": claim.verdict.value if claim.verdict else None,
        "verdict_summary": claim.verdict_summary,
        "check_worthiness": claim.check_worthiness,
        "priority": claim.priority,
        "repeat_count": claim.repeat_count,
        "assignee_id": claim.assignee_id,
        "cluster_id": claim.cluster_id,
        "version": claim.version,
        "created_at": time(claim.created_at),
        "updated_at": time(claim.updated_at),
        "updated_by_id": claim.updated_by_id,
        "article": article_brief(article),
    }


def source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "title": source.title,
        "url": source.url,
        "publisher": source.publisher,
        "kind": source.kind,
        "archived_url": source.archived_url,
        "created_at": time(source.created_at),
    }


def evidence_json(evidence: Evidence, source: Source, added_by: str | None) -> dict[str, Any]:
    return {
        "id": evidence.id,
        "claim_id": evidence.claim_id,
        "stance": evidence.stance.value,
        "quote": evidence.quote,
        "note": evidence.note,
        "added_by": added_by,
        "created_at": time(evidence.created_at),
        "source": source_json(source),
    }


def evidence_view_json(view: EvidenceView) -> dict[str, Any]:
    return evidence_json(view.evidence, view.source, view.added_by)


def suggestion_json(view: SuggestionView) -> dict[str, Any]:
    suggestion = view.suggestion
    return {
        "id": suggestion.id,
        "claim_id": suggestion.claim_id,
        "candidate_id": suggestion.candidate_id,
        "score": suggestion.score,
        "method": suggestion.method,
        "state": suggestion.state.value,
        "decided_at": time(suggestion.decided_at),
        "other": claim_json(view.other, view.other_article),
    }


def effective_verdict_json(effective: EffectiveVerdict) -> dict[str, Any]:
    return {
        "verdict": effective.verdict.value if effective.verdict else None,
        "inherited_from": effective.inherited_from.id if effective.inherited_from else None,
    }


def cluster_json(cluster: Cluster, members: list[tuple[Claim, Article]]) -> dict[str, Any]:
    return {
        "id": cluster.id,
        "canonical_claim_id": cluster.canonical_claim_id,
        "created_at": time(cluster.created_at),
        "members": [claim_json(claim, article) for claim, article in members],
    }
