"""Articles in: decode, clean, split into claims, store, one transaction per article.

Every way an article arrives (the web form, an uploaded file, `flask ingest`, the demo fixtures)
ends in `ingest_article`, so the rules for what is accepted are written once.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.pool
import re
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import TypeVar

import charset_normalizer
import sqlalchemy as sa
import trafilatura
from charset_normalizer.md import mess_ratio
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workbench.alerts import rules as alerts
from workbench.config import Settings
from workbench.db import end_transaction, make_engine, snapshot
from workbench.errors import Conflict, Refused
from workbench.intake.splitting import find_claims
from workbench.matching.normalize import AliasTable, normalize
from workbench.matching.similar import (
    ArchiveCandidates,
    decide_candidates,
    find_candidates,
    find_suggestions,
    load_aliases,
)
from workbench.models import Article, Claim, utcnow
from workbench.review import duplicates
from workbench.review.priority import priority

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
ARTICLE_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
TITLE_MAX = 500
OUTLET_MAX = 200
URL_MAX = 2000
MAX_JSONL_ERRORS_SHOWN = 20
# A long news page has a few thousand tags; a page of 80,000 grew the process by 105 MB.
MAX_HTML_TAGS = 60_000
# An article record nests one level (an object of strings); json.loads recurses once per level
# and a line nested thousands deep ends in RecursionError, so depth is counted before parsing.
MAX_JSON_DEPTH = 20
T = TypeVar("T")


class IngestError(Refused):
    """An article or file was refused; the message tells the person what to do about it."""


class DuplicateArticle(Conflict, IngestError):
    code = "duplicate_article"

    def __init__(self, existing: Article) -> None:
        self.existing = existing
        super().__init__(
            f"This article is already in the archive as #{existing.id} "
            f"“{existing.title}” (same text); nothing was imported."
        )

    def fields(self) -> dict[str, int | None]:
        return {"article_id": self.existing.id}


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


@dataclass(frozen=True)
class ArticleInput:
    """An article as it arrived, before it is stored."""

    body: str
    title: str = ""
    url: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    origin: str = "text"


@dataclass
class IngestResult:
    article: Article
    claims: int
    skipped: Counter[str] = field(default_factory=Counter)
    suggestions: int = 0

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
        tail = f"; {skipped} sentence(s) not taken as claims ({reasons})" if skipped else ""
        if self.suggestions:
            tail += f"; {self.suggestions} possible duplicate(s) of archived claims"
        return f"Imported #{self.article.id} “{self.article.title}”: {self.claims} claim(s){tail}."


# --- Reading: bytes and files to ArticleInput ---------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Invisible characters that editors' tools leave in pasted text (BOM, zero-width space).
_INVISIBLE = re.compile(r"[\ufeff\u200b]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """The body we store and split: NFC, Unix newlines, no control characters, tidy blank lines.

    Claims keep character offsets into this text, so it is computed once and stored as is.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _CONTROL.sub("", text.replace("\u00a0", " ")))
    text = _MANY_BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text))
    return text.strip()


def decode_text(data: bytes, name: str) -> str:
    """Decode an uploaded file the way newsroom files are really encoded, or refuse it.

    Order: a BOM decides (UTF-8 or UTF-16); then strict UTF-8; then UTF-16 when the bytes look
    like it (NULs in alternate positions, as in English text); then charset-normalizer, a
    maintained detector that also reads UTF-16 without a BOM in any script and the Cyrillic,
    Chinese, Japanese and other code pages. For Western text it often names a cousin of
    Windows-1252 (cp1250 turns "naïve" into "naďve"), so cp1252, the usual encoding of files saved
    by older Windows editors, is kept whenever it reads the bytes as cleanly. Anything with NUL
    bytes or many control characters left is binary.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"]
        if _looks_like_utf16(data):
            # The NULs of ASCII-range characters sit in the odd bytes in LE, the even ones in BE.
            little = data[1::2].count(0) >= data[::2].count(0)
            candidates.append("utf-16-le" if little else "utf-16-be")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            return text
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        text = _detected(data)
        if text is not None and not _looks_binary(text):
            return text
    raise IngestError(
        f"{name}: this does not look like a text file (tried UTF-8, UTF-16, Windows-1252 and the "
        "encodings charset-normalizer recognises). Save it as plain text, HTML or JSON Lines "
        "and try again."
    )


DETECTION_SAMPLE = 65_536  # characters of the cp1252 reading weighed against the detector's


def _detected(data: bytes) -> str | None:
    """The text charset-normalizer reads in the bytes (cp1252 when it reads as cleanly), or
    cp1252 alone when the detector finds no encoding that makes sense of them."""
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return western
    if western is not None and best.encoding != "cp1252":
        if mess_ratio(western[:DETECTION_SAMPLE]) <= best.chaos:
            return western
        # On a few bytes the detector may guess UTF-16 ("café – 5 €" as five CJK signs); UTF-16
        # read as cp1252 is full of control characters, text saved as cp1252 has none.
        if best.encoding.startswith(("utf_16", "utf_32")) and not _CONTROL.search(western):
            return western
    return str(best)


def _looks_like_utf16(data: bytes) -> bool:
    sample = data[:4096]
    return len(sample) >= 4 and sample.count(b"\x00") >= len(sample) // 4


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:8192]
    controls = len(_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 100)


def extract_html(html: str, name: str) -> ArticleInput:
    """Main text of a web page, without navigation, ads or comments, via trafilatura.

    The parsed page takes far more memory than its bytes (a 4.9 MB page of 150,000 paragraphs grew
    the process by 700 MB), so a page with more than MAX_HTML_TAGS tags is refused unparsed.
    """
    if html.count("<") > MAX_HTML_TAGS:
        raise IngestError(
            f"{name}: the page has more than {MAX_HTML_TAGS:,} HTML tags, far more than an "
            "article page; save the article's text as a .txt file and import that."
        )
    body = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_precision=True
    )
    if not body or not body.strip():
        raise IngestError(f"{name}: no article text was found in this HTML page.")
    meta = trafilatura.extract_metadata(html)
    published = parse_date(meta.date) if meta and meta.date else None
    return ArticleInput(
        body=body,
        title=(meta.title if meta and meta.title else "") or "",
        url=meta.url if meta and meta.url else None,
        outlet=meta.sitename if meta and meta.sitename else None,
        published_at=published,
        origin="html",
    )


def parse_jsonl(text: str, name: str) -> list[ArticleInput]:
    """Articles from JSON Lines, all or none.

    Every line is checked before anything is stored: a file with a bad line imports nothing and the
    error names every bad line. A half-imported batch is harder to reason about (which lines are
    in?) than a file that is fixed and imported again; already-imported articles are skipped then.
    """
    # Only real line ends: splitlines() would also split at U+2028, U+0085 etc., which JSON
    # strings may hold unescaped.
    return read_jsonl(re.split(r"\r\n|\r|\n", text), name, _article_from_json, "articles")


def read_jsonl(lines: Iterable[str], name: str, parse: Callable[[object], T], what: str) -> list[T]:
    """Every record of a JSON Lines file, or MalformedJsonLines naming every bad line.

    `parse` turns one decoded line into a record, raising ValueError with the reason when it
    cannot; blank lines are skipped; a file with no records is refused too. A line nested deeper
    than MAX_JSON_DEPTH is refused before it is parsed.
    """
    records: list[T] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if json_too_deep(line):
            errors.append((number, f"nested deeper than {MAX_JSON_DEPTH} levels"))
            continue
        try:
            records.append(parse(json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append((number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
        except ValueError as exc:
            errors.append((number, str(exc)))
    if errors:
        raise MalformedJsonLines(name, errors)
    if not records:
        raise IngestError(f"{name}: the file holds no {what}.")
    return records


_JSON_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in a JSON text nest deeper than `limit`, found without parsing
    it (brackets inside strings do not count). Stops at the first level too deep, so a hostile
    line costs no more than a reasonable one."""
    depth = 0
    for match in _JSON_STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _article_from_json(record: object) -> ArticleInput:
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        raise ValueError('"text" must be a non-empty string')
    for key in ("title", "url", "outlet", "published"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise ValueError(f'"{key}" must be a string')
    for key in ("text", "title", "url", "outlet", "published"):
        if record.get(key) and not _encodable(record[key]):
            raise ValueError(
                f'"{key}" holds a lone surrogate (such as \\ud800 without its pair), which no '
                "text can hold; the file was probably converted with the wrong encoding"
            )
    url = record.get("url") or None
    if url is not None and not re.match(r"https?://", url, re.IGNORECASE):
        raise ValueError('"url" must start with http:// or https://')
    published = record.get("published") or None
    published_at = parse_date(published) if published else None
    if published and published_at is None:
        raise ValueError(f'"published" is not an ISO date: {published!r}')
    article = ArticleInput(
        body=body,
        title=record.get("title") or "",
        url=url,
        outlet=record.get("outlet") or None,
        published_at=published_at,
        origin="jsonl",
    )
    # The checks storing makes, made now: a file is imported whole or not at all.
    reason = refusal(article)
    if reason is not None:
        raise ValueError(reason)
    return article


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refusal(article: ArticleInput) -> str | None:
    """Why this article cannot be stored, or None: the checks prepare_article makes, in one place
    so that a JSON Lines file is checked whole before its first article is stored."""
    fields = (article.body, article.title, article.url or "", article.outlet or "")
    if not all(_encodable(value) for value in fields):
        return (
            "The article holds a lone surrogate (half of a character), which cannot be stored; "
            "it was probably converted with the wrong encoding."
        )
    if not clean_text(article.body):
        return "The article has no text. Paste the article's text or choose a file."
    url = _one_line(article.url or "")
    if len(url) > URL_MAX:
        return f"The article's address is longer than {URL_MAX:,} characters."
    return None


def parse_date(value: str) -> datetime | None:
    """An ISO date or date-time in UTC, or None when it is not one (or out of range)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
        parsed = datetime(day.year, day.month, day.day)
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:
        return None


def read_article_file(name: str, data: bytes, max_bytes: int) -> list[ArticleInput]:
    """The articles in one uploaded or local file, chosen by its suffix."""
    # Callers read at most one byte past the limit, so the true size is unknown here.
    if len(data) > max_bytes:
        raise IngestError(
            f"{name}: the file is larger than the limit of {max_bytes:,} bytes. "
            "Split it into smaller files."
        )
    suffix = PurePath(name).suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        allowed = ", ".join(sorted(ARTICLE_SUFFIXES))
        raise IngestError(f"{name}: unsupported file type; use one of {allowed}.")
    text = decode_text(data, name)
    if suffix in JSONL_SUFFIXES:
        return parse_jsonl(text, name)
    if suffix in HTML_SUFFIXES:
        return [extract_html(text, name)]
    stem = PurePath(name).stem.replace("_", " ").strip()
    title = "" if _is_generated_name(stem) else stem
    return [ArticleInput(body=text, title=title, origin="upload")]


def _is_generated_name(stem: str) -> bool:
    # Names like "000_2cb53fe733bcfbdb" or "stdin" say nothing to an editor; the first line is a
    # better title.
    return stem == "stdin" or bool(re.fullmatch(r"[\d\s]*[0-9a-f]{8,}", stem))


# --- Storing: one article, one transaction ------------------------------------------------------


def content_hash(body: str) -> str:
    """Identity of an article's text: the same words with different spacing are the same article."""
    return hashlib.sha256(" ".join(body.split()).encode("utf-8")).hexdigest()


def find_duplicate(session: Session, body: str) -> Article | None:
    return session.exec(select(Article).where(Article.content_hash == content_hash(body))).first()


@dataclass(frozen=True)
class PreparedArticle:
    """An article cleaned, split and normalised: everything but the database work.

    Pure, so a batch import can prepare articles in other processes while this one stores.
    """

    record: Article
    claims: list[dict[str, object]]
    skipped: Counter[str]

    @property
    def sentences(self) -> int:
        return len(self.claims) + sum(self.skipped.values())


def prepare_article(
    article: ArticleInput, aliases: AliasTable, *, max_sentences: int | None = None
) -> PreparedArticle:
    """Raises IngestError for an article that cannot be stored (see `refusal`), TooManySentences
    for one of more than `max_sentences` (found without splitting the rest)."""
    reason = refusal(article)
    if reason is not None:
        raise IngestError(reason)
    body = clean_text(article.body)
    url = _one_line(article.url or "") or None
    record = Article(
        title=_title_for(_one_line(article.title), body),
        url=url,
        outlet=_one_line(article.outlet or "")[:OUTLET_MAX] or None,
        published_at=article.published_at,
        body=body,
        content_hash=content_hash(body),
        origin=article.origin,
    )
    skipped: Counter[str] = Counter()
    claims: list[dict[str, object]] = []
    candidates = find_claims(body, max_sentences)
    if max_sentences is not None and len(candidates) > max_sentences:
        raise TooManySentences(max_sentences)
    for candidate in candidates:
        if candidate.skip_reason is not None:
            skipped[candidate.skip_reason] += 1
            continue
        sentence = candidate.sentence
        claims.append(
            {
                "position": len(claims),
                "start_offset": sentence.start,
                "end_offset": sentence.end,
                "text": sentence.text,
                "normalized_text": normalize(sentence.text, aliases),
                "check_worthiness": candidate.check_worthiness,
                "priority": priority(candidate.check_worthiness, 0),
                "repeat_count": 0,
                "status": "new",
                "version": 1,
            }
        )
    return PreparedArticle(record=record, claims=claims, skipped=skipped)


def ingest_article(
    session: Session,
    article: ArticleInput,
    *,
    user_id: int | None = None,
    aliases: AliasTable | None = None,
    match: bool = True,
    max_sentences: int | None = None,
) -> IngestResult:
    """Store an article, its claims and their duplicate suggestions in one transaction, committed
    here: all of it or nothing.

    Splitting and the search for duplicate candidates come first, in a read-only snapshot, so the
    write transaction (SQLite's one write lock) lasts only as long as storing does; a transaction
    the caller has open (a request's, begun when it read the logged-in user) is committed first.
    Raises IngestError (nothing stored) for empty text or an article already in the archive.
    """
    end_transaction(session)
    with snapshot(session.get_bind()) as reader:
        aliases = aliases or load_aliases(reader)
        prepared = prepare_article(article, aliases, max_sentences=max_sentences)
        found = match_article(reader, prepared, aliases) if match else None
    return store_article(
        session, prepared, user_id=user_id, match=match, found=found, aliases=aliases
    )


def ingest_upload(
    session: Session,
    articles: Sequence[ArticleInput],
    *,
    user_id: int | None,
    max_sentences: int,
    max_articles: int,
) -> tuple[list[IngestResult], list[str]]:
    """What one web request imports: each article in its own short transaction, as ingest_article
    does, and (refusals, such as an article already in the archive, aside) nothing at all when the
    articles together are more than one request may hold. The limits keep every request to
    seconds; `flask ingest` takes bigger batches.

    Returns the stored articles and the messages of the refused ones.
    """
    if len(articles) > max_articles:
        raise IngestError(
            f"The file holds {len(articles):,} articles, more than the {max_articles:,} one upload "
            "may import. Split it, or import it with `flask --app app ingest FILE`."
        )
    end_transaction(session)
    with snapshot(session.get_bind()) as reader:
        aliases = load_aliases(reader)
    prepared: list[PreparedArticle] = []
    refusals: list[str] = []
    budget = max_sentences
    for article in articles:
        try:
            ready = prepare_article(article, aliases, max_sentences=budget)
        except TooManySentences:
            raise TooManySentences(max_sentences) from None
        except IngestError as exc:
            refusals.append(str(exc))
            continue
        budget -= ready.sentences
        prepared.append(ready)
    results: list[IngestResult] = []
    word_counts: dict[str, int] = {}  # counts only weigh words: one upload's old ones will do
    for ready in prepared:
        with snapshot(session.get_bind()) as reader:
            found = match_article(reader, ready, aliases, word_counts=word_counts)
        try:
            results.append(
                store_article(session, ready, user_id=user_id, found=found, aliases=aliases)
            )
        except IngestError as exc:
            refusals.append(str(exc))
    return results, refusals


def match_article(
    session: Session,
    prepared: PreparedArticle,
    aliases: AliasTable,
    *,
    word_counts: dict[str, int] | None = None,
) -> ArchiveCandidates:
    """The archived claims each of the article's claims might repeat, read and weighed (reads
    only; see similar.find_candidates and decide_candidates)."""
    texts = [(str(claim["normalized_text"]), str(claim["text"])) for claim in prepared.claims]
    normalized = [text for text, _ in texts]
    found = find_candidates(session, normalized, word_counts=word_counts)
    return decide_candidates(found, texts, aliases)


def store_article(
    session: Session,
    prepared: PreparedArticle,
    *,
    user_id: int | None = None,
    match: bool = True,
    word_counts: dict[str, int] | None = None,
    found: ArchiveCandidates | None = None,
    aliases: AliasTable | None = None,
    commit: bool = True,
) -> IngestResult:
    """The database half of ingest_article: one transaction, committed or rolled back here.

    With `commit=False` the article is stored in a savepoint of the caller's transaction instead,
    and a failure rolls back this article only: a batch commits a few articles at once, since a
    commit costs more than storing one article does.
    `found` are the candidates read before (match_article); without them they are read now.
    `aliases` are the ones the article was normalised with (read again when not given).
    """
    record = prepared.record
    existing = find_duplicate(session, record.body)
    if existing is not None:
        if commit:
            session.rollback()
        raise DuplicateArticle(existing)
    savepoint = None if commit else session.begin_nested()
    suggestions = 0
    try:
        record.ingested_by_id = user_id
        record.ingested_at = utcnow()
        session.add(record)
        session.flush()
        now = utcnow()
        rows = [
            {**claim, "article_id": record.id, "created_at": now, "updated_at": now}
            for claim in prepared.claims
        ]
        if rows:
            # Core, not the ORM's bulk path (the rows are complete), one INSERT for them all, and
            # the stored claims come back as plain rows (in no set order: sorted here, since
            # asking for the order makes SQLite insert them one by one): the hot loop of a batch.
            table = Claim.__table__
            returned = session.execute(
                sa.insert(table).returning(
                    table.c.id,
                    table.c.article_id,
                    table.c.normalized_text,
                    table.c.text,
                    table.c.position,
                ),
                rows,
            ).all()
            stored = sorted(returned, key=lambda claim: claim.position)
            if match:
                # What matching found (reads only), then its writes, in this transaction: the
                # suggested pairs with both claims' repeats and priority, and the alerts (with
                # their webhook deliveries) for repeats of checked claims.
                made = find_suggestions(
                    session, stored, word_counts=word_counts, found=found, aliases=aliases
                )
                duplicates.record_suggestions(session, made)
                alerts.raise_for_suggestions(session, made)
                suggestions = len(made)
        (savepoint or session).commit()
    except IntegrityError as exc:
        (savepoint or session).rollback()
        # Another writer stored the same text between our check and our commit.
        existing = find_duplicate(session, record.body)
        if commit:
            session.rollback()
        if existing is not None:
            raise DuplicateArticle(existing) from exc
        raise
    except BaseException:
        (savepoint or session).rollback()
        raise
    return IngestResult(
        article=record, claims=len(rows), skipped=prepared.skipped, suggestions=suggestions
    )


@dataclass
class BatchReport:
    """What a batch import did, article by article, for the person who started it."""

    imported: list[IngestResult] = field(default_factory=list)
    duplicates: list[DuplicateArticle] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def claims(self) -> int:
        return sum(result.claims for result in self.imported)

    def summary(self) -> str:
        parts = [f"Imported {len(self.imported)} article(s) with {self.claims} claim(s)"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} already in the archive")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return "; ".join(parts) + "."


PARALLEL_MIN_ARTICLES = 16  # below this, starting worker processes costs more than it saves
# Articles prepared ahead of the one being stored, per worker process: enough to keep the workers
# busy, few enough that the claims stored since a worker's snapshot stay a short read.
AHEAD_PER_WORKER = 3
# A batch commits its articles in groups of at most this many, or this long: other writers (an
# editor's verdict) wait for a group, never longer.
GROUP_ARTICLES = 8
GROUP_SECONDS = 0.2

Prepared = tuple[PreparedArticle, ArchiveCandidates | None] | str


def ingest_batch(
    session: Session,
    articles: Iterable[ArticleInput],
    report: BatchReport,
    *,
    user_id: int | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    match: bool = True,
) -> BatchReport:
    """Ingest many articles, noting what happened to each.

    A failure in one article never undoes another, and a rerun of the same batch skips what is
    already in: so a long import can be killed and simply started again (see _store_all).
    With `workers` > 1, that many other processes clean, split and normalise, and search the
    archive for each article's duplicate candidates in a read-only snapshot of their own, while
    this one stores (in order) and matches only the claims stored since that snapshot. Storing
    is the smaller share of the work, so on two cores two workers and this process keep both
    cores busy.
    """
    bind = session.get_bind()
    end_transaction(session)
    with snapshot(bind) as reader:
        aliases = load_aliases(reader)
    articles = list(articles) if workers > 1 else articles
    parallel = (
        workers > 1
        and len(articles) >= PARALLEL_MIN_ARTICLES  # type: ignore[arg-type]
        and _shareable(bind)
    )
    if parallel:
        url = bind.engine.url.render_as_string(hide_password=False)
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, _start_worker, (url, aliases, match)) as pool:
            ahead = _Ahead(pool, _prepare_in_worker, articles, workers * AHEAD_PER_WORKER)
            _store_all(session, ahead, report, user_id, progress, match, aliases, ahead.next_ready)
    else:
        word_counts: dict[str, int] = {}

        def prepare(article: ArticleInput) -> Prepared:
            with snapshot(bind) as reader:
                return _prepare_and_match(reader, article, aliases, match, word_counts)

        # Here the next article is split only once this one is stored: each commits on its own,
        # so no other writer waits while this process splits.
        _store_all(session, map(prepare, articles), report, user_id, progress, match, aliases)
    return report


def _shareable(bind: Engine | sa.Connection) -> bool:
    """Whether another process can open the same database (not an in-memory SQLite one)."""
    url = bind.engine.url
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


def _prepare_and_match(
    reader: Session,
    article: ArticleInput,
    aliases: AliasTable,
    match: bool,
    word_counts: dict[str, int],
) -> Prepared:
    try:
        prepared = prepare_article(article, aliases)
    except IngestError as exc:
        return str(exc)
    found = match_article(reader, prepared, aliases, word_counts=word_counts) if match else None
    return prepared, found


@dataclass
class _Worker:
    """What a batch worker process keeps between articles: its own engine (connections are not
    shared across a fork), the aliases, and its memo of word counts."""

    engine: Engine
    aliases: AliasTable
    match: bool
    word_counts: dict[str, int] = field(default_factory=dict)


_worker: _Worker | None = None  # set in each worker process by _start_worker, never in the parent


def _start_worker(url: str, aliases: AliasTable, match: bool) -> None:
    global _worker
    _worker = _Worker(make_engine(Settings(database_url=url)), aliases, match)


def _prepare_in_worker(article: ArticleInput) -> Prepared:
    assert _worker is not None, "runs only in a pool started with _start_worker"
    with snapshot(_worker.engine) as reader:
        return _prepare_and_match(
            reader, article, _worker.aliases, _worker.match, _worker.word_counts
        )


class _Ahead:
    """pool.apply_async in order, but never more than `window` articles ahead of the consumer
    (imap would prepare the whole batch ahead, and every snapshot would grow old)."""

    def __init__(
        self,
        pool: multiprocessing.pool.Pool,
        func: Callable[[ArticleInput], Prepared],
        articles: Iterable[ArticleInput],
        window: int,
    ) -> None:
        self._pool, self._func, self._articles, self._window = pool, func, articles, window
        self._pending: deque[multiprocessing.pool.AsyncResult[Prepared]] = deque()

    def __iter__(self) -> Iterator[Prepared]:
        for article in self._articles:
            self._pending.append(self._pool.apply_async(self._func, (article,)))
            if len(self._pending) > self._window:
                yield self._pending.popleft().get()
        while self._pending:
            yield self._pending.popleft().get()

    def next_ready(self) -> bool:
        """Whether the next article is prepared, so storing it would not wait for a worker."""
        return bool(self._pending) and self._pending[0].ready()


def _store_all(
    session: Session,
    prepared: Iterable[Prepared],
    report: BatchReport,
    user_id: int | None,
    progress: Callable[[int], None] | None,
    match: bool,
    aliases: AliasTable,
    next_ready: Callable[[], bool] = lambda: False,
) -> None:
    """Store each article in a savepoint and commit every few: an article that fails undoes
    only itself, and a crash loses at most the articles of the last uncommitted group, which a
    rerun imports (the articles before are in, and skipped). Other writers wait for a group, so
    it is committed before this process would wait for the next article (`next_ready`), and
    stays short (`GROUP_ARTICLES`, `GROUP_SECONDS`)."""
    group: list[IngestResult] = []
    opened = 0.0
    for item in prepared:
        if isinstance(item, str):
            report.refused.append(item)
        else:
            article, found = item
            try:
                stored = store_article(
                    session,
                    article,
                    user_id=user_id,
                    match=match,
                    found=found,
                    aliases=aliases,
                    commit=False,
                )
                if not group:
                    opened = time.monotonic()
                group.append(stored)
            except DuplicateArticle as exc:
                report.duplicates.append(exc)
            except IngestError as exc:
                report.refused.append(str(exc))
        if group and (
            len(group) >= GROUP_ARTICLES
            or time.monotonic() - opened >= GROUP_SECONDS
            or not next_ready()
        ):
            _commit_group(session, group, report)
        if progress is not None:
            progress(1)
    _commit_group(session, group, report)


def _commit_group(session: Session, group: list[IngestResult], report: BatchReport) -> None:
    """Commit the stored group (and whatever the duplicate checks read) and report it."""
    session.commit()
    report.imported.extend(group)
    group.clear()


def _one_line(value: str) -> str:
    """Metadata as one clean line: no control characters (PostgreSQL refuses NUL), single spaces."""
    return " ".join(_CONTROL.sub("", value).split())


def _title_for(given: str, body: str) -> str:
    title = given
    if not title:
        title = body.split("\n", 1)[0].strip()
    if len(title) > 120 and not given:
        title = title[:117].rstrip() + "…"
    return title[:TITLE_MAX]
