"""`flask --app app serve`, the production server `make run` starts, run for real: gunicorn and
the worker as child processes on a test database, signalled as a terminal, a service manager or
the kernel would, and their processes looked up in /proc afterwards."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO, cli_environment, committed
from origin import Reply

from workbench import serving
from workbench.accounts import tokens
from workbench.config import Settings
from workbench.models import TokenKind

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/environ").exists(), reason="finds its processes in /proc (Linux)"
)

DEADLINE_S = 90.0  # a bound on waiting for processes on a busy machine, never an expectation
STORY = (
    "The city council voted on Tuesday to close the central library for two years.\n"
    "The mayor said the building would cost 40 million euros to repair.\n"
)


def _wait_for(condition: Callable[[], object], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def _stat(pid: int) -> tuple[str, int] | None:
    """A live process's state and parent, or None once it is gone (or a zombie)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text[text.rindex(")") + 2 :].split()[:2]
    return None if state in "ZX" else (state, int(ppid))


def _alive(pid: int) -> bool:
    return _stat(pid) is not None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[1] == pid:
            found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _started_with(marker: str) -> list[int]:
    """Live processes whose environment holds `marker`: every one the command started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


class Served:
    """The serve command as a child of the test, in its own session as a terminal's command is,
    with what it prints collected line by line."""

    def __init__(self, environment: dict[str, str], *args: str) -> None:
        self.marker = environment["WORKBENCH_INSTANCE"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "serve", "--host", "127.0.0.1"]
            + list(args),
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out)),
            threading.Thread(target=self._read, args=(self.process.stderr, self.err)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line.decode(errors="replace"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.err)

    def url(self) -> str:
        """Its address, once it says it serves there and the app answers."""
        found: list[str] = []

        def announced() -> bool:
            found.extend(line.split()[2] for line in self.err if line.startswith("Serving on "))
            assert self.process.poll() is None, "".join(self.err)
            return bool(found)

        _wait_for(announced, "the 'Serving on' line")
        base = found[0].rstrip("/")

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/auth/login", timeout=10) as response:
                    return response.status == 200
            except OSError:
                assert self.process.poll() is None, "".join(self.err)
                return False

        _wait_for(answers, "the log-in page")
        return base

    def gunicorn(self) -> int:
        (master,) = [p for p in _children(self.process.pid) if "gunicorn" in _cmdline(p)]
        return master

    def worker(self) -> int | None:
        found = [p for p in _children(self.process.pid) if _cmdline(p).endswith(" worker ")]
        return found[0] if found else None

    def finish(self, timeout: float = DEADLINE_S) -> int:
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def kill_everything(self) -> None:
        """Whatever a failed test left running, so it cannot outlive the test."""
        for pid in [self.process.pid, *_started_with(self.marker)]:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.finish()


@pytest.fixture
def environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **cli_environment(database_url, tmp_path),
        "WORKBENCH_SERVER_WORKERS": "2",
        "WORKBENCH_SERVER_THREADS": "2",
        # The link a test imports is on loopback.
        "WORKBENCH_EGRESS_ALLOW": "127.0.0.1",
        "FLASK_DEBUG": "0",
    }


@pytest.fixture
def serve(environment: dict[str, str]) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(environment, *args))
        return started[-1]

    yield start
    for served in started:
        served.kill_everything()


def _token(engine: sa.Engine, user_id: int, kind: TokenKind) -> str:
    with committed(engine) as db:
        return tokens.create_token(db, user_id, "serve test", kind)[1]


# Each of these starts gunicorn's processes and the worker, each loading the app: more than ten
# seconds of a two-core machine.
@pytest.mark.slow
def test_it_serves_restarts_a_killed_worker_and_stops_when_gunicorn_dies(
    serve: Callable[..., Served], engine: sa.Engine, users: dict[str, int]
) -> None:
    feed_token = _token(engine, users["viewer"], TokenKind.FEED)
    served = serve("--port", "0", "--workers", "1")
    base = served.url()

    with urllib.request.urlopen(f"{base}/alerts/feed.atom?token={feed_token}", timeout=10) as r:
        assert r.status == 200
    _wait_for(lambda: any("/alerts/feed.atom" in line for line in served.out), "the access log")
    assert any("/alerts/feed.atom?token=[redacted]" in line for line in served.out), served.out
    assert not any(feed_token[4:] in line for line in served.out + served.err)

    _wait_for(served.worker, "the worker")
    first = served.worker()
    assert first is not None
    os.kill(first, signal.SIGKILL)
    _wait_for(lambda: served.worker() not in (None, first), "the worker's restart")
    assert served.said("The worker stopped (exit code -9)"), served.err
    assert served.process.poll() is None

    master = served.gunicorn()
    os.kill(master, signal.SIGKILL)
    assert served.finish() != 0
    assert served.said("The web server stopped (exit code -9); stopping the worker.")
    _wait_for(lambda: not _started_with(served.marker), "every process it started to end")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["TERM", "Ctrl-C"])
def test_a_request_in_flight_finishes_when_it_is_stopped(
    how: str, serve: Callable[..., Served], engine: sa.Engine, users: dict[str, int], origin
) -> None:  # type: ignore[no-untyped-def]
    """The request imports a link whose page the test holds back until the stop is under way:
    gunicorn has taken the signal as TERM (Ctrl-C would make it drop requests) and an idle
    process has already exited."""
    release = threading.Event()

    def held(_request: object) -> Reply:
        release.wait(DEADLINE_S)
        return Reply(STORY, headers={"Content-Type": "text/plain; charset=utf-8"})

    origin.route("/held.txt", handler=held)
    api_token = _token(engine, users["editor"], TokenKind.API)
    served = serve("--port", "0")
    base = served.url()
    _wait_for(served.worker, "the worker")
    master = served.gunicorn()
    _wait_for(lambda: len(_children(master)) == 2, "both gunicorn processes")
    processes = {served.process.pid, master, *_children(master), served.worker()}

    answer: list[int | BaseException] = []

    def import_link() -> None:
        request = urllib.request.Request(
            f"{base}/api/articles",
            data=json.dumps({"url": origin.url("/held.txt")}).encode(),
            headers={"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=DEADLINE_S) as response:
                answer.append(response.status)
        except (OSError, urllib.error.HTTPError) as exc:
            answer.append(exc)

    client = threading.Thread(target=import_link)
    client.start()
    try:
        _wait_for(lambda: origin.hits("/held.txt") == 1, "the import's fetch")
        if how == "TERM":
            served.process.send_signal(signal.SIGTERM)
        else:  # a terminal signals its whole foreground process group
            os.killpg(served.process.pid, signal.SIGINT)
        _wait_for(lambda: served.said("Handling signal: term"), "gunicorn to be told to stop")
        _wait_for(lambda: len(_children(master)) == 1, "the idle gunicorn process to exit")
        _wait_for(lambda: served.worker() is None, "the worker to stop")
        assert served.process.poll() is None, "it waits for the request"
    finally:
        release.set()
        client.join(DEADLINE_S)

    assert answer == [201]
    assert served.finish() == 0, "".join(served.err)
    assert not [pid for pid in processes if _alive(pid)]
    assert not _started_with(served.marker)


def test_a_taken_port_fails_at_once_and_starts_nothing(serve: Callable[..., Served]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = serve("--port", str(port))
        assert served.finish() != 0
    assert served.said(f"Cannot listen on 127.0.0.1:{port}")
    assert not served.said("Serving on")
    assert not _started_with(served.marker)


@pytest.mark.parametrize(("cores", "workers"), [(None, 3), (1, 3), (2, 5), (3, 7), (4, 8), (64, 8)])
def test_gunicorn_processes_are_two_a_core_plus_one_up_to_eight(
    cores: int | None, workers: int
) -> None:
    assert serving.default_workers(cores) == workers


def test_a_worker_dying_young_again_waits_twice_as_long_up_to_the_most() -> None:
    config = serving.ServeConfig(restart_s=1.0, restart_max_s=5.0)
    delays, delay = [], None
    for _ in range(5):
        delay = serving.restart_delay(delay, 0.5, config)
        delays.append(delay)
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert serving.restart_delay(5.0, serving.STABLE_S, config) == 1.0, "a stable run starts over"


def test_the_command_line_wins_over_the_environment() -> None:
    settings = Settings.from_env(
        {
            "HOST": "0.0.0.0",
            "PORT": "8080",
            "WORKBENCH_SERVER_WORKERS": "3",
            "WORKBENCH_SERVER_THREADS": "6",
        }
    )
    from_env = serving.ServeConfig.from_settings(settings)
    assert (from_env.host, from_env.port, from_env.workers, from_env.threads) == (
        "0.0.0.0",
        8080,
        3,
        6,
    )
    given = serving.ServeConfig.from_settings(
        settings, host="127.0.0.2", port=0, workers=1, threads=2
    )
    assert (given.host, given.port, given.workers, given.threads) == ("127.0.0.2", 0, 1, 2)
    unset = serving.ServeConfig.from_settings(Settings.from_env({}))
    assert (unset.host, unset.port) == ("127.0.0.1", 5000)
    assert unset.workers == serving.default_workers(os.cpu_count())
