"""Headers every response carries (no inline script, no framing, no MIME sniffing), session
cookies that are Secure whenever the request came over HTTPS, and request logs without tokens."""

from __future__ import annotations

import logging
import re

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SessionInterface(SecureCookieSessionInterface):
    """Secure cookies over HTTPS without a setting to forget; WORKBENCH_SECURE_COOKIES forces
    them on behind a proxy that does not say the request was HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


# A feed reader can only send its token in the URL (?token=wbf_...), and request logs print the
# URL: the werkzeug server's and gunicorn's access log, and any error logged with the path.
_TOKEN_IN_QUERY = re.compile(r"(?i)([?&;](?:token|access_token)=)[^&;\s\"']*")
_TOKEN_ANYWHERE = re.compile(r"\b(wb[tf]_)[A-Za-z0-9_-]{6,}")
# The request loggers of the servers we run under, and the app's own.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """The text with every token taken out: `?token=[redacted]`, `wbt_[redacted]`."""
    return _TOKEN_ANYWHERE.sub(r"\1[redacted]", _TOKEN_IN_QUERY.sub(r"\1[redacted]", text))


class RedactTokens(logging.Filter):
    """Rewrites each record's message without tokens before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _redact_request_logs(app: Flask) -> None:
    loggers = [logging.getLogger(name) for name in REQUEST_LOGGERS] + [app.logger]
    for logger in loggers:
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    _redact_request_logs(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
