"""A web server on loopback for tests of what the workbench fetches (pages, feeds, redirects):
the `origin` fixture. A test gives each path its answers and reads back what was asked:

    origin.route("/page", body="<p>Hi</p>", headers={"Content-Type": "text/html"})
    origin.route("/moved", status=301, headers={"Location": "/page"})
    origin.route("/feed", answers=[Reply(body=feed), Reply(status=304)])  # then 304 from then on
    origin.route("/slow", handler=drip)  # writes its own answer, or returns a Reply
    fetch(origin.url("/page"), ...)
    origin.hits("/page"), origin.requests[-1].headers["If-None-Match"]

`Origin(tls=context)` serves HTTPS instead (stop it yourself, or use the fixture for plain HTTP).

The server and every request thread are stopped and joined when the test ends: a thread left
running into the next test trips a CPython 3.11.7 bug this suite knows (gh-106905, see conftest).
For the same reason an error in a request thread is recorded (`origin.errors`), never printed
with a traceback.
"""

from __future__ import annotations

import socketserver
import ssl
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

import pytest

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """One answer. Content-Length is added unless the headers give one (which may lie) or the
    body is sent chunked; no Content-Type is sent unless the headers give one."""

    body: bytes | str = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    chunked: bool = False


# A handler gets the request being answered (its .path, .headers, .command; .wfile to write to,
# .send_response() and the rest of BaseHTTPRequestHandler) and either writes the answer itself and
# returns None, or returns the Reply to send.
Handler = Callable[[BaseHTTPRequestHandler], Reply | None]


class Request(NamedTuple):
    method: str
    path: str
    headers: Message


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self.server.origin._answer(self)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests read origin.requests instead


class _Server(ThreadingHTTPServer):
    origin: Origin

    def server_bind(self) -> None:
        # HTTPServer's own looks the address's name up (a reverse DNS query); tests need none.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.origin.errors.append(sys.exc_info()[1])  # type: ignore[arg-type]


class Origin:
    """The server and its routes; see the module's docstring."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        # Set when the test ends: a handler that waits (a server that never answers) waits on it.
        self.stopping = threading.Event()
        self._routes: dict[str, list[Reply | Handler]] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.origin = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port: int = self._server.server_address[1]  # type: ignore[assignment]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="test origin", daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        chunked: bool = False,
        handler: Handler | None = None,
        answers: list[Reply | Handler] | None = None,
    ) -> None:
        """Answer `path` (matched with its query string, else without) from now on, replacing
        what it answered before: with a handler, with each of `answers` in turn (the last one
        again once they run out), or with this one reply."""
        if answers is None:
            answers = [handler or Reply(body, status, headers or {}, chunked)]
        if not answers:
            raise ValueError("a route needs at least one answer")
        with self._lock:
            self._routes[path] = list(answers)

    def remove(self, path: str) -> None:
        """`path` answers 404 from now on."""
        with self._lock:
            self._routes.pop(path, None)

    def hits(self, path: str) -> int:
        """How many requests came for `path` (with or without a query string)."""
        with self._lock:
            return sum(1 for r in self.requests if path in (r.path, r.path.partition("?")[0]))

    def stop(self) -> None:
        """Stop serving and join every thread; fail the test if a handler broke (a client that
        hung up is no error: fetchers are meant to give up on slow servers)."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()  # joins the request threads (ThreadingMixIn.block_on_close)
        self._thread.join()
        broken = [error for error in self.errors if not isinstance(error, OSError)]
        if broken:
            pytest.fail(f"the origin's handlers failed: {broken!r}")

    def _next_answer(self, path: str) -> Reply | Handler | None:
        with self._lock:
            answers = self._routes.get(path) or self._routes.get(path.partition("?")[0])
            if not answers:
                return None
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(Request(request.command, request.path, request.headers))
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            request.rfile.read(length)
        answer = self._next_answer(request.path)
        if answer is None:
            answer = Reply(f"no route for {request.path}", 404, {"Content-Type": "text/plain"})
        try:
            if callable(answer):
                answer = answer(request)
            if answer is not None:
                send(request, answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as a fetcher should when a server is too slow
        request.close_connection = True


def send(request: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Write one reply (a handler may call it after doing something else first)."""
    body = reply.body.encode() if isinstance(reply.body, str) else reply.body
    request.send_response(reply.status)
    names = {name.lower() for name in reply.headers}
    for name, value in reply.headers.items():
        request.send_header(name, value)
    if reply.chunked:
        request.send_header("Transfer-Encoding", "chunked")
    elif "content-length" not in names:
        request.send_header("Content-Length", str(len(body)))
    request.send_header("Connection", "close")
    request.end_headers()
    if request.command == "HEAD":
        return
    if not reply.chunked:
        request.wfile.write(body)
        return
    for start in range(0, len(body), CHUNK):
        piece = body[start : start + CHUNK]
        request.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    request.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def origin() -> Iterator[Origin]:
    """A web server on 127.0.0.1, stopped (its threads joined) when the test ends."""
    server = Origin()
    try:
        yield server
    finally:
        server.stop()
