"""Articles from links and monitored feeds in a real browser (Debian's Chromium via Playwright),
against a news site served by the loopback origin: an admin subscribes to a feed, polls it now and
finds its claims in the queue; an editor pastes an article's address; a broken feed says why; and
the Feeds page's form works from the keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, committed
from flask import Flask
from news_site import Story, publish, stories

from workbench.db import read_session
from workbench.intake import feeds
from workbench.intake.links import Reach
from workbench.models import Article, Claim

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

# A pasted article's claim, which no story of the news site shares.
PASTED = "The harbour authority said 14 ferries were cancelled in May because of the storms."


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(egress_allow=("127.0.0.0/8",))  # the origin is on loopback


@pytest.fixture
def page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    opened = context.new_page()
    errors: list[str] = []

    def console(message: Any) -> None:
        # A refused form is a 400 the browser logs as a failed load; the tests expect those.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    def response(answer: Any) -> None:
        if answer.status >= 500:
            errors.append(f"{answer.status} {answer.url}")

    opened.on("console", console)
    opened.on("response", response)
    yield opened
    context.close()
    assert errors == [], "the page logged errors"


def _log_in(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_contain_text(f"{username} (")


def _feed_row(page: Any, url: str) -> Any:
    """The Feeds table's row of the feed at exactly `url`."""
    exact = page.locator("code", has_text=re.compile(f"^{re.escape(url)}$"))
    return page.locator("tbody tr").filter(has=exact)


def _queue_rows(page: Any) -> Any:
    return page.locator("[data-queue] [data-row]")


def _feed_claims(engine: sa.Engine) -> list[str]:
    with read_session(engine) as db:
        rows = db.execute(
            sa.select(Claim.text).join(Article).where(Article.feed_id.is_not(None))  # type: ignore[union-attr]
        )
        return list(rows.scalars())


def test_admin_subscribes_polls_now_and_reviews_the_feeds_claims(
    page: Any, engine: sa.Engine, origin: Any
) -> None:
    from playwright.sync_api import expect

    entries = stories(3)
    publish(origin, entries)
    feed_url = origin.url("/rss")
    _log_in(page, "admin")

    # One article pasted by hand, whose claim is no feed's.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add article").click()
    page.get_by_label("Title", exact=True).fill("Harbour report")
    page.get_by_label("Text", exact=True).fill(PASTED)
    page.get_by_role("button", name="Add article").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbour report")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feeds").click()
    expect(page).to_have_url(re.compile(r"/feeds/$"))
    page.get_by_label("Feed address (https://...)").fill(feed_url)
    page.get_by_role("button", name="Add feed").click()
    expect(page.locator(".flash.success")).to_contain_text(f"Monitoring {feed_url}")
    row = _feed_row(page, feed_url)
    expect(row.locator(".badge")).to_have_text("waiting")

    row.get_by_role("button", name="Poll now").click()
    expect(page.locator(".flash.success")).to_contain_text("3 new entries, 3 imported")
    expect(page.locator(".flash.error")).to_have_count(0)
    expect(row).to_contain_text("Daily World")  # the feed's own title, learnt from the poll
    expect(row.locator(".badge")).to_have_text("ok")
    expect(row.locator("td.num")).to_have_text("3")
    assert origin.hits("/rss") == 1 and all(origin.hits(f"/{s.slug}") == 1 for s in entries)

    # Its claims, and only its claims.
    from_feed = _feed_claims(engine)
    story = entries[1]
    assert story.sentences[0] in from_feed and PASTED not in from_feed
    row.get_by_role("link", name="its claims").click()
    expect(page).to_have_url(re.compile(r"/claims/\?feed_id=\d+$"))
    expect(page.get_by_label("Feed")).to_have_value(re.compile(r"^\d+$"))
    expect(_queue_rows(page)).to_have_count(len(from_feed))
    expect(page.locator("[data-queue]")).to_contain_text(story.sentences[0])
    expect(page.locator("[data-queue]")).not_to_contain_text(PASTED)

    page.get_by_role("link", name="Clear filters").click()
    expect(_queue_rows(page)).to_have_count(len(from_feed) + 1)
    expect(page.locator("[data-queue]")).to_contain_text(PASTED)
    page.get_by_label("Feed").select_option(label="Daily World")
    page.get_by_role("button", name="Filter").click()
    expect(_queue_rows(page)).to_have_count(len(from_feed))
    expect(page.locator("[data-queue]")).not_to_contain_text(PASTED)

    # Opening a claim shows it where its article says it.
    page.locator("[data-queue]").get_by_role("link", name=story.sentences[0]).click()
    expect(page.locator("h1.claim-title")).to_have_text(story.sentences[0])
    expect(page.locator(".context mark")).to_have_text(story.sentences[0])
    expect(page.locator(".context")).to_contain_text(story.sentences[1])
    expect(page.get_by_role("link", name=story.title)).to_be_visible()


def test_editor_pastes_an_address_and_gets_the_article_once(page: Any, origin: Any) -> None:
    from playwright.sync_api import expect

    story: Story = stories(1)[0]
    publish(origin, [story], feed=None)
    address = origin.url(f"/{story.slug}")
    _log_in(page, "editor")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add article").click()
    page.get_by_label("Text", exact=True).fill(address)
    page.get_by_role("button", name="Add article").click()
    expect(page).to_have_url(re.compile(r"/articles/\d+$"))
    article_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_have_text(story.title)
    body = page.locator(".article .body")
    for sentence in story.sentences:
        expect(body).to_contain_text(sentence)
    main = page.locator("main")
    for chrome in ("mattress", "fake news", "cookies", "Subscribe for 1 euro", "Most read"):
        expect(main).not_to_contain_text(chrome)
    expect(page.locator(".article .meta").get_by_role("link", name=address)).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add article").click()
    page.get_by_label("Text", exact=True).fill(address)
    page.get_by_role("button", name="Add article").click()
    error = page.locator(".flash.error")
    expect(error).to_contain_text(f"#{article_id}")
    expect(error).to_contain_text("same address")
    expect(page).to_have_url(re.compile(r"/articles/new$"))
    expect(page.get_by_label("Text", exact=True)).to_have_value(address)
    assert origin.hits(f"/{story.slug}") == 1, "a known address is not fetched again"


def test_a_broken_feed_says_why_and_leaves_the_other_alone(
    page: Any, app: Flask, engine: sa.Engine, users: dict[str, int], origin: Any
) -> None:
    from playwright.sync_api import expect

    publish(origin, stories(2))
    origin.route("/broken.rss", body=b"Internal Server Error", status=500)
    good_url, broken_url = origin.url("/rss"), origin.url("/broken.rss")
    reach = Reach.from_settings(app.config["WORKBENCH_SETTINGS"])
    with committed(engine) as db:
        for url in (good_url, broken_url):
            feeds.subscribe(db, url, every_minutes=30, reach=reach, user_id=users["admin"])
    _log_in(page, "admin")
    page.goto("/feeds/")
    good, broken = _feed_row(page, good_url), _feed_row(page, broken_url)

    good.get_by_role("button", name="Poll now").click()
    expect(good.locator(".badge")).to_have_text("ok")

    broken.get_by_role("button", name="Poll now").click()
    expect(page.locator(".flash.error")).to_contain_text(f"{broken_url}: The server answered 500.")
    expect(broken.locator(".badge")).to_have_text("failing")
    expect(broken).to_contain_text("1 poll(s) in a row: The server answered 500.")
    expect(broken.locator("td.num")).to_have_text("0")
    expect(broken.get_by_role("link", name="its claims")).to_have_count(0)

    expect(good.locator(".badge")).to_have_text("ok")
    expect(good.locator("td.num")).to_have_text("2")
    expect(good).not_to_contain_text("500")
    expect(good.get_by_role("link", name="its claims")).to_be_visible()


def test_the_add_form_works_from_the_keyboard(page: Any, origin: Any) -> None:
    from playwright.sync_api import expect

    publish(origin, stories(1))
    feed_url = origin.url("/rss")
    keyboard = page.keyboard
    _log_in(page, "admin")
    page.goto("/feeds/")
    address = page.get_by_label("Feed address (https://...)")
    every = page.get_by_label("Poll every (minutes)")
    add = page.get_by_role("button", name="Add feed")
    expect(address).to_be_focused()

    # Enter in the field sends the form; a refused address comes back kept, with the reason.
    keyboard.type("ftp://news.example/rss")
    keyboard.press("Enter")
    expect(page.locator(".flash.error")).to_contain_text("https://")
    expect(address).to_have_value("ftp://news.example/rss")
    expect(address).to_be_focused()

    keyboard.press("ControlOrMeta+A")
    keyboard.type(feed_url)
    keyboard.press("Tab")
    expect(every).to_be_focused()
    keyboard.press("ControlOrMeta+A")
    keyboard.type("45")
    keyboard.press("Tab")
    expect(add).to_be_focused()
    keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_contain_text(
        f"Monitoring {feed_url}: it is polled shortly, then every 45 minute(s)."
    )
    row = _feed_row(page, feed_url)
    expect(row).to_contain_text("45 min")

    # The row's buttons come next in the tab order, each named by the words it shows.
    expect(address).to_be_focused()
    keyboard.press("Tab")
    keyboard.press("Tab")
    keyboard.press("Tab")
    poll = row.get_by_role("button", name="Poll now")
    expect(poll).to_be_focused()
    buttons = page.locator("main").get_by_role("button")
    expect(buttons).to_have_text(["Add feed", "Poll now", "Pause", "Remove"])
    for button in buttons.all():
        expect(button).to_be_visible()
        expect(button).to_have_accessible_name(button.inner_text().strip())
    keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_contain_text("1 new entry, 1 imported")
    expect(row.locator(".badge")).to_have_text("ok")
