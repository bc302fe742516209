"""JSON Lines: one claim a line, as `shapes.ClaimRecord`, the API's claim with the names, evidence
and cluster a line needs to stand on its own."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from workbench import shapes
from workbench.export.rows import EvidenceItem, ExportRow
from workbench.models import Stance


def claim_record(row: ExportRow) -> shapes.ClaimRecord:
    """One claim as the JSON Lines export writes it: the API's claim and more (see shapes).

    Validated from a plain dict, in pydantic's compiled core: faster than building the model
    field by field in Python (`model_construct`), and a row that breaks the published shape
    fails here instead of in a reader's script."""
    counts = NO_EVIDENCE
    if row.evidence:
        counts = {stance.value: count for stance, count in row.stance_counts().items()}
    return _RECORD(
        {
            "id": row.id,
            "external_id": row.external_id,
            "text": row.text,
            "status": row.status,
            "verdict": row.verdict,
            "article": {
                "id": row.article_id,
                "title": row.article_title,
                "url": row.article_url,
                "outlet": row.outlet,
                "published_at": row.published_at,
            },
            "verdict_summary": row.verdict_summary,
            "verdict_state": row.verdict_state,
            "approved_at": row.approved_at,
            "dismiss_reason": row.dismiss_reason,
            "claimant": row.claimant,
            "check_worthiness": row.check_worthiness,
            "priority": row.priority,
            "repeat_count": row.repeat_count,
            "assignee_id": row.assignee_id,
            "cluster_id": row.cluster_id,
            "version": row.version,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "updated_by_id": row.updated_by_id,
            "inherited_verdict": row.inherited_verdict,
            "assignee": row.assignee,
            "updated_by": row.updated_by,
            "evidence_counts": counts,
            "evidence": [_evidence(row.id, item) for item in row.evidence],
            "cluster": (
                {"id": row.cluster_id, "canonical_claim_id": row.canonical_claim_id}
                if row.cluster_id is not None
                else None
            ),
        }
    )


_RECORD = shapes.ClaimRecord.model_validate
NO_EVIDENCE = {stance.value: 0 for stance in Stance}


def _evidence(claim_id: int, item: EvidenceItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "claim_id": claim_id,
        "stance": item.stance,
        "quote": item.quote,
        "note": item.note,
        "added_by": item.added_by,
        "created_at": item.created_at,
        "source": {
            "id": item.source_id,
            "title": item.source_title,
            "url": item.source_url,
            "publisher": item.source_publisher,
            "kind": item.source_kind,
            "archived_url": item.source_archived_url,
            "created_at": item.source_created_at,
        },
    }


def write_jsonl(batches: Iterable[list[ExportRow]]) -> Iterator[str]:
    for rows in batches:
        yield "".join(claim_record(row).model_dump_json() + "\n" for row in rows)
