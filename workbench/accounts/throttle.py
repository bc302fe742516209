"""Slowing down password guessing without handing anyone a lock-out.

Failed log-ins are counted three ways, each with its own allowance before every further try must
wait, twice as long each time (2, 4, 8 ... seconds, up to 15 minutes):

- per (user name, address), after PAIR_FREE failures: the guesser at one address slows down, and
  nobody else does. The victim at their own address is not touched by it;
- per user name across all addresses, after USER_FREE: a spray from many addresses at one
  account still slows down. One address adds at most PAIR_FREE to it, so a single attacker
  cannot run it up, however patient (it takes USER_FREE / PAIR_FREE addresses);
- per address across all names, after ADDRESS_FREE: one address trying many names slows down;
  it is high because a newsroom's editors may share one address.

A success clears the counts it matches: that (name, address) count, and what those failures
added to the name's and the address's counts (a colleague's typos behind the same address are
not left for the others to wait on; another address's failures are not forgiven by it).

User names are compared as `accounts.username_key` reads them (Unicode NFKC, format characters
such as zero-width spaces removed, case folded), so `editor`, `EDITOR` and `edi\u200btor` are
counted as one.

The counts live in the database so that every server worker enforces the same wait, and the wait
is computed after taking the (name, address) row's lock, which is held until the attempt is
recorded: parallel tries of one pair are evaluated one at a time, so 20 at once still get only
PAIR_FREE evaluations, and a right password is never told to wait for a count that a success
running beside it is about to clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from workbench.accounts.users import username_key
from workbench.models import LoginThrottle, utcnow

PAIR_FREE = 5
USER_FREE = 50
ADDRESS_FREE = 250
MAX_WAIT_SECONDS = 15 * 60
# Failures older than this are forgotten: a typo last week does not slow anyone down today.
FORGET_AFTER = timedelta(hours=1)
KEY_MAX = 300  # the column's length


@dataclass(frozen=True)
class Attempt:
    """One log-in try: the user name as compared (see username_key) and the client address."""

    user: str
    address: str

    @classmethod
    def of(cls, username: str, address: str | None) -> Attempt:
        return cls(username_key(username)[:200], (address or "unknown")[:64])

    @property
    def pair_key(self) -> str:
        return f"pair:{self.address}|{self.user}"[:KEY_MAX]

    @property
    def user_key(self) -> str:
        return f"user:{self.user}"[:KEY_MAX]

    @property
    def address_key(self) -> str:
        return f"ip:{self.address}"[:KEY_MAX]

    def allowances(self) -> dict[str, int]:
        return {self.pair_key: PAIR_FREE, self.user_key: USER_FREE, self.address_key: ADDRESS_FREE}


def wait_for(failures: int, free: int = PAIR_FREE) -> int:
    """Seconds a try must wait after this many failures in a row, with `free` allowed."""
    if failures < free:
        return 0
    return min(2 ** min(failures - free + 1, 20), MAX_WAIT_SECONDS)


def _insert(session: Session) -> type[sqlite.Insert] | type[postgresql.Insert]:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert  # type: ignore[return-value]


def begin(session: Session, attempt: Attempt, now: datetime | None = None) -> int:
    """Lock this attempt's (name, address) row, then compute how long it must wait: 0 means
    evaluate the password now. The lock is held until the caller commits, after recording the
    outcome with note_failure or note_success.

    Call it first in its transaction: on SQLite the upsert takes the database's write lock; on
    PostgreSQL it takes the row's lock (a no-op update locks an existing row, an insert a new one).
    """
    table = LoginThrottle.__table__
    lock = _insert(session)(table).values(
        key=attempt.pair_key, failures=0, last_failure_at=now or utcnow()
    )
    session.execute(
        lock.on_conflict_do_update(
            index_elements=[table.c.key], set_={"failures": table.c.failures}
        )
    )
    # The time is read after the lock is ours: a failure recorded while we waited for it is
    # later than a time read before, and would look like a wait still to run.
    return seconds_to_wait(session, attempt, now or utcnow())


def seconds_to_wait(session: Session, attempt: Attempt, now: datetime | None = None) -> int:
    """How long until this attempt may be evaluated; 0 means now."""
    now = now or utcnow()
    allowances = attempt.allowances()
    rows = session.execute(
        sa.select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.last_failure_at).where(
            LoginThrottle.key.in_(list(allowances))
        )
    ).all()
    waits = [0]
    for key, failures, last in rows:
        wait = wait_for(failures, allowances[key])
        if not wait or now - last > FORGET_AFTER:
            continue
        remaining = last + timedelta(seconds=wait) - now
        waits.append(max(0, int(remaining.total_seconds() + 0.999)))
    return max(waits)


def _count(session: Session, key: str, now: datetime) -> None:
    table = LoginThrottle.__table__
    statement = _insert(session)(table).values(key=key, failures=1, last_failure_at=now)
    stale = table.c.last_failure_at < now - FORGET_AFTER
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                "last_failure_at": now,
            },
        )
    )


def _failures(session: Session, key: str, now: datetime) -> int:
    row = session.execute(
        sa.select(LoginThrottle.failures, LoginThrottle.last_failure_at).where(
            LoginThrottle.key == key
        )
    ).first()
    if row is None or now - row.last_failure_at > FORGET_AFTER:
        return 0
    return row.failures


def note_failure(session: Session, attempt: Attempt, now: datetime | None = None) -> None:
    """Count a failed log-in (in the caller's transaction, under begin()'s lock).

    The name's count only takes the pair's first PAIR_FREE failures: past them the pair is slowed
    down on its own, and one address must not run up the count that slows the victim everywhere.
    """
    now = now or utcnow()
    _count(session, attempt.pair_key, now)
    _count(session, attempt.address_key, now)
    if _failures(session, attempt.pair_key, now) <= PAIR_FREE:
        _count(session, attempt.user_key, now)


def note_success(session: Session, attempt: Attempt, now: datetime | None = None) -> None:
    """Clear what this (name, address)'s failures added: its own count, and its share of the
    name's and the address's (in the caller's transaction, under begin()'s lock)."""
    now = now or utcnow()
    failures = _failures(session, attempt.pair_key, now)
    table = LoginThrottle.__table__
    session.execute(sa.delete(table).where(table.c.key == attempt.pair_key))
    for key, share in (
        (attempt.user_key, min(failures, PAIR_FREE)),
        (attempt.address_key, failures),
    ):
        if share:
            session.execute(
                sa.update(table)
                .where(table.c.key == key)
                .values(
                    failures=sa.case((table.c.failures > share, table.c.failures - share), else_=0)
                )
            )
