"""CSV: one row a claim, RFC 4180, for spreadsheets. Written from the plain rows: building a model
per claim would cost a million objects an export for nothing a spreadsheet reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from workbench.export.rows import ExportRow

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
    "claimant",
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
                    text(row.claimant),
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
