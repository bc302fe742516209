"""Behind a real reverse proxy: the app on werkzeug's server on loopback, and in front of it a small
HTTP proxy that forwards each request and adds X-Forwarded-For (the address it was called from),
-Proto: https and -Host, as nginx does. Visitors call the proxy from their own loopback addresses
(127.0.0.2, 127.0.0.3...), so each is a different client to it.

With WORKBENCH_PROXY_HOPS=1 the log-in throttle counts the address the proxy reports, the session
cookie is Secure and links are made for the visitor's host; with the setting off the same headers,
sent straight to the app, change nothing."""

from __future__ import annotations

import http.client
import json
import re
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from conftest import PASSWORD
from flask import Flask, request

from workbench.accounts.throttle import PAIR_FREE
from workbench.models import LoginThrottle
from workbench.web.access import allow_anyone

HOST = "news.example"
# Hop-by-hop headers end at each hop (RFC 9110, 7.6.1); the proxy writes its own framing.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
NOT_COPIED = HOP_BY_HOP | {"content-length", "server", "date"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class _Forward(BaseHTTPRequestHandler):
    server: ReverseProxy

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        peer = self.client_address[0]
        prior = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{prior}, {peer}" if prior else peer
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = self.headers.get("Host", "")
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=10)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in NOT_COPIED:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ReverseProxy(ThreadingHTTPServer):
    """Forwards everything to the app on `upstream_port`; joins its request threads on close."""

    daemon_threads = False  # server_close() joins them: none outlives the test

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        super().__init__(("127.0.0.1", 0), _Forward)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse DNS look-up of 127.0.0.1


@pytest.fixture
def proxy(live_server: str) -> Iterator[int]:
    """The proxy's port, in front of the live server."""
    server = ReverseProxy(int(live_server.rsplit(":", 1)[1]))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="test proxy")
    thread.start()
    try:
        yield server.server_address[1]  # type: ignore[misc]
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@dataclass
class Answer:
    status: int
    text: str
    set_cookies: list[str]
    location: str | None


@dataclass
class Visitor:
    """A browser at its own loopback address, keeping its session cookie as a browser would."""

    port: int
    address: str
    host: str = HOST
    cookie: str | None = None
    set_cookies: list[str] = field(default_factory=list)

    def send(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> Answer:
        sent = {"Host": self.host, "Referer": f"https://{self.host}/auth/login"}
        sent.update({name.replace("_", "-"): value for name, value in headers.items()})
        if self.cookie:
            sent["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(self.address, 0)
        )
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode()
            cookies = response.headers.get_all("Set-Cookie") or []
            location = response.headers.get("Location")
        finally:
            connection.close()
        for cookie in cookies:
            if cookie.startswith("session="):
                self.cookie = cookie.split(";", 1)[0]
        self.set_cookies += cookies
        return Answer(response.status, text, cookies, location)

    def log_in(self, username: str, password: str, **headers: str) -> Answer:
        page = self.send("GET", "/auth/login", **headers)
        found = _CSRF.search(page.text)
        assert found, page.text[:300]
        form = {"username": username, "password": password, "csrf_token": found.group(1)}
        return self.send("POST", "/auth/login", form, **headers)


@allow_anyone
def where() -> dict[str, object]:
    """What the app makes of the request: its URL, the client address, HTTPS or not."""
    return {"url": request.url, "remote": request.remote_addr, "secure": request.is_secure}


@pytest.fixture
def app(make_app, request: pytest.FixtureRequest) -> Flask:  # type: ignore[no-untyped-def]
    """The app with the test's settings (indirect parameters), and a view that says what it saw."""
    made = make_app(**getattr(request, "param", {}))
    made.add_url_rule("/where", "where", where)
    return made


def _throttle_keys(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(LoginThrottle.key, LoginThrottle.failures)).all()
    return {key: failures for key, failures in rows if failures}


BEHIND_ONE_PROXY = {"proxy_hops": 1, "trusted_hosts": (HOST,)}


@pytest.mark.parametrize("app", [BEHIND_ONE_PROXY], indirect=True)
def test_behind_the_proxy_the_throttle_counts_each_client_the_proxy_reports(
    proxy: int, engine: sa.Engine, users: dict[str, int]
) -> None:
    guesser = Visitor(proxy, "127.0.0.2")
    editor = Visitor(proxy, "127.0.0.3")
    for _ in range(PAIR_FREE):
        assert guesser.log_in("editor", "wrong").status == 401
    # The failures are the guesser's, at the address the proxy saw, not the proxy's own.
    assert _throttle_keys(engine) == {
        "pair:127.0.0.2|editor": PAIR_FREE,
        "ip:127.0.0.2": PAIR_FREE,
        "user:editor": PAIR_FREE,
    }
    # A guesser who forges X-Forwarded-For gets it put first: one hop is believed, the proxy's.
    assert guesser.log_in("editor", "wrong", X_Forwarded_For="198.51.100.9").status in (401, 429)
    assert "ip:198.51.100.9" not in _throttle_keys(engine)
    # The editor, behind the same proxy at another address, is not held up by the guesser.
    assert editor.log_in("editor", PASSWORD).status == 302
    assert "pair:127.0.0.3|editor" not in _throttle_keys(engine)


@pytest.mark.parametrize("app", [BEHIND_ONE_PROXY], indirect=True)
def test_behind_the_proxy_the_cookie_is_secure_and_links_name_the_visitors_host(
    proxy: int, users: dict[str, int]
) -> None:
    visitor = Visitor(proxy, "127.0.0.2")
    assert visitor.log_in("editor", PASSWORD).status == 302
    session_cookies = [c for c in visitor.set_cookies if c.startswith("session=")]
    assert session_cookies and all("; Secure" in c for c in session_cookies), session_cookies
    seen = json.loads(visitor.send("GET", "/where").text)
    assert seen == {"url": "https://news.example/where", "remote": "127.0.0.2", "secure": True}


@pytest.mark.parametrize("app", [BEHIND_ONE_PROXY], indirect=True)
def test_behind_the_proxy_a_host_not_trusted_is_refused(proxy: int) -> None:
    assert Visitor(proxy, "127.0.0.2", host=HOST).send("GET", "/healthz").status == 200
    refused = Visitor(proxy, "127.0.0.2", host="evil.example").send("GET", "/healthz")
    assert refused.status == 400
    assert "does not answer to that host name" in refused.text


FORGED = {
    "X_Forwarded_For": "203.0.113.7",
    "X_Forwarded_Proto": "https",
    "X_Forwarded_Host": "evil.example",
    "X_Forwarded_Port": "443",
}


def test_without_the_setting_forged_forwarded_headers_change_nothing(
    live_server: str, engine: sa.Engine, users: dict[str, int]
) -> None:
    port = int(live_server.rsplit(":", 1)[1])
    visitor = Visitor(port, "127.0.0.4", host=f"127.0.0.1:{port}")
    for _ in range(PAIR_FREE):
        assert visitor.log_in("editor", "wrong", **FORGED).status == 401
    assert _throttle_keys(engine) == {
        "pair:127.0.0.4|editor": PAIR_FREE,
        "ip:127.0.0.4": PAIR_FREE,
        "user:editor": PAIR_FREE,
    }
    seen = json.loads(visitor.send("GET", "/where", **FORGED).text)
    assert seen == {"url": f"http://127.0.0.1:{port}/where", "remote": "127.0.0.4", "secure": False}
    assert visitor.set_cookies and not any("Secure" in c for c in visitor.set_cookies)


def test_trusted_hosts_refuse_any_other_host_and_ignore_the_port(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(trusted_hosts=(HOST, ".desk.example")).test_client()
    assert client.get("/healthz", headers={"Host": HOST}).status_code == 200
    assert client.get("/healthz", headers={"Host": f"{HOST}:8443"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "night.desk.example"}).status_code == 200
    for host in ("evil.example", "news.example.evil.example", "localhost"):
        answer = client.get("/auth/login", headers={"Host": host})
        assert answer.status_code == 400, host
        assert "X-Request-Id" in answer.headers
    # Without the setting, any host is answered.
    assert make_app().test_client().get(
        "/healthz", headers={"Host": "evil.example"}
    ).status_code == (200)
