"""`flask backup` and `flask restore`: a backup taken while `flask ingest` stores articles is one
consistent moment of the database, and restoring it gives that moment back; a restore asks
first, and a file that is not a backup of this kind of database changes nothing.

The same tests run on SQLite and, when DATABASE_URL names a server, on PostgreSQL (pg_dump and
pg_restore).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import Result
from conftest import ON_POSTGRES, REPO, _admin_engine, cli_environment, committed
from flask import Flask
from sqlalchemy.engine import make_url

from workbench.config import Settings
from workbench.db import MIGRATIONS_DIR, alembic_config, make_engine, migrate
from workbench.intake.claim_spotting import find_claims
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.ops import backup as backups

ARTICLES = 600  # more than are stored by the time the test stops the import
SENTENCES = 8
START_TIMEOUT_S = 120  # from start-up to the articles the test waits for, on a loaded machine
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()  # the newest migration

needs_pg_tools = pytest.mark.skipif(
    ON_POSTGRES and not (backups.find_tool("pg_dump") and backups.find_tool("pg_restore")),
    reason="pg_dump and pg_restore are not installed (Debian: postgresql-client)",
)
pytestmark = needs_pg_tools


def _words(number: int) -> str:
    return "-".join(ONES[int(digit)] for digit in str(number))


def _body(number: int) -> str:
    return " ".join(
        f"Officials in district {_words(number)} counted {_words(number * SENTENCES + index)} "
        f"convoys near the border on day {index + 1}."
        for index in range(SENTENCES)
    )


TITLES = [f"Dispatch {n:04d}" for n in range(ARTICLES)]
BODIES = {title: _body(n) for n, title in enumerate(TITLES)}


@cache
def _expected_claims(body: str) -> list[tuple[int, int, int, str]]:
    claims = [c for c in find_claims(body) if c.skip_reason is None]
    return [(n, c.sentence.start, c.sentence.end, c.sentence.text) for n, c in enumerate(claims)]


# --- databases -----------------------------------------------------------------------------------


@pytest.fixture
def fresh_url(tmp_path: Path, database_url: str) -> Iterator[Callable[[], str]]:
    """Empty databases (no schema) of the suite's kind, dropped when the test ends."""
    made: list[str] = []

    def make() -> str:
        name = f"wb_fresh_{uuid.uuid4().hex[:12]}"
        if not ON_POSTGRES:
            return f"sqlite:///{tmp_path / (name + '.db')}"
        with _admin_engine().connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return make_url(database_url).set(database=name).render_as_string(hide_password=False)

    yield make
    if made:
        admin = _admin_engine()
        with admin.connect() as conn:
            for name in made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _invoke(app: Flask, *args: str, input: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=input)


def _rows(engine: sa.Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order: two databases with equal contents give
    equal answers."""
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {
            name: sorted(
                (tuple(row) for row in conn.exec_driver_sql(f'SELECT * FROM "{name}"')), key=repr
            )
            for name in names
        }


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def _revision(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()


def _check_whole(engine: sa.Engine) -> int:
    """The database is one moment of the import: the articles are the file's first N, in the
    order it stores them, each with exactly the claims its body splits into, and the search
    index has every claim. Returns N."""
    with engine.connect() as conn:
        if not ON_POSTGRES:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        stored = conn.exec_driver_sql("SELECT id, title, body FROM article").all()
        claims: dict[int, list[tuple[int, int, int, str]]] = {}
        for article_id, position, start, end, text in conn.exec_driver_sql(
            "SELECT article_id, position, start_offset, end_offset, text FROM claim "
            "ORDER BY article_id, position"
        ):
            claims.setdefault(article_id, []).append((position, start, end, text))
        if not ON_POSTGRES:
            indexed = conn.exec_driver_sql("SELECT count(*) FROM claim_fts").scalar_one()
            assert indexed == sum(len(found) for found in claims.values())
    assert set(claims) <= {article_id for article_id, _, _ in stored}, "claims without an article"
    titles = sorted(title for _, title, _ in stored)
    assert titles == TITLES[: len(stored)], "not the file's first articles"
    for article_id, title, body in stored:
        assert body == BODIES[title]
        expected = _expected_claims(body)
        assert len(expected) == SENTENCES
        assert claims.get(article_id, []) == expected, f"{title} is not whole"
    return len(stored)


def _still_works(engine: sa.Engine) -> None:
    """A restored database takes new articles: its id sequences and search triggers came back."""
    with committed(engine) as session:
        result = ingest_article(session, ArticleInput(body=_body(ARTICLES + 1), title="After"))
    assert result.claims == SENTENCES


# --- the import that runs while the backup is taken ----------------------------------------------


class Import:
    """`flask ingest` of ARTICLES articles, running in another process."""

    def __init__(self, process: subprocess.Popen[bytes], engine: sa.Engine, log: Path) -> None:
        self.process, self.engine, self.log = process, engine, log

    def wait_for(self, articles: int) -> int:
        """Wait until the import has stored this many articles; returns how many it has."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            stored = _count(self.engine, "article")
            if stored >= articles:
                return stored
            assert self.running(), f"the import ended early:\n{self.log.read_text()}"
            time.sleep(0.02)
        pytest.fail(
            f"the import stored fewer than {articles} articles in time:\n{self.log.read_text()}"
        )

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGKILL: every article is its own transaction, so the database holds whole articles
        whenever the import dies."""
        if self.running():
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)


@pytest.fixture
def importing(database_url: str, engine: sa.Engine, tmp_path: Path) -> Iterator[Import]:
    """An import that has stored its first 20 articles and goes on storing."""
    wire = tmp_path / "wire.jsonl"
    with wire.open("w", encoding="utf-8") as handle:
        for title in TITLES:
            handle.write(json.dumps({"title": title, "text": BODIES[title]}) + "\n")
    log = tmp_path / "ingest.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "ingest", str(wire)],
            cwd=REPO,
            env=cli_environment(database_url, tmp_path),
            stdout=output,
            stderr=output,
        )

    running = Import(process, engine, log)
    try:
        running.wait_for(20)
        yield running
    finally:
        running.stop()


def _written(result: Result) -> tuple[int, int]:
    """The article and claim counts `flask backup` says it wrote."""
    assert result.exit_code == 0, result.output
    found = re.search(r"Wrote .*: (\d+) article\(s\), (\d+) claim\(s\), schema", result.output)
    assert found, result.output
    return int(found.group(1)), int(found.group(2))


def test_a_backup_taken_during_an_import_restores_one_moment_of_it(
    app: Flask,
    engine: sa.Engine,
    importing: Import,
    fresh_url: Callable[[], str],
    make_app: Callable[..., Flask],
    tmp_path: Path,
) -> None:
    first = tmp_path / "during.backup"
    before = _count(engine, "article")
    articles, claims = _written(_invoke(app, "backup", str(first)))
    after = _count(engine, "article")
    # Taken during the import: it was still storing articles when the backup ended.
    assert importing.running()
    assert 20 <= before <= articles <= after < ARTICLES

    # Stop the import once it has stored more, and back up again: now the source stands still.
    importing.wait_for(articles + 5)
    importing.stop()
    second = tmp_path / "after.backup"
    _written(_invoke(app, "backup", str(second)))

    during = make_app(database_url=fresh_url())
    restored = _invoke(during, "restore", "--yes", str(first))
    assert restored.exit_code == 0, restored.output
    during_engine = during.extensions["workbench.engine"]
    assert _check_whole(during_engine) == articles
    assert _count(during_engine, "claim") == claims == articles * SENTENCES

    stopped = make_app(database_url=fresh_url())
    restored = _invoke(stopped, "restore", "--yes", str(second))
    assert restored.exit_code == 0, restored.output
    stopped_engine = stopped.extensions["workbench.engine"]
    assert _rows(stopped_engine) == _rows(engine)
    assert _check_whole(stopped_engine) == _count(engine, "article")
    _still_works(stopped_engine)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's backup API copies in steps; pg_dump does not")
def test_articles_stored_between_the_steps_of_a_sqlite_backup_are_not_in_it(
    engine: sa.Engine,
    importing: Import,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The copy is the database as it was when the backup began, however many articles the
    import commits while its pages are being copied."""
    monkeypatch.setattr(backups, "PAGES_PER_STEP", 8)
    steps: list[tuple[int, int]] = []
    seen: list[int] = []

    def between_steps(done: int, total: int) -> None:
        steps.append((done, total))
        if len(steps) == 1:  # hold the copy here until the import has stored more articles
            seen.append(_count(engine, "article"))
            importing.wait_for(seen[0] + 5)

    written = backups.backup(engine, tmp_path / "copy.db", progress=between_steps)
    importing.stop()

    assert len(steps) > 2 and steps[-1][0] == steps[-1][1]
    assert written.contents.articles <= seen[0]
    copy = make_engine(Settings(database_url=f"sqlite:///{written.path}"))
    try:
        assert _check_whole(copy) == written.contents.articles
    finally:
        copy.dispose()


# --- restoring -----------------------------------------------------------------------------------


def _store(engine: sa.Engine, *numbers: int) -> None:
    with committed(engine) as session:
        for number in numbers:
            ingest_article(session, ArticleInput(body=_body(number), title=TITLES[number]))


def test_restore_asks_first_shows_both_and_replaces_only_when_told(
    app: Flask, engine: sa.Engine, tmp_path: Path
) -> None:
    _store(engine, 0, 1)
    path = tmp_path / "two.backup"
    _written(_invoke(app, "backup", str(path)))
    _store(engine, 2)
    three = _rows(engine)

    for answer in ("n\n", None):  # no, and no answer at all (not a terminal)
        refused = _invoke(app, "restore", str(path), input=answer)
        assert refused.exit_code != 0
        assert "now:         3 article(s), 24 claim(s), schema" in refused.output
        assert "the backup:  " in refused.output and "2 article(s), 16 claim(s)" in refused.output
        assert "Aborted" in refused.output
        assert _rows(engine) == three

    agreed = _invoke(app, "restore", str(path), input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert "now holds 2 article(s), 16 claim(s)" in agreed.output
    assert _check_whole(engine) == 2

    _store(engine, 2)
    assert _invoke(app, "restore", "--yes", str(path)).exit_code == 0
    assert _check_whole(engine) == 2
    _still_works(engine)


def _other_kind(tmp_path: Path) -> Path:
    """A real workbench backup of the other kind of database, or the head of one."""
    path = tmp_path / "other.backup"
    if ON_POSTGRES:
        other = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
        migrate(other)
        backups.backup(other, path)
        other.dispose()
    else:
        path.write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01" + bytes(200))
    return path


def _not_a_workbench_one(tmp_path: Path) -> Path:
    """A valid database file of the right kind that is not a workbench's."""
    path = tmp_path / "stranger.backup"
    if ON_POSTGRES:
        url = make_url(os.environ["DATABASE_URL"])
        name = f"wb_stranger_{uuid.uuid4().hex[:8]}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            stranger = sa.create_engine(url.set(database=name))
            with stranger.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE recipe (id int primary key, name text)")
            stranger.dispose()
            tool = backups.find_tool("pg_dump")
            assert tool
            subprocess.run(
                [
                    tool,
                    "-Fc",
                    f"--file={path}",
                    f"--dbname={backups._libpq_url(url.set(database=name))}",
                ],
                check=True,
            )
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    else:
        stranger = sa.create_engine(f"sqlite:///{path}")
        with stranger.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE recipe (id integer primary key, name text)")
        stranger.dispose()
    return path


WRONG_FILES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "random bytes": (
        lambda tmp, _good: _write(tmp / "noise.backup", os.urandom(4096)),
        "is not a workbench backup",
    ),
    "a text file": (
        lambda tmp, _good: _write(tmp / "notes.txt", b"SQLite format 3 is not this.\n" * 40),
        "is not a workbench backup",
    ),
    "empty": (lambda tmp, _good: _write(tmp / "empty.backup", b""), "is not a workbench backup"),
    "the other database's kind": (
        lambda tmp, _good: _other_kind(tmp),
        "this workbench uses PostgreSQL" if ON_POSTGRES else "is a PostgreSQL dump",
    ),
    "a database that is not a workbench's": (
        lambda tmp, _good: _not_a_workbench_one(tmp),
        "not of a workbench database" if ON_POSTGRES else "but not a workbench one",
    ),
    "half a backup": (
        lambda tmp, good: _write(
            tmp / "half.backup", good.read_bytes()[: good.stat().st_size // 2]
        ),
        "cannot be read" if ON_POSTGRES else "is damaged|cannot be read",
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", list(WRONG_FILES))
def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(
    app: Flask, engine: sa.Engine, tmp_path: Path, kind: str
) -> None:
    _store(engine, 0, 1)
    good = tmp_path / "good.backup"
    _written(_invoke(app, "backup", str(good)))
    _store(engine, 2)
    before = _rows(engine)
    make, message = WRONG_FILES[kind]
    path = make(tmp_path, good)

    refused = _invoke(app, "restore", "--yes", str(path))

    assert refused.exit_code == 1, refused.output
    assert re.search(message, refused.output), refused.output
    assert "Traceback" not in refused.output and "Restored" not in refused.output
    assert _rows(engine) == before


def test_a_backup_of_an_older_schema_is_migrated_to_head(
    app: Flask,
    engine: sa.Engine,
    fresh_url: Callable[[], str],
    make_app: Callable[..., Flask],
    tmp_path: Path,
) -> None:
    from alembic import command

    old = make_app(database_url=fresh_url())
    old_engine = old.extensions["workbench.engine"]
    command.upgrade(alembic_config(old_engine), "0010")
    with old_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO article (title, body, content_hash, origin, ingested_at) "
            "VALUES ('Old', 'An old article.', 'x', 'text', '2020-01-01')"
        )
    path = tmp_path / "old.backup"
    _written(_invoke(old, "backup", str(path)))
    _store(engine, 0)

    restored = _invoke(app, "restore", "--yes", str(path))

    assert restored.exit_code == 0, restored.output
    assert "1 article(s), 0 claim(s), schema 0010" in restored.output
    assert f"now holds 1 article(s), 0 claim(s), schema {HEAD}" in restored.output
    assert _revision(engine) == HEAD
    _still_works(engine)


# --- writing the backup --------------------------------------------------------------------------


def test_a_backup_never_replaces_a_file_unless_forced(
    app: Flask, engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "kept.backup"
    path.write_bytes(b"someone's file")

    refused = _invoke(app, "backup", str(path))
    assert refused.exit_code == 1
    assert "already exists" in refused.output and "--force" in refused.output
    assert path.read_bytes() == b"someone's file"

    _store(engine, 0)
    assert _written(_invoke(app, "backup", "--force", str(path))) == (1, SENTENCES)
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == ["kept.backup"]


def test_a_failed_backup_leaves_no_file(
    make_app: Callable[..., Flask], database_url: str, tmp_path: Path
) -> None:
    if ON_POSTGRES:
        missing = make_url(database_url).set(database=f"wb_missing_{uuid.uuid4().hex[:8]}")
        url = missing.render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'nowhere' / 'missing.db'}"
    folder = tmp_path / "backups"
    folder.mkdir()

    failed = _invoke(make_app(database_url=url), "backup", str(folder / "x.backup"))

    assert failed.exit_code == 1
    assert "pg_dump failed" in failed.output if ON_POSTGRES else "no database" in failed.output
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite needs no outside tool")
def test_without_pg_dump_the_command_to_run_is_shown_without_the_password(
    make_app: Callable[..., Flask],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = make_url(database_url).set(password="s3cret-pass")
    app = make_app(database_url=url.render_as_string(hide_password=False))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backups, "PG_TOOL_DIRS", str(tmp_path / "none"))
    path = tmp_path / "x.backup"

    failed = _invoke(app, "backup", str(path))

    assert failed.exit_code == 1
    plain = backups._libpq_url(url)
    assert f"pg_dump --format=custom --file={path} --dbname={plain}" in failed.output
    assert "s3cret-pass" not in failed.output and "PGPASSWORD" in failed.output
    assert not path.exists()


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite needs no outside tool")
def test_pg_dump_gets_the_password_in_its_environment_never_in_its_arguments(
    make_app: Callable[..., Flask],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Another user's `ps` shows a command's arguments; its environment it cannot read."""
    url = make_url(database_url).set(password="s3cret pass'$")
    app = make_app(database_url=url.render_as_string(hide_password=False))
    seen = tmp_path / "seen"
    fake = tmp_path / "bin" / "pg_dump"  # a stand-in that says what it was given, and fails
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {seen}.args\nprintf "%s" "$PGPASSWORD" > {seen}.env\n'
        "echo 'pg_dump: error: refused' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")

    failed = _invoke(app, "backup", str(tmp_path / "x.backup"))

    assert failed.exit_code == 1 and "pg_dump failed" in failed.output
    assert "s3cret" not in (tmp_path / "seen.args").read_text()
    assert (tmp_path / "seen.env").read_text() == "s3cret pass'$"
    assert "s3cret" not in failed.output
    assert not (tmp_path / "x.backup").exists()
