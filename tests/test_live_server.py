"""The browser tests' live server stops completely: every request thread is joined before the
next test builds its app, a connection kept open does not hold that up, and a request that does
not finish fails the test instead of running on next to the next one (on CPython 3.11.7 two
threads doing AST work at once can end in "SystemError: AST constructor recursion depth
mismatch", gh-106905)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import LiveServer
from flask import Flask


@pytest.fixture
def slow_app() -> Iterator[tuple[Flask, threading.Event]]:
    release = threading.Event()
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return "ok"

    @app.get("/slow")
    def slow() -> str:
        release.wait(30)
        return "slow"

    yield app, release
    release.set()


def _serve(app: Flask) -> tuple[LiveServer, threading.Thread]:
    server = LiveServer(app)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    return server, serving


def _request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("live server request")]


def test_an_idle_connection_is_ended_and_its_thread_joined(slow_app) -> None:  # type: ignore[no-untyped-def]
    server, serving = _serve(slow_app[0])
    # As a browser's preconnect: a connection made ahead of a request it may never send. Its
    # thread waits for a request line (werkzeug closes every connection after one response).
    idle = socket.create_connection(("127.0.0.1", server.server_port), timeout=10)
    deadline = time.monotonic() + 5
    while not _request_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _request_threads()

    started = time.monotonic()
    server.stop(serving, timeout=10)
    assert time.monotonic() - started < 5
    assert not serving.is_alive() and _request_threads() == []
    idle.close()


def test_a_request_still_running_fails_the_teardown_within_the_bound(slow_app) -> None:  # type: ignore[no-untyped-def]
    app, release = slow_app
    server, serving = _serve(app)
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    connection.request("GET", "/slow")
    deadline = time.monotonic() + 5
    while not _request_threads() and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    with pytest.raises(
        pytest.fail.Exception, match="still running after 0.5s: live server request"
    ):
        server.stop(serving, timeout=0.5)
    assert time.monotonic() - started < 3

    release.set()
    for thread in _request_threads():
        thread.join(10)
    assert _request_threads() == []
    connection.close()
