"""Loading an archive of already-checked claims, such as a fact-checker's back catalogue.

Each record becomes a claim with its own small article (the fact-check page: title, url, date),
keeping the record's id as the claim's external id, so that answers can name claims the way the
archive does. Records already loaded (same external id) are skipped, so a file can be re-run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.intake.reading import parse_date, read_jsonl
from workbench.matching.aliases import load_aliases
from workbench.matching.normalize import AliasTable, normalize
from workbench.models import Article, Claim, ClaimStatus, Verdict, utcnow

BATCH = 500

# Words archives use for ratings, read as our verdicts (see README, "Verdicts").
VERDICT_WORDS: dict[str, Verdict] = {
    "supported": Verdict.SUPPORTED,
    "true": Verdict.SUPPORTED,
    "correct": Verdict.SUPPORTED,
    "mostly true": Verdict.SUPPORTED,
    "refuted": Verdict.REFUTED,
    "false": Verdict.REFUTED,
    "mostly false": Verdict.REFUTED,
    "pants on fire": Verdict.REFUTED,
    "fake": Verdict.REFUTED,
    "mixed": Verdict.MIXED,
    "mixture": Verdict.MIXED,
    "half true": Verdict.MIXED,
    "misleading": Verdict.MIXED,
    "unverifiable": Verdict.UNVERIFIABLE,
    "unproven": Verdict.UNVERIFIABLE,
    "unverified": Verdict.UNVERIFIABLE,
}
_DATE_FORMATS = ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y")


@dataclass(frozen=True)
class ArchivedClaim:
    external_id: str
    text: str
    title: str | None = None
    verdict: Verdict | None = None
    url: str | None = None
    date: datetime | None = None


@dataclass
class ArchiveReport:
    imported: int = 0
    already_present: int = 0
    undated: list[int] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"Imported {self.imported} claim(s)"]
        if self.already_present:
            parts.append(f"{self.already_present} already in the archive (same id)")
        return "; ".join(parts) + "."


def parse_archive(lines: Iterable[str], name: str) -> list[ArchivedClaim]:
    """Every record of a JSON Lines archive, or MalformedJsonLines naming every bad line."""
    seen: set[str] = set()

    def parse(value: object) -> ArchivedClaim:
        record = _record(value)
        if record.external_id in seen:
            raise ValueError(f'"id" {record.external_id!r} appears twice in the file')
        seen.add(record.external_id)
        return record

    return read_jsonl(lines, name, parse, "claims")


def _record(value: object) -> ArchivedClaim:
    if not isinstance(value, dict):
        raise ValueError("each line must be a JSON object")
    external_id, text = value.get("id"), value.get("text")
    if isinstance(external_id, int):
        external_id = str(external_id)
    if not isinstance(external_id, str) or not external_id.strip():
        raise ValueError('"id" must be a non-empty string')
    if not isinstance(text, str) or not text.strip():
        raise ValueError('"text" must be a non-empty string')
    for key in ("title", "verdict", "url", "date"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise ValueError(f'"{key}" must be a string')
    verdict = None
    if value.get("verdict"):
        verdict = VERDICT_WORDS.get(value["verdict"].strip().casefold())
        if verdict is None:
            known = ", ".join(sorted(VERDICT_WORDS))
            raise ValueError(f'"verdict" {value["verdict"]!r} is not one of: {known}')
    url = (value.get("url") or "").strip() or None
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise ValueError('"url" must start with http:// or https://')
    return ArchivedClaim(
        external_id=external_id.strip()[:200],
        text=" ".join(text.split()),
        title=" ".join((value.get("title") or "").split()) or None,
        verdict=verdict,
        url=url,
        date=_archive_date(value.get("date") or ""),
    )


def _archive_date(value: str) -> datetime | None:
    if not value.strip():
        return None
    parsed = parse_date(value)
    if parsed is not None:
        return parsed
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def import_archive(
    session: Session,
    records: list[ArchivedClaim],
    *,
    progress: Callable[[int], None] | None = None,
) -> ArchiveReport:
    """Store the records in batches of BATCH, each batch one transaction."""
    report = ArchiveReport()
    aliases = load_aliases(session)
    for batch in _batches(records, BATCH):
        present = set(
            session.exec(
                select(Claim.external_id).where(
                    Claim.external_id.in_([r.external_id for r in batch])
                )
            ).all()
        )
        fresh = [r for r in batch if r.external_id not in present]
        report.already_present += len(batch) - len(fresh)
        _store(session, fresh, aliases)
        session.commit()
        report.imported += len(fresh)
        if progress:
            progress(len(batch))
    return report


def _store(session: Session, records: list[ArchivedClaim], aliases: AliasTable) -> None:
    now = utcnow()
    for record in records:
        article = Article(
            title=(record.title or record.text)[:500],
            url=record.url,
            published_at=record.date,
            body=record.text,
            # The id is part of the identity: two archive records may share a sentence.
            content_hash=hashlib.sha256(f"archive\0{record.external_id}".encode()).hexdigest(),
            origin="archive",
        )
        session.add(article)
        session.flush()
        status = ClaimStatus.VERDICT if record.verdict else ClaimStatus.NEW
        session.execute(
            sa.insert(Claim),
            [
                {
                    "article_id": article.id,
                    "position": 0,
                    "start_offset": 0,
                    "end_offset": len(record.text),
                    "text": record.text,
                    "normalized_text": normalize(record.text, aliases),
                    "title": record.title,
                    "normalized_title": normalize(record.title, aliases) if record.title else None,
                    "check_worthiness": 0.0,
                    "priority": 0.0,
                    "repeat_count": 0,
                    "status": status.value,
                    "verdict": record.verdict.value if record.verdict else None,
                    # An archive's verdicts were published where they came from: approved,
                    # on the date the archive gives (else on the day they were imported).
                    "verdict_state": "approved" if record.verdict else None,
                    "approved_at": (record.date or now) if record.verdict else None,
                    "external_id": record.external_id,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )


def _batches(items: list[ArchivedClaim], size: int) -> Iterator[list[ArchivedClaim]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
