"""The database goes away and comes back: pages and the API answer 503 with Retry-After (never a
500, never a trace of SQL or of the server's address), the worker waits and carries on, and all
of it recovers by itself when the database is back, without restarting anything.

On PostgreSQL the test runs a server of its own (initdb in a folder of its own, its own port) and
stops it with `pg_ctl stop -m fast` under load: requests in the middle of their transaction, new
requests, the worker process. On SQLite, cheaper failures that are just as real: a database file
that cannot be opened, the write lock held past the busy timeout, a disk full at commit.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from claim_data import TALKS, TALKS_AGAIN
from conftest import REPO, AuthActions, cli_environment, committed, csrf_token, free_port
from flask import Flask
from sqlmodel import select
from werkzeug.test import TestResponse

from app import create_app
from workbench.accounts import tokens
from workbench.accounts import users as accounts
from workbench.alerts import webhooks
from workbench.config import Settings
from workbench.db import DatabaseWait, get_session, migrate
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Alias, Claim, Role
from workbench.net.egress import Allowance
from workbench.review import verdicts as review
from workbench.web.access import allow_anyone

PASSWORD = "correct horse battery"
# What no answer during an outage may show: a traceback, SQL, the driver, the server's address.
LEAKS = ("Traceback", "SELECT", "sqlalchemy", "psycopg", "sqlite3", "OperationalError", "127.0.0.1")


def _assert_unavailable(response: TestResponse, server: str = "") -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert response.headers["Retry-After"] == "5"
    for leak in (*LEAKS, server):
        assert not leak or leak not in body, f"{leak!r} in the answer: {body[:500]}"


def _assert_api_unavailable(response: TestResponse, server: str = "") -> None:
    _assert_unavailable(response, server)
    assert response.get_json()["error"]["code"] == "database_unavailable"


# --- PostgreSQL of the test's own -----------------------------------------------------------------


def _postgres_bin() -> Path | None:
    """The newest installed server's binaries (Debian's layout), else initdb on the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> tuple[int, ...]:
    number = Path(path).parts[-3]
    return tuple(int(part) for part in number.split(".") if part.isdigit())


PG_BIN = _postgres_bin()
AS_ROOT = os.geteuid() == 0


class Postgres:
    """A PostgreSQL server in `folder`, on loopback at `port`, run as `postgres` when we are root
    (the server refuses to run as root)."""

    def __init__(self, folder: Path, port: int) -> None:
        assert PG_BIN is not None
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(PG_BIN / tool), *args]
        if AS_ROOT:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{tool} failed: {done.stderr or done.stdout}"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        log = str(self.folder / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    """A server of this test's own, stopped and its folder removed however the test ends."""
    if PG_BIN is None:
        pytest.skip(
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed; CI installs them "
            "before its PostgreSQL pass"
        )
    if AS_ROOT:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run the server as")
    # In /tmp itself: the postgres user must reach the folder, and pytest's own are root's only.
    folder = Path(tempfile.mkdtemp(prefix="workbench-outage-", dir="/tmp"))
    if AS_ROOT:
        shutil.chown(folder, "postgres")
    server = Postgres(folder, free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            if server.running():
                server.stop("immediate")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


# --- A webhook receiver on loopback ---------------------------------------------------------------


class Receiver:
    """A real HTTP server that takes every POST with 200 and keeps its body."""

    def __init__(self) -> None:
        bodies: list[dict] = []
        got = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                got.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.bodies, self.got = bodies, got
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    made.thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


# --- The outage on PostgreSQL ---------------------------------------------------------------------


def _held_views(app: Flask, entered: threading.Barrier, resume: threading.Event) -> None:
    """Two views that stop in the middle of their transaction until the test has stopped the
    server: one reads again (the view fails), one has written and returns (the commit fails)."""

    @allow_anyone
    def read_twice() -> str:
        session = get_session()
        session.exec(select(sa.func.count(Claim.id))).one()  # a transaction open on a connection
        entered.wait(30)
        assert resume.wait(60)
        session.exec(select(sa.func.count(Claim.id))).one()
        return "the database never went away"

    @allow_anyone
    def write_then_commit() -> str:
        session = get_session()
        session.exec(select(sa.func.count(Claim.id))).one()
        session.add(Alias(phrase="Zorblat", canonical="Zorblatt"))  # flushed by the commit
        entered.wait(30)
        assert resume.wait(60)
        return "saved"

    app.add_url_rule("/test/read-twice", view_func=read_twice)
    app.add_url_rule("/test/write", view_func=write_then_commit, methods=["POST"])
    app.extensions["csrf"].exempt(write_then_commit)


def _in_thread(call: object) -> tuple[threading.Thread, list[TestResponse]]:
    answers: list[TestResponse] = []
    thread = threading.Thread(target=lambda: answers.append(call()), daemon=True)  # type: ignore[operator]
    thread.start()
    return thread, answers


def _wait_for(predicate: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def test_pages_the_api_and_the_worker_ride_out_a_postgresql_restart(
    postgres: Postgres, receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=postgres.url,
        secret_key="test-secret-key",
        demo_fixtures=REPO / "fixtures" / "demo",
    )
    # Not TESTING: errors are answered as in production, not raised into the test.
    app = create_app({"WORKBENCH_SETTINGS": settings})
    entered, resume = threading.Barrier(3), threading.Event()
    _held_views(app, entered, resume)
    engine = app.extensions["workbench.engine"]
    loopback = Allowance.parse(["127.0.0.1"])
    migrate(engine)
    with committed(engine) as db:
        editor = accounts.create_user(db, "editor", PASSWORD, Role.EDITOR).id
        token = tokens.create_token(db, editor, "script")[1]
        webhooks.register(db, None, receiver.url, allow=loopback)  # type: ignore[arg-type]
        stored = ingest_article(db, ArticleInput(body=TALKS, title="Archive")).article
        [claim] = db.exec(select(Claim).where(Claim.article_id == stored.id)).all()
        review.take(db, claim.id, editor, claim.version)  # in review: a repeat raises an alert
    bearer = {"Authorization": f"Bearer {token}"}
    pages = ("/", "/claims/", f"/claims/{claim.id}", "/articles/")

    worker_log = (tmp_path / "worker.log").open("w+")
    environment = cli_environment(postgres.url, tmp_path) | {
        "WORKBENCH_WEBHOOK_ALLOW": "127.0.0.1",
        "WORKBENCH_WEBHOOK_POLL_S": "0.2",
        "WORKBENCH_FEED_POLL_S": "0.2",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=worker_log,
        text=True,
    )
    held: list[tuple[threading.Thread, list[TestResponse]]] = []
    try:
        client = app.test_client()
        AuthActions(client).login("editor")
        for page in pages:
            assert client.get(page).status_code == 200, page
        assert client.get("/api/claims", headers=bearer).status_code == 200
        form_token = csrf_token(client, "/claims/")

        # Two requests in the middle of their transactions when the server goes.
        held.append(_in_thread(lambda: app.test_client().get("/test/read-twice")))
        held.append(_in_thread(lambda: app.test_client().post("/test/write")))
        entered.wait(30)
        postgres.stop("fast")
        resume.set()
        for thread, answers in held:
            thread.join(60)
            assert answers, "a held request did not finish"
            _assert_unavailable(answers[0], postgres.url)

        for page in pages:
            _assert_unavailable(client.get(page), postgres.url)
        _assert_api_unavailable(client.get("/api/claims", headers=bearer), postgres.url)
        _assert_api_unavailable(client.get(f"/api/claims/{claim.id}"), postgres.url)  # session
        logout = client.post("/auth/logout", data={"csrf_token": form_token})
        _assert_unavailable(logout, postgres.url)
        # One warning line a request, no traceback; no connection kept by a failed request.
        warned = [r for r in caplog.records if "Database unavailable" in r.getMessage()]
        assert len(warned) == 9 and all(r.levelno == logging.WARNING for r in warned)
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]

        _wait_for(
            lambda: _said(worker_log).count("the database cannot be reached") >= 2,
            30,
            "the worker to say that both its loops wait for the database",
        )
        assert worker.poll() is None, _said(worker_log)
        time.sleep(2)  # a few rounds of back-off
        assert worker.poll() is None, _said(worker_log)
        assert _said(worker_log).count("the database cannot be reached") == 2  # once per loop

        postgres.start()
        # The same app, not restarted: the pool drops the connections the restart cut.
        for page in pages:
            assert client.get(page).status_code == 200, page
        assert client.get("/api/claims", headers=bearer).status_code == 200
        with committed(engine) as db:
            ingest_article(db, ArticleInput(body=TALKS_AGAIN, title="Repeat"))
        assert receiver.got.wait(60), f"the worker sent nothing: {_said(worker_log)}"
        assert worker.poll() is None, _said(worker_log)
        _wait_for(
            lambda: _said(worker_log).count("the database answers again") >= 1,
            30,
            "the worker to say it carries on",
        )
        with committed(engine) as db:
            assert db.exec(select(Alias).where(Alias.phrase == "Zorblat")).first() is None
    finally:
        resume.set()
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        for thread, _ in held:
            thread.join(10)
        engine.dispose()
        worker_log.close()


def _said(log: object) -> str:
    return Path(log.name).read_text()  # type: ignore[attr-defined]


# --- The same answers on SQLite -------------------------------------------------------------------


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a SQLite file of its own (whatever DATABASE_URL says), as in production: not
    TESTING, so errors are answered rather than raised; an editor with an API token."""
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path / 'workbench.db'}",
        secret_key="test-secret-key",
        demo_fixtures=REPO / "fixtures" / "demo",
        sqlite_busy_timeout_ms=200,
    )
    app = create_app({"WORKBENCH_SETTINGS": settings})
    engine = app.extensions["workbench.engine"]
    migrate(engine)
    with committed(engine) as db:
        editor = accounts.create_user(db, "editor", PASSWORD, Role.EDITOR).id
        app.config["TEST_TOKEN"] = tokens.create_token(db, editor, "script")[1]
    yield app
    engine.dispose()


def test_a_sqlite_file_that_cannot_be_opened_is_a_503_until_it_is_back(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    client = sqlite_app.test_client()
    AuthActions(client).login("editor")
    bearer = {"Authorization": f"Bearer {sqlite_app.config['TEST_TOKEN']}"}
    assert client.get("/claims/").status_code == 200
    # The file goes (a volume unmounted, a restore under way) and a folder stands in its place:
    # every new connection fails with SQLITE_CANTOPEN.
    database = tmp_path / "workbench.db"
    sqlite_app.extensions["workbench.engine"].dispose()  # checkpoints: the WAL is in the file
    database.rename(tmp_path / "away.db")
    database.mkdir()

    _assert_unavailable(client.get("/claims/"), str(tmp_path))
    _assert_unavailable(client.get("/"), str(tmp_path))
    _assert_api_unavailable(client.get("/api/claims", headers=bearer), str(tmp_path))

    database.rmdir()
    (tmp_path / "away.db").rename(database)
    assert client.get("/claims/").status_code == 200
    assert client.get("/api/claims", headers=bearer).status_code == 200


def test_the_sqlite_write_lock_held_past_the_busy_timeout_is_a_503(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    client = sqlite_app.test_client()
    AuthActions(client).login("editor")
    token = csrf_token(client, "/claims/")
    holder = sqlite3.connect(tmp_path / "workbench.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer that does not let go
        _assert_unavailable(client.post("/auth/logout", data={"csrf_token": token}))
        assert client.get("/claims/").status_code == 200  # readers are not held up (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def test_a_commit_the_database_cannot_take_is_a_503_and_keeps_nothing(sqlite_app: Flask) -> None:
    """The request's one commit, after its view, fails: here on a disk full (a page limit the
    view sets on its own connection). The answer is the 503, not a 500, and nothing is kept."""

    @allow_anyone
    def write_too_much() -> str:
        session = get_session()
        pages = session.execute(sa.text("PRAGMA page_count")).scalar_one()
        session.execute(sa.text(f"PRAGMA max_page_count = {pages}"))
        for number in range(200):
            session.add(Alias(phrase=f"Zorblat {number}", canonical="Z" * 190))
        return "saved"

    sqlite_app.add_url_rule("/test/write", view_func=write_too_much, methods=["POST"])
    sqlite_app.extensions["csrf"].exempt(write_too_much)
    _assert_unavailable(sqlite_app.test_client().post("/test/write"))
    engine = sqlite_app.extensions["workbench.engine"]
    engine.dispose()  # the connection that kept the page limit
    with committed(engine) as db:
        kept = db.exec(select(sa.func.count(Alias.id)).where(Alias.phrase.startswith("Zorblat")))
        assert kept.one() == 0


def test_a_database_error_that_waiting_does_not_mend_stays_a_500(sqlite_app: Flask) -> None:
    """A missing table is a bug, not an outage: no Retry-After would make it work."""

    @allow_anyone
    def query_a_missing_table() -> str:
        get_session().execute(sa.text("SELECT * FROM no_such_table"))
        return "found"

    sqlite_app.add_url_rule("/test/missing", view_func=query_a_missing_table)
    answer = sqlite_app.test_client().get("/test/missing")
    assert answer.status_code == 500 and "Retry-After" not in answer.headers


def test_the_worker_waits_longer_each_time_up_to_a_bound_and_says_so_once() -> None:
    said: list[str] = []
    wait = DatabaseWait(said.append, first_s=1, max_s=30)
    outage = sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert [wait.failed(outage, "Deliveries") for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert len(said) == 1 and "Deliveries: the database cannot be reached" in said[0]
    wait.answered("Deliveries")
    wait.answered("Deliveries")
    assert said[1:] == ["Deliveries: the database answers again; carrying on."]
    assert wait.failed(outage, "Deliveries") == 1  # a new outage starts the back-off anew
    assert len(said) == 3
