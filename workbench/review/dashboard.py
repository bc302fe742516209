"""The state of the work at a glance: what waits, how old it is, what came in and was checked, who
holds what, and what the tool found for editors to look at.

`dashboard()` reads every figure once; the home page draws them and `GET /api/dashboard` sends
them, so the two never disagree. It reads a handful of index ranges, never a whole table, so it
costs the same at a million claims as at a thousand (benchmarks/dashboard.py):

- counts per status and per priority band are capped at COUNT_CAP, as the queue's tabs are: an
  exact count of a million open claims costs more than the difference tells an editor;
- claims in and checked per day count, day by day, ranges of `ix_claim_status_created` and of
  `ix_claim_approved_at` (migration 0014);
- the oldest open claims walk `ix_claim_status_created` from its start, per open status.

Days are UTC days, as every time the workbench stores is UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from workbench.alerts.rules import unread_count
from workbench.models import (
    OPEN_STATUSES,
    Article,
    Claim,
    ClaimStatus,
    DuplicateSuggestion,
    Feed,
    SuggestionKind,
    User,
    VerdictState,
    utcnow,
)
from workbench.review.queue import COUNT_CAP

DAYS = 30  # the per-day chart's span, today included
OLDEST = 10  # open claims listed, oldest first
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Band:
    """A range of `Claim.priority` (check-worthiness plus the repeat bonus, see priority.py).

    Check-worthiness is the learned model's probability that a fact-checker would check the
    sentence (intake/worthiness.py): high is more likely than not (0.5 or more); medium is 0.2 to
    0.5, above the one in seven of the sentences it learned from; low is below 0.2, where most
    plain sentences of a news article fall. Each repeat adds 0.1, so a low claim carried by three
    outlets is medium."""

    name: str
    low: float | None  # inclusive
    high: float | None  # exclusive


BANDS = (
    Band("high", 0.5, None),
    Band("medium", 0.2, 0.5),
    Band("low", None, 0.2),
)


@dataclass(frozen=True)
class Count:
    """A count up to COUNT_CAP; `more` says there are more than that (shown "10,000+")."""

    count: int
    more: bool

    @classmethod
    def capped(cls, counted: int) -> Count:
        return cls(min(counted, COUNT_CAP), counted > COUNT_CAP)

    @classmethod
    def total(cls, counts: list[Count]) -> Count:
        return cls.capped(sum(c.count + c.more for c in counts))


@dataclass(frozen=True)
class Day:
    day: date
    came_in: int  # claims created that day
    checked: int  # verdicts approved (published) that day


@dataclass(frozen=True)
class OldClaim:
    claim: Claim
    article: Article
    assignee: str | None  # the user name of the editor holding it
    waited: timedelta  # since it came in

    @property
    def waited_text(self) -> str:
        """ "12 days", "5 hours", "under an hour"."""
        days, hours = self.waited.days, self.waited.seconds // 3600
        if days:
            return f"{days} day{'s' if days != 1 else ''}"
        if hours:
            return f"{hours} hour{'s' if hours != 1 else ''}"
        return "under an hour"


@dataclass(frozen=True)
class Held:
    """An editor and the open claims assigned to them."""

    user_id: int
    username: str
    new: int
    in_review: int

    @property
    def total(self) -> int:
        return self.new + self.in_review


@dataclass(frozen=True)
class FeedHealth:
    """Feeds by how their last poll went, as the feeds page labels them."""

    ok: int
    failing: int
    paused: int
    waiting: int  # active, never polled yet

    @property
    def total(self) -> int:
        return self.ok + self.failing + self.paused + self.waiting


@dataclass(frozen=True)
class Dashboard:
    generated_at: datetime
    by_status: dict[ClaimStatus, Count]
    waiting: Count  # open claims: new and in review
    by_band: dict[str, Count]  # open claims per priority band, BANDS' names in order
    days: list[Day]  # oldest first, DAYS of them, today last
    oldest_open: list[OldClaim]
    held: list[Held]  # by most held, then name
    unread_alerts: int
    repeats_this_week: int  # duplicate suggestions made in the last 7 days
    variants_this_week: int  # variant suggestions (a fact changed) made in the last 7 days
    feeds: FeedHealth | None  # None when no feed is monitored

    @property
    def came_in_this_week(self) -> int:
        return sum(day.came_in for day in self.days[-7:])

    @property
    def checked_this_week(self) -> int:
        return sum(day.checked for day in self.days[-7:])

    @property
    def busiest_day(self) -> int:
        """The chart's scale: the most claims in or checked on one day (at least 1)."""
        return max([1, *(max(day.came_in, day.checked) for day in self.days)])


def dashboard(session: Session, now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard, read in the caller's transaction; writes nothing."""
    now = now or utcnow()
    by_status, by_band = counts(session)
    repeats = _suggestions_since(session, now - WEEK)
    return Dashboard(
        generated_at=now,
        by_status=by_status,
        waiting=Count.total([by_status[status] for status in OPEN_STATUSES]),
        by_band=by_band,
        days=per_day(session, now),
        oldest_open=oldest_open(session, now),
        held=held(session),
        unread_alerts=unread_count(session),
        repeats_this_week=repeats.get(SuggestionKind.DUPLICATE, 0),
        variants_this_week=repeats.get(SuggestionKind.VARIANT, 0),
        feeds=feed_health(session),
    )


def counts(session: Session) -> tuple[dict[ClaimStatus, Count], dict[str, Count]]:
    """Claims per status, and open claims per priority band, each counted up to COUNT_CAP
    through its index (`ix_claim_status_priority`): one statement of capped counts, the same
    count the queue's tabs give (queue.status_counts), without a round trip for each."""

    def capped(*conditions: Any) -> Any:
        inner = sa.select(Claim.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
        return sa.select(sa.func.count()).select_from(inner).scalar_subquery()

    def in_band(band: Band) -> list[Any]:
        conditions = []
        if band.low is not None:
            conditions.append(Claim.priority >= band.low)
        if band.high is not None:
            conditions.append(Claim.priority < band.high)
        return [capped(Claim.status == status, *conditions) for status in OPEN_STATUSES]

    columns = [capped(Claim.status == status) for status in ClaimStatus]
    for band in BANDS:
        columns += in_band(band)
    found = list(session.execute(sa.select(*columns)).one())
    by_status = {status: Count.capped(found.pop(0)) for status in ClaimStatus}
    by_band = {
        band.name: Count.total([Count.capped(found.pop(0)) for _ in OPEN_STATUSES])
        for band in BANDS
    }
    return by_status, by_band


def per_day(session: Session, now: datetime) -> list[Day]:
    """Claims in (by `created_at`) and checked (approved verdicts, by `approved_at`) on each of
    the last DAYS UTC days, today included.

    One statement: for each day, two counts of an index range. Grouping the month's claims by a
    day expression instead read the same entries but sorted them into groups (a temporary
    B-tree) and took 45 ms at a million claims against 3 ms for this (benchmarks/dashboard.py).
    """
    first = now.astimezone(UTC).date() - timedelta(days=DAYS - 1)
    midnights = [
        datetime.combine(first + timedelta(days=i), time(0), tzinfo=UTC) for i in range(DAYS + 1)
    ]
    when = Claim.__table__.c.created_at.type
    days = sa.union_all(
        *(
            sa.select(
                sa.literal(i).label("n"),
                sa.literal(start, when).label("start"),
                sa.literal(stop, when).label("stop"),
            )
            for i, (start, stop) in enumerate(zip(midnights, midnights[1:], strict=False))
        )
    ).subquery("day")
    # Every status, named: so the range is read from ix_claim_status_created, one slice per
    # status, the index that also gives the oldest open claims.
    came_in = (
        sa.select(sa.func.count())
        .select_from(Claim)
        .where(
            Claim.status.in_([s.value for s in ClaimStatus]),
            Claim.created_at >= days.c.start,
            Claim.created_at < days.c.stop,
        )
        .scalar_subquery()
    )
    checked = (
        sa.select(sa.func.count())
        .select_from(Claim)
        .where(
            Claim.approved_at >= days.c.start,
            Claim.approved_at < days.c.stop,
            Claim.verdict_state == VerdictState.APPROVED,
        )
        .scalar_subquery()
    )
    rows = session.execute(sa.select(days.c.n, came_in, checked).order_by(days.c.n)).all()
    return [Day(first + timedelta(days=n), came, done) for n, came, done in rows]


def oldest_open(session: Session, now: datetime, limit: int = OLDEST) -> list[OldClaim]:
    """The open claims that came in first, oldest first: the first `limit` of each open status
    from ix_claim_status_created, merged (never a sort of every open claim)."""
    found: list[tuple[Claim, Article]] = []
    for status in OPEN_STATUSES:
        rows = session.execute(
            sa.select(Claim, Article)
            .join(Article, Claim.article_id == Article.id)
            .where(Claim.status == status)
            .order_by(Claim.created_at, Claim.id)
            .limit(limit)
        ).all()
        found.extend((claim, article) for claim, article in rows)
    found.sort(key=lambda row: (row[0].created_at, row[0].id))
    found = found[:limit]
    people = _usernames(session, {claim.assignee_id for claim, _ in found})
    return [
        OldClaim(c, a, people.get(c.assignee_id) if c.assignee_id else None, now - c.created_at)
        for c, a in found
    ]


def held(session: Session) -> list[Held]:
    """Each editor holding open claims, with how many per open status (ix_claim_status_assignee)."""
    rows = session.execute(
        sa.select(Claim.assignee_id, Claim.status, sa.func.count())
        .where(Claim.status.in_([s.value for s in OPEN_STATUSES]), Claim.assignee_id.is_not(None))
        .group_by(Claim.assignee_id, Claim.status)
    ).all()
    counts: dict[int, dict[ClaimStatus, int]] = {}
    for user_id, status, count in rows:
        counts.setdefault(user_id, {})[ClaimStatus(status)] = count
    people = _usernames(session, set(counts))
    found = [
        Held(
            user_id,
            people.get(user_id, f"user {user_id}"),
            by_status.get(ClaimStatus.NEW, 0),
            by_status.get(ClaimStatus.IN_REVIEW, 0),
        )
        for user_id, by_status in counts.items()
    ]
    return sorted(found, key=lambda h: (-h.total, h.username))


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = session.execute(sa.select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: username for user_id, username in rows}


def _suggestions_since(session: Session, since: datetime) -> dict[SuggestionKind, int]:
    """Duplicate and variant suggestions made since then (`ix_duplicatesuggestion_created_at`)."""
    rows = session.execute(
        sa.select(DuplicateSuggestion.kind, sa.func.count())
        .where(DuplicateSuggestion.created_at >= since)
        .group_by(DuplicateSuggestion.kind)
    )
    return {SuggestionKind(kind): count for kind, count in rows}


def feed_health(session: Session) -> FeedHealth | None:
    """Feeds paused, failing (their last poll failed), ok, or waiting for a first poll: the
    labels of the feeds page."""
    health = sa.case(
        (Feed.is_active.is_(False), "paused"),
        (Feed.last_error.is_not(None), "failing"),
        (Feed.last_polled_at.is_not(None), "ok"),
        else_="waiting",
    )
    rows = dict(session.execute(sa.select(health, sa.func.count()).group_by(health)).all())
    if not rows:
        return None
    return FeedHealth(
        ok=rows.get("ok", 0),
        failing=rows.get("failing", 0),
        paused=rows.get("paused", 0),
        waiting=rows.get("waiting", 0),
    )
