"""Articles from links: the page fetched by the one guarded fetcher (net/fetch.py), its text
extracted with trafilatura, and what a newsroom keeps of it: the canonical address, title, outlet,
byline and date.

trafilatura's own `fetch_url` is not used: it retries with certificate checks off and has no
private-address guard. The fetcher gives bytes; everything here only reads them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from sqlmodel import Session

from workbench.config import Settings
from workbench.db import end_transaction
from workbench.intake.errors import DuplicateArticle, IngestError
from workbench.intake.reading import ArticleInput, decode_text, extract_html
from workbench.intake.storing import IngestResult, find_by_address, ingest_article
from workbench.net.egress import Allowance, UnsafeURL
from workbench.net.fetch import PAGE_TYPES, Fetched, FetchFailed, FetchLimits, fetch

ARTICLE_MIN_WORDS = 8
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class Reach:
    """What outbound requests may reach and how long they may take: the admin's allow-list and
    the fetch limits, read once from the settings and shared by links and feeds."""

    allow: Allowance
    limits: FetchLimits

    @classmethod
    def from_settings(cls, settings: Settings) -> Reach:
        return cls(Allowance.parse(settings.egress_allow), FetchLimits.from_settings(settings))


def is_link(text: str) -> bool:
    """Whether pasted text is only an address (what people paste when they mean "this page")."""
    return bool(_LINK.fullmatch(text.strip()))


def read_link(url: str, reach: Reach, *, origin: str = "link") -> ArticleInput:
    """The article a link points at; IngestError, saying why, when it cannot be had."""
    try:
        page = fetch(url, allow=reach.allow, accept=PAGE_TYPES, limits=reach.limits)
    except UnsafeURL as exc:
        raise IngestError(f"{url}: {exc}") from None
    except FetchFailed as exc:
        raise IngestError(f"{url} could not be read: {exc}") from None
    return article_from_page(page, origin=origin)


def article_from_page(page: Fetched, *, origin: str = "link") -> ArticleInput:
    """The article in a fetched page: plain text as it is, HTML through trafilatura."""
    text = page_text(page)
    if page.media_type == "text/plain" or (not page.media_type and not _looks_like_html(text)):
        return ArticleInput(body=text, url=page.url, origin=origin)
    found = extract_html(text, page.url)
    if len(found.body.split()) < ARTICLE_MIN_WORDS:
        # trafilatura falls back to whatever text a page has (its menu, say) when it finds no
        # article; a link is sent for an article, so a page this short has none.
        raise IngestError(f"{page.url}: no article text was found on this page.")
    canonical = _canonical(found.url, page.url)
    return replace(found, url=canonical, origin=origin)


def page_text(page: Fetched) -> str:
    """The page's bytes as text, by the charset its server or its own <meta> names, else as an
    uploaded file is read (BOM, UTF-8, then detection)."""
    for charset in (page.charset, _meta_charset(page.body)):
        if charset and _known_codec(charset):
            return page.body.decode(charset, errors="replace")
    return decode_text(page.body, page.url)


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _looks_like_html(text: str) -> bool:
    return text.lstrip()[:1] == "<"


def _canonical(named: str | None, fetched_from: str) -> str:
    """The address the page calls its own (rel=canonical, og:url), when it is an http(s) one;
    relative ones are read against where the page was found. Else where it was found."""
    if named:
        absolute = urljoin(fetched_from, named.strip())
        if absolute.lower().startswith(("http://", "https://")) and len(absolute) <= 2000:
            return absolute
    return fetched_from


def ingest_link(
    session: Session, url: str, reach: Reach, *, user_id: int | None = None
) -> IngestResult:
    """Fetch a link and store its article, unless the archive has it already: the address is
    looked up before anything is fetched, and the canonical address and text after."""
    # Nothing stays open while the page is fetched: the transaction the lookup began (a
    # request's, on SQLite perhaps holding the write lock) ends before the fetch.
    existing = find_by_address(session, url.strip())
    end_transaction(session)
    if existing is not None:
        raise DuplicateArticle(existing, "address")
    return ingest_article(session, read_link(url.strip(), reach), user_id=user_id)
