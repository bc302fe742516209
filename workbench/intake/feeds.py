"""Monitored feeds: RSS 2.0, RSS 1.0/RDF and Atom, polled on each feed's own schedule, each new
entry stored as an article (from the full text the feed carries, else from its link).

Nothing lost, nothing twice:
- an entry is recorded as seen (`FeedEntry`, unique per feed and key) in the transaction that
  stores its article, so a poller killed between two entries has stored exactly the entries it
  recorded, and the next poll picks up the rest;
- a poller leases a feed (compare-and-set on `next_poll_at`) before it fetches, so two pollers do
  not poll one feed at once; if they ever do (a lease that ran out), the unique entry keeps the
  second from importing it again;
- the feed's ETag and Last-Modified are kept only when a poll saw every entry through, so a
  304 never hides an entry a capped or interrupted poll did not reach.

Feeds are parsed by feedparser from bytes the guarded fetcher got; it is never given an address
(it would fetch it itself) nor bytes as such (it tries them as a file name first: a feed whose
body was `/etc/passwd` would be read from the disk), only a stream. Their DOCTYPE is removed
before parsing: a feed needs none, and without it there is no entity to expand, so neither a
billion laughs nor an external entity can do anything.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import feedparser
import lxml.html
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workbench.audit import record
from workbench.db import DatabaseWait, is_unavailable, read_session, write_session, writing
from workbench.errors import Conflict, NotFound, Refused
from workbench.intake.errors import DuplicateArticle, IngestError
from workbench.intake.links import Reach, read_link
from workbench.intake.reading import ArticleInput, one_line
from workbench.intake.storing import find_by_address, ingest_article
from workbench.models import Article, Feed, FeedEntry, FeedEntryState, utcnow
from workbench.net.egress import BadAddress, UnsafeURL, check_for_registration, read_url
from workbench.net.fetch import FEED_TYPES, FetchFailed, fetch

FULL_TEXT_MIN = 600  # characters of an entry's content that make it the article, not a teaser
ENTRY_ATTEMPTS = 3  # polls that try an entry whose link could not be read, before it is left
EVERY_MIN, EVERY_MAX = 1, 7 * 24 * 60
BACKOFF_MAX = timedelta(hours=24)
LEASE = timedelta(minutes=5)  # renewed while a poll runs; a killed poller's feed is due after it

_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.IGNORECASE | re.DOTALL)


class FeedError(Refused):
    code = "bad_feed"


class FeedExists(Conflict):
    code = "feed_exists"

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        super().__init__(f"This feed is already monitored as #{feed.id} ({feed.url}).")


class FeedNotFound(NotFound):
    code = "feed_not_found"


# --- Reading a feed -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as much of it as an article needs."""

    key: str  # GUID, else link
    link: str | None
    title: str
    published_at: datetime | None
    byline: str | None
    full_text: str | None  # the article itself, when the feed carries it


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    items: list[FeedItem]


def parse_feed(data: bytes, url: str) -> ParsedFeed:
    """The entries of an RSS or Atom document, oldest first; FeedError when it is not a feed."""
    safe = _DOCTYPE.sub(b"", data, count=1)
    parsed = feedparser.parse(
        io.BytesIO(safe),
        response_headers={"content-location": url},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    if not parsed.entries and not parsed.feed.get("title"):
        why = parsed.get("bozo_exception")
        detail = f" ({type(why).__name__}: {why})" if why else ""
        raise FeedError(f"{url} is not an RSS or Atom feed{detail}.")
    items = [item for entry in parsed.entries if (item := _item(entry)) is not None]
    dated = all(item.published_at is not None for item in items)
    if dated:
        items.sort(key=lambda item: item.published_at)  # type: ignore[arg-type,return-value]
    else:
        items.reverse()  # feeds list their newest entry first
    return ParsedFeed(title=one_line(parsed.feed.get("title", ""))[:500], items=items)


def _item(entry: feedparser.FeedParserDict) -> FeedItem | None:
    link = entry.get("link") or None
    if link is not None and not link.lower().startswith(("http://", "https://")):
        link = None
    key = (entry.get("id") or link or "").strip()
    if not key:
        return None
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = datetime(*stamp[:6], tzinfo=UTC) if stamp else None
    return FeedItem(
        key=key[:2000],
        link=link,
        title=one_line(entry.get("title", "")),
        published_at=published,
        byline=one_line(entry.get("author", "")) or None,
        full_text=_full_text(entry),
    )


def _full_text(entry: feedparser.FeedParserDict) -> str | None:
    """The longest content the entry carries, as text, when it is long enough to be the article
    rather than its first lines (content:encoded, Atom content; a summary rarely is)."""
    bodies = [part.get("value", "") for part in entry.get("content", [])]
    bodies.append(entry.get("summary", ""))
    text = max((html_text(body) for body in bodies if body), key=len, default="")
    return text if len(text) >= FULL_TEXT_MIN else None


_BLOCKS = {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre"}


def html_text(fragment: str) -> str:
    """Paragraphs of a feed's (already sanitised) HTML as plain text, one blank line apart."""
    if "<" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter(*_BLOCKS):
        block.tail = "\n\n" + (block.tail or "")
    paragraphs = (" ".join(part.split()) for part in root.text_content().split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


# --- Subscriptions -------------------------------------------------------------------------------


def subscribe(
    session: Session, url: str, *, every_minutes: int, reach: Reach, user_id: int | None = None
) -> tuple[Feed, str | None]:
    """A new monitored feed, due at once, and a warning when its host cannot be resolved now.

    The address is read and checked as a webhook's is (it is checked again on every poll)."""
    if not EVERY_MIN <= every_minutes <= EVERY_MAX:
        raise FeedError(
            f"A feed is polled every {EVERY_MIN} to {EVERY_MAX:,} minutes (a week), "
            f"not every {every_minutes}."
        )
    try:
        normalised, warning = check_for_registration(url, reach.allow)
    except UnsafeURL as exc:
        raise FeedError(str(exc)) from None
    existing = session.exec(select(Feed).where(Feed.url == normalised)).first()
    if existing is not None:
        raise FeedExists(existing)
    feed = Feed(url=normalised, every_minutes=every_minutes, created_by_id=user_id)
    session.add(feed)
    session.flush()
    record(session, user_id, "feed.subscribe", "feed", feed.id, after=_audited(feed))
    return feed, warning


def _audited(feed: Feed) -> dict[str, object]:
    return {"url": feed.url, "every_minutes": feed.every_minutes, "is_active": feed.is_active}


def get_feed(session: Session, feed_id: int) -> Feed:
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedNotFound(f"There is no feed #{feed_id}.")
    return feed


def find_feed(session: Session, url_or_id: str) -> Feed:
    """A feed named the way a person names it on the command line: its number or its address."""
    if url_or_id.isdigit():
        return get_feed(session, int(url_or_id))
    try:
        normalised = read_url(url_or_id).url
    except BadAddress:
        normalised = url_or_id
    feed = session.exec(select(Feed).where(Feed.url == normalised)).first()
    if feed is None:
        raise FeedNotFound(f"No feed is monitored at {url_or_id}.")
    return feed


def unsubscribe(session: Session, feed_id: int, user_id: int | None = None) -> Feed:
    """Stop monitoring a feed; its articles stay, no longer linked to it."""
    feed = get_feed(session, feed_id)
    record(session, user_id, "feed.unsubscribe", "feed", feed.id, before=_audited(feed))
    session.exec(sa.update(Article).where(Article.feed_id == feed_id).values(feed_id=None))  # type: ignore[call-overload]
    session.delete(feed)
    session.flush()
    return feed


def set_active(session: Session, feed_id: int, active: bool, user_id: int | None = None) -> Feed:
    """Pause a feed, or resume it (due at once, its error count forgotten)."""
    feed = get_feed(session, feed_id)
    before = _audited(feed)
    feed.is_active = active
    if active:
        feed.next_poll_at = utcnow()
        feed.errors_in_a_row = 0
    session.add(feed)
    action = "feed.resume" if active else "feed.pause"
    record(session, user_id, action, "feed", feed.id, before=before, after=_audited(feed))
    return feed


def poll_soon(session: Session, feed_id: int) -> Feed:
    """Make a feed due now (an admin's "poll now", or a feed switched on again)."""
    feed = get_feed(session, feed_id)
    feed.next_poll_at = utcnow()
    session.add(feed)
    return feed


def list_feeds(session: Session) -> list[Feed]:
    return list(session.exec(select(Feed).order_by(Feed.title, Feed.id)).all())


# --- Polling -------------------------------------------------------------------------------------


@dataclass
class FeedPoll:
    """What one poll of one feed did."""

    feed_id: int
    url: str
    not_modified: bool = False
    new: int = 0
    imported: int = 0
    duplicates: int = 0
    failed: int = 0
    claims: int = 0
    left: int = 0  # new entries past the cap or the time budget, for the next poll
    error: str | None = None
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.error:
            return f"{self.url}: {self.error}"
        if self.not_modified:
            return f"{self.url}: not changed since the last poll."
        text = (
            f"{self.url}: {self.new} new entr{'y' if self.new == 1 else 'ies'}, "
            f"{self.imported} imported ({self.claims} claims), {self.duplicates} already in the "
            f"archive, {self.failed} could not be read"
        )
        return text + (f", {self.left} left for the next poll." if self.left else ".")


@dataclass(frozen=True)
class PollConfig:
    reach: Reach
    max_entries: int = 50
    budget_s: float | None = None  # a web request's poll stops fetching links after this


def due_feeds(engine: Engine, now: datetime) -> list[int]:
    with read_session(engine) as session:
        return list(
            session.exec(
                select(Feed.id)
                .where(Feed.is_active, Feed.next_poll_at <= now)
                .order_by(Feed.next_poll_at, Feed.id)
            ).all()
        )


def _lease(engine: Engine, feed_id: int, now: datetime, *, force: bool) -> Feed | None:
    """Take the feed for one poll, or None when another poller has it (or it is not due)."""
    due = sa.true() if force else Feed.next_poll_at <= now
    with writing(engine) as session:
        taken = session.execute(
            sa.update(Feed)
            .where(Feed.id == feed_id, Feed.is_active, due)
            .values(next_poll_at=now + LEASE)
        )
        if taken.rowcount != 1:
            return None
        return session.get(Feed, feed_id)


def _update_feed(engine: Engine, feed_id: int, **values: object) -> None:
    with writing(engine) as session:
        session.execute(sa.update(Feed).where(Feed.id == feed_id).values(**values))


def backoff(every_minutes: int, errors_in_a_row: int) -> timedelta:
    """The wait after a failed poll: the feed's interval, doubled for each failure in a row."""
    wait = timedelta(minutes=every_minutes) * 2 ** min(errors_in_a_row, 16)
    return min(wait, max(BACKOFF_MAX, timedelta(minutes=every_minutes)))


def poll_feed(
    engine: Engine,
    feed_id: int,
    config: PollConfig,
    *,
    now: datetime | None = None,
    force: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> FeedPoll | None:
    """Poll one feed if it is due (any time with `force`): None when another poller has it.

    No transaction is open while the feed or a link is fetched."""
    now = now or utcnow()
    feed = _lease(engine, feed_id, now, force=force)
    if feed is None:
        return None
    result = FeedPoll(feed_id=feed_id, url=feed.url)
    try:
        page = fetch(
            feed.url,
            allow=config.reach.allow,
            accept=FEED_TYPES,
            limits=config.reach.limits,
            etag=feed.etag,
            last_modified=feed.last_modified,
        )
        parsed = None if page.status == 304 else parse_feed(page.body, page.url)
    except (UnsafeURL, FetchFailed, FeedError) as exc:
        errors = feed.errors_in_a_row + 1
        result.error = str(exc)
        _update_feed(
            engine,
            feed_id,
            last_polled_at=now,
            last_error=result.error[:500],
            errors_in_a_row=errors,
            next_poll_at=now + backoff(feed.every_minutes, errors),
        )
        return result
    if parsed is None:
        result.not_modified = True
        _update_feed(
            engine,
            feed_id,
            last_polled_at=now,
            last_error=None,
            errors_in_a_row=0,
            next_poll_at=now + timedelta(minutes=feed.every_minutes),
        )
        return result

    outlet = feed.title or parsed.title or None
    fresh = _unseen(engine, feed_id, parsed.items)
    result.new = len(fresh)
    started = clock()
    lease_taken = clock()
    for index, item in enumerate(fresh):
        out_of_time = config.budget_s is not None and clock() - started > config.budget_s
        if index >= config.max_entries or out_of_time:
            result.left = len(fresh) - index
            break
        if clock() - lease_taken > LEASE.total_seconds() / 2:
            _update_feed(engine, feed_id, next_poll_at=utcnow() + LEASE)
            lease_taken = clock()
        _take_entry(engine, feed_id, item, outlet, config.reach, result)

    values: dict[str, object] = {
        "last_polled_at": now,
        "last_error": None,
        "errors_in_a_row": 0,
        "entries_imported": Feed.entries_imported + result.imported,
        "next_poll_at": now if result.left else now + timedelta(minutes=feed.every_minutes),
    }
    if not feed.title and parsed.title:
        values["title"] = parsed.title
    if result.imported:
        values["last_new_entry_at"] = utcnow()
    if not result.left:
        # Only a poll that saw everything may let the next one be a 304.
        values.update(etag=(page.etag or "")[:500] or None)
        values.update(last_modified=(page.last_modified or "")[:100] or None)
    _update_feed(engine, feed_id, **values)
    return result


def _unseen(engine: Engine, feed_id: int, items: list[FeedItem]) -> list[FeedItem]:
    """The entries not yet recorded, and those whose link failed on fewer than ENTRY_ATTEMPTS
    polls; each key once."""
    keys = list(dict.fromkeys(item.key for item in items))
    seen: dict[str, tuple[FeedEntryState, int]] = {}
    with read_session(engine) as session:
        for start in range(0, len(keys), 500):
            rows = session.exec(
                select(FeedEntry.key, FeedEntry.state, FeedEntry.attempts).where(
                    FeedEntry.feed_id == feed_id, FeedEntry.key.in_(keys[start : start + 500])
                )
            ).all()
            seen.update({key: (state, attempts) for key, state, attempts in rows})
    fresh: list[FeedItem] = []
    taken: set[str] = set()
    for item in items:
        if item.key in taken:
            continue
        taken.add(item.key)
        state = seen.get(item.key)
        if state is None or (state[0] == FeedEntryState.FAILED and state[1] < ENTRY_ATTEMPTS):
            fresh.append(item)
    return fresh


def _take_entry(
    engine: Engine, feed_id: int, item: FeedItem, outlet: str | None, reach: Reach, result: FeedPoll
) -> None:
    """Store one entry's article with its FeedEntry, or record why it could not be."""
    if item.link:
        with read_session(engine) as session:
            existing = find_by_address(session, item.link)
        if existing is not None:
            _record(engine, feed_id, item, FeedEntryState.DUPLICATE, result, existing.id)
            return
    try:
        article = _article_of(item, outlet, reach, feed_id)
    except IngestError as exc:
        result.messages.append(str(exc))
        _record(engine, feed_id, item, FeedEntryState.FAILED, result, error=str(exc))
        return

    def seen(session: Session, stored: Article) -> None:
        session.execute(
            sa.delete(FeedEntry).where(
                FeedEntry.feed_id == feed_id,
                FeedEntry.key == item.key,
                FeedEntry.state == FeedEntryState.FAILED,
            )
        )
        session.add(FeedEntry(feed_id=feed_id, key=item.key, link=item.link, article_id=stored.id))

    outcome: tuple[FeedEntryState, int | None, str | None] | None = None
    with write_session(engine) as session:
        try:
            stored = ingest_article(session, article, also=seen)
        except DuplicateArticle as exc:
            outcome = (FeedEntryState.DUPLICATE, exc.article_id, None)
        except IngestError as exc:
            result.messages.append(str(exc))
            outcome = (FeedEntryState.FAILED, None, str(exc))
        except IntegrityError:
            return  # another poller recorded this entry first: it is its import
    if outcome is None:
        result.imported += 1
        result.claims += stored.claims
        return
    # With the session closed: recording takes the write lock from another connection.
    state, article_id, error = outcome
    _record(engine, feed_id, item, state, result, article_id, error)


def _article_of(item: FeedItem, outlet: str | None, reach: Reach, feed_id: int) -> ArticleInput:
    if item.full_text is not None:
        return ArticleInput(
            body=item.full_text,
            title=item.title,
            url=item.link,
            outlet=outlet,
            published_at=item.published_at,
            origin="feed",
            byline=item.byline,
            feed_id=feed_id,
        )
    if item.link is None:
        raise IngestError(f"The entry “{item.title}” has neither its text nor a link.")
    page = read_link(item.link, reach, origin="feed")
    return ArticleInput(
        body=page.body,
        title=page.title or item.title,
        url=page.url,
        outlet=page.outlet or outlet,
        published_at=page.published_at or item.published_at,
        origin="feed",
        byline=page.byline or item.byline,
        feed_id=feed_id,
    )


def _record(
    engine: Engine,
    feed_id: int,
    item: FeedItem,
    state: FeedEntryState,
    result: FeedPoll,
    article_id: int | None = None,
    error: str | None = None,
) -> None:
    """An entry that stored no article of its own: already in the archive, or failed (counted,
    so that a link that never works is given up after ENTRY_ATTEMPTS polls)."""
    try:
        with writing(engine) as session:
            entry = session.exec(
                select(FeedEntry).where(FeedEntry.feed_id == feed_id, FeedEntry.key == item.key)
            ).first()
            if entry is None:
                entry = FeedEntry(feed_id=feed_id, key=item.key, link=item.link, attempts=0)
            elif entry.state != FeedEntryState.FAILED:
                return  # another poller has stored it meanwhile
            entry.state = state
            entry.article_id = article_id
            entry.attempts += 1
            entry.last_error = (error or "")[:500] or None
            entry.seen_at = utcnow()
            session.add(entry)
    except IntegrityError:
        return  # another poller recorded it first
    if state == FeedEntryState.DUPLICATE:
        result.duplicates += 1
    else:
        result.failed += 1


def poll_due(engine: Engine, config: PollConfig, now: datetime | None = None) -> list[FeedPoll]:
    """Poll every feed that is due; one broken feed never stops the others."""
    polls: list[FeedPoll] = []
    for feed_id in due_feeds(engine, now or utcnow()):
        try:
            done = poll_feed(engine, feed_id, config, now=now)
        except Exception as exc:  # a feed's own fault, reported and backed off
            if is_unavailable(exc):
                raise  # the database, not this feed: the worker waits and tries again
            done = _failed_unexpectedly(engine, feed_id, exc, now or utcnow())
        if done is not None:
            polls.append(done)
    return polls


def _failed_unexpectedly(engine: Engine, feed_id: int, exc: Exception, now: datetime) -> FeedPoll:
    message = f"The poll failed ({type(exc).__name__}: {exc})."
    with writing(engine) as session:
        feed = session.get(Feed, feed_id)
        url = feed.url if feed else "?"
        if feed is not None:
            feed.errors_in_a_row += 1
            feed.last_error = message[:500]
            feed.last_polled_at = now
            feed.next_poll_at = now + backoff(feed.every_minutes, feed.errors_in_a_row)
            session.add(feed)
    return FeedPoll(feed_id=feed_id, url=url, error=message)


def run(
    engine: Engine,
    config: PollConfig,
    stop: threading.Event,
    *,
    every_s: float = 5.0,
    on_poll: Callable[[FeedPoll], None] | None = None,
    on_error: Callable[[str], None] | None = None,
) -> None:
    """Poll feeds as they fall due until `stop` is set, looking every `every_s` seconds.

    A database that cannot be reached is said once and waited for, 1 s doubling up to 30 s
    (db.DatabaseWait); a feed leased when it went away is polled again when its lease runs out.
    Any other failure of a round is said and the round tried again after a pause: a poller that
    dies silently leaves every feed unread."""
    database = DatabaseWait(on_error)
    while not stop.is_set():
        try:
            polls = poll_due(engine, config)
        except Exception as exc:  # reported, then the next round
            if is_unavailable(exc):
                stop.wait(database.failed(exc, "Feeds"))
                continue
            if on_error is not None:
                on_error(f"A feed poll round failed ({type(exc).__name__}: {exc}); trying again.")
            stop.wait(max(every_s, 5.0))
            continue
        database.answered("Feeds")
        if on_poll is not None:
            for done in polls:
                on_poll(done)
        if not polls:
            stop.wait(every_s)
