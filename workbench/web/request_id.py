"""A request id on every response and on every log line written while the request is handled,
so one failing request can be found in the logs of every server it passed through.

A proxy in front (or a load balancer) may already have given the request an id: it is kept when
it is short and made of safe characters, since it is copied into headers and log lines; anything
else is replaced with a fresh one. The id is set by a WSGI wrapper around the whole app, not in a
Flask hook, because the servers write their request log line after the app has answered (the
werkzeug server when it sends the first bytes, gunicorn after the last), while the wrapper's
response is still being sent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from workbench.web.security import redact

HEADER = "X-Request-Id"
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST = "-"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class RequestInfo:
    """What a log line can say about the request it was written in; `status` once answered."""

    id: str
    method: str
    path: str
    status: int | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("workbench_request", default=None)


def current() -> RequestInfo | None:
    """The request being handled in this thread, if any."""
    return _current.get()


def current_id() -> str:
    """The id of the request being handled, or "-" outside a request."""
    info = _current.get()
    return info.id if info is not None else NO_REQUEST


def choose_id(incoming: str | None) -> str:
    """The id the request came with, when it is safe to copy into logs and headers; else a new
    one."""
    if incoming and SAFE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each request its id for as long as it is being answered, and says it in the
    response's X-Request-Id header."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        info = RequestInfo(
            id=choose_id(environ.get("HTTP_X_REQUEST_ID")),
            method=environ.get("REQUEST_METHOD", ""),
            path=redact(path),
        )

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            info.status = int(status.split(" ", 1)[0])
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((HEADER, info.id))
            return start_response(status, headers, exc_info)

        _current.set(info)
        try:
            body = self.app(environ, start)
        except BaseException:
            _current.set(None)
            raise
        return ClosingIterator(body, [_forget])


def _forget() -> None:
    _current.set(None)


def init_app(app: Flask) -> None:
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
