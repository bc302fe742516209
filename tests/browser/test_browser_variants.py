"""Variants in a real browser (Debian's Chromium via Playwright): a changed-fact copy of a checked
claim comes in through the "Add article" form, the editor sees its own alert and the changed fact
marked, and cannot confirm it as the same claim without the override; an honest repeat in the same
flow stays a duplicate. With JavaScript off, the server refuses a confirm without the override.
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
from sqlmodel import select

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import (
    Alert,
    AlertKind,
    Claim,
    DuplicateSuggestion,
    SuggestionKind,
    SuggestionState,
    Verdict,
)
from workbench.review import verdicts as review

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

CHECKED = "Unemployment in Spain rose to 26.3 percent in March, the statistics office said."
OTHER = "The central bank kept its main interest rate at 1.5 percent on Thursday."
# The same sentence with the figure's digits swapped: the commonest mutation of a checked claim.
VARIANT = "Unemployment in Spain rose to 23.6 percent in March, the statistics office said."
# The same facts in other words: a repeat, which the checked claim's verdict answers.
REPEAT = "The statistics office said unemployment in Spain rose to 26.3 per cent in March."
CHANGED = "23.6 percent ≠ 26.3 percent"


@dataclass(frozen=True)
class Archive:
    checked: int  # the claim with a verdict


@pytest.fixture
def archive(engine: sa.Engine, users: dict[str, int]) -> Archive:
    """A wire story in the archive whose unemployment claim was checked and found supported."""
    with committed(engine) as db:
        article = ingest_article(
            db, ArticleInput(body=f"{CHECKED}\n{OTHER}", title="Spain jobs", outlet="Wire")
        ).article
        checked = _claims_of(db, article.id)[0]
        claim = db.get(Claim, checked)
        assert claim is not None and claim.text == CHECKED
        review.set_verdict(
            db, checked, users["editor"], claim.version, Verdict.SUPPORTED, "The office says so."
        )
        db.commit()
    return Archive(checked=checked)


@pytest.fixture
def open_page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Callable]:
    """open_page(**context options): the editor, logged in, on a page that must log no errors."""
    contexts, errors = [], []

    def open_(**options: Any) -> Any:
        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 900}, **options
        )
        contexts.append(context)
        context.set_default_timeout(5_000)
        page = context.new_page()

        def console(message: Any) -> None:
            # A missing favicon is the browser's business; anything else (a CSP refusal) is ours.
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


def _add_article(page: Any, engine: sa.Engine, title: str, text: str) -> int:
    """Paste an article into the "Add article" form, as an editor does; returns the new claim."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add article").click()
    expect(page).to_have_url(re.compile(r"/articles/new$"))
    page.get_by_label("Title").fill(title)
    page.get_by_label("Outlet").fill("Daily Example")
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_role("button", name="Add article").click()
    expect(page).to_have_url(re.compile(r"/articles/\d+$"))
    expect(page.locator(".flash.success")).to_contain_text(f"“{title}”: 1 claim(s)")
    article_id = int(page.url.rsplit("/", 1)[1])
    with read_session(engine) as db:
        [claim_id] = _claims_of(db, article_id)
    return claim_id


def _suggestion(engine: sa.Engine, claim_id: int, candidate_id: int) -> DuplicateSuggestion:
    with read_session(engine) as db:
        return db.exec(
            select(DuplicateSuggestion).where(
                DuplicateSuggestion.claim_id == claim_id,
                DuplicateSuggestion.candidate_id == candidate_id,
            )
        ).one()


def _alert(engine: sa.Engine, claim_id: int) -> Alert:
    with read_session(engine) as db:
        return db.exec(select(Alert).where(Alert.claim_id == claim_id)).one()


def _background(locator: Any) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def _changes(cell: Any) -> dict[str, str]:
    """A history cell's <dl> of field names and values, as shown."""
    return cell.locator("dl").evaluate(
        "dl => Object.fromEntries([...dl.querySelectorAll('dt')]"
        ".map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]))"
    )


def test_a_changed_fact_is_alerted_marked_and_confirmed_only_with_the_override(
    open_page: Callable, engine: sa.Engine, archive: Archive
) -> None:
    from playwright.sync_api import expect

    page = open_page()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Alerts")).to_be_visible()
    expect(nav.locator(".badge.unread")).to_have_count(0)

    # A changed-fact article comes in, then an honest repeat of the checked claim.
    variant = _add_article(page, engine, "Spain's jobless rate eases", VARIANT)
    expect(nav.locator(".badge.unread")).to_have_text("1 unread")
    repeat = _add_article(page, engine, "Spanish unemployment up", REPEAT)
    expect(nav.locator(".badge.unread")).to_have_text("2 unread")

    # The inbox: the variant has its own kind, says what changed and marks it on both sides.
    nav.get_by_role("link", name=re.compile("^Alerts")).click()
    expect(page).to_have_url(re.compile(r"/alerts/$"))
    expect(page.locator(".alert-item")).to_have_count(2)
    card = page.locator(".alert-item", has_text=VARIANT)
    expect(card.locator(".badge").first).to_have_text("variant of checked")
    expect(card.locator("header .badge.verdict-supported")).to_have_text("supported")
    expect(card.locator("p.note")).to_have_text(
        f"Same wording as checked claim #{archive.checked} (supported), but a fact differs: "
        f"{CHANGED}. Check it as a new claim."
    )
    sides = card.locator(".side-by-side > div")
    expect(sides.nth(0)).to_contain_text(VARIANT)
    expect(sides.nth(1)).to_contain_text(CHECKED)
    expect(sides.nth(0).locator("mark.changed")).to_have_text(["23.6 percent"])
    expect(sides.nth(1).locator("mark.changed")).to_have_text(["26.3 percent"])
    # The honest repeat is "previously checked", with nothing marked as changed.
    other = page.locator(".alert-item", has_text=REPEAT)
    expect(other.locator(".badge").first).to_have_text("previously checked")
    expect(other.locator("p.note")).to_have_count(0)
    expect(other.locator("mark.changed")).to_have_count(0)
    page.get_by_label("Kind").select_option(label="variant of checked")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".alert-item")).to_have_count(1)
    expect(page.locator(".alert-item", has_text=VARIANT)).to_be_visible()
    variant_alert, repeat_alert = _alert(engine, variant), _alert(engine, repeat)
    assert (variant_alert.kind, variant_alert.matched_claim_id) == (
        AlertKind.VARIANT_OF_CHECKED,
        archive.checked,
    )
    assert (repeat_alert.kind, repeat_alert.matched_claim_id) == (
        AlertKind.PREVIOUSLY_CHECKED,
        archive.checked,
    )

    # From the alert to the claim page: a variant, not a duplicate, with the changed fact marked.
    page.locator(".alert-item", has_text=VARIANT).locator(".side-by-side > div").nth(0).get_by_role(
        "link", name=f"#{variant}"
    ).click()
    expect(page).to_have_url(re.compile(rf"/claims/{variant}$"))
    suggestion = _suggestion(engine, variant, archive.checked)
    assert suggestion.kind == SuggestionKind.VARIANT
    card = page.locator(f"#suggestion-{suggestion.id}")
    expect(card).to_have_class(re.compile(r"\bvariant\b"))
    expect(card.locator("header .badge")).to_have_text(["pending", "variant"])
    expect(card.locator(".changed-facts")).to_contain_text(
        f"Same wording, different facts: {CHANGED}."
    )
    sides = card.locator(".side-by-side > div")
    expect(sides.nth(0).locator("mark.changed")).to_have_text(["23.6 percent"])
    expect(sides.nth(1).locator("mark.changed")).to_have_text(["26.3 percent"])
    shared = sides.nth(0).locator("mark:not(.changed)", has_text="Unemployment")
    expect(shared).to_have_count(1)
    changed_colour = _background(sides.nth(0).locator("mark.changed"))
    assert changed_colour != _background(shared), "a changed fact needs its own colour"
    assert changed_colour not in ("rgba(0, 0, 0, 0)", "transparent")

    # Confirming without the override: the browser refuses, from the keyboard and by click.
    override = card.get_by_role("checkbox", name=re.compile("The facts differ"))
    confirm = card.get_by_role("button", name=re.compile(r"^Same claim despite the difference"))
    expect(override).not_to_be_checked()
    posts: list[str] = []  # every decision the browser sends

    def sent(request: Any) -> None:
        if request.method == "POST" and "/suggestions/" in request.url:
            posts.append(request.url)

    page.on("request", sent)
    page.wait_for_load_state()  # the shortcut's listener is attached by a deferred script
    page.keyboard.press("c")
    # The shortcut did press the button: the browser's check then puts the focus on the box.
    expect(override).to_be_focused()
    assert override.evaluate("box => box.validity.valueMissing") is True
    override.blur()
    confirm.click()
    expect(override).to_be_focused()
    expect(card.locator("header .badge").first).to_have_text("pending")
    assert _suggestion(engine, variant, archive.checked).state == SuggestionState.PENDING

    # Ticked, the override confirms; the history says the facts differed.
    override.check()
    confirm.click()
    expect(page.locator("#flashes .flash.success")).to_have_text(
        "Confirmed: the two claims are now in one cluster."
    )
    expect(card.locator("header .badge")).to_have_text(["confirmed", "variant"])
    assert _suggestion(engine, variant, archive.checked).state == SuggestionState.CONFIRMED
    # Only the ticked attempt reached the server: the two refused ones sent nothing.
    assert [url.split("/claims/", 1)[1] for url in posts] == [
        f"suggestions/{suggestion.id}/confirm"
    ]

    page.get_by_role("link", name=re.compile("^History")).click()
    expect(page).to_have_url(re.compile(rf"/claims/{variant}/history$"))
    row = page.locator("table.history tbody tr", has_text="duplicate.confirm")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("editor")
    after = _changes(row.locator("td").nth(4))
    assert after["state"] == "confirmed"
    assert after["override"] == f"variant confirmed although {CHANGED}"

    # The honest repeat, from its alert: a duplicate, confirmed without any override.
    page.goto(f"/alerts/?kind={AlertKind.PREVIOUSLY_CHECKED.value}")
    expect(page.locator(".alert-item")).to_have_count(1)
    page.locator(f"#alert-{repeat_alert.id} .side-by-side > div").nth(0).get_by_role(
        "link", name=f"#{repeat}"
    ).click()
    expect(page).to_have_url(re.compile(rf"/claims/{repeat}$"))
    honest = _suggestion(engine, repeat, archive.checked)
    assert honest.kind == SuggestionKind.DUPLICATE
    card = page.locator(f"#suggestion-{honest.id}")
    expect(card.locator("header .badge")).to_have_text(["pending", "duplicate"])
    expect(card.locator(".changed-facts")).to_have_count(0)
    expect(card.locator("mark.changed")).to_have_count(0)
    expect(card.get_by_role("checkbox")).to_have_count(0)
    # Shortcuts work once workbench.js (deferred) has run: the page seen is not yet enough.
    page.wait_for_load_state()
    page.keyboard.press("c")
    expect(page.locator("#flashes .flash.success")).to_have_text(
        "Confirmed: the two claims are now in one cluster."
    )
    expect(card.locator("header .badge")).to_have_text(["confirmed", "duplicate"])
    assert _suggestion(engine, repeat, archive.checked).state == SuggestionState.CONFIRMED


def test_without_javascript_the_server_refuses_a_variant_without_the_override(
    open_page: Callable, engine: sa.Engine, archive: Archive
) -> None:
    from playwright.sync_api import expect

    with committed(engine) as db:
        article = ingest_article(db, ArticleInput(body=VARIANT, title="Copy")).article
        [variant] = _claims_of(db, article.id)
    suggestion = _suggestion(engine, variant, archive.checked)
    assert suggestion.kind == SuggestionKind.VARIANT
    page = open_page(java_script_enabled=False)
    page.goto(f"/claims/{variant}")
    card = page.locator(f"#suggestion-{suggestion.id}")
    override = card.get_by_role("checkbox", name=re.compile("The facts differ"))
    confirm = card.get_by_role("button", name=re.compile(r"^Same claim despite the difference"))

    def posted() -> None:
        """Click confirm and see a full post/redirect/get round trip."""
        with page.expect_navigation(url=re.compile(rf"/claims/{variant}#duplicates$")):
            confirm.click()

    # A browser that skips the form's own check (an old one, or a hand-made post) reaches the
    # server, which refuses: the facts differ and the override is not ticked.
    override.evaluate("box => box.removeAttribute('required')")
    posted()
    expect(page.locator("#flashes .flash.error")).to_have_text(
        f"These claims state different facts ({CHANGED}). Confirm them as the same claim only "
        "with the override, if the difference does not change the claim."
    )
    expect(card.locator("header .badge")).to_have_text(["pending", "variant"])
    assert _suggestion(engine, variant, archive.checked).state == SuggestionState.PENDING

    # The reloaded form requires the box again; ticked, it confirms.
    expect(override).to_have_attribute("required", "")
    override.check()
    posted()
    expect(page.locator("#flashes .flash.success")).to_have_text(
        "Confirmed: the two claims are now in one cluster."
    )
    expect(card.locator("header .badge")).to_have_text(["confirmed", "variant"])
    assert _suggestion(engine, variant, archive.checked).state == SuggestionState.CONFIRMED
