"""Monitored feeds, polled from a loopback news site: RSS 2.0, RDF and Atom, full text and links
only, 304s, errors, attacks, and nothing lost or imported twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from news_site import (
    BILLION_LAUGHS,
    atom,
    external_entity,
    publish,
    rdf,
    rss,
    stories,
)
from origin import Reply
from sqlmodel import Session, select

from workbench.db import read_session, write_session
from workbench.intake import feeds
from workbench.intake.links import Reach
from workbench.models import Article, Claim, Feed, FeedEntry, FeedEntryState, utcnow
from workbench.net.egress import Allowance
from workbench.net.fetch import FetchLimits

LOOPBACK = Reach(Allowance.parse(["127.0.0.0/8"]), FetchLimits(total_timeout_s=5))
CONFIG = feeds.PollConfig(reach=LOOPBACK, max_entries=50)
XML = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _site(origin) -> str:  # type: ignore[no-untyped-def]
    return origin.url("").rstrip("/")


def _pages(origin, entries) -> None:  # type: ignore[no-untyped-def]
    publish(origin, entries, feed=None)


def _subscribe(engine: sa.Engine, url: str, every: int = 15) -> int:
    with write_session(engine) as db:
        feed, _ = feeds.subscribe(db, url, every_minutes=every, reach=LOOPBACK)
        db.commit()
        return feed.id  # type: ignore[return-value]


def _feed(engine: sa.Engine, feed_id: int) -> Feed:
    with read_session(engine) as db:
        feed = db.get(Feed, feed_id)
        assert feed is not None
        return feed


def _articles(engine: sa.Engine) -> list[Article]:
    with read_session(engine) as db:
        return list(db.exec(select(Article).order_by(Article.id)).all())


def _count(engine: sa.Engine, model: type) -> int:
    with read_session(engine) as db:
        return db.exec(select(sa.func.count()).select_from(model)).one()


# --- Reading feeds -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rss", "rdf", "atom"])
def test_each_kind_of_feed_gives_its_entries_oldest_first(kind: str) -> None:
    entries = stories(3)
    site = "https://daily.example"
    data = {
        "rss": lambda: rss(entries, site=site, full_text=False),
        "rdf": lambda: rdf(entries, site=site),
        "atom": lambda: atom(entries, site=site, full_text=False),
    }[kind]()
    parsed = feeds.parse_feed(data, f"{site}/feed")
    assert [item.link for item in parsed.items] == [f"{site}/{s.slug}" for s in entries]
    assert [item.title for item in parsed.items] == [s.title for s in entries]
    assert all(item.published_at is not None for item in parsed.items)
    assert all(item.full_text is None for item in parsed.items), "teasers are not articles"
    assert len({item.key for item in parsed.items}) == 3
    assert parsed.title


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_full_text_entries_carry_their_article(kind: str) -> None:
    entries = stories(2)
    make = rss if kind == "rss" else atom
    parsed = feeds.parse_feed(
        make(entries, site="https://d.example", full_text=True), "https://d.example/f"
    )
    for item, story in zip(parsed.items, entries, strict=True):
        assert item.full_text is not None
        assert all(sentence in item.full_text for sentence in story.sentences)
        assert "<p>" not in item.full_text and "\n\n" in item.full_text
        assert item.byline == story.author


def test_a_billion_laughs_expands_nothing() -> None:
    started = time.perf_counter()
    parsed = feeds.parse_feed(BILLION_LAUGHS, "https://d.example/f")
    assert time.perf_counter() - started < 1
    assert "lollollol" not in parsed.title
    assert all(len(item.title) < 100 for item in parsed.items)


def test_an_external_entity_reads_no_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    parsed = feeds.parse_feed(external_entity(str(secret)), "https://d.example/f")
    seen = parsed.title + "".join(item.title + (item.full_text or "") for item in parsed.items)
    assert "TOP-SECRET-VALUE" not in seen


def test_a_body_that_is_a_file_name_is_not_opened(tmp_path: Path) -> None:
    """feedparser tries bytes as a file name before it parses them: never given bytes, only a
    stream, a feed whose body is a path reads nothing from the disk."""
    local = tmp_path / "feed.xml"
    local.write_bytes(rss(stories(1), site="https://d.example", full_text=False))
    with pytest.raises(feeds.FeedError, match="not an RSS or Atom feed"):
        feeds.parse_feed(str(local).encode(), "https://d.example/f")


def test_a_web_page_is_not_a_feed() -> None:
    with pytest.raises(feeds.FeedError, match="not an RSS or Atom feed"):
        feeds.parse_feed(b"<html><body><p>Hello</p></body></html>", "https://d.example/")


# --- Subscribing ---------------------------------------------------------------------------------


def test_subscribing_checks_the_address_and_refuses_a_second_subscription(
    session: Session,
) -> None:
    feed, _ = feeds.subscribe(
        session, "https://Daily.Example/feed", every_minutes=30, reach=LOOPBACK
    )
    assert feed.url == "https://daily.example/feed" and feed.every_minutes == 30
    with pytest.raises(feeds.FeedExists, match=f"#{feed.id}"):
        feeds.subscribe(session, "https://daily.example/feed", every_minutes=15, reach=LOOPBACK)
    with pytest.raises(feeds.FeedError, match="loopback"):
        feeds.subscribe(
            session,
            "http://127.0.0.1/feed",
            every_minutes=15,
            reach=Reach(Allowance(), FetchLimits()),
        )
    with pytest.raises(feeds.FeedError, match="every 1 to"):
        feeds.subscribe(session, "https://other.example/feed", every_minutes=0, reach=LOOPBACK)


# --- Polling -------------------------------------------------------------------------------------


def test_a_full_text_feed_is_imported_without_fetching_pages(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    entries = stories(3)
    origin.route("/rss", body=rss(entries, site=_site(origin), full_text=True), headers=XML)
    feed_id = _subscribe(engine, origin.url("/rss"))

    done = feeds.poll_feed(engine, feed_id, CONFIG)
    assert done is not None and done.error is None
    assert (done.new, done.imported, done.duplicates, done.failed) == (3, 3, 0, 0)
    assert all(origin.hits(f"/{s.slug}") == 0 for s in entries)

    stored = _articles(engine)
    assert [a.title for a in stored] == [s.title for s in entries]
    assert {a.origin for a in stored} == {"feed"} and {a.feed_id for a in stored} == {feed_id}
    assert stored[0].outlet == "Daily World" and stored[0].byline == entries[0].author
    with read_session(engine) as db:
        claims = db.exec(select(Claim.text).where(Claim.article_id == stored[0].id)).all()
    assert entries[0].sentences[0] in claims
    feed = _feed(engine, feed_id)
    assert feed.entries_imported == 3 and feed.title == "Daily World"
    assert feed.last_polled_at is not None and feed.last_new_entry_at is not None
    assert feed.last_error is None and feed.next_poll_at > utcnow() + timedelta(minutes=14)


@pytest.mark.parametrize("kind", ["rss", "rdf", "atom"])
def test_a_links_only_feed_fetches_each_page(engine: sa.Engine, origin, kind: str) -> None:  # type: ignore[no-untyped-def]
    entries = stories(2)
    _pages(origin, entries)
    body = {
        "rss": lambda: rss(entries, site=_site(origin), full_text=False),
        "rdf": lambda: rdf(entries, site=_site(origin)),
        "atom": lambda: atom(entries, site=_site(origin), full_text=False),
    }[kind]()
    origin.route("/feed", body=body, headers={"Content-Type": "application/xml"})
    feed_id = _subscribe(engine, origin.url("/feed"))

    done = feeds.poll_feed(engine, feed_id, CONFIG)
    assert done is not None and done.imported == 2, done
    assert all(origin.hits(f"/{s.slug}") == 1 for s in entries)
    stored = _articles(engine)
    assert [a.url for a in stored] == [origin.url(f"/{s.slug}") for s in entries]
    assert {a.outlet for a in stored} == {"The Daily Example"}
    assert all("mattress" not in a.body and "fake news" not in a.body for a in stored)


def test_an_unchanged_feed_costs_a_304_and_imports_nothing(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    entries = stories(2)
    _pages(origin, entries)
    feed_body = rss(entries, site=_site(origin), full_text=False)

    def answer(request):  # type: ignore[no-untyped-def]
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        modified = "Tue, 01 Dec 2026 10:00:00 GMT"
        return Reply(feed_body, headers={**XML, "ETag": '"v1"', "Last-Modified": modified})

    origin.route("/rss", handler=answer)
    feed_id = _subscribe(engine, origin.url("/rss"))
    assert feeds.poll_feed(engine, feed_id, CONFIG).imported == 2  # type: ignore[union-attr]
    assert _feed(engine, feed_id).etag == '"v1"'

    again = feeds.poll_feed(engine, feed_id, CONFIG, force=True)
    assert again is not None and again.not_modified and again.imported == 0
    last = [r for r in origin.requests if r.path == "/rss"][-1]
    assert last.headers.get("If-None-Match") == '"v1"'
    assert last.headers.get("If-Modified-Since") == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert all(origin.hits(f"/{s.slug}") == 1 for s in entries), "no page fetched again"
    assert len(_articles(engine)) == 2


def test_new_entries_of_a_changed_feed_are_imported_once(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    entries = stories(4)
    _pages(origin, entries)
    origin.route("/rss", body=rss(entries[:2], site=_site(origin), full_text=False), headers=XML)
    feed_id = _subscribe(engine, origin.url("/rss"))
    feeds.poll_feed(engine, feed_id, CONFIG)
    origin.route("/rss", body=rss(entries, site=_site(origin), full_text=False), headers=XML)
    done = feeds.poll_feed(engine, feed_id, CONFIG, force=True)
    assert done is not None and (done.new, done.imported) == (2, 2)
    assert len(_articles(engine)) == 4
    assert all(origin.hits(f"/{s.slug}") == 1 for s in entries)
    assert _feed(engine, feed_id).entries_imported == 4


def test_a_failing_feed_backs_off_and_does_not_stop_the_others(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    entries = stories(2)
    origin.route("/good", body=rss(entries, site=_site(origin), full_text=True), headers=XML)
    origin.route("/broken", body=b"oops", status=500)
    origin.route("/laughs", body=BILLION_LAUGHS, headers=XML)
    origin.route("/page", body=b"<html><body><p>not a feed</p></body></html>", headers=HTML)
    broken = _subscribe(engine, origin.url("/broken"), every=10)
    _subscribe(engine, origin.url("/laughs"))
    _subscribe(engine, origin.url("/page"))
    good = _subscribe(engine, origin.url("/good"))

    polls = {p.feed_id: p for p in feeds.poll_due(engine, CONFIG)}
    assert polls[good].imported == 2
    assert "500" in (polls[broken].error or "")
    failing = _feed(engine, broken)
    assert failing.errors_in_a_row == 1 and "500" in (failing.last_error or "")
    first_wait = failing.next_poll_at - failing.last_polled_at  # type: ignore[operator]
    assert timedelta(minutes=19) < first_wait <= timedelta(minutes=21)

    feeds.poll_feed(engine, broken, CONFIG, force=True)
    failing = _feed(engine, broken)
    assert failing.errors_in_a_row == 2
    assert failing.next_poll_at - failing.last_polled_at > first_wait  # type: ignore[operator]

    origin.route(
        "/broken",
        body=rss(stories(1, prefix="late", salt="late "), site=_site(origin), full_text=True),
        headers=XML,
    )
    feeds.poll_feed(engine, broken, CONFIG, force=True)
    healed = _feed(engine, broken)
    assert (
        healed.errors_in_a_row == 0 and healed.last_error is None and healed.entries_imported == 1
    )


def test_the_entry_cap_leaves_the_rest_for_the_next_poll_which_comes_at_once(
    engine: sa.Engine, origin
) -> None:  # type: ignore[no-untyped-def]
    entries = stories(5)
    origin.route(
        "/rss",
        body=rss(entries, site=_site(origin), full_text=True),
        headers={**XML, "ETag": '"same"'},
    )
    feed_id = _subscribe(engine, origin.url("/rss"))
    capped = feeds.PollConfig(reach=LOOPBACK, max_entries=2)
    first = feeds.poll_feed(engine, feed_id, capped)
    assert first is not None and (first.imported, first.left) == (2, 3)
    feed = _feed(engine, feed_id)
    assert feed.etag is None, "a 304 must not hide the entries left"
    assert feed.next_poll_at <= utcnow()
    assert [a.title for a in _articles(engine)] == [s.title for s in entries[:2]], "oldest first"
    while (done := feeds.poll_feed(engine, feed_id, capped)) is not None and done.left:
        pass
    assert [a.title for a in _articles(engine)] == [s.title for s in entries]
    assert _feed(engine, feed_id).etag == '"same"'


def test_a_link_that_fails_is_tried_on_later_polls_then_left(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    entries = stories(2)
    _pages(origin, entries[:1])
    origin.route(f"/{entries[1].slug}", body=b"gone", status=404)
    origin.route("/rss", body=rss(entries, site=_site(origin), full_text=False), headers=XML)
    feed_id = _subscribe(engine, origin.url("/rss"))
    done = feeds.poll_feed(engine, feed_id, CONFIG)
    assert done is not None and (done.imported, done.failed) == (1, 1)
    assert any("404" in message for message in done.messages)
    for _ in range(feeds.ENTRY_ATTEMPTS + 1):
        feeds.poll_feed(engine, feed_id, CONFIG, force=True)
    assert origin.hits(f"/{entries[1].slug}") == feeds.ENTRY_ATTEMPTS
    with read_session(engine) as db:
        failed = db.exec(select(FeedEntry).where(FeedEntry.state == FeedEntryState.FAILED)).one()
    assert failed.attempts == feeds.ENTRY_ATTEMPTS and "404" in (failed.last_error or "")

    # The page comes back, the entry is recorded afresh when it is imported.
    _pages(origin, entries[1:])
    with write_session(engine) as db:
        db.execute(sa.update(FeedEntry).values(attempts=1))
        db.commit()
    assert feeds.poll_feed(engine, feed_id, CONFIG, force=True).imported == 1  # type: ignore[union-attr]
    with read_session(engine) as db:
        states = db.exec(select(FeedEntry.state)).all()
    assert sorted(states) == [FeedEntryState.IMPORTED, FeedEntryState.IMPORTED]


def test_an_entry_redirected_to_a_forbidden_address_is_refused(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    entries = stories(1)
    origin.route(
        f"/{entries[0].slug}",
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/"},
        body=b"",
    )
    origin.route("/rss", body=rss(entries, site=_site(origin), full_text=False), headers=XML)
    feed_id = _subscribe(engine, origin.url("/rss"))
    done = feeds.poll_feed(engine, feed_id, CONFIG)
    assert done is not None and done.failed == 1 and done.imported == 0
    assert any("metadata" in message for message in done.messages)


def test_an_article_two_feeds_carry_is_stored_once(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    entries = stories(2)
    _pages(origin, entries)
    origin.route("/one", body=rss(entries, site=_site(origin), full_text=False), headers=XML)
    origin.route("/two", body=atom(entries, site=_site(origin), full_text=False), headers=XML)
    one, two = _subscribe(engine, origin.url("/one")), _subscribe(engine, origin.url("/two"))
    assert feeds.poll_feed(engine, one, CONFIG).imported == 2  # type: ignore[union-attr]
    second = feeds.poll_feed(engine, two, CONFIG)
    assert second is not None and (second.imported, second.duplicates) == (0, 2)
    assert all(origin.hits(f"/{s.slug}") == 1 for s in entries), "known addresses not fetched"
    assert len(_articles(engine)) == 2


def test_two_pollers_at_once_import_each_entry_once(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    """Both past the lease (an admin's "poll now" while the worker polls): the entry's unique
    record keeps the second from importing what the first did."""
    entries = stories(6)
    _pages(origin, entries)
    origin.route("/rss", body=rss(entries, site=_site(origin), full_text=False), headers=XML)
    feed_id = _subscribe(engine, origin.url("/rss"))
    start = threading.Barrier(2)
    results: list[feeds.FeedPoll | None] = []

    def poll() -> None:
        start.wait()
        results.append(feeds.poll_feed(engine, feed_id, CONFIG, force=True))

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    assert sum(r.imported for r in results if r is not None) == 6
    assert len(_articles(engine)) == 6
    assert _count(engine, FeedEntry) == 6


def test_a_feed_not_due_is_left_to_its_schedule_and_a_leased_one_to_its_poller(
    engine: sa.Engine, origin
) -> None:  # type: ignore[no-untyped-def]
    origin.route("/rss", body=rss(stories(1), site=_site(origin), full_text=True), headers=XML)
    feed_id = _subscribe(engine, origin.url("/rss"))
    assert feeds.poll_feed(engine, feed_id, CONFIG) is not None
    assert feeds.poll_due(engine, CONFIG) == []
    assert feeds.poll_feed(engine, feed_id, CONFIG) is None
    with write_session(engine) as db:
        feeds.set_active(db, feed_id, False)
        db.commit()
    assert feeds.poll_feed(engine, feed_id, CONFIG, force=True) is None, "paused"


def test_removing_a_feed_keeps_its_articles(engine: sa.Engine, origin) -> None:  # type: ignore[no-untyped-def]
    origin.route("/rss", body=rss(stories(2), site=_site(origin), full_text=True), headers=XML)
    feed_id = _subscribe(engine, origin.url("/rss"))
    feeds.poll_feed(engine, feed_id, CONFIG)
    with write_session(engine) as db:
        feeds.unsubscribe(db, feed_id)
        db.commit()
    assert [a.feed_id for a in _articles(engine)] == [None, None]
    assert _count(engine, Feed) == 0 and _count(engine, FeedEntry) == 0
