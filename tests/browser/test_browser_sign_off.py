"""Sign-off in Chromium: an admin switches it on, an editor's verdict is a draft awaiting
sign-off, a second editor approves it, and the export then carries it approved."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, committed
from sqlmodel import select

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim, ClaimStatus, VerdictState

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

SENTENCE = "The city council said 40 percent of buses ran late in March."


@pytest.fixture
def claim_id(engine: sa.Engine, users: dict[str, int]) -> int:
    with committed(engine) as db:
        article = ingest_article(
            db, ArticleInput(body=SENTENCE, title="Buses", outlet="Daily"), match=False
        ).article
        found = db.exec(select(Claim.id).where(Claim.article_id == article.id)).one()
        db.commit()
    return found


@pytest.fixture
def open_page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Callable]:
    contexts = []

    def open_(username: str) -> Any:
        from playwright.sync_api import expect

        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
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


def _state(engine: sa.Engine, claim_id: int) -> tuple[ClaimStatus, VerdictState | None]:
    with read_session(engine) as db:
        claim = db.get(Claim, claim_id)
        assert claim is not None
        return claim.status, claim.verdict_state


def _export_jsonl(page: Any) -> list[dict[str, Any]]:
    page.goto("/export/")
    page.get_by_label(re.compile(r"JSON Lines")).check()
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download").click()
    text = Path(waiting.value.path()).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_draft_is_approved_by_a_second_editor_and_then_exported_approved(
    open_page: Callable, engine: sa.Engine, claim_id: int
) -> None:
    from playwright.sync_api import expect

    admin = open_page("admin")
    nav = admin.get_by_role("navigation", name="Main")
    nav.get_by_text("Admin").click()  # the admin pages are in a menu
    nav.get_by_role("link", name="Newsroom").click()
    expect(admin.locator("#sign-off-state")).to_contain_text("Sign-off is off")
    admin.get_by_role("button", name="Switch sign-off on").click()
    expect(admin.locator("#flashes .flash.success")).to_contain_text("Sign-off is on")
    expect(admin.locator("#sign-off-state")).to_contain_text("Sign-off is on")

    # The editor's verdict is a draft, awaiting sign-off; the claim stays in review.
    editor = open_page("editor")
    editor.goto(f"/claims/{claim_id}")
    editor.wait_for_load_state()
    expect(editor.locator("section#verdict")).to_contain_text("Saving the verdict takes the claim")
    editor.locator("#v-verdict").select_option("refuted")
    editor.locator("#v-summary").fill("Transit figures show 12 percent.")
    editor.get_by_role("button", name="Save draft verdict").click()
    expect(editor.locator("#flashes .flash.success")).to_contain_text("awaits a second editor")
    expect(editor.locator(".sign-off-state")).to_contain_text("Awaiting sign-off")
    expect(editor.locator(".assignment")).to_contain_text("Taken by editor")
    expect(editor.get_by_role("button", name="Approve and publish")).to_have_count(0)
    assert _state(engine, claim_id) == (ClaimStatus.IN_REVIEW, VerdictState.DRAFT)

    # Exported as what the claim holds: a draft, not yet a verdict.
    [record] = [r for r in _export_jsonl(editor) if r["id"] == claim_id]
    assert (record["status"], record["verdict_state"]) == ("in_review", "draft")

    # A second editor approves it.
    admin.goto(f"/claims/{claim_id}")
    admin.wait_for_load_state()
    expect(admin.locator(".sign-off-state")).to_contain_text("A draft by editor")
    admin.get_by_role("button", name="Approve and publish").click()
    expect(admin.locator("#flashes .flash.success")).to_contain_text("published")
    expect(admin.locator(".sign-off-state")).to_contain_text("Approved by admin")
    expect(admin.locator(".sign-off-state")).to_contain_text("written by editor")
    expect(admin.get_by_role("button", name="Reopen")).to_be_visible()
    assert _state(engine, claim_id) == (ClaimStatus.VERDICT, VerdictState.APPROVED)

    [record] = [r for r in _export_jsonl(admin) if r["id"] == claim_id]
    assert (record["status"], record["verdict"], record["verdict_state"]) == (
        "verdict",
        "refuted",
        "approved",
    )
    assert record["approved_at"]


def test_a_second_editor_sends_a_draft_back_with_a_note(
    open_page: Callable, engine: sa.Engine, claim_id: int
) -> None:
    from playwright.sync_api import expect

    admin = open_page("admin")
    admin.goto("/admin/newsroom")
    admin.get_by_role("button", name="Switch sign-off on").click()
    editor = open_page("editor")
    editor.goto(f"/claims/{claim_id}")
    editor.wait_for_load_state()
    editor.locator("#v-verdict").select_option("mixed")
    editor.locator("#v-summary").fill("Partly.")
    editor.get_by_role("button", name="Save draft verdict").click()
    expect(editor.locator(".sign-off-state")).to_contain_text("Awaiting sign-off")

    admin.goto(f"/claims/{claim_id}")
    admin.wait_for_load_state()
    admin.get_by_label("Note for the author").fill("Which month's figures?")
    admin.get_by_role("button", name="Send back").click()
    expect(admin.locator("#flashes .flash.success")).to_contain_text("Sent back")

    editor.reload()
    expect(editor.locator(".sign-off-state")).to_contain_text("Which month's figures?")
    # The draft is kept in the form for the author to revise.
    expect(editor.locator("#v-verdict")).to_have_value("mixed")
    expect(editor.locator("#v-summary")).to_have_value("Partly.")
    assert _state(engine, claim_id) == (ClaimStatus.IN_REVIEW, VerdictState.SENT_BACK)
