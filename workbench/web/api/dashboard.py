"""The dashboard's figures as JSON: the same reading (review/dashboard.py) the home page draws."""

from __future__ import annotations

from typing import Self

from pydantic import Field

from workbench.db import get_session
from workbench.models import ClaimStatus, Role
from workbench.review import dashboard as figures
from workbench.review.queue import COUNT_CAP
from workbench.shapes import ClaimRef, Id, Shape, Time, iso_time
from workbench.web.access import allow
from workbench.web.api import READ_ERRORS, answers, bp, spec


class Count(Shape):
    count: int = Field(description=f"Counted up to {COUNT_CAP:,}.")
    more: bool = Field(description=f"True when there are more than {COUNT_CAP:,}.")


class StatusCount(Count):
    status: ClaimStatus


class BandCount(Count):
    band: str
    min_priority: float | None = Field(description="Inclusive; null: no lower bound.")
    max_priority: float | None = Field(description="Exclusive; null: no upper bound.")


class DayCount(Shape):
    day: str = Field(description="A UTC day, YYYY-MM-DD.")
    came_in: int = Field(description="Claims created that day.")
    checked: int = Field(description="Verdicts approved (published) that day.")


class OldClaim(ClaimRef):
    created_at: Time
    assignee: str | None = Field(description="The user name of the editor holding it, if any.")


class EditorHolding(Shape):
    user_id: Id
    username: str
    new: int
    in_review: int
    total: int


class FeedHealth(Shape):
    ok: int
    failing: int = Field(description="Active feeds whose last poll failed.")
    paused: int
    waiting: int = Field(description="Active feeds not polled yet.")


class Dashboard(Shape):
    """The state of the work: what waits, what came in and was checked, who holds what."""

    generated_at: Time
    by_status: list[StatusCount]
    waiting: Count = Field(description="Open claims: new and in review.")
    by_band: list[BandCount] = Field(description="Open claims per priority band.")
    days: list[DayCount] = Field(description="The last 30 UTC days, oldest first, today last.")
    came_in_this_week: int = Field(description="Claims created in the last 7 days of `days`.")
    checked_this_week: int = Field(description="Verdicts approved in the last 7 days of `days`.")
    oldest_open: list[OldClaim] = Field(description="Open claims that came in first.")
    held: list[EditorHolding] = Field(description="Open claims assigned, per editor.")
    unread_alerts: int
    repeats_this_week: int = Field(description="Duplicate suggestions made in the last 7 days.")
    variants_this_week: int = Field(description="Variant suggestions made in the last 7 days.")
    feeds: FeedHealth | None = Field(description="Null when no feed is monitored.")

    @classmethod
    def of(cls, board: figures.Dashboard) -> Self:
        bands = {band.name: band for band in figures.BANDS}
        return cls.build(
            generated_at=iso_time(board.generated_at),
            by_status=[
                {"status": status.value, "count": c.count, "more": c.more}
                for status, c in board.by_status.items()
            ],
            waiting={"count": board.waiting.count, "more": board.waiting.more},
            by_band=[
                {
                    "band": name,
                    "min_priority": bands[name].low,
                    "max_priority": bands[name].high,
                    "count": c.count,
                    "more": c.more,
                }
                for name, c in board.by_band.items()
            ],
            days=[
                {"day": d.day.isoformat(), "came_in": d.came_in, "checked": d.checked}
                for d in board.days
            ],
            came_in_this_week=board.came_in_this_week,
            checked_this_week=board.checked_this_week,
            oldest_open=[
                OldClaim.of(
                    old.claim,
                    old.article,
                    created_at=iso_time(old.claim.created_at),
                    assignee=old.assignee,
                )
                for old in board.oldest_open
            ],
            held=[
                {
                    "user_id": h.user_id,
                    "username": h.username,
                    "new": h.new,
                    "in_review": h.in_review,
                    "total": h.total,
                }
                for h in board.held
            ],
            unread_alerts=board.unread_alerts,
            repeats_this_week=board.repeats_this_week,
            variants_this_week=board.variants_this_week,
            feeds=None
            if board.feeds is None
            else {
                "ok": board.feeds.ok,
                "failing": board.feeds.failing,
                "paused": board.feeds.paused,
                "waiting": board.feeds.waiting,
            },
        )


@bp.get("/dashboard")
@allow(Role.VIEWER)
@spec.validate(resp=answers({200: Dashboard}, READ_ERRORS), tags=["dashboard"])
def dashboard() -> Dashboard:
    """Every figure of the home page's dashboard: claims waiting by status and priority band,
    claims in and checked per UTC day over the last 30 days, the oldest open claims, each
    editor's claims held, unread alerts, repeats found this week and feed health."""
    return Dashboard.of(figures.dashboard(get_session()))
