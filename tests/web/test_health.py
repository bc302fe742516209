"""/healthz and /readyz: open to anyone, cheap, and saying nothing but each check's state; and a
real `flask worker` process whose heartbeat makes the installation ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from conftest import REPO, cli_environment, committed
from flask.testing import FlaskClient
from sqlmodel import SQLModel

from workbench.models import utcnow
from workbench.ops.heartbeat import beat

STATES = {"ok", "behind", "ahead", "stale", "missing", "unreachable", "unknown", "error"}


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _only_states(body: dict) -> None:  # type: ignore[type-arg]
    """The answer is public: a status and one word a check, nothing else."""
    assert set(body) == {"status", "checks"}
    assert set(body["checks"]) <= {"database", "schema", "worker"}
    assert set(body["checks"].values()) <= STATES


def test_healthz_answers_without_touching_the_database(
    client: FlaskClient, engine: sa.Engine
) -> None:
    with statements(engine) as seen:
        answer = client.get("/healthz")
    assert (answer.status_code, answer.get_json()) == (200, {"status": "ok"})
    assert answer.headers["Cache-Control"] == "no-store"
    assert seen == []


def test_readyz_without_a_worker_says_the_worker_is_missing(client: FlaskClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "schema": "ok", "worker": "missing"},
    }


def test_readyz_is_ready_after_a_beat_and_reads_no_newsroom_table(
    client: FlaskClient, engine: sa.Engine
) -> None:
    with committed(engine) as db:
        beat(db, "desk:1")
    with statements(engine) as seen:
        answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "schema": "ok", "worker": "ok"},
    }
    assert answer.headers["Cache-Control"] == "no-store"
    newsroom = set(SQLModel.metadata.tables) - {"worker_heartbeat"}
    read = " ".join(seen).lower()
    assert not [table for table in newsroom if f" {table}" in read or f'"{table}"' in read]
    assert len(seen) <= 5, seen


def test_readyz_says_stale_when_the_last_beat_is_old(make_app, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    with committed(engine) as db:
        beat(db, "desk:1", utcnow() - timedelta(seconds=120))
    answer = make_app(worker_stale_s=60.0).test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["worker"] == "stale"


def test_a_web_server_without_a_worker_can_leave_it_out(make_app) -> None:  # type: ignore[no-untyped-def]
    answer = make_app(worker_stale_s=0.0).test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "checks": {"database": "ok", "schema": "ok"}}


def test_with_the_database_unreachable_healthz_is_alive_and_readyz_says_why_and_no_more(
    make_app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    secret_path = tmp_path / "a-folder-not-a-database"
    secret_path.mkdir()
    client = make_app(database_url=f"sqlite:///{secret_path}").test_client()
    assert client.get("/healthz").status_code == 200
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    _only_states(body)
    assert body["checks"] == {"database": "unreachable", "schema": "unknown", "worker": "unknown"}
    text = answer.get_data(as_text=True)
    assert "a-folder-not-a-database" not in text and "sqlite" not in text.lower()


def _wait_for_ready(client: FlaskClient, worker: subprocess.Popen, seconds: float) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get("/readyz")
        if answer.status_code == 200:
            return answer.get_json()
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        assert time.monotonic() < deadline, f"never ready: {answer.get_json()}"
        time.sleep(0.1)


def test_a_running_worker_makes_the_installation_ready(
    client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    assert client.get("/readyz").get_json()["checks"]["worker"] == "missing"
    env = cli_environment(database_url, tmp_path) | {"WORKBENCH_HEARTBEAT_S": "0.2"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = _wait_for_ready(client, worker, 60)
        assert body["checks"]["worker"] == "ok"
        os.kill(worker.pid, signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
