"""Search in a real browser (Chromium driven by Playwright): two words of a claim typed into the
header's box find it first with its words marked, at 1280 px and at 390 px, and the switch to
similar claims and back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, committed
from sqlmodel import select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

TARGET = "Troops under Sergei Shoigu moved 40 tanks across the border on Friday."
# Claims with one of the two words (several of them newer than the target), and others.
OTHERS = [
    "Shoigu met the delegation in Moscow on Friday, officials said afterwards.",
    "The army moved 300 tanks to the northern region during the exercise.",
    "Ukraine said 12 tanks were destroyed near Bakhmut in one week of fighting.",
    "Shoigu ordered new drills for the Black Sea fleet in the spring.",
    "The council spent 4 million dollars on road repairs in district 9.",
]


@pytest.fixture
def target(engine: sa.Engine, users: dict[str, int]) -> int:
    with committed(engine) as db:
        article = ingest_article(
            db, ArticleInput(body="\n".join([TARGET, *OTHERS]), title="Defence", outlet="Wire")
        ).article
        claim_id = db.exec(
            select(Claim.id).where(Claim.article_id == article.id, Claim.position == 0)
        ).one()
    return claim_id


@pytest.fixture
def open_page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Callable]:
    contexts = []

    def open_(width: int) -> Any:
        context = browser.new_context(
            base_url=live_server, viewport={"width": width, "height": 900}
        )
        contexts.append(context)
        context.set_default_timeout(5_000)
        page = context.new_page()
        _log_in(page)
        return page

    yield open_
    for context in contexts:
        context.close()


def _log_in(page: Any, username: str = "viewer") -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_contain_text(f"{username} (")


def _search_from_the_header(page: Any, text: str) -> None:
    from playwright.sync_api import expect

    page.locator("h1").click()  # out of any field
    page.keyboard.press("/")  # the header's box answers to "/" on every page
    expect(page.locator("#site-search")).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")


def _first_result(page: Any) -> Any:
    return page.locator(".search-hit").first


def _overflowing(page: Any) -> list[str]:
    """What in the page's content reaches past the viewport's right edge."""
    return page.evaluate(
        """() => {
            const edge = document.documentElement.clientWidth + 1;
            return Array.from(document.querySelectorAll('main *'))
                .filter(el => el.getBoundingClientRect().right > edge)
                .map(el => el.tagName + '.' + el.className);
        }"""
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_two_words_of_a_claim_find_it_first_with_its_words_marked(
    open_page: Callable, target: int, width: int
) -> None:
    from playwright.sync_api import expect

    page = open_page(width)
    page.goto("/claims/")
    _search_from_the_header(page, "tanks Shoygu")  # another spelling of the name
    said = page.locator(".search-said")
    expect(said).to_contain_text("Searching for these words")
    first = _first_result(page)
    expect(first.locator(".search-snippet a")).to_have_attribute("href", f"/claims/{target}")
    expect(first.locator("mark")).to_have_text(["Shoigu", "tanks"])
    expect(first).to_contain_text("2 of 2 words")
    assert page.locator(".search-hit").count() == 5  # four with one of the words, after it
    assert _overflowing(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The result opens the claim.
    first.locator(".search-snippet a").click()
    page.wait_for_url(f"**/claims/{target}")


def test_the_switch_runs_the_other_mode_on_the_same_text(open_page: Callable, target: int) -> None:
    from playwright.sync_api import expect

    page = open_page(1280)
    page.goto("/claims/")
    _search_from_the_header(page, "Shoigu tanks")
    page.get_by_role("link", name="Find claims similar to this sentence instead").click()
    expect(page.locator(".search-said")).to_have_attribute("data-search-mode", "similar")
    expect(page.locator(".search-said")).to_contain_text("Finding claims similar to this sentence")
    expect(page.get_by_label("claims similar to this sentence")).to_be_checked()
    expect(page.locator("#site-search")).to_have_value("Shoigu tanks")

    # A sentence typed into the page's box, with the choice left to the text: similar claims.
    page.get_by_label("as the text suggests").check()
    page.get_by_label("Words or a sentence").fill(TARGET)
    page.get_by_role("button", name="Search", exact=True).click()
    said = page.locator(".search-said")
    expect(said).to_contain_text("(a sentence, so a similar-claims search)")
    first = _first_result(page)
    expect(first.locator(".search-snippet a")).to_have_attribute("href", f"/claims/{target}")
    expect(first.locator(".badge.dup")).to_have_text("duplicate")

    # And back to the words, by the radio.
    page.get_by_label("claims with these words").check()
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".search-said")).to_have_attribute("data-search-mode", "keyword")
    expect(_first_result(page).locator(".search-snippet a")).to_have_attribute(
        "href", f"/claims/{target}"
    )
