"""What the benchmarks that drive a real server share: a fresh database, a pre-filled archive,
editor accounts with API tokens, the server process itself and a browser-like log-in.

``ingest_under_load.py`` and ``load.py`` both measure the app as production runs it (a separate
server process on loopback, its own database connections, HTTP in between), so what they set up
has to be the same thing, made one way.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import ingest as ingest_benchmark  # noqa: E402  (benchmarks/ingest.py: articles and pre-fill)
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from datasets import article_sentences  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from workbench.accounts import tokens  # noqa: E402
from workbench.accounts import users as accounts  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, write_session  # noqa: E402
from workbench.models import Role  # noqa: E402

PASSWORD = "load test password"
SERVER_START_S = 120
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- Database ------------------------------------------------------------------------------------


@contextmanager
def fresh_database(url: str | None) -> Iterator[str]:
    """A URL of an empty database: a temporary SQLite file, or a new database on the server."""
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
        try:
            yield f"sqlite:///{folder / 'load.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    server = make_url(url)
    name = f"wb_load_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass(frozen=True)
class Archive:
    claims: int
    sentences: list[str]


def prefill_archive(url: str, claims: int, seed: int) -> Archive:
    """Migrate, then bulk-insert ``claims`` claims from the MSRP news sentences, as ingest.py
    does; on PostgreSQL the planner gets its statistics at once rather than whenever autovacuum
    comes round, so a run does not depend on when that happens."""
    engine = make_engine(Settings(database_url=url))
    try:
        migrate(engine)
        sentences = article_sentences().sentences
        factory = ingest_benchmark.ArticleFactory(sentences, seed)
        _, stored = ingest_benchmark.prefill(engine, factory, claims)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return Archive(claims=stored, sentences=sentences)


def add_editors(url: str, usernames: Sequence[str]) -> dict[str, str]:
    """Editor accounts (password ``PASSWORD``), each with an API token: username -> token."""
    engine = make_engine(Settings(database_url=url))
    made: dict[str, str] = {}
    try:
        with write_session(engine) as db:
            for username in usernames:
                user = accounts.create_user(db, username, PASSWORD, Role.EDITOR)
                made[username] = tokens.create_token(db, user.id, "load")[1]
            db.commit()
    finally:
        engine.dispose()
    return made


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:PORT
    log: Path  # the server's stdout and stderr together
    description: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server and its workers have used so far (user and system, from /proc):
        what a request costs, which a machine shared with other work changes far less than the
        time it takes."""
        return tree_cpu_seconds(self.pid)


def tree_cpu_seconds(pid: int) -> float:
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        child = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(child)
        used[child] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    total, todo = 0.0, [pid]
    while todo:
        process = todo.pop()
        total += used.get(process, 0.0)
        todo.extend(children.get(process, []))
    return total


@contextmanager
def running_server(
    url: str,
    kind: str,
    instance: Path,
    *,
    workers: int = 4,
    worker_class: str = "sync",
    threads: int = 1,
) -> Iterator[Server]:
    """gunicorn (``kind="gunicorn"``: ``workers`` processes of ``worker_class``, its default
    30 s worker timeout, as in production) or Flask's development server (``kind="flask"``:
    ``flask run --with-threads``, a thread per connection), on a free loopback port, until the
    block ends; its output goes to ``instance/server-KIND.log``."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WORKBENCH_", "FLASK_"))},
        "DATABASE_URL": url,
        "WORKBENCH_INSTANCE": str(instance),
        "WORKBENCH_SECRET_KEY": "load-benchmark",
    }
    bin_dir = Path(sys.executable).parent
    ready = instance / "workers-ready"
    if kind == "gunicorn":
        # Every worker loads the app itself, after the first already answers: on a busy machine
        # that takes seconds each. A hook marks each worker ready, so timing starts when all are.
        ready.mkdir()
        hooks = instance / "gunicorn_hooks.py"
        hooks.write_text(
            "from pathlib import Path\n\n\n"
            "def post_worker_init(worker):\n"
            f"    (Path({str(ready)!r}) / str(worker.pid)).touch()\n"
        )
        command = [
            str(bin_dir / "gunicorn"),
            *("--config", str(hooks)),
            *("--workers", str(workers), "--worker-class", worker_class),
            *(("--threads", str(threads)) if worker_class == "gthread" else ()),
            *("--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
            "app:create_app()",
        ]
        description = f"gunicorn, {workers} {worker_class} workers" + (
            f" x {threads} threads" if worker_class == "gthread" else ""
        )
    else:
        command = [str(bin_dir / "flask"), "--app", "app", "run", "--port", str(port)]
        command.append("--with-threads")
        description = "Flask's development server (threaded)"
    log_path = instance / f"server-{kind}.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not answers(base) or (kind == "gunicorn" and len(list(ready.iterdir())) < workers):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"The server did not start; see {log_path}.")
            time.sleep(0.2)
        yield Server(base=base, log=log_path, description=description, pid=process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def answers(base: str) -> bool:
    try:
        # Workers load the app after the socket is bound: on a busy machine the first answer
        # can take longer than a refused connection would say.
        requests.get(f"{base}/auth/login", timeout=SERVER_START_S)
    except requests.RequestException:
        return False
    return True


def log_in(base: str, username: str, http: requests.Session | None = None) -> requests.Session:
    """A browser's session: the log-in form posted with its CSRF token, the cookie kept."""
    http = http or requests.Session()
    token = _CSRF.search(http.get(f"{base}/auth/login").text)
    assert token, "no CSRF token on the log-in page"
    answer = http.post(
        f"{base}/auth/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"Log-in as {username} failed: HTTP {answer.status_code}.")
    return http
