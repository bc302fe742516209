"""The claim page in a real browser (Debian's Chromium via Playwright), at 1280 px and at 390 px:
the banner on top shows a repeat of a checked claim with its verdict and confirms it; a variant
shows the fact that differs; two columns on a wide screen, one on a phone, never wider than the
phone; and the next claim is fetched ahead, so j opens it from the browser's cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, committed
from flask import Flask, request
from sqlmodel import select

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim, DuplicateSuggestion, SuggestionState, Verdict
from workbench.review import verdicts as review

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

CHECKED = "Unemployment in Spain rose to 26.3 percent in March, the statistics office said."
OTHER = "The central bank kept its main interest rate at 1.5 percent on Thursday."
REPEAT = "The statistics office said unemployment in Spain rose to 26.3 per cent in March."
VARIANT = "Unemployment in Spain rose to 23.6 percent in March, the statistics office said."
# A sentence no phone can wrap between its words: the page must still not scroll sideways.
LONG = (
    "The ministry's report at https://example.org/statistics/"
    "unemployment-2024-march-final-revised-edition-with-annexes.pdf says 12 regions grew."
)
WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@dataclass(frozen=True)
class Newsroom:
    checked: int  # supported, approved
    other: int  # open, from the same wire story
    repeat: int  # the checked claim in other words: a pending duplicate suggestion
    variant: int  # the checked claim with a figure changed: a pending variant
    long: int  # a claim with a long address in it


@pytest.fixture
def newsroom(engine: sa.Engine, users: dict[str, int]) -> Newsroom:
    with committed(engine) as db:
        wire = ingest_article(
            db, ArticleInput(body=f"{CHECKED}\n{OTHER}", title="Spain jobs", outlet="Wire")
        ).article
        checked, other = _claims_of(db, wire.id)
        claim = db.get(Claim, checked)
        assert claim is not None
        review.set_verdict(
            db, checked, users["editor"], claim.version, Verdict.SUPPORTED, "The office says so."
        )
        db.commit()
        ids = []
        for title, text in (("Jobs again", REPEAT), ("Jobless", VARIANT), ("Report", LONG)):
            article = ingest_article(db, ArticleInput(body=text, title=title)).article
            ids += _claims_of(db, article.id)
        db.commit()
    repeat, variant, long = ids
    return Newsroom(checked, other, repeat, variant, long)


@pytest.fixture
def open_page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Callable]:
    """open_page(viewport): the editor, logged in, on a page that must log no errors."""
    contexts, errors = [], []

    def open_(viewport: dict[str, int] = WIDE) -> Any:
        context = browser.new_context(base_url=live_server, viewport=viewport)
        contexts.append(context)
        context.set_default_timeout(5_000)
        page = context.new_page()

        def console(message: Any) -> None:
            if message.type == "error" and "Failed to load resource" not in message.text:
                errors.append(message.text)

        def response(answer: Any) -> None:
            if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
                errors.append(f"{answer.status} {answer.url}")

        page.on("console", console)
        page.on("response", response)
        _log_in(page)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], "the page logged errors"


def _log_in(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("User name").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_have_text("editor (editor)")


def _claims_of(db: Any, article_id: int | None) -> list[int]:
    statement = select(Claim.id).where(Claim.article_id == article_id).order_by(Claim.position)
    return [i for i in db.exec(statement).all() if i is not None]


def _suggestion(engine: sa.Engine, claim_id: int, candidate_id: int) -> DuplicateSuggestion:
    with read_session(engine) as db:
        return db.exec(
            select(DuplicateSuggestion).where(
                DuplicateSuggestion.claim_id == claim_id,
                DuplicateSuggestion.candidate_id == candidate_id,
            )
        ).one()


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def _page_width(page: Any) -> int:
    """How wide the page is, header and all."""
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_the_banner_shows_a_repeat_of_a_checked_claim_and_confirms_it(
    open_page: Callable, engine: sa.Engine, newsroom: Newsroom, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    page = open_page(viewport)
    page.goto(f"/claims/{newsroom.repeat}")
    banner = page.locator(".decision-banner")
    repeat = banner.locator(".decision.repeat")
    expect(repeat).to_contain_text("Repeats a checked claim:")
    expect(repeat.get_by_role("link", name=f"#{newsroom.checked}")).to_be_visible()
    expect(repeat.locator(".badge.verdict-supported")).to_have_text("supported")
    expect(repeat.locator(".other-text")).to_have_text(CHECKED)
    expect(banner.locator(".decision.alert")).to_contain_text("previously checked")
    # The banner is the first thing after the claim's title, above the article and the work.
    title, top = _box(page, "h1.claim-title"), _box(page, ".decision-banner")
    assert top["y"] > title["y"] and top["y"] < _box(page, "#claim-side")["y"]
    assert top["y"] < viewport["height"], "the banner is seen without scrolling"

    repeat.get_by_role("button", name=re.compile(r"^Same claim \(confirm\)")).click()
    expect(page.locator("#flashes .flash.success")).to_have_text(
        "Confirmed: the two claims are now in one cluster."
    )
    assert _suggestion(engine, newsroom.repeat, newsroom.checked).state == (
        SuggestionState.CONFIRMED
    )
    # Now the banner says the claim was resolved as that repeat, with its verdict inherited.
    expect(banner.locator(".decision.repeat")).to_have_count(0)
    expect(banner.locator(".repeat-of")).to_contain_text(f"Repeat of #{newsroom.checked}")
    expect(banner.locator(".repeat-of .badge.verdict-supported")).to_have_text("supported")
    # Confirming raised an alert that the claim now shows that verdict. Alerts are handled from
    # the banner too, and the page comes back.
    alerts = banner.locator(".decision.alert")
    expect(alerts).to_have_count(2)
    expect(alerts.nth(1)).to_contain_text("verdict reached")
    alerts.first.get_by_role("button", name="Acknowledge").click()
    expect(page).to_have_url(re.compile(rf"/claims/{newsroom.repeat}$"))
    expect(page.locator("#flashes .flash.success")).to_contain_text("acknowledged")
    expect(alerts).to_have_count(1)
    expect(alerts).to_contain_text("verdict reached")
    assert _page_width(page) <= viewport["width"]


def test_a_variant_shows_the_changed_fact_and_x_rejects_it_from_the_banner(
    open_page: Callable, engine: sa.Engine, newsroom: Newsroom
) -> None:
    from playwright.sync_api import expect

    page = open_page()
    page.goto(f"/claims/{newsroom.variant}")
    variant = page.locator(".decision-banner .decision.variant")
    expect(variant).to_contain_text(f"A variant of #{newsroom.checked}")
    expect(variant.locator(".fact-change")).to_have_text(["23.6 percent ≠ 26.3 percent"])
    expect(variant.locator(".badge.verdict-supported")).to_have_text("supported")
    # Confirming a variant takes the override next to the two claims: the banner links there.
    suggestion = _suggestion(engine, newsroom.variant, newsroom.checked)
    expect(variant.get_by_role("button", name=re.compile("confirm"))).to_have_count(0)
    expect(variant.get_by_role("link", name=re.compile("confirm despite"))).to_have_attribute(
        "href", f"#suggestion-{suggestion.id}"
    )
    page.wait_for_load_state()  # the shortcut's listener is attached by a deferred script
    page.keyboard.press("x")
    expect(page.locator("#flashes .flash.success")).to_have_text(
        "Rejected: this pair will not be suggested again."
    )
    expect(variant).to_have_count(0)
    expect(page.locator(f"#suggestion-{suggestion.id} header .badge").first).to_have_text(
        "rejected"
    )
    assert _suggestion(engine, newsroom.variant, newsroom.checked).state == (
        SuggestionState.REJECTED
    )


def test_two_columns_on_a_wide_screen_and_one_on_a_phone(
    open_page: Callable, newsroom: Newsroom
) -> None:
    wide = open_page(WIDE)
    wide.goto(f"/claims/{newsroom.repeat}")
    article, work = _box(wide, "#claim-side"), _box(wide, "#work-side")
    assert article["x"] + article["width"] <= work["x"], "the article is left of the workspace"
    assert abs(article["y"] - work["y"]) < 1, "side by side, from the same height"
    assert _box(wide, "blockquote.context")["x"] < work["x"]
    assert _box(wide, "#evidence")["x"] >= work["x"] and _box(wide, "#verdict")["x"] >= work["x"]
    assert _page_width(wide) <= WIDE["width"]

    for claim_id in (newsroom.repeat, newsroom.variant, newsroom.long):
        phone = open_page(PHONE)
        phone.goto(f"/claims/{claim_id}")
        article, work = _box(phone, "#claim-side"), _box(phone, "#work-side")
        assert work["y"] >= article["y"] + article["height"], "the workspace under the article"
        assert abs(article["x"] - work["x"]) < 1
        assert _page_width(phone) <= PHONE["width"], f"claim {claim_id} scrolls sideways"


def test_the_next_claim_is_prefetched_and_j_opens_it_without_the_server(
    app: Flask, open_page: Callable, newsroom: Newsroom
) -> None:
    from playwright.sync_api import expect

    served: list[str] = []  # every claim page the server rendered

    @app.before_request
    def count() -> None:
        if re.fullmatch(r"/claims/\d+", request.path):
            served.append(request.full_path.rstrip("?"))

    page = open_page()
    fetched: list[Any] = []
    page.on("request", lambda sent: fetched.append(sent))
    here = f"/claims/{newsroom.checked}?status=all"
    page.goto(here)
    following = page.get_by_role("navigation", name="Claim navigation").get_by_role(
        "link", name=re.compile("^Next")
    )
    ahead = following.get_attribute("href")
    found = re.fullmatch(r"/claims/(\d+)\?status=all", ahead or "")
    assert found is not None, "the next claim keeps the queue's filters"
    # The browser fetches the next claim while this one is read...
    page.wait_for_load_state("networkidle")
    assert served == [here, ahead]
    [prefetch] = [r for r in fetched if r.url.endswith(ahead)]
    assert prefetch.resource_type != "document" and "prefetch" in prefetch.headers["sec-purpose"]

    # ... so j lands on it without asking the server again.
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(re.escape(ahead) + "$"))
    expect(page.get_by_role("navigation", name="Claim navigation")).to_contain_text(
        f"#{found.group(1)}"
    )
    assert served[:2] == [here, ahead] and ahead not in served[2:], "j used the prefetch"
