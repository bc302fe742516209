"""Slowing down password guessing: after a few failed log-ins for a user name or from an address,
each further try must wait, twice as long each time (up to a cap).

Counts live in the database so that every server worker enforces the same wait. A success clears
the user name's count but not the address's, so one valid account cannot reset the counter that
protects the others.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from workbench.models import LoginThrottle, utcnow

FREE_ATTEMPTS = 5
MAX_WAIT_SECONDS = 15 * 60
# Failures older than this are forgotten: a typo last week does not slow anyone down today.
FORGET_AFTER = timedelta(hours=1)


def login_keys(username: str, address: str | None) -> list[str]:
    return [f"user:{username.strip().lower()[:200]}", f"ip:{address or 'unknown'}"]


def wait_for(failures: int) -> int:
    """Seconds a try must wait after this many failures in a row."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(2 ** (failures - FREE_ATTEMPTS + 1), MAX_WAIT_SECONDS)


def seconds_to_wait(session: Session, keys: list[str], now: datetime | None = None) -> int:
    """How long until a log-in for these keys may be tried again; 0 means now."""
    now = now or utcnow()
    rows = session.execute(
        sa.select(LoginThrottle.failures, LoginThrottle.last_failure_at).where(
            LoginThrottle.key.in_(keys)
        )
    ).all()
    waits = [0]
    for failures, last in rows:
        if now - last > FORGET_AFTER:
            continue
        remaining = last + timedelta(seconds=wait_for(failures)) - now
        waits.append(max(0, int(remaining.total_seconds() + 0.999)))
    return max(waits)


def note_failure(session: Session, keys: list[str], now: datetime | None = None) -> None:
    """Count a failed log-in against every key (in the caller's transaction)."""
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = LoginThrottle.__table__
    for key in keys:
        statement = insert(table).values(key=key, failures=1, last_failure_at=now)
        stale = table.c.last_failure_at < now - FORGET_AFTER
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                "last_failure_at": now,
            },
        )
        session.execute(statement)


def clear(session: Session, key: str) -> None:
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == key))
