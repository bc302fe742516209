"""JSON Lines: one claim a line, as `shapes.ClaimRecord`, the API's claim with the names, evidence
and cluster a line needs to stand on its own."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from workbench import shapes
from workbench.export.rows import EvidenceItem, ExportRow
from workbench.models import Stance


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


def write_jsonl(batches: Iterable[list[ExportRow]]) -> Iterator[str]:
    for rows in batches:
        yield "".join(claim_record(row).model_dump_json() + "\n" for row in rows)
