"""The benchmarks' PostgreSQL archives: a database of their own on a server they are pointed at.

A benchmark given ``--database postgresql+psycopg://user@host:port/db`` connects to that server
(the database named in the URL is only where it connects to create others), creates a fresh
database of its own for each archive, migrates it with the real migrations (so the text index is
the GIN index ``0002_matching`` makes) and fills it with ``COPY``, the index on, as the SQLite
build fills its archive with the FTS5 triggers on. Once filled, the archive is vacuumed and
analysed, as autovacuum would leave a server's tables: without that, the planner has no statistics
and every index-only scan visits the heap.

A finished archive carries its build record as the database's comment; an archive without one
(a build that died half-way) is never reused, and one whose record differs is rebuilt.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from workbench.config import Settings
from workbench.db import make_engine, migrate

# Server settings the report prints: what makes one server's figures differ from another's.
REPORTED_SETTINGS = (
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "random_page_cost",
    "jit",
    "fsync",
    "synchronous_commit",
    "max_parallel_workers_per_gather",
)
COPY_CHUNK = 50_000


def is_postgres(url: str | None) -> bool:
    return bool(url) and make_url(url).get_backend_name() == "postgresql"  # type: ignore[arg-type]


def database_url(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _server_engine(server: str) -> Engine:
    """A connection to the server's maintenance database, outside any transaction (CREATE
    DATABASE cannot run in one)."""
    return sa.create_engine(make_url(server), isolation_level="AUTOCOMMIT")


def build_record(server: str, name: str) -> dict[str, Any] | None:
    """The record a finished build left on the database, or None (missing or unfinished)."""
    engine = _server_engine(server)
    try:
        with engine.connect() as conn:
            comment = conn.execute(
                sa.text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = :name"
                ),
                {"name": name},
            ).scalar()
    finally:
        engine.dispose()
    try:
        return json.loads(comment) if comment else None
    except ValueError:
        return None


def save_record(server: str, name: str, record: dict[str, Any]) -> None:
    engine = _server_engine(server)
    try:
        with engine.connect() as conn:
            # Sizes read from the server come back as Decimal.
            literal = json.dumps(record, default=float).replace("'", "''")
            conn.exec_driver_sql(f"COMMENT ON DATABASE {_identifier(name)} IS '{literal}'")
    finally:
        engine.dispose()


def fresh_database(server: str, name: str) -> Engine:
    """An empty database called `name` (dropped first if it exists), migrated to head."""
    drop_database(server, name)
    engine = _server_engine(server)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {_identifier(name)}")
    finally:
        engine.dispose()
    archive = make_engine(Settings(database_url=database_url(server, name)))
    migrate(archive)
    return archive


def drop_database(server: str, name: str) -> None:
    engine = _server_engine(server)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")
    finally:
        engine.dispose()


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'


def copy_rows(engine: Engine, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    """Rows (dicts with the same keys) into `table` with COPY, in one transaction."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    names = ", ".join(f'"{c}"' for c in columns)
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            copy.write_row([first[c] for c in columns])
            for row in rows:
                copy.write_row([row[c] for c in columns])


def finish_build(engine: Engine, tables: Sequence[str]) -> None:
    """After rows were copied in with their own ids: sequences past them (so the app can insert
    again), then VACUUM ANALYZE, as autovacuum leaves a table on a server that has been up."""
    with engine.begin() as conn:
        for table in tables:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)'
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")


def database_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()


def search_index_bytes(engine: Engine) -> int:
    """The migrations' GIN text index on claim (ix_claim_search, or ix_claim_search_vector on
    the stored vector from migration 0016 on)."""
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_index "
            "JOIN pg_class ON pg_class.oid = indexrelid "
            "WHERE indrelid = 'claim'::regclass AND relname LIKE 'ix_claim_search%%'"
        ).scalar_one()


def prewarm(engine: Engine) -> str:
    """Every table and index of the archive into shared buffers (pg_prewarm), so timings are of
    a server whose data is in memory, as the SQLite runs read their file into the page cache
    first; says what it did."""
    with engine.connect() as conn:
        try:
            with conn.begin():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except sa.exc.DBAPIError:
            return "pg_prewarm unavailable: not prewarmed"
        pages = conn.exec_driver_sql(
            "SELECT coalesce(sum(pg_prewarm(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 't')"
        ).scalar_one()
        conn.commit()
    return f"pg_prewarm: {pages * 8 / 1024:,.0f} MB read into shared buffers"


def server_description(engine: Engine) -> str:
    """The server's version and the settings that move the figures."""
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one()
        settings = [
            f"{name}={conn.exec_driver_sql(f'SHOW {name}').scalar_one()}"
            for name in REPORTED_SETTINGS
        ]
    return f"PostgreSQL {version} ({', '.join(settings)})"


def explain_analyze(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as the app ran it, in a transaction rolled back
    afterwards (ANALYZE runs the statement)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        conn.rollback()
    return [clip(row[0]) for row in rows]


@contextmanager
def statements_timed(engine: Engine) -> Iterator[list[tuple[float, str, Any]]]:
    """Every SQL statement run through `engine` inside the block, as (ms, SQL, parameters)."""
    found: list[tuple[float, str, Any]] = []
    started: list[float] = []

    def before(_conn, _cursor, _statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        started.append(time.perf_counter())

    def after(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        found.append((1000 * (time.perf_counter() - started.pop()), statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


def slowest_plans(engine: Engine, run: Callable[[], object], top: int = 2) -> list[str]:
    """Report lines: the `top` slowest SQL statements `run()` sends through `engine`, each with
    its time, text and EXPLAIN (ANALYZE, BUFFERS) plan."""
    with statements_timed(engine) as found:
        run()
    lines = [f"{len(found)} statements, {sum(f[0] for f in found):.1f} ms in all"]
    for ms, statement, parameters in sorted(found, key=lambda f: -f[0])[:top]:
        lines.append(f"--- {ms:.1f} ms, parameters {clip(repr(parameters))}")
        lines.append("    " + clip(" ".join(statement.split())))
        lines += ["    PLAN " + line for line in explain_analyze(engine, statement, parameters)]
    return lines


def clip(text: str, width: int = 400) -> str:
    """A long statement or list of ids, cut to what a reader of the report needs."""
    return text if len(text) <= width else f"{text[:width]} ... ({len(text):,} characters)"
