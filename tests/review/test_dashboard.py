"""The dashboard's figures against the database they describe: each figure is counted again here,
in Python, from every row, and must agree with what review/dashboard.py reads through indexes."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from claim_data import add_article, add_claim
from sqlmodel import Session, select

from workbench.accounts import users as accounts
from workbench.models import (
    OPEN_STATUSES,
    Alert,
    AlertKind,
    AlertState,
    Claim,
    ClaimStatus,
    DuplicateSuggestion,
    Feed,
    Role,
    SuggestionKind,
    SuggestionState,
    Verdict,
    VerdictState,
)
from workbench.review import dashboard as figures
from workbench.review import verdicts as review
from workbench.review.dashboard import BANDS, DAYS, dashboard

NOW = datetime(2025, 3, 20, 15, 30, tzinfo=UTC)


@dataclass
class Desk:
    editors: dict[str, int]


def _band(priority: float) -> str:
    return next(
        band.name
        for band in BANDS
        if (band.low is None or priority >= band.low)
        and (band.high is None or priority < band.high)
    )


@pytest.fixture
def desk(session: Session) -> Desk:
    """Claims over 40 days in every status, some assigned, some checked; suggestions, alerts and
    feeds, some inside the counted windows and some just outside them."""
    rng = random.Random(15)
    editors = {
        name: accounts.create_user(session, name, "a long enough password", Role.EDITOR).id
        for name in ("alice", "bruno", "chen")
    }
    session.commit()
    claims = []
    for a in range(8):
        article = add_article(session, f"Article {a}", outlet="Wire")
        for i in range(12):
            created = NOW - timedelta(days=rng.uniform(0, 40))
            status = rng.choice(list(ClaimStatus))
            values: dict[str, object] = {
                "status": status,
                "priority": round(rng.choice([0.1, 0.19, 0.2, 0.45, 0.5, 0.75, 1.2]), 6),
                "created_at": created,
            }
            if status in OPEN_STATUSES and rng.random() < 0.5:
                values["assignee_id"] = rng.choice(list(editors.values()))
            if status == ClaimStatus.VERDICT:
                approved = created + timedelta(hours=rng.uniform(1, 100))
                values.update(verdict=Verdict.REFUTED, verdict_state=VerdictState.APPROVED)
                values["approved_at"] = approved
            elif status == ClaimStatus.IN_REVIEW and rng.random() < 0.3:
                # A draft awaiting sign-off is not checked yet.
                values.update(verdict=Verdict.MIXED, verdict_state=VerdictState.DRAFT)
            claims.append(add_claim(session, article, f"Claim {a}.{i} said 12 things.", **values))
    for n, (claim, other) in enumerate(zip(claims[::2], claims[1::2], strict=True)):
        kind = SuggestionKind.VARIANT if n % 3 == 0 else SuggestionKind.DUPLICATE
        made = NOW - timedelta(days=n * 0.4)  # 0 to ~19 days ago: some in this week, most not
        session.add(
            DuplicateSuggestion(
                claim_id=claim.id,
                candidate_id=other.id,
                score=80.0,
                method="test",
                kind=kind,
                state=rng.choice(list(SuggestionState)),
                created_at=made,
            )
        )
    for n, claim in enumerate(claims[:9]):
        session.add(
            Alert(
                kind=AlertKind.PREVIOUSLY_CHECKED,
                claim_id=claim.id,
                matched_claim_id=claims[-1].id,
                match_key=f"claim:{n}",
                state=[AlertState.UNREAD, AlertState.ACKNOWLEDGED, AlertState.DISMISSED][n % 3],
            )
        )
    session.add_all(
        [
            Feed(url="https://a.example/rss", last_polled_at=NOW),
            Feed(url="https://b.example/rss", last_polled_at=NOW, last_error="404"),
            Feed(url="https://c.example/rss", is_active=False, last_error="old"),
            Feed(url="https://d.example/rss"),
            Feed(url="https://e.example/rss", last_polled_at=NOW),
        ]
    )
    session.commit()
    return Desk(editors)


def _claims(session: Session) -> list[Claim]:
    return list(session.exec(select(Claim)).all())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_counts_by_status_and_band_are_the_claims_in_the_database(
    session: Session, desk: Desk
) -> None:
    board = dashboard(session, NOW)
    claims = _claims(session)
    by_status = Counter(c.status for c in claims)
    assert {s: c.count for s, c in board.by_status.items()} == {
        s: by_status[s] for s in ClaimStatus
    }
    assert not any(c.more for c in board.by_status.values())
    open_claims = [c for c in claims if c.status in OPEN_STATUSES]
    assert board.waiting == figures.Count(len(open_claims), False)
    bands = Counter(_band(c.priority) for c in open_claims)
    assert {name: c.count for name, c in board.by_band.items()} == {
        band.name: bands[band.name] for band in BANDS
    }
    assert sum(c.count for c in board.by_band.values()) == len(open_claims)
    assert all(bands[band.name] for band in BANDS), "the fixture should fill every band"


def test_claims_in_and_checked_per_day_are_counted_by_utc_day(session: Session, desk: Desk) -> None:
    board = dashboard(session, NOW)
    claims = _claims(session)
    first = NOW.date() - timedelta(days=DAYS - 1)
    assert [d.day for d in board.days] == [first + timedelta(days=i) for i in range(DAYS)]
    came_in = Counter(_aware(c.created_at).date() for c in claims)
    checked = Counter(
        _aware(c.approved_at).date()
        for c in claims
        if c.approved_at and c.verdict_state == VerdictState.APPROVED
    )
    assert [(d.came_in, d.checked) for d in board.days] == [
        (came_in[d.day], checked[d.day]) for d in board.days
    ]
    assert sum(d.came_in for d in board.days) < len(claims), "some claims are older than 30 days"
    assert sum(d.checked for d in board.days) > 0
    week = [NOW.date() - timedelta(days=i) for i in range(7)]
    assert board.came_in_this_week == sum(came_in[d] for d in week)
    assert board.checked_this_week == sum(checked[d] for d in week)


def test_a_day_starts_at_midnight_utc(session: Session) -> None:
    article = add_article(session, "Midnight")
    just_before = datetime(2025, 3, 19, 23, 59, 59, 999_999, tzinfo=UTC)
    add_claim(session, article, "Late claim with 3 figures.", created_at=just_before)
    add_claim(
        session,
        article,
        "Early claim with 4 figures.",
        created_at=just_before.replace(day=20, hour=0, minute=0, second=0, microsecond=0),
    )
    days = {d.day: d.came_in for d in dashboard(session, NOW).days}
    assert days[date(2025, 3, 19)] == 1 and days[date(2025, 3, 20)] == 1


def test_oldest_open_claims_are_the_first_that_came_in(session: Session, desk: Desk) -> None:
    board = dashboard(session, NOW)
    claims = sorted(
        (c for c in _claims(session) if c.status in OPEN_STATUSES),
        key=lambda c: (_aware(c.created_at), c.id),
    )
    assert [old.claim.id for old in board.oldest_open] == [c.id for c in claims[: figures.OLDEST]]
    names = {user_id: name for name, user_id in desk.editors.items()}
    for old in board.oldest_open:
        assert old.assignee == (names[old.claim.assignee_id] if old.claim.assignee_id else None)
        assert old.waited == NOW - _aware(old.claim.created_at)
        assert old.article.id == old.claim.article_id


def test_each_editors_claims_held_are_their_open_assigned_claims(
    session: Session, desk: Desk
) -> None:
    board = dashboard(session, NOW)
    held = Counter(
        (c.assignee_id, c.status)
        for c in _claims(session)
        if c.status in OPEN_STATUSES and c.assignee_id
    )
    assert {h.username: (h.new, h.in_review, h.total) for h in board.held} == {
        name: (
            held[(user_id, ClaimStatus.NEW)],
            held[(user_id, ClaimStatus.IN_REVIEW)],
            held[(user_id, ClaimStatus.NEW)] + held[(user_id, ClaimStatus.IN_REVIEW)],
        )
        for name, user_id in desk.editors.items()
        if held[(user_id, ClaimStatus.NEW)] + held[(user_id, ClaimStatus.IN_REVIEW)]
    }
    totals = [h.total for h in board.held]
    assert totals == sorted(totals, reverse=True)


def test_alerts_repeats_and_feeds(session: Session, desk: Desk) -> None:
    board = dashboard(session, NOW)
    alerts = session.exec(select(Alert)).all()
    assert board.unread_alerts == sum(a.state == AlertState.UNREAD for a in alerts) == 3
    week_ago = NOW - timedelta(days=7)
    suggestions = [
        s
        for s in session.exec(select(DuplicateSuggestion)).all()
        if _aware(s.created_at) >= week_ago
    ]
    assert board.repeats_this_week == sum(s.kind == SuggestionKind.DUPLICATE for s in suggestions)
    assert board.variants_this_week == sum(s.kind == SuggestionKind.VARIANT for s in suggestions)
    assert board.repeats_this_week and board.variants_this_week
    assert board.feeds == figures.FeedHealth(ok=2, failing=1, paused=1, waiting=1)


def test_an_empty_newsroom_has_zeros_and_no_feeds(session: Session) -> None:
    board = dashboard(session, NOW)
    assert board.waiting == figures.Count(0, False)
    assert [d.came_in + d.checked for d in board.days] == [0] * DAYS
    assert board.oldest_open == [] and board.held == [] and board.feeds is None
    assert board.busiest_day == 1  # the chart's scale never divides by zero


def test_a_verdict_published_today_counts_as_checked_and_a_draft_does_not(
    session: Session, users: dict[str, int]
) -> None:
    article = add_article(session, "Today")
    claim = add_claim(session, article, "Unemployment fell to 4.1 percent in March.")
    draft = add_claim(session, article, "Inflation rose to 3 percent in May.")
    editor = users["editor"]
    review.take(session, claim.id, editor, claim.version)
    review.set_verdict(session, claim.id, editor, claim.version, Verdict.SUPPORTED, "Yes.")
    session.commit()
    board = dashboard(session)
    assert board.days[-1].checked == 1 and board.checked_this_week == 1
    assert board.days[-1].came_in == 2
    session.get(Claim, draft.id).verdict_state = VerdictState.DRAFT  # type: ignore[union-attr]
    session.commit()
    assert dashboard(session).checked_this_week == 1


def test_counts_past_the_cap_say_so(
    session: Session, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figures, "COUNT_CAP", 2)
    board = dashboard(session, NOW)
    assert all(c == figures.Count(2, True) for c in board.by_band.values())
