"""Articles as they arrive, read into `ArticleInput`s: pasted text, uploaded and local files (plain
text, HTML pages, JSON Lines), their encodings, dates and metadata.

What an article must be to be stored (`refusal`, on its text as `clean_text` leaves it) is decided
here too, so that a JSON Lines file is checked whole before its first article is stored; preparing
an article applies the same checks.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import TypeVar

import charset_normalizer
import trafilatura
from charset_normalizer.md import mess_ratio

from workbench.intake.errors import IngestError, MalformedJsonLines

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
ARTICLE_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
URL_MAX = 2000
# A long news page has a few thousand tags; a page of 80,000 grew the process by 105 MB.
MAX_HTML_TAGS = 60_000
# An article record nests one level (an object of strings); json.loads recurses once per level
# and a line nested thousands deep ends in RecursionError, so depth is counted before parsing.
MAX_JSON_DEPTH = 20
T = TypeVar("T")


@dataclass(frozen=True)
class ArticleInput:
    """An article as it arrived, before it is stored."""

    body: str
    title: str = ""
    url: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    origin: str = "text"
    byline: str | None = None
    feed_id: int | None = None  # the monitored feed it came from


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
        byline=meta.author if meta and meta.author else None,
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
    fields = (
        article.body,
        article.title,
        article.url or "",
        article.outlet or "",
        article.byline or "",
    )
    if not all(_encodable(value) for value in fields):
        return (
            "The article holds a lone surrogate (half of a character), which cannot be stored; "
            "it was probably converted with the wrong encoding."
        )
    if not clean_text(article.body):
        return "The article has no text. Paste the article's text or choose a file."
    url = one_line(article.url or "")
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


def one_line(value: str) -> str:
    """Metadata as one clean line: no control characters (PostgreSQL refuses NUL), single spaces."""
    return " ".join(_CONTROL.sub("", value).split())
