"""Every response says its request id, and every log line written while answering it carries the
same id: the app's own lines and the server's request line, on werkzeug's real server."""

from __future__ import annotations

import logging
import re
import threading
import urllib.request

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient

from workbench.web.access import allow_anyone
from workbench.web.logs import RequestIdFilter

FRESH = re.compile(r"[0-9a-f]{32}")


@allow_anyone
def noisy() -> str:
    current_app.logger.warning("something worth a line")
    return "logged"


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    made = make_app()
    made.add_url_rule("/noisy", "noisy", noisy)
    return made


def test_every_response_has_its_own_id(client: FlaskClient) -> None:
    paths = ["/healthz", "/auth/login", "/claims/", "/no-such-page", "/api/claims"] * 4
    ids = [client.get(path).headers.get("X-Request-Id") for path in paths]
    assert all(FRESH.fullmatch(value or "") for value in ids), ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("incoming", ["abc", "edge-7f3a.b_9", "A" * 64])
def test_a_safe_incoming_id_is_kept(client: FlaskClient, incoming: str) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": incoming}).headers["X-Request-Id"] == (
        incoming
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "A" * 65,
        "has space",
        "semi;colon",
        "<script>alert(1)</script>",
        "wbt_abc/../../etc",
        "new\tline",
        "caf\u00e9",
        '"quoted"',
    ],
)
def test_a_hostile_incoming_id_is_replaced(
    client: FlaskClient, hostile: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer = client.get("/noisy", headers={"X-Request-Id": hostile})
    given = answer.headers["X-Request-Id"]
    assert FRESH.fullmatch(given) and given != hostile
    [line] = [r for r in caplog.records if r.getMessage() == "something worth a line"]
    assert line.request_id == given  # type: ignore[attr-defined]


def test_a_line_logged_in_a_request_carries_the_responses_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    first = client.get("/noisy").headers["X-Request-Id"]
    second = client.get("/noisy").headers["X-Request-Id"]
    lines = [r for r in caplog.records if r.getMessage() == "something worth a line"]
    assert [r.request_id for r in lines] == [first, second]  # type: ignore[attr-defined]


def _filtered() -> str:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "no request here", None, None)
    assert RequestIdFilter().filter(record)
    return record.request_id  # type: ignore[attr-defined]


def test_outside_a_request_the_id_is_a_dash(client: FlaskClient) -> None:
    seen: list[str] = []
    elsewhere = threading.Thread(target=lambda: seen.append(_filtered()))
    elsewhere.start()
    elsewhere.join()
    assert seen == ["-"]
    # A request's id lasts until the server closes its answer (after its own log line).
    answer = client.get("/healthz")
    assert _filtered() == answer.headers["X-Request-Id"]
    answer.close()
    assert _filtered() == "-"


def test_the_werkzeug_servers_request_line_carries_the_id(
    live_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with urllib.request.urlopen(f"{live_server}/noisy", timeout=10) as answer:
        given = answer.headers["X-Request-Id"]
    assert FRESH.fullmatch(given)
    app_lines = [r for r in caplog.records if r.getMessage() == "something worth a line"]
    server_lines = [
        r for r in caplog.records if r.name == "werkzeug" and "GET /noisy" in r.getMessage()
    ]
    assert [r.request_id for r in app_lines] == [given]  # type: ignore[attr-defined]
    assert [r.request_id for r in server_lines] == [given]  # type: ignore[attr-defined]
