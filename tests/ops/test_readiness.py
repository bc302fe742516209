"""The readiness checks and the worker's heartbeat, on a real migrated database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from conftest import committed
from sqlmodel import select

from workbench.config import Settings
from workbench.db import alembic_config, make_engine
from workbench.models import WorkerHeartbeat, utcnow
from workbench.ops.health import readiness
from workbench.ops.heartbeat import FORGET_AFTER, beat, forget_gone

MINUTE = timedelta(seconds=60)


def test_a_fresh_database_without_a_worker_is_not_ready(engine: sa.Engine) -> None:
    found = readiness(engine, MINUTE)
    assert found.checks == {"database": "ok", "schema": "ok", "worker": "missing"}
    assert not found.ready


def test_a_recent_beat_makes_it_ready_and_an_old_one_stale(engine: sa.Engine) -> None:
    now = utcnow()
    with committed(engine) as db:
        beat(db, "desk:1", now - timedelta(seconds=50))
    assert readiness(engine, MINUTE, now=now).ready
    assert readiness(engine, MINUTE, now=now + timedelta(seconds=11)).checks["worker"] == "stale"
    # The newest beat of any worker counts.
    with committed(engine) as db:
        beat(db, "desk:2", now + timedelta(seconds=10))
    assert readiness(engine, MINUTE, now=now + timedelta(seconds=11)).ready


def test_without_a_limit_the_worker_is_not_checked(engine: sa.Engine) -> None:
    found = readiness(engine, None)
    assert found.checks == {"database": "ok", "schema": "ok"} and found.ready


def test_a_database_behind_or_ahead_of_the_code_is_not_ready(engine: sa.Engine) -> None:
    command.downgrade(alembic_config(engine), "0014")
    assert readiness(engine, MINUTE).checks == {
        "database": "ok",
        "schema": "behind",
        "worker": "unknown",
    }
    command.upgrade(alembic_config(engine), "head")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    assert readiness(engine, MINUTE).checks["schema"] == "ahead"


def test_an_unreachable_database_is_named_and_nothing_else_checked(tmp_path: Path) -> None:
    # A folder where the database file should be: SQLite cannot open it.
    broken = make_engine(Settings(database_url=f"sqlite:///{tmp_path}"))
    try:
        found = readiness(broken, MINUTE)
    finally:
        broken.dispose()
    assert found.checks == {"database": "unreachable", "schema": "unknown", "worker": "unknown"}


def test_beating_again_updates_the_row_and_long_gone_workers_are_forgotten(
    engine: sa.Engine,
) -> None:
    now = utcnow()
    with committed(engine) as db:
        beat(db, "old:1", now - FORGET_AFTER - timedelta(seconds=1))
        beat(db, "desk:1", now - timedelta(seconds=30))
    with committed(engine) as db:
        beat(db, "desk:1", now)
        forget_gone(db, now)
    with committed(engine) as db:
        rows = db.exec(select(WorkerHeartbeat)).all()
    assert [(row.name, row.beat_at) for row in rows] == [("desk:1", now)]


def test_the_operations_settings_read_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.proxy_hops, defaults.trusted_hosts, defaults.log_format) == (0, (), "text")
    assert (defaults.heartbeat_s, defaults.worker_stale_s) == (5.0, 60.0)
    custom = Settings.from_env(
        {
            "WORKBENCH_PROXY_HOPS": "2",
            "WORKBENCH_TRUSTED_HOSTS": " news.example, ,.desk.example ",
            "WORKBENCH_LOG_FORMAT": "JSON",
            "WORKBENCH_HEARTBEAT_S": "2.5",
            "WORKBENCH_WORKER_STALE_S": "0",
        }
    )
    assert custom.proxy_hops == 2
    assert custom.trusted_hosts == ("news.example", ".desk.example")
    assert custom.log_format == "json"
    assert (custom.heartbeat_s, custom.worker_stale_s) == (2.5, 0.0)
    with pytest.raises(ValueError, match="WORKBENCH_LOG_FORMAT"):
        Settings.from_env({"WORKBENCH_LOG_FORMAT": "xml"})
