"""Feed polling: articles/s and claims/s of a first complete poll, against the same articles
ingested directly, and the cost of a poll where every feed answers 304.

What it measures, and why
=========================

Monitored feeds (issue 13) bring articles in without anyone pasting them, so the poller must
keep up with a newsroom's subscriptions and cost next to nothing when the feeds have not changed.

Set-up (untimed): ``--feeds`` feeds (default 200) of ``--entries`` entries each (default 20) on a
loopback news site. Half of the feeds carry each article's full text (RSS ``content:encoded`` or
Atom ``content``, longer than ``feeds.FULL_TEXT_MIN``), half only a teaser and a link to an article
page as news sites serve them (navigation, adverts, cookie banner, comments, JSON-LD:
``tests/news_site.article_page``), which the poller fetches and extracts. RSS and Atom alternate
within each half. Every article is its own sample of 10-18 real news sentences, the MSRP corpus
as ``ingest.py`` builds them (``datasets.article_sentences``; the 16 sentences of the seed article
would make near-copies, and matching would time their repeats rather than the poll). The site is
served from pre-built bytes by a ThreadingHTTPServer in a process of its own, so that its work
does not share this process's GIL; feeds carry an ETag and answer 304 to If-None-Match.

1. **First complete poll.** Two fresh, migrated SQLite databases. The feeds are subscribed and
   polled in ten rounds, full-text and link-only feeds in turn; each round subscribes its feeds
   (untimed), then runs ``poll_due`` until nothing is due (timed; ``max_entries`` above the
   entries, so one poll per feed).
   **Baseline, same run:** after each round's poll, the same articles go into the second database
   by ``ingest_article`` in a loop, one process and one transaction per article, as the poller
   stores them (timed). The inputs are what the poller builds, made before the run by the same
   calls (``fetch``, then ``parse_feed`` for full text, ``article_from_page`` for links), so both
   databases end with the same articles (checked). Taking turns round by round, both passes meet
   the same load and the same size of archive; the ratio poll/direct is the overhead of fetching,
   parsing, extracting and the feed's own bookkeeping (lease, seen entries, feed row). Fetching,
   parsing and extraction are also timed on their own there, so the rest is the bookkeeping.
2. **Second poll, every feed unchanged.** A poll a feed interval later (``poll_due`` with that
   ``now``): every feed answers 304. Printed: its time, and the server's count of what was asked,
   to show no page was fetched and nothing imported.

Run from the repository root: ``python benchmarks/feeds.py`` (``make bench``), about 5 minutes
on 2 cores; ``--quick`` for 20 feeds. ``--profile`` adds a cProfile of the polls (slower then).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import math
import multiprocessing
import os
import pstats
import random
import socketserver
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for folder in (REPO_ROOT, REPO_ROOT / "tests"):  # tests/: the news site's article pages
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import sqlalchemy as sa  # noqa: E402
from datasets import article_sentences  # noqa: E402
from ingest import ArticleFactory, table  # noqa: E402
from news_site import Story, article_page  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, read_session, write_session  # noqa: E402
from workbench.intake import feeds  # noqa: E402
from workbench.intake.links import Reach, article_from_page  # noqa: E402
from workbench.intake.reading import ArticleInput  # noqa: E402
from workbench.intake.storing import ingest_article  # noqa: E402
from workbench.models import Article, Claim, Feed  # noqa: E402
from workbench.net.egress import Allowance  # noqa: E402
from workbench.net.fetch import FEED_TYPES, PAGE_TYPES, FetchLimits, fetch  # noqa: E402

ROUNDS = 10
EVERY_MINUTES = 15
SENTENCES_PER_ARTICLE = (10, 18)
AUTHORS = ("Jane Reporter", "Omar Haddad", "Li Wei", "Ana Souza", "Piotr Nowak", "Grace Mensah")
FIRST_PUBLISHED = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
STATS_PATH = "/-/stats"
PROFILE_TOP = 25
REACH = Reach(Allowance.parse(["127.0.0.0/8"]), FetchLimits())


# --- The news site ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    author: str
    published: datetime

    @property
    def teaser(self) -> str:
        return self.paragraphs[0].split(". ")[0].rstrip(".") + "."


@dataclass
class SiteFeed:
    number: int
    full_text: bool
    atom: bool
    entries: list[Entry]
    round: int

    @property
    def path(self) -> str:
        return f"/feeds/{self.number}.{'atom' if self.atom else 'rss'}"

    @property
    def title(self) -> str:
        return f"Outlet {self.number} {'Wire' if self.full_text else 'Headlines'}"

    @property
    def etag(self) -> str:
        return f'"feed-{self.number}-v1"'


def build_site(
    factory: ArticleFactory, feed_count: int, entries: int, seed: int, rounds: int
) -> list[SiteFeed]:
    """The feeds, in rounds of equal size that alternate full-text and link-only feeds."""
    rng = random.Random(seed)
    per_round = math.ceil(feed_count / rounds)
    made = []
    for number in range(feed_count):
        round_ = number // per_round
        items = []
        for n in range(entries):
            article = factory.make(sentence_count=rng.randint(*SENTENCES_PER_ARTICLE))
            items.append(
                Entry(
                    slug=f"news/{number}/{n}",
                    title=article.title,
                    paragraphs=tuple(article.body.split("\n\n")),
                    author=rng.choice(AUTHORS),
                    published=FIRST_PUBLISHED + timedelta(minutes=number, hours=n),
                )
            )
        full_text = round_ % 2 == 0
        made.append(SiteFeed(number, full_text, atom=number % 2 == 1, entries=items, round=round_))
    return made


def _content(entry: Entry) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in entry.paragraphs)


def rss_document(feed: SiteFeed, site: str) -> bytes:
    """RSS 2.0, newest first, with the article in content:encoded when the feed is full text."""
    items = []
    for entry in reversed(feed.entries):
        content = (
            f"<content:encoded><![CDATA[{_content(entry)}]]></content:encoded>"
            if feed.full_text
            else ""
        )
        items.append(
            f"""  <item>
    <title>{escape(entry.title)}</title>
    <link>{site}/{entry.slug}</link>
    <guid isPermaLink="false">{site}/id/{entry.slug}</guid>
    <pubDate>{format_datetime(entry.published)}</pubDate>
    <dc:creator>{escape(entry.author)}</dc:creator>
    <description>{escape(entry.teaser)}</description>
    {content}
  </item>"""
        )
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>{escape(feed.title)}</title>
  <link>{site}/</link>
  <description>World news</description>
{body}
</channel>
</rss>""".encode()


def atom_document(feed: SiteFeed, site: str) -> bytes:
    """Atom 1.0, newest first, with the article as <content> when the feed is full text."""
    parts = []
    for entry in reversed(feed.entries):
        content = (
            f'<content type="html">{escape(_content(entry))}</content>'
            if feed.full_text
            else f"<summary>{escape(entry.teaser)}</summary>"
        )
        parts.append(
            f"""<entry>
  <id>tag:bench.example,2026:{entry.slug}</id>
  <title>{escape(entry.title)}</title>
  <link rel="alternate" href="{site}/{entry.slug}"/>
  <updated>{entry.published.isoformat()}</updated>
  <author><name>{escape(entry.author)}</name></author>
  {content}
</entry>"""
        )
    body = "\n".join(parts)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{escape(feed.title)}</title>
  <id>tag:bench.example,2026:feed-{feed.number}</id>
  <updated>2026-12-01T12:00:00Z</updated>
{body}
</feed>""".encode()


def page_of(entry: Entry, site: str) -> bytes:
    story = Story(entry.slug, entry.title, entry.paragraphs, entry.author, entry.published)
    return article_page(story, site=site, canonical=f"{site}/{entry.slug}")


@dataclass(frozen=True)
class Route:
    body: bytes
    content_type: str
    kind: str  # "feed" or "page", for the server's counts
    etag: str | None = None


def routes_of(site_feeds: Sequence[SiteFeed], site: str) -> dict[str, Route]:
    """Every feed, and the article page of every entry of a link-only feed."""
    routes = {}
    for feed in site_feeds:
        document = atom_document(feed, site) if feed.atom else rss_document(feed, site)
        kind = "application/atom+xml" if feed.atom else "application/rss+xml"
        routes[feed.path] = Route(document, kind, "feed", feed.etag)
        if not feed.full_text:
            for entry in feed.entries:
                page = page_of(entry, site)
                routes[f"/{entry.slug}"] = Route(page, "text/html; charset=utf-8", "page")
    return routes


# --- The server, in a process of its own --------------------------------------------------------


class _SiteHandler(BaseHTTPRequestHandler):
    server: _SiteServer

    def do_GET(self) -> None:
        if self.path == STATS_PATH:
            with self.server.lock:
                self._send(200, json.dumps(self.server.counts).encode(), "application/json")
            return
        route = self.server.routes.get(self.path)
        if route is None:
            self.server.count("missing")
            self._send(404, b"no such page", "text/plain")
        elif route.etag is not None and self.headers.get("If-None-Match") == route.etag:
            self.server.count(f"{route.kind} 304")
            self.send_response(304)
            self.send_header("ETag", route.etag)
            self.end_headers()
        else:
            self.server.count(f"{route.kind} 200")
            self._send(200, route.body, route.content_type, route.etag)

    def _send(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag is not None:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SiteHandler)
        self.routes: dict[str, Route] = {}
        self.counts: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    def server_bind(self) -> None:
        # HTTPServer's own looks the address's name up (a reverse DNS query); loopback needs none.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]  # type: ignore[assignment]

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1


class Site:
    """The loopback news site: bound here (its address goes into the feeds), served by a forked
    process once the routes are in, stopped by `stop`."""

    def __init__(self) -> None:
        self._server = _SiteServer()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self, routes: dict[str, Route]) -> None:
        self._server.routes = routes
        context = multiprocessing.get_context("fork")
        self._process = context.Process(target=self._server.serve_forever, name="news site")
        self._process.start()
        self._server.socket.close()  # the child serves it; this process only asks

    def counts(self) -> collections.Counter[str]:
        with urllib.request.urlopen(self.url + STATS_PATH, timeout=10) as answer:
            return collections.Counter(json.load(answer))

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join()


# --- What the poller will store, made beforehand ------------------------------------------------


@dataclass
class Prepared:
    """Each feed's articles as the poller builds them (without the feed's id: the direct database
    has no feeds), and the time the parsing and extraction took."""

    inputs: dict[int, list[ArticleInput]] = field(default_factory=dict)
    fetch_s: dict[str, float] = field(default_factory=lambda: {"feed": 0.0, "page": 0.0})
    parse_s: dict[bool, float] = field(default_factory=lambda: {True: 0.0, False: 0.0})
    extract_s: float = 0.0


def prepare_inputs(site_feeds: Sequence[SiteFeed], site: str) -> Prepared:
    """Each feed and page fetched from the site by the poller's fetcher, and read by its
    functions: the poller's own work but for the database, each part timed on its own."""
    prepared = Prepared()
    clock = time.perf_counter
    for feed in site_feeds:
        url = site + feed.path
        started = clock()
        document = fetch(url, allow=REACH.allow, accept=FEED_TYPES, limits=REACH.limits)
        prepared.fetch_s["feed"] += clock() - started
        started = clock()
        parsed = feeds.parse_feed(document.body, url)
        prepared.parse_s[feed.full_text] += clock() - started
        outlet = parsed.title or None
        made = []
        for item in parsed.items:
            if (item.full_text is not None) != feed.full_text:
                raise SystemExit(f"{url}: an entry is not what the benchmark meant it to be.")
            if item.full_text is not None:
                made.append(
                    ArticleInput(
                        body=item.full_text,
                        title=item.title,
                        url=item.link,
                        outlet=outlet,
                        published_at=item.published_at,
                        origin="feed",
                        byline=item.byline,
                    )
                )
                continue
            assert item.link is not None
            started = clock()
            fetched = fetch(item.link, allow=REACH.allow, accept=PAGE_TYPES, limits=REACH.limits)
            prepared.fetch_s["page"] += clock() - started
            started = clock()
            page = article_from_page(fetched, origin="feed")
            prepared.extract_s += clock() - started
            made.append(
                ArticleInput(
                    body=page.body,
                    title=page.title or item.title,
                    url=page.url,
                    outlet=page.outlet or outlet,
                    published_at=page.published_at or item.published_at,
                    origin="feed",
                    byline=page.byline or item.byline,
                )
            )
        prepared.inputs[feed.number] = made
    return prepared


# --- The run ------------------------------------------------------------------------------------


@dataclass
class Tally:
    feeds: int = 0
    articles: int = 0
    claims: int = 0
    seconds: float = 0.0
    problems: int = 0  # duplicates, failures, feed errors: none are expected

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    @property
    def claims_per_s(self) -> float:
        return self.claims / self.seconds if self.seconds else 0.0


@dataclass
class FirstPoll:
    poll: dict[bool, Tally] = field(default_factory=lambda: {True: Tally(), False: Tally()})
    direct: dict[bool, Tally] = field(default_factory=lambda: {True: Tally(), False: Tally()})
    polls_per_feed: collections.Counter[int] = field(default_factory=collections.Counter)
    messages: list[str] = field(default_factory=list)


def total(tallies: dict[bool, Tally]) -> Tally:
    both = list(tallies.values())
    return Tally(
        feeds=sum(t.feeds for t in both),
        articles=sum(t.articles for t in both),
        claims=sum(t.claims for t in both),
        seconds=sum(t.seconds for t in both),
        problems=sum(t.problems for t in both),
    )


def subscribe_all(engine: Engine, site: str, round_feeds: Sequence[SiteFeed]) -> None:
    with write_session(engine) as session:
        for feed in round_feeds:
            feeds.subscribe(session, site + feed.path, every_minutes=EVERY_MINUTES, reach=REACH)
        session.commit()


def first_poll(
    poll_engine: Engine,
    direct_engine: Engine,
    site: str,
    site_feeds: Sequence[SiteFeed],
    prepared: Prepared,
    config: feeds.PollConfig,
    profiler: cProfile.Profile | None,
) -> FirstPoll:
    result = FirstPoll()
    clock = time.perf_counter
    rounds = sorted({feed.round for feed in site_feeds})
    with write_session(direct_engine) as direct:
        for round_ in rounds:
            round_feeds = [feed for feed in site_feeds if feed.round == round_]
            full_text = round_feeds[0].full_text
            subscribe_all(poll_engine, site, round_feeds)

            tally = result.poll[full_text]
            started = clock()
            if profiler is not None:
                profiler.enable()
            while polls := feeds.poll_due(poll_engine, config):
                for done in polls:
                    result.polls_per_feed[done.feed_id] += 1
                    tally.articles += done.imported
                    tally.claims += done.claims
                    tally.problems += done.duplicates + done.failed + (done.error is not None)
                    result.messages += done.messages + ([done.error] if done.error else [])
            if profiler is not None:
                profiler.disable()
            tally.seconds += clock() - started
            tally.feeds += len(round_feeds)

            baseline = result.direct[full_text]
            inputs = [a for feed in round_feeds for a in prepared.inputs[feed.number]]
            started = clock()
            for article in inputs:
                baseline.claims += ingest_article(direct, article).claims
            baseline.seconds += clock() - started
            baseline.articles += len(inputs)
            baseline.feeds += len(round_feeds)
            print(
                f"  round {round_ + 1}/{len(rounds)} "
                f"({'full text' if full_text else 'links only'}, {len(round_feeds)} feeds): "
                f"poll {tally.articles:,} articles {tally.seconds:6.1f} s, "
                f"direct {baseline.articles:,} articles {baseline.seconds:6.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return result


def archive_of(engine: Engine) -> tuple[int, int, set[str]]:
    """Articles, claims and the articles' content hashes."""
    with read_session(engine) as session:
        articles = session.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one()
        claims = session.execute(sa.select(sa.func.count()).select_from(Claim)).scalar_one()
        hashes = set(session.execute(sa.select(Article.content_hash)).scalars())
    return articles, claims, hashes


@dataclass
class SecondPoll:
    feeds: int
    not_modified: int
    imported: int
    seconds: float
    asked: collections.Counter[str]


def second_poll(engine: Engine, site: Site, config: feeds.PollConfig) -> SecondPoll:
    """A poll one interval after the first: every feed is due, and none has changed."""
    later = datetime.now(UTC) + timedelta(minutes=EVERY_MINUTES + 1)
    before = site.counts()
    started = time.perf_counter()
    polls = feeds.poll_due(engine, config, now=later)
    seconds = time.perf_counter() - started
    asked = site.counts()
    asked.subtract(before)
    return SecondPoll(
        feeds=len(polls),
        not_modified=sum(done.not_modified for done in polls),
        imported=sum(done.imported for done in polls),
        seconds=seconds,
        asked=+asked,
    )


# --- Reporting ----------------------------------------------------------------------------------


def rate_rows(label: str, poll: Tally, direct: Tally) -> list[list[str]]:
    def row(name: str, t: Tally, ratio: str) -> list[str]:
        return [
            name,
            f"{t.feeds:,}",
            f"{t.articles:,}",
            f"{t.claims:,}",
            f"{t.seconds:.1f}",
            f"{t.articles_per_s:,.1f}",
            f"{t.claims_per_s:,.0f}",
            ratio,
        ]

    ratio = f"{poll.articles_per_s / direct.articles_per_s:.2f}x" if direct.seconds else "-"
    return [
        row(f"poll, {label}", poll, ratio),
        row(f"direct ingest_article, {label}", direct, "1.00x"),
    ]


def print_profile(profiler: cProfile.Profile) -> None:
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order)
        stats.print_stats(PROFILE_TOP)
        print(f"\ncProfile of the first poll, top {PROFILE_TOP} by {order}:")
        print(buffer.getvalue().rstrip())
    # What the poller does besides ingest_article: the calls of its own steps, one by one.
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats("cumulative")
    stats.print_callees(r"feeds.py:\d+\((poll_feed|_take_entry|_article_of)\)")
    print("\ncProfile of the first poll, what the poller's own steps call:")
    print(buffer.getvalue().rstrip())


# --- Main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=200, help="feeds on the site (default 200)")
    parser.add_argument("--entries", type=int, default=20, help="entries a feed (default 20)")
    parser.add_argument("--quick", action="store_true", help="20 feeds of 20 entries")
    parser.add_argument("--seed", type=int, default=20261201, help="seed for the articles")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the first poll (slows it down)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.feeds = 20
    if args.feeds < 2 or args.entries < 1:
        parser.error("--feeds must be >= 2 (one of each kind) and --entries >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pool = article_sentences()
    factory = ArticleFactory(pool.sentences, args.seed)
    rounds = min(ROUNDS, args.feeds)
    site = Site()
    try:
        started = time.perf_counter()
        site_feeds = build_site(factory, args.feeds, args.entries, args.seed, rounds)
        routes = routes_of(site_feeds, site.url)
        full = [feed for feed in site_feeds if feed.full_text]
        pages = sum(len(feed.entries) for feed in site_feeds if not feed.full_text)
        feed_kb = [len(routes[feed.path].body) / 1024 for feed in site_feeds]
        page_kb = [len(r.body) / 1024 for r in routes.values() if r.kind == "page"]
        print(f"Sentences: {len(pool.sentences):,} distinct, from {pool.source}")
        print(
            f"Site: {len(site_feeds):,} feeds x {args.entries} entries at {site.url}: "
            f"{len(full)} full text, {len(site_feeds) - len(full)} links only ({pages:,} article "
            f"pages, mean {sum(page_kb) / max(1, len(page_kb)):.1f} KB); feeds mean "
            f"{sum(feed_kb) / len(feed_kb):.1f} KB (built in {time.perf_counter() - started:.1f} s)"
        )
        site.start(routes)
        started = time.perf_counter()
        prepared = prepare_inputs(site_feeds, site.url)
        print(
            f"Inputs for the direct pass, fetched and read as the poller does: "
            f"{sum(map(len, prepared.inputs.values())):,} articles "
            f"({time.perf_counter() - started:.1f} s)"
        )

        with tempfile.TemporaryDirectory(prefix="bench-feeds-") as tmp:
            engines = [
                make_engine(Settings(database_url=f"sqlite:///{Path(tmp) / name}"))
                for name in ("polled.db", "direct.db")
            ]
            poll_engine, direct_engine = engines
            try:
                for engine in engines:
                    migrate(engine)
                config = feeds.PollConfig(reach=REACH, max_entries=max(50, args.entries))
                profiler = cProfile.Profile() if args.profile else None
                print(
                    f"First poll: {rounds} rounds, full-text and link-only feeds in turn; each "
                    "round's articles then go into a second fresh database by ingest_article "
                    "(progress on stderr)"
                )
                load_before = os.getloadavg()[0]
                asked_before = site.counts()
                first = first_poll(
                    poll_engine, direct_engine, site.url, site_feeds, prepared, config, profiler
                )
                load_after = os.getloadavg()[0]
                polled = archive_of(poll_engine)
                direct = archive_of(direct_engine)
                with read_session(poll_engine) as session:
                    subscribed = session.execute(
                        sa.select(sa.func.count()).select_from(Feed)
                    ).scalar_one()
                asked_first = site.counts()
                asked_first.subtract(asked_before)
                again = second_poll(poll_engine, site, config)
                after_304 = archive_of(poll_engine)
            finally:
                for engine in engines:
                    engine.dispose()
    finally:
        site.stop()

    poll_all, direct_all = total(first.poll), total(first.direct)
    note = " (under cProfile: slower than real)" if profiler is not None else ""
    print(
        f"\n=== Feed polling: {args.feeds:,} feeds x {args.entries} entries on loopback, "
        f"seed {args.seed}{note} ===\n"
    )
    headers = ["pass", "feeds", "articles", "claims", "s", "articles/s", "claims/s", "x direct"]
    rows = rate_rows("all feeds", poll_all, direct_all)
    rows += rate_rows("full-text feeds", first.poll[True], first.direct[True])
    rows += rate_rows("link-only feeds", first.poll[False], first.direct[False])
    print(table(headers, rows))
    once = all(n == 1 for n in first.polls_per_feed.values()) and len(first.polls_per_feed)
    print(
        f"\nFirst poll: {subscribed:,} feeds subscribed, each polled "
        f"{'once' if once else 'more than once'}; server asked for "
        f"{asked_first['feed 200']:,} feeds and {asked_first['page 200']:,} pages "
        f"({asked_first['missing']:,} unknown paths); "
        f"{poll_all.problems:,} duplicates, failures or feed errors."
    )
    for message in first.messages[:5]:
        print(f"  {message}")
    same = polled[2] == direct[2]
    print(
        f"Archives: polled {polled[0]:,} articles / {polled[1]:,} claims, direct {direct[0]:,} / "
        f"{direct[1]:,}; same articles (content hashes): {'yes' if same else 'NO'}. "
        f"Load average {load_before:.2f} before, {load_after:.2f} after."
    )
    parse_all = sum(prepared.parse_s.values())
    fetch_all = sum(prepared.fetch_s.values())
    print(
        f"Measured apart, before the run (the same calls the poll makes): fetch every feed "
        f"{prepared.fetch_s['feed']:.1f} s and every linked page {prepared.fetch_s['page']:.1f} s; "
        f"parse_feed {parse_all:.1f} s (full-text feeds {prepared.parse_s[True]:.1f} s, "
        f"link-only {prepared.parse_s[False]:.1f} s); article_from_page {prepared.extract_s:.1f} s."
    )
    extra = poll_all.seconds - direct_all.seconds
    rest = extra - fetch_all - parse_all - prepared.extract_s
    print(
        f"Poll minus direct: {extra:.1f} s; of it fetching {fetch_all:.1f} s, parsing and "
        f"extraction {parse_all + prepared.extract_s:.1f} s, the rest (the poller's own reads and "
        f"writes, sessions) {rest:.1f} s, {1000 * rest / max(1, poll_all.articles):.1f} ms an "
        "article."
    )
    print(
        f"\nSecond poll, a feed interval later: {again.feeds:,} feeds in {again.seconds:.2f} s "
        f"({again.feeds / again.seconds:,.0f} feeds/s, {1000 * again.seconds / again.feeds:.1f} "
        f"ms a feed); {again.not_modified:,} answered 304; the server was asked for "
        f"{again.asked['feed 304']:,} feeds (304), {again.asked['feed 200']:,} whole feeds and "
        f"{again.asked['page 200']:,} pages; imported {again.imported:,} "
        f"(archive {after_304[0]:,} articles, {after_304[0] - polled[0]:+,})."
    )
    ratio = poll_all.articles_per_s / direct_all.articles_per_s
    print(
        f"Result: first poll {poll_all.articles_per_s:,.1f} articles/s "
        f"({poll_all.claims_per_s:,.0f} claims/s), {ratio:.2f}x direct ingest in the same run; "
        f"unchanged feeds {1000 * again.seconds / again.feeds:.1f} ms each."
    )
    if profiler is not None:
        print_profile(profiler)
    ok = (
        same
        and not poll_all.problems
        and again.not_modified == again.feeds == args.feeds
        and not again.imported
        and not again.asked["page 200"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
