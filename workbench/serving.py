"""The production server: gunicorn for the web and the background worker next to it, as one
command (`flask --app app serve`, which `make run` runs) that a person or a service manager starts
and stops.

This process owns the listening socket and the two children, and does nothing else:

- It binds the address itself and hands the socket to gunicorn (`--bind fd://N`), so a port that
  is taken is one clear sentence at once (gunicorn would retry for five seconds), the worker is
  never started for a server that cannot listen, and the URL it prints is already accepting.
- The worker (`flask --app app worker`: webhook deliveries, feed polling) is restarted when it
  dies, after a wait that doubles while it keeps dying young; the web goes on meanwhile, and
  nothing is lost: deliveries and feed entries wait in the database.
- If gunicorn dies, the whole thing is down: the worker is stopped and the command fails, so
  whatever runs it (systemd, a container, a person) sees it and restarts all of it.
- Ctrl-C and TERM both stop it gracefully: gunicorn gets TERM (it stops accepting and finishes
  the requests in flight, for up to `GRACEFUL_S`), the worker gets TERM (it finishes what it is
  sending or polling). The children run in their own process group because a terminal's Ctrl-C
  signals the whole foreground group, and gunicorn takes SIGINT as "quit now, drop requests".
  A second Ctrl-C or TERM stops everything at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from types import FrameType

from workbench.config import Settings

Say = Callable[[str], None]

# Past this many processes, more add memory (each holds the app, about 100 MB) and database
# connections (each has its own pool; PostgreSQL allows 100 by default) but no throughput.
MAX_WORKERS = 8
# The longest request is a link import: its fetch is bounded by WORKBENCH_FETCH_TOTAL_TIMEOUT_S
# (30 s by default), and every other request finishes in seconds. Gunicorn gives requests in
# flight this long after TERM; the worker gets as long to finish a delivery or a poll.
GRACEFUL_S = 30.0
# A worker that ran this long was not crash-looping: its next restart waits the first delay again.
STABLE_S = 60.0
BACKLOG = 2048  # gunicorn's default
POLL_S = 0.2


class ServeError(Exception):
    """The server cannot start; the message says why and what to change."""


def default_workers(cores: int | None) -> int:
    """Gunicorn's rule of thumb, two processes a core plus one, capped at MAX_WORKERS.

    Processes, not threads, are what run Python on several cores at once: an import splits and
    matches sentences for seconds, holding its process's interpreter lock, and the other requests
    of that process wait on it. Threads (SERVER_THREADS per process) cover the waits: the
    database, and a link import's fetch of a slow page."""
    return min(2 * max(cores or 1, 1) + 1, MAX_WORKERS)


@dataclass(frozen=True)
class ServeConfig:
    """Where to listen, how many processes and threads, and what to run.

    `wsgi_app` is what gunicorn loads and `flask_app` what the worker runs with (`--app`): both
    name this project's app.py, found from the current directory as `flask` finds it."""

    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    threads: int = 4
    wsgi_app: str = "app:create_app()"
    flask_app: str = "app"
    graceful_s: float = GRACEFUL_S
    restart_s: float = 1.0
    restart_max_s: float = 60.0

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        workers: int | None = None,
        threads: int | None = None,
    ) -> ServeConfig:
        """The settings, with what the command line says instead where it says something."""
        return cls(
            host=host or settings.server_host,
            port=settings.server_port if port is None else port,
            workers=workers or settings.server_workers or default_workers(os.cpu_count()),
            threads=threads or settings.server_threads,
        )


def gunicorn_command(config: ServeConfig, fd: int) -> list[str]:
    """gunicorn serving the already bound socket `fd`, with threads, logging each request."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"fd://{fd}",
        "--worker-class",
        "gthread",
        "--workers",
        str(config.workers),
        "--threads",
        str(config.threads),
        "--graceful-timeout",
        str(int(config.graceful_s)),
        # The access log on stdout, the error log on stderr (gunicorn's default). Tokens in
        # URLs are taken out by the filter web/security.py puts on gunicorn.access.
        "--access-logfile",
        "-",
        # This process is the control: gunicorn's own socket (gunicornc) would sit at one path
        # for every gunicorn of the user, and a second checkout's would take it over.
        "--no-control-socket",
        config.wsgi_app,
    ]


def worker_command(config: ServeConfig) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", config.flask_app, "worker"]


def restart_delay(previous: float | None, lived_s: float, config: ServeConfig) -> float:
    """How long to wait before restarting a worker that lived `lived_s` seconds: the first
    delay, doubled each time it dies young again, up to the most; a worker that had run for a
    while starts over from the first delay."""
    if previous is None or lived_s >= STABLE_S:
        return config.restart_s
    return min(previous * 2, config.restart_max_s)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: any free one), or a ServeError saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As gunicorn does: a restart can bind while the last run's connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Stop what is using it, or "
            "choose another address with HOST= and PORT=."
        ) from exc
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class _Signals:
    """TERM and INT, counted: the first asks for a graceful stop, a second for a quick one."""

    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _Signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._received)
        return self

    def __exit__(self, *_: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _received(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self.event.set()


def _die_with_parent() -> Callable[[], None] | None:
    """Linux only: have a child get TERM when this process dies, even by SIGKILL, so that a
    gunicorn outliving its supervisor does not keep the port from the next `make run`."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    pr_set_pdeathsig = 1

    def in_child() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return in_child


def _start(command: Sequence[str], pass_fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
    """A child in its own process group: the terminal's Ctrl-C reaches only this process,
    which turns it into a graceful TERM."""
    return subprocess.Popen(
        command, pass_fds=pass_fds, process_group=0, preexec_fn=_die_with_parent()
    )


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    """The child and everything it started (gunicorn's workers are in its group), even once the
    child itself is gone."""
    with suppress(ProcessLookupError):
        os.killpg(child.pid, signum)


def _signal(child: subprocess.Popen[bytes] | None, signum: int) -> None:
    if child is not None and child.poll() is None:
        child.send_signal(signum)


def _exit_code(returncode: int) -> int:
    """A child's failure as this command's: its own code, 128+N for a signal, never 0."""
    if returncode > 0:
        return returncode
    return 128 - returncode if returncode < 0 else 1


def serve(config: ServeConfig, say: Say) -> int:
    """Serve until stopped; returns the exit code (0 after a graceful stop)."""
    listener = listen(config.host, config.port)
    with _Signals() as signals:
        try:
            web = _start(gunicorn_command(config, listener.fileno()), [listener.fileno()])
        finally:
            # gunicorn holds it now; a copy left open here would take connections into the
            # backlog after gunicorn had closed its own to stop.
            url = url_of(listener)
            listener.close()
        say(
            f"Serving on {url} (gunicorn: {config.workers} process(es) of {config.threads} "
            "threads) with the background worker. Ctrl-C or TERM stops both."
        )
        worker: subprocess.Popen[bytes] | None = _start(worker_command(config))
        started = time.monotonic()
        delay: float | None = None
        restart_at = 0.0
        while not signals.count:
            code = web.poll()
            if code is not None:
                say(f"The web server stopped (exit code {code}); stopping the worker.")
                # Its workers, orphaned if it was killed, finish what they were answering.
                _signal_group(web, signal.SIGTERM)
                _stop([worker], signals, config.graceful_s)
                return _exit_code(code)
            if worker is not None and (code := worker.poll()) is not None:
                lived = time.monotonic() - started
                delay = restart_delay(delay, lived, config)
                say(
                    f"The worker stopped (exit code {code}) after {lived:.0f} s; "
                    f"restarting it in {delay:g} s."
                )
                worker, restart_at = None, time.monotonic() + delay
            if worker is None and time.monotonic() >= restart_at:
                worker, started = _start(worker_command(config)), time.monotonic()
                say(f"Restarted the worker (pid {worker.pid}).")
            signals.event.wait(POLL_S)
        say("Stopping: finishing the requests in flight (Ctrl-C again stops at once).")
        _stop([web, worker], signals, config.graceful_s)
    code = web.returncode
    return 0 if code == 0 else _exit_code(code)


def _stop(
    children: Sequence[subprocess.Popen[bytes] | None], signals: _Signals, graceful_s: float
) -> None:
    """TERM each child and wait for all of them; a further signal, or the graceful time and a
    little more for gunicorn's own kill to land, and what is left is killed."""
    running = [child for child in children if child is not None]
    for child in running:
        _signal(child, signal.SIGTERM)
    asked = signals.count
    deadline = time.monotonic() + graceful_s + 5
    while any(child.poll() is None for child in running):
        if signals.count > asked or time.monotonic() > deadline:
            for child in running:
                _signal_group(child, signal.SIGKILL)
            for child in running:
                child.wait()
            return
        signals.event.clear()
        signals.event.wait(POLL_S)
