"""The one place that knows how the database engine is made and how sessions are opened.

SQLite is set up for several writers (web workers, the CLI, the alert worker): WAL so readers
never block the writer, foreign keys on, a busy timeout, and write transactions begun with
BEGIN IMMEDIATE.
A plain BEGIN takes the write lock only at the first write; two processes that both read and then
write deadlock on the upgrade and one fails with "database is locked". IMMEDIATE takes the lock up
front, so the second writer waits (up to the busy timeout) instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, after_this_request, current_app, g, has_request_context, request
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session
from werkzeug.wrappers import Response

from workbench.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Page cache per SQLite connection (the default is 2 MiB): ingest bumps the priority of claims all
# over the archive, and with the pages they sit on cached its writes cost a third less.
SQLITE_CACHE_KIB = 16_384


# PostgreSQL compiles a statement whose estimated cost passes jit_above_cost: worth it for a report
# over millions of rows, never for a page's few milliseconds. A similar-claims search's word
# counts are estimated at 17,000 a word, so six words went past it and spent 8 ms compiling a
# statement that then ran in 2 (benchmarks/matching.py --database, at a million claims).
PG_SESSION_OPTIONS = "-c jit=off"


def _pg_options(url: sa.URL) -> str:
    """The connection's server options: ours after any the database URL gives (`?options=`)."""
    given = url.query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    return f"{given} {PG_SESSION_OPTIONS}".strip()


def make_engine(settings: Settings) -> Engine:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite":
        # The ping at checkout finds connections a server restart has cut; a failed one also
        # discards every older connection in the pool (they were cut too), so the first request
        # after a restart gets a fresh connection instead of an error.
        return sa.create_engine(url, pool_pre_ping=True, connect_args={"options": _pg_options(url)})

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    busy_ms = int(settings.sqlite_busy_timeout_ms)
    engine = sa.create_engine(
        url, connect_args={"timeout": busy_ms / 1000, "check_same_thread": False}
    )

    @sa.event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let the "begin" hook below issue BEGIN itself; pysqlite's own implicit BEGIN is
        # always DEFERRED.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# --- The database cannot be reached: a wait, not a bug --------------------------------------------

# PostgreSQL's SQLSTATEs that say the server cannot serve now, not that the statement is wrong:
# 08 a connection exception, 53 insufficient resources (too many connections, out of memory or
# disk), 57P01-57P03 shut down by an administrator, crashed, or still starting up.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03")
# SQLite's: the lock stayed taken past the busy timeout (BUSY, LOCKED), the file cannot be opened
# (CANTOPEN: gone, a folder, no permission), the disk failed or is full (IOERR, FULL).
_UNAVAILABLE_SQLITE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached or used just now (a server stopped or
    restarting, a connection cut, SQLite's lock held past the busy timeout), so the same work
    succeeds later; not a mistake in a statement (a missing table, a syntax error), which
    waiting does not mend."""
    if isinstance(exc, sa.exc.DisconnectionError | sa.exc.TimeoutError):
        return True  # the pool's: a connection found dead, or none free in time
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True  # the driver says the connection is gone
    original = exc.orig
    if isinstance(original, sqlite3.Error):
        name = getattr(original, "sqlite_errorname", "") or ""
        return name.startswith(_UNAVAILABLE_SQLITE)
    if not isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return False
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:
        # psycopg's own, with no answer from a server: a connection refused, closed or lost.
        return True
    return str(sqlstate).startswith(_UNAVAILABLE_SQLSTATES)


def outage_reason(exc: BaseException) -> str:
    """The driver's reason on one line, for an operator's log: never for a client, since it
    names the server's address."""
    original = getattr(exc, "orig", None) or exc
    first = str(original).strip().splitlines()
    return f"{type(original).__name__}: {first[0] if first else ''}".strip()


class DatabaseWait:
    """How a background loop waits out a database it cannot reach: 1 s, doubling up to 30 s,
    said once when the wait begins and once when the database answers again, so an outage of an
    hour is two log lines and not a line every few seconds, and the loop never spins."""

    def __init__(
        self, say: Callable[[str], None] | None, first_s: float = 1.0, max_s: float = 30.0
    ) -> None:
        self._say = say
        self.first_s, self.max_s = first_s, max_s
        self.next_s = first_s
        self.waiting = False

    def failed(self, exc: BaseException, loop: str) -> float:
        """The seconds to wait before the next try; says that it waits the first time."""
        if not self.waiting and self._say is not None:
            self._say(
                f"{loop}: the database cannot be reached ({outage_reason(exc)}); waiting for it, "
                f"trying again every {self.first_s:g} to {self.max_s:g} s."
            )
        self.waiting = True
        wait, self.next_s = self.next_s, min(self.max_s, self.next_s * 2)
        return wait

    def answered(self, loop: str) -> None:
        """The database answered: say so if it had been away, and start the back-off anew."""
        if self.waiting and self._say is not None:
            self._say(f"{loop}: the database answers again; carrying on.")
        self.waiting = False
        self.next_s = self.first_s


def read_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def write_session(engine: Engine) -> Session:
    """A session whose transactions take SQLite's write lock at BEGIN (no-op on PostgreSQL)."""
    return Session(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)


@contextmanager
def snapshot(bind: Engine | sa.Connection) -> Iterator[Session]:
    """A read-only transaction of its own that sees one snapshot and takes no write lock, even
    when `bind` is a write session's (whose transactions would begin IMMEDIATE on SQLite).

    Ingest reads and matches in one of these before it takes the write lock, so other writers
    wait only for the short transaction that stores the article.
    """
    if is_sqlite(bind.engine):
        options: dict[str, str] = {"sqlite_begin": "DEFERRED"}
    else:
        # READ COMMITTED would give each statement a snapshot of its own.
        options = {"isolation_level": "REPEATABLE READ"}
    with Session(bind.engine.execution_options(**options), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def end_transaction(session: Session) -> None:
    """Commit what the session has open, if anything. A request's session begins its transaction
    when the logged-in user is read; for a POST on SQLite that takes the write lock (BEGIN
    IMMEDIATE) and would keep every other writer waiting through whatever the view does next.
    Work that reads and computes for long (ingest) ends it first and writes in a short
    transaction of its own."""
    if session.in_transaction():
        session.commit()


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed when the block ends, rolled back if it raises."""
    with write_session(engine) as session, session.begin():
        yield session


# Objects the migrations make by hand and the models do not describe: SQLite's FTS5 index and its
# shadow tables, and PostgreSQL's stored text-search vector and its index.
UNMODELLED_PREFIXES = ("claim_fts", "ix_claim_search", "search_vector")


def is_modelled(name: str | None, _type: str, _parent: object) -> bool:
    """Alembic filter: leave the hand-made search index out of model/schema comparisons."""
    return not (name or "").startswith(UNMODELLED_PREFIXES)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration; does nothing when it already is."""
    command.upgrade(alembic_config(engine), "head")


# --- Flask glue: one engine per app, one session per request -------------------------------------


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["workbench.engine"] = make_engine(settings)
    app.teardown_appcontext(_close_session)


def _finish_unit_of_work(response: Response) -> Response:
    """The request's one commit. Domain functions write in the request's transaction and never
    commit; what a request that succeeded changed is committed here, after its view, and a
    refused or failed one (4xx, 5xx) leaves nothing behind.

    It runs before the app's own after-request hooks (get_session registers it for the request),
    so a commit the database cannot take becomes the app's answer to that (a 503, web/errors.py)
    and still gets every header those hooks add, instead of a 500."""
    session: Session | None = g.get("db_session")
    if session is not None and session.in_transaction() and request.method in _WRITE_METHODS:
        if response.status_code >= 400:
            session.rollback()
            return response
        try:
            session.commit()
        except sa.exc.SQLAlchemyError as exc:
            if not is_unavailable(exc):
                raise
            discard_session()
            return current_app.make_response(current_app.handle_user_exception(exc))
    return response


def discard_session() -> None:
    """End the request's session after the database failed it: its transaction is rolled back
    and its connection goes back to the pool, or is dropped when it was cut (SQLAlchemy marks
    it invalid, and the pool opens a new one next time)."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def get_engine() -> Engine:
    return current_app.extensions["workbench.engine"]


def get_session() -> Session:
    """The request's session; requests that may change state get a write session."""
    if "db_session" not in g:
        engine = get_engine()
        wants_write = bool(request) and request.method in _WRITE_METHODS
        g.db_session = write_session(engine) if wants_write else read_session(engine)
        if has_request_context():
            after_this_request(_finish_unit_of_work)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
