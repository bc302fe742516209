"""Is the workbench alive, and is it ready to serve: the answers of /healthz and /readyz.

Alive needs nothing but the process. Ready needs three things, each checked cheaply (one
connection, the one-row alembic_version table, the few-row worker_heartbeat table; no scan of
the newsroom's data):

- database: a connection can be made and answers;
- schema: the database is at the newest migration this code knows (`behind`: run
  `flask --app app init-db`; `ahead`: the database was migrated by newer code);
- worker: a `flask worker` beat recently (`stale`: its last beat is older than the limit,
  `missing`: none ever beat). A worker is part of a running workbench (alerts and feeds stop
  without one), so its absence makes the installation not ready; a limit of 0 leaves it out.

Each check is named with a one-word state and nothing else: the answer is public, so it carries
no versions, error messages, paths or addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from workbench.db import MIGRATIONS_DIR
from workbench.models import WorkerHeartbeat, utcnow

OK = "ok"
UNKNOWN = "unknown"  # not checked: an earlier check failed


@dataclass(frozen=True)
class Readiness:
    """Each check's state by name; ready when every one is ok."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(state == OK for state in self.checks.values())


@cache
def _revisions() -> tuple[str | None, frozenset[str]]:
    """The newest migration and every one this code has (read from disk once per process)."""
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    return scripts.get_current_head(), frozenset(s.revision for s in scripts.walk_revisions())


def schema_state(connection: Connection) -> str:
    """ok, behind (older or no schema) or ahead (a migration this code does not know)."""
    head, known = _revisions()
    current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return OK
    return "behind" if current is None or current in known else "ahead"


def worker_state(connection: Connection, stale_after: timedelta, now: datetime) -> str:
    """ok, stale (the last beat is older than `stale_after`) or missing (no worker ever beat)."""
    last = connection.execute(sa.select(sa.func.max(WorkerHeartbeat.beat_at))).scalar()
    if last is None:
        return "missing"
    return OK if now - last <= stale_after else "stale"


def readiness(
    engine: Engine, worker_stale_after: timedelta | None, now: datetime | None = None
) -> Readiness:
    """Check the database, its schema and (unless `worker_stale_after` is None) the worker."""
    names = ["database", "schema"] + (["worker"] if worker_stale_after is not None else [])
    checks = dict.fromkeys(names, UNKNOWN)
    checking = "database"
    try:
        with engine.connect() as connection:
            connection.execute(sa.select(1))
            checks["database"] = OK
            checking = "schema"
            checks["schema"] = schema_state(connection)
            if worker_stale_after is not None and checks["schema"] == OK:
                checking = "worker"
                checks["worker"] = worker_state(connection, worker_stale_after, now or utcnow())
    except SQLAlchemyError:
        # The answer names the check that failed, never the error: it is public.
        checks[checking] = "unreachable" if checking == "database" else "error"
    return Readiness(checks)
