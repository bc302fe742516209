"""Triage in a real browser (Chromium driven by Playwright): bulk actions from the keyboard, a
stale row refused while the rest go through, shift-click ranges, dismiss and restore on a claim's
page, and the bulk form without JavaScript."""

from __future__ import annotations

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
from workbench.models import AuditEvent, Claim, ClaimStatus
from workbench.review import verdicts as review

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

# Seven claims with falling priorities, so the queue shows them in this order.
SENTENCES = [
    f"The council spent {i + 3} million dollars on road repairs in district {i}." for i in range(7)
]


@pytest.fixture
def queue(engine: sa.Engine, users: dict[str, int]) -> list[int]:
    """The claims' ids in queue order (highest priority first)."""
    with committed(engine) as db:
        result = ingest_article(
            db, ArticleInput(body="\n".join(SENTENCES), title="Roads"), match=False
        )
        article_id = result.article.id
    with committed(engine) as db:
        ids = list(
            db.exec(
                select(Claim.id).where(Claim.article_id == article_id).order_by(Claim.position)
            ).all()
        )
        for rank, claim_id in enumerate(ids):
            db.execute(sa.update(Claim).where(Claim.id == claim_id).values(priority=1 - rank / 10))
    assert len(ids) == len(SENTENCES)
    return ids  # type: ignore[return-value]


@pytest.fixture
def open_page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Callable]:
    contexts = []

    def open_(username: str = "editor", **options: Any) -> Any:
        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 900}, **options
        )
        contexts.append(context)
        context.set_default_timeout(5_000)
        page = context.new_page()
        _log_in(page, username)
        return page

    yield open_
    for context in contexts:
        context.close()


def _log_in(page: Any, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_contain_text(f"{username} (")


def _claims(engine: sa.Engine, ids: list[int]) -> list[Claim]:
    with read_session(engine) as db:
        found = {c.id: c for c in db.exec(select(Claim).where(Claim.id.in_(ids))).all()}
        return [found[i] for i in ids]


def _open_queue(page: Any) -> Any:
    from playwright.sync_api import expect

    page.goto("/claims/")
    page.wait_for_load_state()  # the keyboard's listener comes with a deferred script
    rows = page.locator("[data-queue] [data-row]")
    expect(rows.first).to_be_visible()
    return rows


def _picked(page: Any) -> list[int]:
    return [
        int(box.get_attribute("value"))
        for box in page.locator("[data-pick]").all()
        if box.is_checked()
    ]


def test_bulk_dismiss_three_and_assign_two_from_the_keyboard(
    open_page: Callable, engine: sa.Engine, users: dict[str, int], queue: list[int]
) -> None:
    from playwright.sync_api import expect

    page = open_page("editor")
    rows = _open_queue(page)
    expect(rows).to_have_count(7)
    count = page.locator("[data-selected-count]")
    expect(count).to_have_text("0 selected")

    # x ticks the first row (highlighting it), shift+j extends down twice: three rows.
    page.keyboard.press("x")
    expect(count).to_have_text("1 selected")
    page.keyboard.press("Shift+J")
    page.keyboard.press("Shift+J")
    expect(count).to_have_text("3 selected")
    assert _picked(page) == queue[:3]
    expect(rows.nth(2)).to_have_class(re.compile(r"\bpicked\b"))
    # shift+k goes back up and stays ticked; x on the highlighted row unticks it, x ticks it again.
    page.keyboard.press("Shift+K")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("x")
    expect(count).to_have_text("2 selected")
    page.keyboard.press("x")
    expect(count).to_have_text("3 selected")

    # d goes to the reason; typing picks one; Tab reaches Dismiss; Enter presses it.
    page.keyboard.press("d")
    expect(page.locator("#bulk-reason")).to_be_focused()
    page.keyboard.type("opinion")
    expect(page.locator("#bulk-reason")).to_have_value("opinion")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Dismiss", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_text("3 dismissed.")
    for claim in _claims(engine, queue[:3]):
        assert claim.status == ClaimStatus.DISMISSED and claim.dismiss_reason == "opinion"

    # The three have left the open queue; its count and the dismissed tab say so.
    expect(rows).to_have_count(4)
    tabs = page.get_by_role("navigation", name="Status")
    expect(tabs.get_by_role("link", name=re.compile(r"^open"))).to_have_text(
        re.compile(r"open\s+4")
    )
    expect(tabs.get_by_role("link", name=re.compile(r"^dismissed"))).to_have_text(
        re.compile(r"dismissed\s+3")
    )

    # Two of the others, assigned to admin, all from the keyboard, once the reloaded queue's
    # deferred script has attached its keys (the flash shows before it has).
    page.wait_for_load_state()
    page.keyboard.press("j")
    page.keyboard.press("Shift+J")
    expect(count).to_have_text("2 selected")
    assert _picked(page) == queue[3:5]
    page.keyboard.press("a")
    expect(page.locator("#bulk-assignee")).to_be_focused()
    page.keyboard.type("admin")
    expect(page.locator("#bulk-assignee")).to_have_value(str(users["admin"]))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_text("2 assigned.")
    for claim in _claims(engine, queue[3:5]):
        assert claim.assignee_id == users["admin"] and claim.status == ClaimStatus.IN_REVIEW
    assert _claims(engine, queue[5:])[0].assignee_id is None
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("admin")


def test_a_stale_row_is_refused_while_the_rest_go_through(
    open_page: Callable, engine: sa.Engine, users: dict[str, int], queue: list[int]
) -> None:
    from playwright.sync_api import expect

    page = open_page("editor")
    rows = _open_queue(page)
    # Shift-click ticks a range: the first box, then shift-click the fourth.
    page.get_by_role("checkbox", name=f"Select claim #{queue[0]}:").click()
    page.get_by_role("checkbox", name=re.compile(rf"Select claim #{queue[3]}:")).click(
        modifiers=["Shift"]
    )
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")
    assert _picked(page) == queue[:4]

    # Another editor takes the second claim after this page loaded.
    with committed(engine) as db:
        review.take(db, queue[1], users["admin"], 1)

    page.locator("#bulk-reason").select_option("not_checkable")
    page.get_by_role("button", name="Dismiss", exact=True).click()
    expect(page.locator(".flash")).to_have_text(
        f"3 dismissed; 1 refused: #{queue[1]} changed meanwhile (reload it)."
    )
    claims = _claims(engine, queue[:4])
    assert [c.status for c in claims] == [
        ClaimStatus.DISMISSED,
        ClaimStatus.IN_REVIEW,
        ClaimStatus.DISMISSED,
        ClaimStatus.DISMISSED,
    ]
    assert claims[1].assignee_id == users["admin"] and claims[1].version == 2
    # The refused claim is still in the open queue, now shown as the other editor's.
    expect(rows).to_have_count(4)
    expect(rows.first.locator("td").first).to_have_text(SENTENCES[1])
    expect(rows.first.locator("td").nth(3)).to_have_text("admin")
    with read_session(engine) as db:
        dismissals = db.exec(
            select(AuditEvent.entity_id).where(AuditEvent.action == "claim.dismiss")
        ).all()
    assert sorted(dismissals) == sorted([queue[0], queue[2], queue[3]])

    # Select-all ticks every row on the page.
    page.get_by_role("checkbox", name="Select every claim on this page").check()
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")


def test_dismiss_and_restore_on_the_claim_page(
    open_page: Callable, engine: sa.Engine, queue: list[int]
) -> None:
    from playwright.sync_api import expect

    page = open_page("editor")
    page.goto(f"/claims/{queue[2]}")
    page.wait_for_load_state()
    page.keyboard.press("d")
    reason = page.get_by_label("Dismiss as")
    expect(reason).to_be_focused()
    reason.select_option("not_a_claim")
    page.get_by_role("button", name="Dismiss", exact=True).click()
    expect(page.locator(".flash")).to_have_text(
        "Dismissed (not a claim): the claim has left the open queue."
    )
    expect(page.locator(".triage")).to_contain_text("Dismissed as not a claim")
    assert _claims(engine, [queue[2]])[0].status == ClaimStatus.DISMISSED

    page.get_by_role("button", name="Restore to the queue").click()
    expect(page.locator(".flash")).to_have_text(
        "Restored: the claim is back in the open queue as new."
    )
    assert _claims(engine, [queue[2]])[0].status == ClaimStatus.NEW
    expect(page.get_by_label("Dismiss as")).to_be_visible()


def test_the_bulk_form_works_without_javascript(
    open_page: Callable, engine: sa.Engine, users: dict[str, int], queue: list[int]
) -> None:
    from playwright.sync_api import expect

    page = open_page("editor", java_script_enabled=False)
    page.goto("/claims/")
    expect(page.locator("[data-select-all]")).to_be_hidden()  # it needs the script
    page.get_by_role("checkbox", name=re.compile(rf"Select claim #{queue[5]}:")).check()
    page.get_by_role("checkbox", name=re.compile(rf"Select claim #{queue[6]}:")).check()
    page.get_by_role("button", name="Take").click()
    expect(page.locator(".flash")).to_have_text("2 taken.")
    assert [c.assignee_id for c in _claims(engine, queue[5:])] == [users["editor"]] * 2
