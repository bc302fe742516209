"""The database layer: SQLite set-up, write locking, concurrent writers, foreign keys, migrations.

How the app does a read-then-write (and how the concurrency test does it): inside one
`writing(engine)` transaction, read the row with `select(...).with_for_update()`, change it, let the
block commit. On PostgreSQL that is `SELECT ... FOR UPDATE`, so a second writer waits for the row;
on SQLite the dialect drops FOR UPDATE and `BEGIN IMMEDIATE` (taken by every write session)
serialises the writers instead, each waiting up to the busy timeout.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import ON_POSTGRES, REPO, committed
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from workbench.config import Settings
from workbench.db import (
    alembic_config,
    is_modelled,
    make_engine,
    migrate,
    read_session,
    writing,
)
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Article, Claim

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite connection set-up")

BODY = (
    "Unemployment fell to 4.1 percent in March, the lowest level since 2001.\n"
    "The city spent $12 million on the new bridge last year."
)


def _sqlite_path(engine: sa.Engine) -> str:
    path = engine.url.database
    assert path and path != ":memory:"
    return path


def _raw_try_write_lock(path: str) -> None:
    """Take and release SQLite's write lock from a separate connection, without waiting."""
    raw = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
    finally:
        raw.close()


def _new_article(engine: sa.Engine, body: str = BODY) -> Article:
    with committed(engine) as db:
        return ingest_article(db, ArticleInput(body=body, title="Numbers")).article


# --- SQLite connection set-up ---------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL connection set-up")
def test_postgresql_connections_leave_jit_off_and_keep_the_urls_options(settings: Settings) -> None:
    url = make_url(settings.resolved_database_url).update_query_dict(
        {"options": "-c statement_timeout=12345"}
    )
    engine = make_engine(replace(settings, database_url=url.render_as_string(hide_password=False)))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "12345ms"
    finally:
        engine.dispose()


@sqlite_only
def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(settings: Settings) -> None:
    engine = make_engine(replace(settings, sqlite_busy_timeout_ms=4321))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    finally:
        engine.dispose()


@sqlite_only
@pytest.mark.parametrize("first_statement", ["read", "write"])
def test_write_session_takes_the_write_lock_at_begin(
    engine: sa.Engine, first_statement: str
) -> None:
    path = _sqlite_path(engine)
    with committed(engine) as db:
        if first_statement == "read":
            db.exec(select(Article)).all()
        else:
            db.execute(sa.update(Article).values(title="x"))
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            _raw_try_write_lock(path)
        db.rollback()
        _raw_try_write_lock(path)  # released with the transaction


@sqlite_only
def test_writing_block_holds_the_lock_and_commits(engine: sa.Engine) -> None:
    path = _sqlite_path(engine)
    article = _new_article(engine)
    with writing(engine) as db:
        db.get(Article, article.id)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            _raw_try_write_lock(path)
        db.get(Article, article.id).title = "Renamed"
    _raw_try_write_lock(path)
    with read_session(engine) as db:
        assert db.get(Article, article.id).title == "Renamed"


@sqlite_only
def test_read_session_does_not_take_the_write_lock(engine: sa.Engine) -> None:
    path = _sqlite_path(engine)
    with read_session(engine) as db:
        db.exec(select(Article)).all()
        assert db.in_transaction()
        _raw_try_write_lock(path)


def test_writing_rolls_back_when_the_block_raises(engine: sa.Engine) -> None:
    article = _new_article(engine)
    with pytest.raises(RuntimeError), writing(engine) as db:
        db.get(Article, article.id).title = "Lost"
        db.flush()
        raise RuntimeError("boom")
    with read_session(engine) as db:
        assert db.get(Article, article.id).title == "Numbers"


# --- Several processes writing at once ------------------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import sys
    from sqlmodel import select
    from workbench.config import Settings
    from workbench.db import make_engine, writing
    from workbench.models import Claim

    url, claim_id, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    engine = make_engine(Settings(database_url=url))
    with engine.connect():
        pass
    print("ready", flush=True)
    sys.stdin.readline()  # wait until every worker is ready, so they really overlap
    for _ in range(rounds):
        with writing(engine) as db:
            claim = db.exec(select(Claim).where(Claim.id == claim_id).with_for_update()).one()
            claim.version = claim.version + 1
            db.add(claim)
    engine.dispose()
    """
)


def test_concurrent_read_then_write_loses_no_update(engine: sa.Engine, database_url: str) -> None:
    processes, rounds = 3, 30
    article = _new_article(engine)
    with read_session(engine) as db:
        claim = db.exec(select(Claim).where(Claim.article_id == article.id)).first()
    assert claim is not None and claim.version == 1

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, database_url, str(claim.id), str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(processes)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outcomes = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    for worker, (_out, err) in zip(workers, outcomes, strict=True):
        assert "database is locked" not in err
        assert worker.returncode == 0, err
    with read_session(engine) as db:
        assert db.get(Claim, claim.id).version == 1 + processes * rounds


# --- Foreign keys ---------------------------------------------------------------------------------


def _claim_row(article_id: int) -> dict[str, object]:
    return {
        "article_id": article_id,
        "position": 99,
        "start_offset": 0,
        "end_offset": 5,
        "text": "Hello",
        "normalized_text": "hello",
        "status": "new",
    }


def test_claim_for_a_missing_article_is_rejected(engine: sa.Engine) -> None:
    article = _new_article(engine)
    with pytest.raises(IntegrityError), writing(engine) as db:
        db.add(Claim(**_claim_row(999_999)))
    # The same row with a real article is accepted, so the refusal above was the foreign key.
    with writing(engine) as db:
        db.add(Claim(**_claim_row(article.id)))
    with read_session(engine) as db:
        claims = db.exec(select(Claim.article_id)).all()
    assert 999_999 not in claims and article.id in claims


def test_deleting_an_article_cascades_to_its_claims(engine: sa.Engine) -> None:
    article = _new_article(engine)
    with writing(engine) as db:
        db.execute(sa.delete(Article).where(Article.id == article.id))
    with read_session(engine) as db:
        assert db.exec(select(Claim).where(Claim.article_id == article.id)).all() == []


# --- Migrations -----------------------------------------------------------------------------------


def _schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": is_modelled}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    return [d for d in differences if _signature(d) not in _unnamed_sqlite_fks(differences)]


def _signature(difference: object) -> tuple[str, tuple[str, ...], str] | None:
    if not (isinstance(difference, tuple) and difference[0] in ("add_fk", "remove_fk")):
        return None
    fk = difference[1]
    return fk.table.name, tuple(c.name for c in fk.columns), fk.referred_table.name


def _unnamed_sqlite_fks(differences: list[object]) -> set[tuple[str, tuple[str, ...], str]]:
    """Foreign keys added to SQLite with ADD COLUMN ... CONSTRAINT name REFERENCES: SQLAlchemy
    reflects a column-level constraint without its name, so the same key shows as removed (no
    name) and added (named). Those pairs are the same key; anything else still counts."""
    removed = {_signature(d) for d in differences if d[0] == "remove_fk" and d[1].name is None}  # type: ignore[index]
    added = {_signature(d) for d in differences if d[0] == "add_fk"}  # type: ignore[index]
    return removed & added


def _current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _head(engine: sa.Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    assert _current_revision(engine) == _head(engine)
    assert _schema_differences(engine) == []


def test_migrate_twice_is_harmless(engine: sa.Engine) -> None:
    article = _new_article(engine)
    migrate(engine)
    migrate(engine)
    assert _current_revision(engine) == _head(engine)
    with read_session(engine) as db:
        assert db.get(Article, article.id).title == "Numbers"
    assert _schema_differences(engine) == []


def test_downgrade_to_base_and_upgrade_again(engine: sa.Engine) -> None:
    _new_article(engine)
    command.downgrade(alembic_config(engine), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    assert _current_revision(engine) is None

    migrate(engine)
    assert set(SQLModel.metadata.tables) <= set(sa.inspect(engine).get_table_names())
    assert _current_revision(engine) == _head(engine)
    assert _schema_differences(engine) == []
    _new_article(engine)  # the rebuilt schema takes writes, foreign keys and all


def test_repeats_confirmed_before_resolution_existed_are_resolved(engine: sa.Engine) -> None:
    """Revision 0013 does for old clusters what confirming does now: the open members that are
    not canonical leave the open queue, and a downgrade puts their status back."""
    command.downgrade(alembic_config(engine), "0012")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO article (id, title, body, content_hash, origin, ingested_at) "
            "VALUES (900, 'Old', 'A. B. C. D.', 'h900', 'text', '2026-01-01 00:00:00.000000')"
        )
        conn.exec_driver_sql(
            "INSERT INTO cluster (id, canonical_claim_id, created_at) "
            "VALUES (90, 901, '2026-01-01 00:00:00.000000')"
        )
        for claim_id, position, status, cluster in [
            (901, 0, "verdict", 90),  # canonical
            (902, 1, "new", 90),
            (903, 2, "in_review", 90),
            (904, 3, "new", None),  # not in a cluster
        ]:
            conn.exec_driver_sql(
                "INSERT INTO claim (id, article_id, position, start_offset, end_offset, text, "
                "normalized_text, check_worthiness, repeat_count, priority, status, cluster_id, "
                "version, created_at, updated_at) VALUES "
                f"({claim_id}, 900, {position}, {position * 3}, {position * 3 + 2}, 'X.', 'x', "
                f"0, 0, 0, '{status}', {cluster or 'NULL'}, 1, "
                "'2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"
            )

    def statuses() -> dict[int, tuple[str, str | None]]:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, status, status_before FROM claim WHERE article_id = 900"
            )
            return {claim_id: (status, before) for claim_id, status, before in rows}

    migrate(engine)
    assert statuses() == {
        901: ("verdict", None),
        902: ("resolved", "new"),
        903: ("resolved", "in_review"),
        904: ("new", None),
    }
    command.downgrade(alembic_config(engine), "0012")
    assert statuses() == {
        901: ("verdict", None),
        902: ("new", None),
        903: ("in_review", None),
        904: ("new", None),
    }
    migrate(engine)
