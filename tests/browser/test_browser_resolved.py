"""A confirmed repeat in Chromium: confirmed on its page, it leaves the open queue resolved with
the inherited verdict; the canonical verdict changes and the repeat follows, its holder alerted."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from claim_data import TALKS, TALKS_AGAIN
from conftest import CHROMIUM, PASSWORD, committed
from sqlmodel import select

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Alert, Claim, ClaimStatus, Verdict
from workbench.review import verdicts as review

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)


@pytest.fixture
def pair(engine: sa.Engine, users: dict[str, int]) -> tuple[int, int]:
    """A checked claim (refuted, by the editor) and a later repeat the admin holds."""
    ids = []
    for text, title in ((TALKS, "First"), (TALKS_AGAIN, "Second")):
        with committed(engine) as db:
            article = ingest_article(db, ArticleInput(body=text, title=title)).article
            ids.append(db.exec(select(Claim.id).where(Claim.article_id == article.id)).one())
            db.commit()
        if len(ids) == 1:
            with committed(engine) as db:
                review.set_verdict(db, ids[0], users["editor"], 1, Verdict.REFUTED, "No talks.")
                db.commit()
    with committed(engine) as db:
        review.take(db, ids[1], users["admin"], db.get(Claim, ids[1]).version)  # type: ignore[union-attr]
        db.commit()
    return ids[0], ids[1]


@pytest.fixture
def open_page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Callable]:
    contexts = []

    def open_(username: str) -> Any:
        from playwright.sync_api import expect

        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        context.set_default_timeout(5_000)
        page = context.new_page()
        page.goto("/auth/login")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("header .who")).to_contain_text(f"{username} (")
        return page

    yield open_
    for context in contexts:
        context.close()


def _queue_ids(page: Any, status: str) -> list[str]:
    page.goto(f"/claims/?status={status}")
    page.wait_for_load_state()
    return [
        link.get_attribute("href") or "" for link in page.locator("[data-queue] [data-row] a").all()
    ]


def test_a_confirmed_repeat_leaves_the_queue_and_follows_its_canonical_verdict(
    open_page: Callable, engine: sa.Engine, pair: tuple[int, int]
) -> None:
    from playwright.sync_api import expect

    checked, repeat = pair
    editor = open_page("editor")
    assert any(href.startswith(f"/claims/{repeat}") for href in _queue_ids(editor, "in_review"))

    editor.goto(f"/claims/{repeat}")
    editor.wait_for_load_state()
    # Confirmed from the banner on top of the page (the card further down has the same button).
    editor.locator(".decision-banner").get_by_role(
        "button", name=re.compile(r"^Same claim \(confirm\)")
    ).click()
    banner = editor.locator(".repeat-of")
    expect(banner).to_contain_text(f"Repeat of #{checked}")
    expect(banner.locator(".badge.verdict-refuted")).to_have_text("refuted")
    expect(banner).to_contain_text("(inherited)")
    # No fresh verdict is asked for: the claim carries the one it repeats.
    expect(editor.get_by_role("button", name="Save verdict")).to_have_count(0)
    expect(editor.locator("section#verdict")).to_contain_text("confirmed repeat")

    # It left the open queue: resolved.
    for status in ("new", "in_review"):
        assert not any(h.startswith(f"/claims/{repeat}") for h in _queue_ids(editor, status))
    assert any(h.startswith(f"/claims/{repeat}") for h in _queue_ids(editor, "resolved"))

    # The canonical claim is reopened and given another verdict: the repeat follows.
    editor.goto(f"/claims/{checked}")
    editor.get_by_role("button", name="Reopen").click()
    expect(editor.locator("#v-verdict")).to_be_visible()
    editor.locator("#v-verdict").select_option("mixed")
    editor.locator("#v-summary").fill("Talks began, but on Saturday.")
    editor.get_by_role("button", name="Save verdict").click()
    expect(editor.locator("#flashes .flash.success")).to_have_text("Verdict saved.")

    admin = open_page("admin")
    admin.goto(f"/claims/{repeat}")
    expect(admin.locator(".repeat-of .badge.verdict-mixed")).to_have_text("mixed")
    # Its holder is told: once when the verdict was taken back, once for the new one.
    admin.goto("/alerts/")
    cards = admin.locator(".alert-item", has_text="admin holds this claim")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text="was taken back")).to_have_count(1)
    expect(cards.filter(has_text="got the verdict mixed")).to_have_count(1)

    with read_session(engine) as db:
        claim = db.get(Claim, repeat)
        assert claim is not None and claim.status == ClaimStatus.RESOLVED
        assert claim.assignee_id is not None
        held = db.exec(select(Alert).where(Alert.claim_id == repeat)).all()
        assert {a.verdict for a in held} >= {None, Verdict.MIXED}

    # Undo reopens the repeat as it was: in review, held by the admin, no inherited verdict.
    admin.goto(f"/claims/{repeat}")
    admin.get_by_role("button", name="Undo confirmation").click()
    expect(admin.locator(".repeat-of")).to_have_count(0)
    expect(admin.get_by_role("button", name="Save verdict")).to_be_visible()
    with read_session(engine) as db:
        claim = db.get(Claim, repeat)
        assert claim is not None and claim.status == ClaimStatus.IN_REVIEW
