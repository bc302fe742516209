"""The dashboard as the home page and as JSON: both show the figures review/dashboard.py reads."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from claim_data import add_article, add_claim
from conftest import AuthActions
from flask.testing import FlaskClient
from sqlmodel import Session

from workbench.models import (
    Alert,
    AlertKind,
    ClaimStatus,
    Feed,
    Verdict,
    VerdictState,
    utcnow,
)
from workbench.review.dashboard import dashboard
from workbench.web.dashboard import HEIGHT, chart


@pytest.fixture
def filled(session: Session, users: dict[str, int]) -> dict[str, int]:
    now = utcnow()
    article = add_article(session, "Budget story", outlet="Wire")
    old = add_claim(
        session,
        article,
        "The council spent <b>12 million</b> on roads.",
        created_at=now - timedelta(days=40),
        priority=0.7,
    )
    held = add_claim(
        session,
        article,
        "Unemployment fell to 4.1 percent.",
        status=ClaimStatus.IN_REVIEW,
        assignee_id=users["editor"],
        created_at=now - timedelta(days=3),
        priority=0.4,
    )
    checked = add_claim(
        session,
        article,
        "Crime rose 3 percent.",
        status=ClaimStatus.VERDICT,
        verdict=Verdict.REFUTED,
        verdict_state=VerdictState.APPROVED,
        approved_at=now,
        created_at=now - timedelta(days=1),
    )
    add_claim(session, article, "It was sunny.", status=ClaimStatus.DISMISSED, priority=0.1)
    session.add(
        Alert(
            kind=AlertKind.PREVIOUSLY_CHECKED,
            claim_id=old.id,
            matched_claim_id=checked.id,
            match_key=f"claim:{checked.id}",
        )
    )
    session.add(Feed(url="https://wire.example/rss", last_error="timed out"))
    session.commit()
    return {"old": old.id, "held": held.id, "checked": checked.id}


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', page)
    assert found, f"no figure {name}"
    return found.group(1).strip()


def test_the_home_page_is_the_dashboard_for_every_role(
    client: FlaskClient, auth: AuthActions, session: Session, filled: dict[str, int]
) -> None:
    for role in ("viewer", "editor", "admin"):
        auth.login(role)
        response = client.get("/")
        assert response.status_code == 200, role
        page = response.get_data(as_text=True)
        assert "<h1>Dashboard</h1>" in page
        assert client.get("/dashboard/").get_data(as_text=True).count("data-figure") == page.count(
            "data-figure"
        )
        # Feed health links to the feeds page, which only editors may open.
        assert ('href="/feeds/"' in page) == (role != "viewer"), role
        auth.logout()


def test_the_page_shows_the_databases_figures(
    client: FlaskClient, auth: AuthActions, session: Session, filled: dict[str, int]
) -> None:
    auth.login("viewer")
    page = client.get("/").get_data(as_text=True)
    board = dashboard(session)
    assert _figure(page, "waiting") == "2"
    assert _figure(page, "status-new") == "1" and _figure(page, "status-in_review") == "1"
    assert _figure(page, "status-verdict") == "1" and _figure(page, "status-dismissed") == "1"
    assert (_figure(page, "band-high"), _figure(page, "band-medium")) == ("1", "1")
    assert _figure(page, "band-low") == "0"  # the dismissed claim is not waiting
    assert _figure(page, "unread-alerts") == "1" and _figure(page, "feeds-failing") == "1"
    assert _figure(page, "in-week") == "3" and _figure(page, "checked-week") == "1"
    # The oldest open claim first, escaped; the editor holding the other one.
    oldest = re.findall(r'data-claim="(\d+)"', page)
    assert oldest == [str(filled["old"]), str(filled["held"])]
    assert "&lt;b&gt;12 million&lt;/b&gt;" in page and "<b>12 million" not in page
    assert re.search(r'<a href="/claims/\?assignee=\d+">editor</a>', page)
    # The chart: one bar per day and series, each with its figure; the table says the same.
    assert page.count('<rect class="dash-in"') == len(board.days)
    assert f"{board.days[-1].day.isoformat()}: 1 checked" in page
    rows = re.findall(
        r'<tr><th scope="row">(\d{4}-\d\d-\d\d)</th><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td></tr>',
        page,
    )
    assert sorted((day, int(i), int(c)) for day, i, c in rows) == [
        (d.day.isoformat(), d.came_in, d.checked) for d in board.days
    ]
    assert 'role="img"' in page and "<desc" in page
    assert " style=" not in page.split("<main", 1)[1]  # the CSP refuses inline style


def test_the_json_is_the_same_reading(
    client: FlaskClient, auth: AuthActions, session: Session, filled: dict[str, int]
) -> None:
    auth.login("viewer")
    answer = client.get("/api/dashboard")
    assert answer.status_code == 200
    data = answer.get_json()
    board = dashboard(session)
    assert {row["status"]: row["count"] for row in data["by_status"]} == {
        status.value: c.count for status, c in board.by_status.items()
    }
    assert data["waiting"] == {"count": 2, "more": False}
    assert [(row["band"], row["count"]) for row in data["by_band"]] == [
        ("high", 1),
        ("medium", 1),
        ("low", 0),
    ]
    assert data["by_band"][0]["min_priority"] == 0.5 and data["by_band"][0]["max_priority"] is None
    assert [(d["day"], d["came_in"], d["checked"]) for d in data["days"]] == [
        (d.day.isoformat(), d.came_in, d.checked) for d in board.days
    ]
    assert (data["came_in_this_week"], data["checked_this_week"]) == (3, 1)
    assert [c["id"] for c in data["oldest_open"]] == [filled["old"], filled["held"]]
    assert data["oldest_open"][1]["assignee"] == "editor"
    assert data["oldest_open"][0]["text"] == "The council spent <b>12 million</b> on roads."
    assert [(h["username"], h["in_review"], h["total"]) for h in data["held"]] == [("editor", 1, 1)]
    assert data["unread_alerts"] == 1
    assert data["feeds"] == {"ok": 0, "failing": 1, "paused": 0, "waiting": 0}


def test_without_credentials_the_dashboard_is_refused(client: FlaskClient) -> None:
    home = client.get("/")
    assert home.status_code == 302 and "/auth/login" in home.headers["Location"]
    assert client.get("/api/dashboard").status_code == 401


def test_the_chart_scales_to_the_busiest_day(session: Session, filled: dict[str, int]) -> None:
    drawn = chart(dashboard(session))
    tallest = max(bar.height for bar in drawn.came_in + drawn.checked)
    assert tallest == pytest.approx(drawn.baseline - drawn.top)  # the plot's full height
    assert all(bar.y + bar.height == pytest.approx(drawn.baseline) for bar in drawn.came_in)
    assert drawn.baseline < HEIGHT and len(drawn.days) == 5
    assert drawn.scale[-1].text == "1 a day"
