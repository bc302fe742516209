"""Running behind reverse proxies: which forwarded headers to believe, and which host names the
app answers to.

X-Forwarded-For, -Proto, -Host and -Port are believed only for as many hops as the operator says
proxies add them (WORKBENCH_PROXY_HOPS): anyone can send the headers, and believing one more hop
than there are proxies would let a client choose its own address, and so dodge the log-in
throttle. With them believed, `request.remote_addr` is the client's (the throttle counts it),
`request.is_secure` says whether the client used HTTPS (the session cookie is Secure then,
security.py) and links are made for the host the client asked for.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from workbench.config import Settings


def init_app(app: Flask) -> None:
    settings: Settings = app.config["WORKBENCH_SETTINGS"]
    if settings.trusted_hosts:
        # Flask (3.1+) refuses any other Host, forwarded or not, with 400.
        app.config["TRUSTED_HOSTS"] = list(settings.trusted_hosts)
        app.register_error_handler(SecurityError, untrusted_host)
    hops = settings.proxy_hops
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def untrusted_host(_exc: SecurityError) -> tuple[str, int, dict[str, str]]:
    """Plain text: the error page's links cannot be made for a host the app does not answer to."""
    message = "This server does not answer to that host name.\n"
    return message, 400, {"Content-Type": "text/plain; charset=utf-8"}
