"""Backups that restore: a consistent copy of the database taken while people work, and the way
back from one.

SQLite is copied with its online backup API inside one read transaction, so the copy is the
database as it was at one instant however many articles are stored meanwhile (WAL lets those
writers go on). The copy is written to a hidden file next to the target and renamed only once it
passed `integrity_check`, so a failed backup never leaves half a file under the name. Restoring
copies a checked backup into the live database with the same API, in one write transaction: the
server's open connections see the restored data at once, and a failure changes nothing.

PostgreSQL is dumped and restored by its own tools (pg_dump's custom format, pg_restore), which
take one snapshot too; the password goes to them in PGPASSWORD, never on a command line.

After a restore the schema is migrated to head, so a backup from an older release becomes
current.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL, Engine

from workbench.db import alembic_config, is_sqlite, migrate
from workbench.errors import Refused

# Pages copied per step of a SQLite backup: about 16 MiB at the default page size, so a big
# database shows its progress, and each step is short. The copy stays one snapshot whatever
# the step (the read transaction holds it), so this only sets how often progress is reported.
PAGES_PER_STEP = 4096
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Where Debian puts each PostgreSQL version's tools when /usr/bin has no wrapper for them.
PG_TOOL_DIRS = "/usr/lib/postgresql/*/bin"

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


class BackupError(Refused):
    """A backup or restore that cannot be done; the message says what to do instead."""


class ToolMissing(BackupError):
    """pg_dump or pg_restore is not installed: the message gives the exact command to run."""

    def __init__(self, tool: str, command: str) -> None:
        self.command = command
        super().__init__(
            f"{tool} was not found on PATH or in {PG_TOOL_DIRS}. Install the PostgreSQL client "
            f"tools (Debian: apt-get install postgresql-client), or run this yourself, with the "
            f"password from DATABASE_URL in PGPASSWORD:\n  {command}"
        )


@dataclass(frozen=True)
class Contents:
    """What a database or a backup holds, so the person replacing one by the other sees both."""

    articles: int
    claims: int
    revision: str | None  # the schema's migration; None for an empty database

    def summary(self) -> str:
        if self.revision is None:
            return "an empty database (no workbench schema)"
        return f"{self.articles} article(s), {self.claims} claim(s), schema {self.revision}"


@dataclass(frozen=True)
class Backup:
    """A backup file that was checked: its kind matches the database it goes to, and what it
    holds."""

    path: Path
    size: int
    contents: Contents

    def summary(self) -> str:
        return f"{self.path} ({_size(self.size)}): {self.contents.summary()}"


def describe(engine: Engine) -> str:
    """The database a backup is taken from or a restore replaces, with no password in it."""
    url = engine.url
    if is_sqlite(engine):
        return f"the SQLite database {url.database}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    return f"the PostgreSQL database {url.database!r} on {where}"


def current_contents(engine: Engine) -> Contents:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return Contents(0, 0, None)
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        articles = conn.exec_driver_sql("SELECT count(*) FROM article").scalar_one()
        claims = conn.exec_driver_sql("SELECT count(*) FROM claim").scalar_one()
    return Contents(articles, claims, revision)


def backup(
    engine: Engine, target: Path, *, force: bool = False, progress: Progress | None = None
) -> Backup:
    """Write a consistent copy of the database to `target`; an existing file is replaced only
    with `force`. Returns what was written, as read back from the file itself."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the backup file's name.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent} to write the backup in.")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists: choose another name, or add --force.")
    if not is_sqlite(engine) and find_tool("pg_dump") is None:
        raise ToolMissing(
            "pg_dump",
            _command_line(["pg_dump", *_DUMP_OPTIONS, f"--file={target}", _database(engine)]),
        )
    write = _backup_sqlite if is_sqlite(engine) else _backup_postgres
    with _partial(target, force) as partial:
        contents = write(engine, partial, progress or (lambda _done, _total: None))
    return Backup(target, target.stat().st_size, contents)


def inspect_backup(engine: Engine, path: Path) -> Backup:
    """Check that `path` is a workbench backup that can be restored into this database, and read
    what it holds; nothing is changed."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    if is_sqlite(engine):
        if Path(engine.url.database or "").resolve() == path.resolve():
            raise BackupError(f"{path} is the live database itself, not a backup of it.")
        contents = _sqlite_backup_contents(path)
    else:
        if find_tool("pg_restore") is None:
            command = ["pg_restore", *_RESTORE_OPTIONS, _database(engine), str(path)]
            raise ToolMissing("pg_restore", f"{_command_line(command)}\n  flask --app app init-db")
        contents = _dump_contents(path)
    _known_revision(engine, contents.revision, path)
    return Backup(path, path.stat().st_size, contents)


def restore(engine: Engine, found: Backup) -> Contents:
    """Replace the database's contents with the checked backup's, then migrate the schema to
    head. Returns what the database holds afterwards."""
    if is_sqlite(engine):
        _restore_sqlite(engine, found.path)
    else:
        _restore_postgres(engine, found.path)
    migrate(engine)
    return current_contents(engine)


# --- SQLite --------------------------------------------------------------------------------------


def _backup_sqlite(engine: Engine, partial: Path, progress: Progress) -> Contents:
    source_path = Path(engine.url.database or "")
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path} to back up.")
    raw = engine.raw_connection()  # the app's own connection set-up: WAL, busy timeout
    try:
        source: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        # One read transaction around every step: the copy is this one snapshot, and writers
        # committing meanwhile neither wait for it nor make it start over.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        try:
            with closing(sqlite3.connect(partial)) as copy:
                source.backup(
                    copy,
                    pages=PAGES_PER_STEP,
                    progress=lambda _status, remaining, total: progress(total - remaining, total),
                )
                # The copy is a single file: no -wal or -shm to carry around with it.
                copy.execute("PRAGMA journal_mode=DELETE").fetchone()
                return _checked_sqlite(copy, partial)
        finally:
            source.execute("ROLLBACK")
    finally:
        raw.close()


def _sqlite_backup_contents(path: Path) -> Contents:
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(PG_DUMP_MAGIC):
        raise BackupError(
            f"{path} is a PostgreSQL dump; this workbench uses SQLite. Restore it with "
            "DATABASE_URL set to a PostgreSQL database."
        )
    if head != SQLITE_MAGIC:
        raise BackupError(f"{path} is not a workbench backup (not a SQLite database file).")
    try:
        with closing(_read_only(path)) as conn:
            return _checked_sqlite(conn, path)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database ({exc}).") from exc


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _checked_sqlite(conn: sqlite3.Connection, path: Path) -> Contents:
    """What a SQLite file holds, once it is known to be whole and to be a workbench database."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(
            f"{path} is damaged (integrity_check: {'; '.join(problems[:3])}); use another backup."
        )
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"alembic_version", "article", "claim"} <= tables:
        raise BackupError(f"{path} is a SQLite database but not a workbench one.")
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    articles = conn.execute("SELECT count(*) FROM article").fetchone()[0]
    claims = conn.execute("SELECT count(*) FROM claim").fetchone()[0]
    return Contents(articles, claims, revision[0] if revision else None)


def _restore_sqlite(engine: Engine, path: Path) -> None:
    raw = engine.raw_connection()
    try:
        live: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        with closing(_read_only(path)) as source:
            # One step: the live database is replaced in one write transaction, which other
            # connections (the server's) see once it commits, and which a failure undoes.
            source.backup(live, pages=-1)
    except sqlite3.Error as exc:
        raise BackupError(
            f"The backup could not be copied into {describe(engine)} ({exc}); nothing was "
            "changed. If it says the database is locked, stop the server and try again."
        ) from exc
    finally:
        raw.close()


# --- PostgreSQL ----------------------------------------------------------------------------------


def find_tool(name: str) -> str | None:
    """pg_dump or pg_restore: on PATH (Debian's wrapper picks a version), else the newest
    version Debian installed."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(path).parents[1].name))

    candidates = [p for p in glob.glob(f"{PG_TOOL_DIRS}/{name}") if os.access(p, os.X_OK)]
    return max(candidates, key=version) if candidates else None


def _libpq_url(url: URL) -> str:
    """The database's address for libpq, without the password (that goes in PGPASSWORD)."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False)


def _pg_environment(url: URL) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PGPASSWORD", None)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return environment


def _command_line(command: list[str]) -> str:
    return shlex.join(command)


_DUMP_OPTIONS = ["--format=custom"]
# One transaction: a restore that fails part way leaves the database as it was.
_RESTORE_OPTIONS = [
    "--clean",
    "--if-exists",
    "--no-owner",
    "--single-transaction",
    "--exit-on-error",
]
# pg_restore writing a script for psql, which runs it in one transaction of its own.
_SCRIPT_OPTIONS = ["--clean", "--if-exists", "--no-owner"]


def _database(engine: Engine) -> str:
    return f"--dbname={_libpq_url(engine.url)}"


def _run_tool(engine: Engine, tool: str, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool against the configured database (its presence was checked before
    anything was written)."""
    return subprocess.run(
        [find_tool(tool) or tool, *arguments, _database(engine)],
        env=_pg_environment(engine.url),
        capture_output=True,
        text=True,
        check=False,
    )


def _backup_postgres(engine: Engine, partial: Path, _progress: Progress) -> Contents:
    done = _run_tool(engine, "pg_dump", [*_DUMP_OPTIONS, f"--file={partial}"])
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed, so no backup was written: {done.stderr.strip()}")
    return _dump_contents(partial)


def _dump_contents(path: Path) -> Contents:
    """What a pg_dump file holds, read with pg_restore (no database needed): its tables' rows are
    counted from the dump's own data, so the figures are the snapshot's."""
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        raise BackupError(
            f"{path} is a SQLite backup; this workbench uses PostgreSQL. Restore it with "
            "DATABASE_URL unset (or sqlite:///...)."
        )
    if not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{path} is not a workbench backup (not a pg_dump custom-format file).")
    listing = _pg_restore_offline(["--list", str(path)], path)
    if not re.search(r"TABLE DATA \S+ alembic_version ", listing):
        raise BackupError(f"{path} is a PostgreSQL dump but not of a workbench database.")
    script = _pg_restore_offline(
        ["--data-only", "--table=alembic_version", "--table=article", "--table=claim", "--file=-"]
        + [str(path)],
        path,
    )
    rows = _copy_rows(script)
    revisions = rows.get("alembic_version", [])
    return Contents(
        len(rows.get("article", [])),
        len(rows.get("claim", [])),
        revisions[0] if revisions else None,
    )


def _pg_restore_offline(arguments: list[str], path: Path) -> str:
    tool = find_tool("pg_restore")
    if tool is None:
        raise ToolMissing("pg_restore", _command_line(["pg_restore", *arguments]))
    done = subprocess.run([tool, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{path} cannot be read by pg_restore: {done.stderr.strip()}")
    return done.stdout


def _copy_rows(script: str) -> dict[str, list[str]]:
    """The first column of every row of each COPY block in a pg_restore script, by table."""
    rows: dict[str, list[str]] = {}
    table: str | None = None
    for line in script.splitlines():
        if table is None:
            found = re.match(r"COPY (?:\S+\.)?\"?(\w+)\"? .* FROM stdin;$", line)
            if found:
                table = found.group(1)
                rows.setdefault(table, [])
        elif line == "\\.":
            table = None
        else:
            rows[table].append(line.split("\t", 1)[0])
    return rows


def _restore_postgres(engine: Engine, path: Path) -> None:
    """pg_restore's script, run by psql in one transaction after dropping the tables there are:
    a backup from an older schema lacks tables and constraints of this one, which pg_restore
    --clean would leave behind (and which would then stop it dropping its own). Whatever fails,
    the transaction rolls back and the database is as it was."""
    psql = find_tool("psql")
    if psql is None:
        command = ["pg_restore", *_RESTORE_OPTIONS, _database(engine), str(path)]
        raise ToolMissing("psql", f"{_command_line(command)}\n  flask --app app init-db")
    schemas = _dump_schemas(path)
    script = subprocess.Popen(
        [find_tool("pg_restore") or "pg_restore", *_SCRIPT_OPTIONS, "--file=-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None and script.stderr is not None
    with script:
        done = subprocess.run(
            [psql, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"]
            + ["--command", _drop_tables(schemas), "--file=-", _database(engine)],
            stdin=script.stdout,
            env=_pg_environment(engine.url),
            capture_output=True,
            text=True,
            check=False,
        )
        script.stdout.close()
        script_errors = script.stderr.read().decode(errors="replace")
    if script.returncode != 0 or done.returncode != 0:
        raise BackupError(
            "The restore failed and was rolled back, so the database is as it was: "
            f"{(script_errors + done.stderr).strip()}"
        )


def _dump_schemas(path: Path) -> set[str]:
    listing = _pg_restore_offline(["--list", str(path)], path)
    return set(re.findall(r"^\d+; \d+ \d+ TABLE (\S+) \S+ ", listing, re.MULTILINE))


def _drop_tables(schemas: set[str]) -> str:
    """SQL that drops every table (with its indexes, constraints and sequences) in `schemas`."""
    names = ", ".join(_sql_literal(schema) for schema in sorted(schemas)) or "NULL"
    return (
        "DO $$ DECLARE t record; BEGIN FOR t IN SELECT schemaname, tablename FROM pg_tables "
        f"WHERE schemaname IN ({names}) LOOP EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', "
        "t.schemaname, t.tablename); END LOOP; END $$;"
    )


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- both ----------------------------------------------------------------------------------------


def _known_revision(engine: Engine, revision: str | None, path: Path) -> None:
    """A backup from a newer release than this one cannot be migrated: say so before anything
    is replaced."""
    if revision is None:
        raise BackupError(f"{path} holds no workbench schema version; it is not a backup.")
    try:
        ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    except CommandError as exc:
        raise BackupError(
            f"{path} was made by a newer release of the workbench (schema {revision}); "
            "upgrade this one first."
        ) from exc


@contextmanager
def _partial(target: Path, force: bool) -> Iterator[Path]:
    """A hidden file next to `target` that becomes `target` only if the block succeeds; it is
    removed otherwise, so `target` is either the old file, nothing, or the whole backup."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        _sync(partial)
        if force:
            os.replace(partial, target)
        else:
            # A link fails if the name was taken meanwhile, where a rename would replace it.
            try:
                os.link(partial, target)
            except FileExistsError:
                raise BackupError(
                    f"{target} appeared while the backup ran; nothing was replaced."
                ) from None
        _sync(target.parent)
    finally:
        partial.unlink(missing_ok=True)


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
