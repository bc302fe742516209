"""The dashboard in a real browser (Debian's Chromium via Playwright), at 1280 and 390 px: the
figures it shows are the database's, counted here from the rows, and nothing is wider than the
screen."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from claim_data import add_article, add_claim
from conftest import CHROMIUM, PASSWORD, committed
from sqlmodel import select

from workbench.db import read_session
from workbench.models import (
    OPEN_STATUSES,
    Alert,
    AlertKind,
    Claim,
    ClaimStatus,
    Feed,
    Verdict,
    VerdictState,
    utcnow,
)
from workbench.review.dashboard import BANDS

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)
REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" if os.environ.get("WORKBENCH_SCREENSHOTS") else None
LONG = (
    "The regional transport authority said on Tuesday that ridership on the coastal line had "
    "risen by 14 percent since the timetable changed, the highest rise it has recorded."
)


@pytest.fixture
def newsroom(engine: sa.Engine, users: dict[str, int]) -> None:
    now = utcnow()
    with committed(engine) as db:
        article = add_article(
            db, "Transport story with a long headline that has to wrap", outlet="Wire"
        )
        for i in range(24):
            status = list(ClaimStatus)[i % len(ClaimStatus)]
            values: dict[str, Any] = {
                "status": status,
                "priority": [0.2, 0.5, 0.8][i % 3],
                "created_at": now - timedelta(days=i * 1.7, hours=i),
            }
            if status == ClaimStatus.VERDICT:
                values.update(
                    verdict=Verdict.SUPPORTED,
                    verdict_state=VerdictState.APPROVED,
                    approved_at=now - timedelta(days=i % 5),
                )
            if status in OPEN_STATUSES and i % 2:
                values["assignee_id"] = users["editor"]
            add_claim(db, article, f"{LONG} ({i})", position=i, **values)
        first = db.exec(select(Claim.id).order_by(Claim.id)).first()
        db.add(
            Alert(
                kind=AlertKind.PREVIOUSLY_CHECKED,
                claim_id=first,
                matched_claim_id=first + 1,
                match_key="claim:x",
            )
        )
        db.add(Feed(url="https://wire.example/rss", last_polled_at=now))
        db.commit()


def _expected(engine: sa.Engine) -> dict[str, str]:
    """The dashboard's figures, counted from every row."""
    with read_session(engine) as db:
        claims = db.exec(select(Claim)).all()
        unread = len(db.exec(select(Alert).where(Alert.state == "unread")).all())
    today = datetime.now(UTC).date()
    week = {today - timedelta(days=i) for i in range(7)}

    def day(value: datetime | None) -> Any:
        return value.astimezone(UTC).date() if value else None

    statuses = Counter(c.status.value for c in claims)
    open_claims = [c for c in claims if c.status in OPEN_STATUSES]
    bands = Counter(
        next(
            band.name
            for band in BANDS
            if (band.low is None or c.priority >= band.low)
            and (band.high is None or c.priority < band.high)
        )
        for c in open_claims
    )
    found = {f"status-{s.value}": str(statuses[s.value]) for s in ClaimStatus}
    found |= {f"band-{name}": str(bands[name]) for name in ("high", "medium", "low")}
    found["waiting"] = str(len(open_claims))
    found["unread-alerts"] = str(unread)
    found["in-week"] = str(sum(day(c.created_at) in week for c in claims))
    found["checked-week"] = str(
        sum(day(c.approved_at) in week for c in claims if c.verdict_state == "approved")
    )
    found["feeds-ok"] = "1"
    return found


@pytest.fixture(params=[1280, 390], ids=["1280px", "390px"])
def page(request: pytest.FixtureRequest, browser: Any, live_server: str) -> Iterator[Any]:
    width = request.param
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
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


def test_the_dashboard_shows_the_databases_figures_and_fits_the_screen(
    page: Any, engine: sa.Engine, newsroom: None, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("User name").fill("viewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Claim workbench").click()  # the site's name leads home
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    shown = page.eval_on_selector_all(
        "[data-figure]",
        "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.textContent.trim()]))",
    )
    expected = _expected(engine)
    assert {name: shown[name] for name in expected} == expected

    # The chart is a picture with a name, and its figures are a table too.
    chart = page.get_by_role("img", name="Claims in and checked per day, the last 30 days")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300
    page.get_by_text("The figures as a table").click()
    expect(page.locator("[data-days] tbody tr")).to_have_count(30)
    expect(page.locator("[data-oldest] li")).to_have_count(10)
    width = page.viewport_size["width"]
    page.screenshot(path=str((DOCS or tmp_path) / f"dashboard-{width}.png"), full_page=True)

    sizes = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth,"
        " main: document.querySelector('main').scrollWidth,"
        " header: document.querySelector('header').scrollWidth,"
        " widest: Math.max(...[...document.querySelectorAll('main *')]"
        "   .map(e => e.getBoundingClientRect().right))})"
    )
    # Nothing of the dashboard's own, nor the header, reaches past the screen's edge.
    assert sizes["main"] <= width and sizes["widest"] <= width, sizes
    assert sizes["header"] <= width and sizes["page"] <= width, sizes
