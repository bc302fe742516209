"""A fresh, migrated database for every test, on SQLite by default or on PostgreSQL when
DATABASE_URL names a server (CI runs the suite both ways).

Migrations run once per session into a template; each test gets a copy (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL), so tests are isolated and still fast.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import make_url
from sqlmodel import Session
from werkzeug.serving import ThreadedWSGIServer

from app import create_app
from workbench.accounts import users as accounts
from workbench.config import Settings
from workbench.db import make_engine, migrate, write_session
from workbench.models import Role

pytest_plugins = ["origin"]  # the loopback web server that fetching tests use (tests/origin.py)

SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")
PASSWORD = "correct horse battery"
REPO = Path(__file__).resolve().parents[1]


def _admin_engine() -> sa.Engine:
    return sa.create_engine(
        make_url(SERVER_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its real cost is most of a log-in test's time; the flows are the same."""
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ON_POSTGRES:
        name = f"wb_template_{uuid.uuid4().hex[:8]}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    engine = make_engine(Settings(database_url=url))
    migrate(engine)
    engine.dispose()
    yield url
    if ON_POSTGRES:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture
def database_url(template_url: str, tmp_path: Path) -> Iterator[str]:
    if not ON_POSTGRES:
        target = tmp_path / "workbench.db"
        # A checkpointed WAL database is one file; copy it and the test owns its own database.
        shutil.copyfile(make_url(template_url).database, target)
        yield f"sqlite:///{target}"
        return
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    template = make_url(template_url).database
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        secret_key="test-secret-key",
        demo_fixtures=REPO / "fixtures" / "demo",
    )


def _checked_out(engine: sa.Engine) -> int:
    checkedout = getattr(engine.pool, "checkedout", None)  # QueuePool's; StaticPool has none
    return checkedout() if checkedout else 0


@pytest.fixture
def make_app(settings: Settings) -> Iterator:
    """Build an app with changed settings, e.g. a smaller upload limit."""
    made: list[Flask] = []

    def build(**changes: object) -> Flask:
        app = create_app({"TESTING": True, "WORKBENCH_SETTINGS": replace(settings, **changes)})
        made.append(app)
        return app

    yield build
    engines = [app.extensions["workbench.engine"] for app in made]
    # What used the app has finished by now (live_server joins its request threads), so a
    # connection still checked out was left behind by a session nothing closed (a streamed
    # export's, for one). The pool gets it back when the garbage collector finalises it: at any
    # later allocation, in any thread, after this test has dropped its database. Its ROLLBACK
    # then fails (AdminShutdown), the pool logs that with a traceback, and formatting the
    # traceback calls ast.parse inside the ast.parse the collector interrupted, e.g. werkzeug
    # compiling the next test's URL rules: on CPython 3.11.7 (gh-106905, one AST depth counter
    # for the interpreter) that one fails with "SystemError: AST constructor recursion depth
    # mismatch". So collect now, while the database is there and nothing else runs.
    leaked = sum(_checked_out(engine) for engine in engines)
    if leaked:
        gc.collect()
    held = sum(_checked_out(engine) for engine in engines)
    for engine in engines:
        engine.dispose()
    assert leaked == 0, (
        f"{leaked} database connection(s) were still checked out when the test ended "
        f"({held} even after a garbage collection): close the session that holds them"
    )


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app()


@pytest.fixture
def engine(app: Flask) -> sa.Engine:
    return app.extensions["workbench.engine"]


@contextmanager
def committed(engine: sa.Engine) -> Iterator[Session]:
    """A test's own unit of work, as a command's: domain functions never commit, so what the
    block wrote is committed when it ends (and nothing, if it raises)."""
    with write_session(engine) as db:
        yield db
        db.commit()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    with write_session(engine) as db:
        yield db


@pytest.fixture
def users(engine: sa.Engine) -> dict[str, int]:
    """One account per role, all with the password PASSWORD; returns their ids."""
    ids = {}
    with write_session(engine) as db:
        for role in Role:
            ids[role.value] = accounts.create_user(db, role.value, PASSWORD, role).id
        db.commit()
    return ids


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str = "/auth/login") -> str:
    """The token a real browser would have read from a form on `page`."""
    found = _CSRF.search(client.get(page).get_data(as_text=True))
    assert found, f"no CSRF token on {page}"
    return found.group(1)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "editor", password: str = PASSWORD):  # type: ignore[no-untyped-def]
        token = csrf_token(self._client)
        return self._client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": token},
        )

    def logout(self):  # type: ignore[no-untyped-def]
        token = csrf_token(self._client, "/articles/")
        return self._client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient, users: dict[str, int]) -> AuthActions:
    return AuthActions(client)


# How long a live server's teardown waits for its request threads; one still running after this
# fails the test rather than outliving it.
SERVER_STOP_SECONDS = 10.0


class LiveServer(ThreadedWSGIServer):
    """werkzeug's threaded server, keeping hold of its request threads and their connections so
    that `stop` can end and join every one of them before the next test starts.

    werkzeug's own runs each request in a daemon thread, and socketserver joins only non-daemon
    ones: a request still running (or logging its error, with a traceback) when the next test
    builds its app is a second thread doing AST work next to it, which CPython 3.11.7 does not
    survive (gh-106905)."""

    def __init__(self, app: Flask) -> None:
        super().__init__("127.0.0.1", 0, app)
        self._lock = threading.Lock()
        self._requests: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"live server request from port {client_address[1]}",
            # stop() joins it, with a deadline; a daemon only so that one stop() gave up on
            # (and failed the test for) cannot also hang the interpreter's exit.
            daemon=True,
        )
        with self._lock:
            self._requests = [t for t in self._requests if t.is_alive()]
            self._requests.append(thread)
            self._connections.add(request)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._lock:  # so stop() never touches a socket this is closing
            self._connections.discard(request)
            super().shutdown_request(request)

    def stop(self, serving: threading.Thread, timeout: float) -> None:
        """Stop accepting, end the connections and join every thread, or fail saying which."""
        deadline = time.monotonic() + timeout
        self.shutdown()  # serve_forever returns (and closes the listening socket)
        serving.join(timeout)
        # A connection with no request on it (browsers open some ahead of need) holds its thread
        # in a read: end the reading side of each, so every thread answers what it has and returns.
        with self._lock:
            for connection in self._connections:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RD)
            threads = [serving, *self._requests]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.server_close()
        running = [thread for thread in threads if thread.is_alive()]
        if running:
            frames = sys._current_frames()
            where = "; ".join(f"{t.name} at {_where(frames.get(t.ident))}" for t in running)
            pytest.fail(f"the live server's threads were still running after {timeout}s: {where}")


def _where(frame: FrameType | None, depth: int = 4) -> str:
    """Where a thread is, innermost first, without the traceback module (it parses source)."""
    places = []
    while frame is not None and len(places) < depth:
        places.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}")
        frame = frame.f_back
    return " < ".join(places) or "?"


@pytest.fixture
def live_server(app: Flask, request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on a real HTTP server on loopback, for the browser; yields its base URL.

    Teardown closes the browser's contexts (so no request is in flight), stops the server and
    joins every request thread before the app's and the database's teardown go on."""
    browser = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    server = LiveServer(app)
    serving = threading.Thread(target=server.serve_forever, name="live server", daemon=True)
    serving.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        # The page fixtures close their contexts first (they use this fixture); one a failed
        # setup or a test left open is closed here, before its requests could outlive the server.
        for context in list(browser.contexts) if browser is not None else []:
            context.close()
        server.stop(serving, SERVER_STOP_SECONDS)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (which cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test starts in a subprocess."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli_environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a `flask --app app` subprocess run against the test's database."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "WORKBENCH_", "DATABASE_URL"))
    }
    environment.update(
        DATABASE_URL=database_url,
        WORKBENCH_INSTANCE=str(tmp_path / "instance"),
        WORKBENCH_SECRET_KEY="x",
        WORKBENCH_FIXTURES=str(REPO / "fixtures" / "demo"),
    )
    return environment


# The slow tests: a real browser (tests/browser), processes killed mid-write (test_crash.py) and
# the API fuzzed from its OpenAPI document. `make check` runs everything else; `make test` all.
SLOW_FILES = ("test_crash.py",)
SLOW_TESTS = (
    "test_no_generated_request_is_a_server_error",
    # A PostgreSQL server of its own, stopped and started again (test_database_outage.py).
    "test_pages_the_api_and_the_worker_ride_out_a_postgresql_restart",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if (
            path.parent.name == "browser"
            or path.name in SLOW_FILES
            or item.originalname in SLOW_TESTS  # type: ignore[attr-defined]
        ):
            item.add_marker(pytest.mark.slow)
