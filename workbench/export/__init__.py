"""Claims out of the workbench: CSV, JSON Lines and schema.org ClaimReview, streamed.

`rows.py` reads the claims once for every format (one streamed query, completed a batch at a
time, so memory stays flat however many claims match); each format is a module that turns those
rows into text (`csv_file.py`, `json_lines.py`, `claimreview.py`), and `export` here picks one.
A new format is a module beside them and a line in FORMATS.

Output is reproducible: the same data and filters give the same bytes (claim-id order, times in
UTC, no "exported at" stamp in the body; a file name may carry the date instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from workbench.errors import Invalid
from workbench.export.claimreview import Publisher, write_claimreview
from workbench.export.csv_file import write_csv
from workbench.export.json_lines import write_jsonl
from workbench.export.rows import BATCH_SIZE, ExportRow, export_batches
from workbench.review.queue import ClaimFilters

__all__ = ["FORMATS", "ExportError", "ExportFormat", "Publisher", "export", "file_name"]


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


class ExportError(Invalid, ValueError):
    """An export that cannot be made as asked; the message says what to change."""

    code = "bad_format"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


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
    if format_name == "claimreview" and (why := publisher.refusal()) is not None:
        raise ExportError(why, code="not_publishable")
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
