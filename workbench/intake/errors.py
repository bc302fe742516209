"""Why intake refuses an article or a file: an IngestError, whose message tells the person what to
do about it."""

from __future__ import annotations

from workbench.errors import Conflict, Refused
from workbench.models import Article

MAX_JSONL_ERRORS_SHOWN = 20


class IngestError(Refused):
    """An article or file was refused; the message tells the person what to do about it."""


class DuplicateArticle(Conflict, IngestError):
    code = "duplicate_article"

    def __init__(self, existing: Article, same: str = "text") -> None:
        self.existing = existing
        # Read now: a rollback after this expires `existing`, and reading it again then would
        # begin a transaction of its own.
        self.article_id = existing.id
        super().__init__(
            f"This article is already in the archive as #{existing.id} "
            f"“{existing.title}” (same {same}); nothing was imported."
        )

    def fields(self) -> dict[str, int | None]:
        return {"article_id": self.article_id}


class TooManySentences(IngestError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"This is more than {limit:,} sentences, more than one request may import (a news "
            "article has a few dozen). Split it into smaller articles or files, or import it with "
            "`flask --app app ingest FILE`, which has no such limit."
        )


class MalformedJsonLines(IngestError):
    def __init__(self, name: str, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"line {n}: {why}" for n, why in errors[:MAX_JSONL_ERRORS_SHOWN])
        more = len(errors) - MAX_JSONL_ERRORS_SHOWN
        tail = f"; and {more} more" if more > 0 else ""
        super().__init__(
            f"{name}: {len(errors)} bad line(s), so nothing from this file was imported "
            f"(fix them and import the file again): {shown}{tail}."
        )
