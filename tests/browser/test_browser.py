"""The duplicate-suggestion workflow in a real browser: Debian's Chromium driven by Playwright
against the app on a loopback HTTP server.

Its screenshots stay in the test's temporary folder; the README's are taken from the demo
(test_browser_demo.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, REPO, committed
from sqlmodel import Session, select

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim, Cluster, DuplicateSuggestion, SuggestionState

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

SEED = REPO / "fixtures" / "seed"
# A later report of the talks in the seed article, two of its sentences reworded.
FOLLOW_UP_TITLE = "US and Russia begin military talks on Syria"
FOLLOW_UP = (
    "Military talks between the United States and Russia on the Syrian crisis began on Friday "
    "with a phone call between Defense Secretary Ash Carter and Russia's defense minister, "
    "Sergei Shoigu.",
    "The last time a US defense chief spoke with Shoigu was in August 2014, adding that "
    "high-level communications were halted after Russia's annexation of Crimea and its "
    "intervention in Ukraine.",
    "Officials in Washington declined to say when the next call between the two men would be.",
)


def _seed() -> tuple[str, list[str]]:
    [path] = sorted(SEED.glob("*.txt"))
    headline, *sentences = path.read_text(encoding="utf-8").splitlines()
    return headline, [s for s in sentences if s.strip()]


def _claim_ids(db: Session, article_id: int | None) -> list[int]:
    statement = select(Claim.id).where(Claim.article_id == article_id).order_by(Claim.position)
    return [i for i in db.exec(statement).all() if i is not None]


@dataclass(frozen=True)
class Story:
    suggestion: int  # the follow-up's first claim repeats the seed's Shoygu sentence
    claim: int
    other: int
    claim_text: str
    other_text: str


@pytest.fixture
def story(engine: sa.Engine) -> Story:
    headline, sentences = _seed()
    with committed(engine) as db:
        seed = ingest_article(
            db, ArticleInput(body="\n".join(sentences), title=headline, outlet="Wire service")
        )
        follow_up = ingest_article(
            db,
            ArticleInput(body="\n".join(FOLLOW_UP), title=FOLLOW_UP_TITLE, outlet="Daily Example"),
        )
        new = _claim_ids(db, follow_up.article.id)
        assert len(new) == len(FOLLOW_UP)
        rows = db.exec(
            select(DuplicateSuggestion).where(DuplicateSuggestion.claim_id == new[0])
        ).all()
        [suggestion] = rows
        other = db.get(Claim, suggestion.candidate_id)
        assert other is not None and other.article_id == seed.article.id
        assert "Shoygu" in other.text, "matching should pair the two reports of the phone call"
        assert follow_up.suggestions >= 1
        return Story(
            suggestion=suggestion.id or 0,
            claim=new[0],
            other=other.id or 0,
            claim_text=FOLLOW_UP[0],
            other_text=other.text,
        )


@pytest.fixture
def page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    opened = context.new_page()
    yield opened
    context.close()


def _log_in(page: Any, username: str = "editor") -> None:
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header .who")).to_have_text(f"{username} ({username})")


def _state(engine: sa.Engine, suggestion_id: int) -> SuggestionState:
    with read_session(engine) as db:
        suggestion = db.get(DuplicateSuggestion, suggestion_id)
        assert suggestion is not None
        return suggestion.state


def test_editor_confirms_undoes_rejects_and_undoes_a_suggestion(
    page: Any, engine: sa.Engine, story: Story, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    _log_in(page)
    shots = tmp_path
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    expect(page).to_have_url(re.compile(r"/claims/$"))
    # The queue links the claim to its pending suggestion.
    queued = page.locator("table.list tr", has_text=story.claim_text)
    expect(queued.get_by_role("link", name="1", exact=True)).to_have_attribute(
        "href", f"/claims/{story.claim}#duplicates"
    )
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    page.goto(f"/claims/{story.claim}")
    card = page.locator(f"#suggestion-{story.suggestion}")
    sides = card.locator(".side-by-side > div")
    expect(sides).to_have_count(2)
    expect(sides.nth(0)).to_contain_text(story.claim_text)
    expect(sides.nth(1)).to_contain_text(story.other_text)
    left, right = sides.nth(0).bounding_box(), sides.nth(1).bounding_box()
    assert left["x"] + left["width"] <= right["x"], "the two sentences should sit side by side"
    assert abs(left["y"] - right["y"]) < 5
    expect(card.locator("mark", has_text="Shoigu")).to_have_count(1)
    expect(card.locator("mark", has_text="Shoygu")).to_have_count(1)
    expect(card.locator(".badge").first).to_have_text("pending")
    page.screenshot(path=str(shots / "claim-page.png"), full_page=True)
    assert (shots / "claim-page.png").stat().st_size > 10_000

    # Same claim.
    card.get_by_role("button", name="Same claim (confirm)").click()
    expect(page.locator(".flash.success")).to_have_text(
        "Confirmed: the two claims are now in one cluster."
    )
    members = page.locator("ul.cluster > li")
    expect(members).to_have_count(2)
    expect(members.nth(0)).to_contain_text(story.other_text)
    expect(members.nth(1)).to_contain_text(story.claim_text)
    expect(card.locator(".badge").first).to_have_text("confirmed")
    assert _state(engine, story.suggestion) == SuggestionState.CONFIRMED

    # Taken back.
    card.get_by_role("button", name="Undo confirmation").click()
    expect(page.locator(".flash.success")).to_have_text("Undone: the suggestion is open again.")
    expect(card.locator(".badge").first).to_have_text("pending")
    expect(page.locator("ul.cluster")).to_have_count(0)
    assert _state(engine, story.suggestion) == SuggestionState.PENDING

    # Different claims, from the keyboard.
    card.get_by_role("button", name="Different claims (reject)").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash.success")).to_have_text(
        "Rejected: this pair will not be suggested again."
    )
    expect(card.locator(".badge").first).to_have_text("rejected")
    expect(page.locator("ul.cluster")).to_have_count(0)
    assert _state(engine, story.suggestion) == SuggestionState.REJECTED

    card.get_by_role("button", name="Undo rejection").click()
    expect(page.locator(".flash.success")).to_have_text("Undone: the suggestion is open again.")
    expect(card.get_by_role("button", name="Same claim (confirm)")).to_be_visible()
    assert _state(engine, story.suggestion) == SuggestionState.PENDING


def test_a_stale_page_shows_why_nothing_happened(
    browser: Any, page: Any, live_server: str, engine: sa.Engine, story: Story
) -> None:
    """Two editors on the same claim: the second one's click meets the first one's decision."""
    from playwright.sync_api import expect

    _log_in(page)
    page.goto(f"/claims/{story.claim}")
    other = browser.new_context(base_url=live_server)
    try:
        second = other.new_page()
        _log_in(second, "admin")
        second.goto(f"/claims/{story.claim}")
        second.get_by_role("button", name="Different claims (reject)").click()
        expect(second.locator(".flash.success")).to_contain_text("Rejected")
    finally:
        other.close()

    page.get_by_role("button", name="Same claim (confirm)").click()
    expect(page.locator(".flash.error")).to_contain_text("already rejected")
    expect(page.locator("ul.cluster")).to_have_count(0)
    assert _state(engine, story.suggestion) == SuggestionState.REJECTED


def test_merging_two_clusters_through_the_claim_pages(page: Any, engine: sa.Engine) -> None:
    from playwright.sync_api import expect

    _, sentences = _seed()
    with committed(engine) as db:
        a, b, c, d = (
            _claim_ids(
                db,
                ingest_article(
                    db, ArticleInput(body=text, title=f"Report {n}"), match=False
                ).article.id,
            )[0]
            for n, text in enumerate(sentences[:4])
        )
        pairs = {}
        for claim_id, candidate_id in ((b, a), (d, c), (c, b)):
            row = DuplicateSuggestion(
                claim_id=claim_id, candidate_id=candidate_id, score=88.0, method="test"
            )
            db.add(row)
            db.commit()
            pairs[claim_id, candidate_id] = row.id

    _log_in(page)

    def confirm(claim_id: int, suggestion_id: int | None, members: int) -> None:
        page.goto(f"/claims/{claim_id}")
        page.locator(f"#suggestion-{suggestion_id}").get_by_role(
            "button", name="Same claim (confirm)"
        ).click()
        expect(page.locator(".flash.success")).to_contain_text("Confirmed")
        expect(page.locator("ul.cluster > li")).to_have_count(members)

    confirm(b, pairs[b, a], 2)
    confirm(d, pairs[d, c], 2)
    confirm(c, pairs[c, b], 4)  # c's cluster joins b's
    expect(page.get_by_role("heading", name=re.compile(r"Cluster.*\(4\)"))).to_be_visible()
    with read_session(engine) as db:
        clusters = {db.get(Claim, i).cluster_id for i in (a, b, c, d)}  # type: ignore[union-attr]
        assert len(clusters) == 1 and None not in clusters
        assert len(db.exec(select(Cluster)).all()) == 1

    page.locator(f"#suggestion-{pairs[c, b]}").get_by_role(
        "button", name="Undo confirmation"
    ).click()
    expect(page.locator(".flash.success")).to_contain_text("Undone")
    expect(page.locator("ul.cluster > li")).to_have_count(2)  # c and d again
    with read_session(engine) as db:
        cluster_of = {i: db.get(Claim, i).cluster_id for i in (a, b, c, d)}  # type: ignore[union-attr]
        assert cluster_of[a] == cluster_of[b] != cluster_of[c] == cluster_of[d]
        canonicals = {cl.id: cl.canonical_claim_id for cl in db.exec(select(Cluster)).all()}
        assert canonicals == {cluster_of[a]: a, cluster_of[c]: c}
