"""Export and API tokens as a person uses them, in Debian's Chromium via Playwright: from the
filtered queue to a downloaded CSV of exactly those claims, and a token made, used and revoked."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, committed

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim
from workbench.review import verdicts as review

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

DAILY = [
    'The council said "=SUM(A1:A9)" was the cost, 12 million dollars in all.',
    "Police reported 300 bicycle thefts in the first quarter, up 25 percent.",
]
WIRE = ["The mayor said the new bridge opened in 2019 after two years of work."]


@pytest.fixture
def archive(engine: sa.Engine, users: dict[str, int]) -> None:
    with committed(engine) as db:
        ingest_article(db, ArticleInput(body="\n".join(DAILY), title="City", outlet="Daily"))
        ingest_article(db, ArticleInput(body="\n".join(WIRE), title="Bridge", outlet="Wire"))
        bridge = db.exec(sa.select(Claim.id).where(Claim.text == WIRE[0])).scalar_one()
        review.set_verdict(db, bridge, users["editor"], 1, "refuted", "It opened in 2021.")


@pytest.fixture
def page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(5_000)
    opened = context.new_page()
    opened.goto("/auth/login")
    opened.get_by_label("User name").fill("editor")
    opened.get_by_label("Password").fill(PASSWORD)
    opened.get_by_role("button", name="Log in").click()
    yield opened
    context.close()


def test_the_filtered_queue_downloads_a_csv_of_the_same_claims(page: Any, archive: None) -> None:
    from playwright.sync_api import expect

    page.goto("/claims/")
    page.get_by_label("Outlet").select_option("Daily")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("[data-queue] [data-row]")).to_have_count(2)

    page.get_by_role("link", name="Export these claims").click()
    expect(page.get_by_label("Outlet")).to_have_value("Daily")
    expect(page.get_by_text("2 claim(s) match these filters.")).to_be_visible()
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    texts = {row["text"] for row in rows}
    # Exactly the queue's claims, their text (quotes, a formula mid-cell) as it was.
    assert texts == {DAILY[1], DAILY[0]}
    assert all(row["outlet"] == "Daily" for row in rows)


def test_a_token_is_shown_once_works_and_stops_when_revoked(
    page: Any, live_server: str, archive: None
) -> None:
    from playwright.sync_api import expect

    page.locator("header .user-menu summary").click()  # Account sits with Log out
    page.get_by_role("link", name="Account").click()
    page.get_by_label("New token for").fill("CMS export")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"wbt_\S{20,}", token)

    api = page.context.request
    answer = api.get(f"{live_server}/api/claims", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and len(answer.json()["claims"]) == 3

    page.goto("/account/")
    expect(page.locator("#new-token")).to_have_count(0)  # shown only once
    row = page.get_by_role("row", name=re.compile("CMS export"))
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("row", name=re.compile("CMS export"))).to_contain_text("revoked")
    refused = api.get(f"{live_server}/api/claims", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401
