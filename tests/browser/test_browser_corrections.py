"""Correcting a claim in a real browser (Debian's Chromium, Playwright): an editor edits a
claim's text, splits a sentence the splitter glued together at a point picked from the keyboard,
merges a sentence it cut in two, and names who made the claim; the queue then shows the claimant
and filters by it. The article keeps the sentences as published."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, committed
from sqlmodel import select

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Article, AuditEvent, Claim

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

# The first line glues two claims together; the last two lines are one sentence cut in two.
BODY = (
    "Kerry said the talks will resume in Geneva and the ministry said 40 jets had landed.\n"
    "The harbour froze over for the first time since 1963.\n"
    "Unemployment in the region fell to 4.1 percent last year\n"
    "\n"
    "according to figures the statistics office published on Monday."
)


@pytest.fixture
def story(engine: sa.Engine) -> list[int]:
    with committed(engine) as db:
        result = ingest_article(db, ArticleInput(body=BODY, title="Wire story"), match=False)
        article_id = result.article.id
    return _claim_ids(engine, article_id)


def _claim_ids(engine: sa.Engine, article_id: int | None = None) -> list[int]:
    with read_session(engine) as db:
        statement = select(Claim.id).order_by(Claim.article_id, Claim.position)
        if article_id is not None:
            statement = statement.where(Claim.article_id == article_id)
        return [i for i in db.exec(statement).all() if i is not None]


def _claims(engine: sa.Engine) -> list[Claim]:
    with read_session(engine) as db:
        return list(db.exec(select(Claim).order_by(Claim.position)).all())


@pytest.fixture
def page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Any]:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    opened = context.new_page()
    opened.goto("/auth/login")
    opened.get_by_label("User name").fill("editor")
    opened.get_by_label("Password").fill(PASSWORD)
    opened.get_by_role("button", name="Log in").click()
    expect(opened.locator("header .who")).to_contain_text("editor (")
    yield opened
    context.close()


def test_edit_split_and_merge_a_claim(page: Any, engine: sa.Engine, story: list[int]) -> None:
    from playwright.sync_api import expect

    glued, harbour, cut_first, cut_second = story
    flash = page.locator("#flashes .flash.success")

    # Split the glued sentence, choosing the point from the keyboard.
    page.goto(f"/claims/{glued}")
    expect(page.locator(".claimant strong")).to_have_text("Kerry")
    page.get_by_text("Correct the text").click()
    point = page.get_by_label("Split into two claims after")
    point.focus()
    point.select_option(label="…resume in Geneva and | the ministry said 40…")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(flash).to_contain_text("Split")
    expect(page.locator("h1.claim-title")).to_have_text(
        "Kerry said the talks will resume in Geneva and"
    )
    texts = [c.text for c in _claims(engine)]
    assert texts[:2] == [
        "Kerry said the talks will resume in Geneva and",
        "the ministry said 40 jets had landed.",
    ]
    second = _claims(engine)[1]
    # The new claim follows it in the article; its text and span are the second part's.
    page.goto(f"/claims/{second.id}")
    expect(page.locator("h1.claim-title")).to_have_text("the ministry said 40 jets had landed.")
    expect(page.locator(".context mark")).to_have_text("the ministry said 40 jets had landed.")

    # Edit the first part's text: the original sentence stays in the history and the article.
    page.goto(f"/claims/{glued}")
    page.get_by_text("Correct the text").click()
    page.get_by_label("The claim's text").fill("Kerry said the talks will resume in Geneva.")
    page.get_by_role("button", name="Save text").click()
    expect(flash).to_contain_text("Text corrected")
    expect(page.locator("h1.claim-title")).to_have_text(
        "Kerry said the talks will resume in Geneva."
    )
    expect(page.locator(".original q")).to_have_text(BODY.split("\n")[0])
    page.get_by_role("link", name="History").click()
    expect(page.locator("table.history")).to_contain_text("claim.edit_text")
    expect(page.locator("table.history")).to_contain_text("claim.split")

    # Merge the sentence the splitter cut at the blank line.
    page.goto(f"/claims/{cut_first}")
    page.get_by_text("Correct the text").click()
    expect(page.locator("#correct")).to_contain_text("according to figures the statistics office")
    page.get_by_role("button", name="Merge with the next sentence").click()
    expect(flash).to_contain_text("Merged")
    expect(page.locator("h1.claim-title")).to_have_text(
        "Unemployment in the region fell to 4.1 percent last year according to figures the "
        "statistics office published on Monday."
    )
    assert cut_second not in _claim_ids(engine)
    # The claimant the splitter could not see in the half sentence is named by the editor.
    page.get_by_label("Who made the claim").fill("the statistics office")
    page.get_by_role("button", name="Save claimant").click()
    expect(page.locator(".claimant strong")).to_have_text("the statistics office")

    # The article: four claims now, its text as published, the corrected claim marked so.
    with read_session(engine) as db:
        article = db.get(Article, _claims(engine)[0].article_id)
        assert article is not None and article.body == BODY
        actions = set(db.exec(select(AuditEvent.action)).all())
    assert {"claim.split", "claim.edit_text", "claim.merge", "claim.claimant"} <= actions
    page.goto(f"/articles/{article.id}")
    expect(page.locator("ol.claims > li")).to_have_count(4)
    expect(page.locator("ol.claims .corrected")).to_have_count(3)
    expect(page.locator(".body")).to_contain_text(BODY.split("\n")[0])

    # The queue shows the claimants; a claimant's link filters the queue by it.
    page.goto("/claims/")
    row = page.locator("tr[data-row]", has_text="statistics office published")
    row.get_by_role("link", name="the statistics office", exact=True).click()
    expect(page.locator("tr[data-row]")).to_have_count(1)
    expect(page.get_by_label("Claimant")).to_have_value("the statistics office")
    page.get_by_label("Claimant").fill("Kerry")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-row]")).to_have_count(1)
    expect(page.locator("tr[data-row]")).to_contain_text("resume in Geneva")
    assert harbour in _claim_ids(engine)


def test_a_merge_that_would_lose_work_is_refused_before_it_is_tried(
    page: Any, engine: sa.Engine, story: list[int], users: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    from workbench.review import verdicts as review

    glued, harbour = story[:2]
    with committed(engine) as db:
        review.set_verdict(db, harbour, users["editor"], 1, "refuted", "It froze in 1987.")
    page.goto(f"/claims/{glued}")
    page.get_by_text("Correct the text").click()
    expect(page.locator("#correct")).to_contain_text(f"The next claim (#{harbour}) has a verdict")
    expect(page.get_by_role("button", name="Merge with the next sentence")).to_have_count(0)
    # The claim with the verdict offers no text corrections at all: reopen first.
    page.goto(f"/claims/{harbour}")
    expect(page.locator("#correct")).to_contain_text("reopen the claim to correct its text")
    expect(page.get_by_text("Correct the text")).to_have_count(0)
