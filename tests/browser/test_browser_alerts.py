"""The alerts inbox in a real browser (Debian's Chromium via Playwright): the header's unread
count, the two claims side by side, acknowledge and dismiss, and the filters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, committed
from sqlmodel import select

from workbench.alerts import rules as alerts
from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Alert, AlertState, Claim, Verdict
from workbench.review import verdicts as review

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

OLD = "The council spent 12 million on roads last year, the mayor said."
CHECKED = "Unemployment fell to 4.1 percent in March, the lowest level since 2001."
NEW = "Last year the council spent 12 million on the roads <b>and</b> fell 4.1 percent."


@pytest.fixture
def two_alerts(engine: sa.Engine, users: dict[str, int]) -> list[int]:
    editor = users["editor"]
    with committed(engine) as db:
        ids = []
        for title, text in (("Old", OLD), ("Checked", CHECKED), ("New", NEW)):
            article = ingest_article(db, ArticleInput(body=text, title=title), match=False).article
            ids.append(db.exec(select(Claim.id).where(Claim.article_id == article.id)).one())
        old, checked, new = ids
        review.take(db, old, editor, 1)
        review.take(db, checked, editor, 1)
        review.set_verdict(db, checked, editor, 2, Verdict.REFUTED, "No.")
        made = alerts.raise_for_suggestions(db, [(new, old, 80.0), (new, checked, 72.0)])
        db.commit()
    return sorted(made)


@pytest.fixture
def page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    opened = context.new_page()
    errors: list[str] = []

    def console(message: Any) -> None:
        # A missing favicon is the browser's business; anything else (a CSP refusal) is ours.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    def response(answer: Any) -> None:
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            errors.append(f"{answer.status} {answer.url}")

    opened.on("console", console)
    opened.on("response", response)
    yield opened
    context.close()
    assert errors == [], "the page logged errors"


def test_editor_works_through_the_inbox(
    page: Any, engine: sa.Engine, two_alerts: list[int]
) -> None:
    from playwright.sync_api import expect

    being, previously = two_alerts
    page.goto("/auth/login")
    page.get_by_label("User name").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator(".badge.unread")).to_have_text("2 unread")
    nav.get_by_role("link", name=re.compile("^Alerts")).click()
    expect(page).to_have_url(re.compile(r"/alerts/$"))

    card = page.locator(f"#alert-{previously}")
    expect(card.locator(".badge").first).to_have_text("previously checked")
    sides = card.locator(".side-by-side > div")
    expect(sides).to_have_count(2)
    expect(sides.nth(0)).to_contain_text(NEW)  # markup in a claim shows as text
    expect(sides.nth(1)).to_contain_text(CHECKED)
    left, right = sides.nth(0).bounding_box(), sides.nth(1).bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 5

    card.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".flash.success")).to_have_text(f"Alert #{previously} acknowledged.")
    expect(nav.locator(".badge.unread")).to_have_text("1 unread")
    expect(page.locator(f"#alert-{previously}")).to_have_count(0)  # the inbox shows unread

    page.locator(f"#alert-{being}").get_by_role("button", name="Dismiss").click()
    expect(nav.locator(".badge.unread")).to_have_count(0)
    expect(page.locator(".empty")).to_contain_text("No alerts unread")

    page.get_by_label("State").select_option("acknowledged")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".alert-item")).to_have_count(1)
    expect(page.locator(f"#alert-{previously}")).to_contain_text("acknowledged by editor")

    with read_session(engine) as db:
        states = dict(db.exec(select(Alert.id, Alert.state)).all())
    assert states == {previously: AlertState.ACKNOWLEDGED, being: AlertState.DISMISSED}
