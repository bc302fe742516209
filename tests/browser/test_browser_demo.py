"""The demo a newcomer meets after `make run`, in a real browser (Debian's Chromium via Playwright):
log in as the admin `setup` printed and, within a few clicks, see an alert, a claim carrying an
inherited verdict and a pending duplicate suggestion, at 1280 px and at 390 px.

With WORKBENCH_SCREENSHOTS=1 it also refreshes the README's screenshots in docs/, taken from this
demo: docs/demo-{alerts,claim,queue}-{1280,390}.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, REPO
from flask import Flask

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

# Refreshed only on request, so an ordinary test run leaves the work tree as it found it.
DOCS = REPO / "docs" if os.environ.get("WORKBENCH_SCREENSHOTS") else None
# A laptop and a phone; the screenshots show the first screen, as a newcomer sees it.
VIEWPORTS = {1280: {"width": 1280, "height": 800}, 390: {"width": 390, "height": 844}}


@pytest.fixture
def admin_password(app: Flask) -> str:
    """`flask setup` on the empty database, as `make run` does: the admin and the demo."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    found = re.search(r"user name: admin\n\s*password:\s+(\S+)\n", result.output)
    assert found, result.output
    return found.group(1)


@pytest.fixture(params=sorted(VIEWPORTS, reverse=True), ids=lambda width: f"{width}px")
def page(request: pytest.FixtureRequest, browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport=VIEWPORTS[request.param])
    context.set_default_timeout(5_000)
    opened = context.new_page()
    opened.width = request.param
    yield opened
    context.close()


def test_a_newcomer_sees_an_alert_an_inherited_verdict_and_a_suggestion(
    page: Any, admin_password: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = DOCS or tmp_path

    def shot(name: str) -> None:
        path = shots / f"demo-{name}-{page.width}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 5_000

    page.goto("/auth/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(admin_password)
    page.get_by_role("button", name="Log in").click()
    nav = page.get_by_role("navigation", name="Main")

    # One click: the alerts the later articles raised at ingest, all unread.
    expect(nav.locator(".badge.unread")).to_contain_text(re.compile(r"^[1-9]\d* unread"))
    nav.get_by_role("link", name=re.compile("^Alerts")).click()
    expect(page).to_have_url(re.compile(r"/alerts/$"))
    for kind in ("previously checked", "variant of checked", "verdict reached"):
        expect(page.locator(".alert-item .badge", has_text=kind).first).to_be_visible()
    expect(page.get_by_text("a fact differs: 2013 ≠ 2014")).to_be_visible()
    shot("alerts")

    # Two: the confirmed repeat, resolved, showing the verdict of the claim it repeats.
    confirmed = page.locator(".alert-item", has_text="Confirmed as a repeat of claim")
    confirmed.locator(".side-by-side > div").first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/claims/\d+$"))
    expect(page.get_by_text(re.compile(r"\(inherited\)"))).to_be_visible()
    expect(page.get_by_text("supported").first).to_be_visible()
    shot("claim")

    # Three and four: the queue, and a claim with a suggestion waiting for an editor.
    nav.get_by_role("link", name="Claims").click()
    expect(page).to_have_url(re.compile(r"/claims/"))
    waiting = page.locator("table.list a[href$='#duplicates']").first
    expect(waiting).to_be_attached()
    shot("queue")
    waiting.click()
    pending = page.locator("#duplicates .suggestion.state-pending")
    expect(pending.first).to_be_attached()
    expect(
        pending.first.get_by_role("button", name=re.compile("reject", re.IGNORECASE))
    ).to_be_attached()
