"""`flask --app app ingest URL`, `feeds add/list/remove/poll`, and a poller killed mid-poll that
loses nothing and imports nothing twice when it polls again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO, cli_environment
from flask import Flask
from flask.testing import FlaskCliRunner
from news_site import HTML_TYPE, Story, article_page, publish, site_of, stories
from sqlmodel import select

from workbench.db import read_session, write_session
from workbench.intake import feeds
from workbench.intake.links import Reach
from workbench.models import Article, Feed, FeedEntry, utcnow
from workbench.net.egress import Allowance
from workbench.net.fetch import FetchLimits


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(egress_allow=("127.0.0.0/8",))


def _invoke(app: Flask, runner: FlaskCliRunner, *args: str):  # type: ignore[no-untyped-def]
    with app.app_context():
        return runner.invoke(args=list(args))


def _serve(origin, count: int) -> list[Story]:  # type: ignore[no-untyped-def]
    entries = stories(count)
    publish(origin, entries)
    return entries


def _articles(engine: sa.Engine) -> list[Article]:
    with read_session(engine) as db:
        return list(db.exec(select(Article).order_by(Article.id)).all())


def test_ingest_takes_addresses_beside_files(
    app: Flask, runner: FlaskCliRunner, engine: sa.Engine, origin, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    entries = _serve(origin, 2)
    text = tmp_path / "note.txt"
    text.write_text("The port handled 3 million containers in 2025, the authority said.")
    origin.route("/gone", body=b"no", status=404)
    done = _invoke(
        app,
        runner,
        "ingest",
        origin.url(f"/{entries[0].slug}"),
        str(text),
        origin.url(f"/{entries[1].slug}"),
        origin.url("/gone"),
    )
    assert done.exit_code == 1, done.output  # one address could not be read
    assert "Imported 3 article(s)" in done.output and "404" in done.output
    assert sorted(a.origin for a in _articles(engine)) == ["link", "link", "upload"]

    again = _invoke(app, runner, "ingest", origin.url(f"/{entries[0].slug}"))
    assert "already in the archive" in again.output and "same address" in again.output
    assert origin.hits(f"/{entries[0].slug}") == 1


def test_feeds_add_list_poll_export_remove(
    app: Flask, runner: FlaskCliRunner, engine: sa.Engine, origin, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _serve(origin, 3)
    added = _invoke(app, runner, "feeds", "add", origin.url("/rss"), "--every", "20")
    assert added.exit_code == 0 and "every 20 minute(s)" in added.output, added.output
    twice = _invoke(app, runner, "feeds", "add", origin.url("/rss"))
    assert twice.exit_code == 1 and "already monitored" in twice.output

    polled = _invoke(app, runner, "feeds", "poll", "--once")
    assert polled.exit_code == 0 and "3 imported" in polled.output, polled.output
    listed = _invoke(app, runner, "feeds", "list")
    assert origin.url("/rss") in listed.output and "3 imported" in listed.output

    (path := tmp_path / "note.txt").write_text("The port handled 3 million containers in 2025.")
    assert _invoke(app, runner, "ingest", str(path)).exit_code == 0
    with read_session(engine) as db:
        feed_id = db.exec(select(Feed.id)).one()
    everything = _invoke(app, runner, "export", "--format", "jsonl")
    from_feed = _invoke(app, runner, "export", "--format", "jsonl", "--feed", str(feed_id))
    assert "containers" in everything.output and "containers" not in from_feed.output
    assert len(from_feed.output.splitlines()) == len(everything.output.splitlines()) - 1
    nonsense = _invoke(app, runner, "export", "--format", "jsonl", "--feed", "x")
    assert nonsense.exit_code != 0 and "feed_id" in nonsense.output

    removed = _invoke(app, runner, "feeds", "remove", origin.url("/rss"))
    assert removed.exit_code == 0 and "articles stay" in removed.output
    assert len(_articles(engine)) == 4
    missing = _invoke(app, runner, "feeds", "remove", "99")
    assert missing.exit_code == 1 and "no feed #99" in missing.output.lower()


@pytest.mark.slow
def test_a_poller_killed_mid_poll_loses_nothing_and_imports_nothing_twice(
    app: Flask, engine: sa.Engine, database_url: str, origin, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    entries = _serve(origin, 6)
    stuck = entries[3].slug

    def hang(request):  # type: ignore[no-untyped-def]
        origin.stopping.wait(60)  # the poller is killed while it waits for this page
        return None

    origin.route(f"/{stuck}", handler=hang)
    feed_id = _subscribe(engine, origin.url("/rss"))

    environment = cli_environment(database_url, tmp_path) | {
        "WORKBENCH_EGRESS_ALLOW": "127.0.0.0/8",
        "WORKBENCH_FETCH_TOTAL_TIMEOUT_S": "120",
        "WORKBENCH_FETCH_READ_TIMEOUT_S": "120",
    }
    poller = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "feeds", "poll", "--once"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while origin.hits(f"/{stuck}") == 0:
            assert time.monotonic() < deadline, "the poller never reached the stuck page"
            assert poller.poll() is None, "the poller ended before it was killed"
            time.sleep(0.05)
        os.killpg(poller.pid, signal.SIGKILL)
        poller.wait(30)
    finally:
        if poller.poll() is None:
            os.killpg(poller.pid, signal.SIGKILL)
            poller.wait(30)

    assert [a.title for a in _articles(engine)] == [s.title for s in entries[:3]]
    with read_session(engine) as db:
        feed = db.get(Feed, feed_id)
        assert feed is not None and feed.etag is None and feed.last_polled_at is None
        assert feed.next_poll_at > utcnow(), "still leased by the killed poller"

    # The page answers now; once the killed poller's lease has run out, the feed is polled again.
    page = article_page(entries[3], site=site_of(origin), canonical=origin.url(f"/{stuck}"))
    origin.route(f"/{stuck}", body=page, headers=HTML_TYPE)
    config = feeds.PollConfig(Reach(Allowance.parse(["127.0.0.0/8"]), FetchLimits()))
    later = utcnow() + feeds.LEASE + timedelta(seconds=1)
    assert feeds.poll_feed(engine, feed_id, config, now=later - feeds.LEASE) is None
    done = feeds.poll_feed(engine, feed_id, config, now=later)
    assert done is not None and (done.new, done.imported) == (3, 3), done
    assert [a.title for a in _articles(engine)] == [s.title for s in entries]
    with read_session(engine) as db:
        assert db.exec(select(sa.func.count()).select_from(FeedEntry)).one() == 6
    for story in entries[:3]:
        assert origin.hits(f"/{story.slug}") == 1, (
            "entries stored before the kill not fetched again"
        )


def _subscribe(engine: sa.Engine, url: str) -> int:
    with write_session(engine) as db:
        feed, _ = feeds.subscribe(
            db, url, every_minutes=15, reach=Reach(Allowance.parse(["127.0.0.0/8"]), FetchLimits())
        )
        db.commit()
        return feed.id  # type: ignore[return-value]
