"""The app's log lines and the servers' request lines, each with the id of the request it was
written in (request_id.py), as plain text or as one JSON object a line (WORKBENCH_LOG_FORMAT).

The handlers are the ones the servers and Flask set up (gunicorn's error and access logs, Flask's
default handler of the app's logger, and one for werkzeug's server when nothing else would print
its lines): only their formats change. A handler someone configured elsewhere (on the root
logger, say) is theirs, and is left alone; its records still carry `request_id` for a format
that names it.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from flask import Flask

from workbench.config import Settings
from workbench.web.request_id import current, current_id
from workbench.web.security import REQUEST_LOGGERS, redact

# A handler keeps the formatter it came with here, so that a later app (tests make many in one
# process) starts again from it rather than from ours.
_ORIGINAL = "_workbench_original_formatter"
PLAIN = "%(message)s"
# werkzeug colours its lines for a terminal; a log collector wants the words.
_TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id`: the id of the request being handled, "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_id()
        return True


class TextFormatter(logging.Formatter):
    """The handler's own format with `[request id]` before the message."""

    def __init__(self, fmt: str | None, datefmt: str | None) -> None:
        fmt = fmt or PLAIN
        if "%(request_id)s" not in fmt:
            fmt = fmt.replace("%(message)s", "[%(request_id)s] %(message)s")
        super().__init__(fmt, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):  # from a logger without the filter
            record.request_id = current_id()
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors: time (UTC), level, logger, message,
    request_id, and the request's method, path and status (once answered) inside a request."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _TERMINAL_COLOURS.sub("", record.getMessage()),
            "request_id": getattr(record, "request_id", None) or current_id(),
        }
        info = current()
        if info is not None:
            line.update(method=info.method, path=info.path)
            if info.status is not None:
                line["status"] = info.status
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False)


def _formatter(handler: logging.Handler, log_format: str) -> logging.Formatter:
    if not hasattr(handler, _ORIGINAL):
        setattr(handler, _ORIGINAL, handler.formatter)
    original: logging.Formatter | None = getattr(handler, _ORIGINAL)
    if log_format == "json":
        return JsonFormatter()
    fmt = original._fmt if original is not None else None
    datefmt = original.datefmt if original is not None else None
    return TextFormatter(fmt, datefmt)


def _would_print(logger: logging.Logger) -> bool:
    """Whether some handler, on the logger or above it, takes its records (werkzeug's test)."""
    level = logger.getEffectiveLevel()
    current_logger: logging.Logger | None = logger
    while current_logger is not None:
        if any(handler.level <= level for handler in current_logger.handlers):
            return True
        if not current_logger.propagate:
            break
        current_logger = current_logger.parent
    return False


class _ServerHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Prints the werkzeug server's lines (to stderr, as werkzeug's own would) in our format."""


def init_app(app: Flask) -> None:
    settings: Settings = app.config["WORKBENCH_SETTINGS"]
    werkzeug = logging.getLogger("werkzeug")
    if werkzeug.level == logging.NOTSET:
        werkzeug.setLevel(logging.INFO)  # what werkzeug sets at its first line
    if not _would_print(werkzeug):
        werkzeug.addHandler(_ServerHandler())
    loggers = [app.logger] + [logging.getLogger(name) for name in REQUEST_LOGGERS]
    for logger in loggers:
        if not any(isinstance(f, RequestIdFilter) for f in logger.filters):
            logger.addFilter(RequestIdFilter())
        for handler in logger.handlers:
            handler.setFormatter(_formatter(handler, settings.log_format))
