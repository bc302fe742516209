"""Tokens never reach a log: a feed reader sends its token in the URL, and both servers the app
runs under (werkzeug's, as `make run` and the tests use it, and gunicorn in production) print the
URL of every request. Each is run for real on loopback and its log is read back."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO, cli_environment, committed, free_port

from workbench.accounts import tokens
from workbench.models import TokenKind
from workbench.web.security import redact


def _feed_token(engine: sa.Engine, user_id: int) -> str:
    with committed(engine) as db:
        return tokens.create_token(db, user_id, "reader", TokenKind.FEED)[1]


def test_the_werkzeug_request_log_shows_the_path_without_the_token(
    live_server: str, engine: sa.Engine, users: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    raw = _feed_token(engine, users["viewer"])
    caplog.set_level(logging.INFO, logger="werkzeug")
    with urllib.request.urlopen(f"{live_server}/alerts/feed.atom?token={raw}", timeout=10) as r:
        assert r.status == 200
    with urllib.request.urlopen(f"{live_server}/alerts/feed.atom?x=1&token={raw}", timeout=10):
        pass
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    feed_lines = [line for line in lines if "/alerts/feed.atom" in line]
    assert len(feed_lines) == 2, lines
    assert all("token=[redacted]" in line for line in feed_lines)
    assert not any(raw in line or raw[4:] in line for line in lines)


def test_the_gunicorn_access_log_shows_the_path_without_the_token(
    engine: sa.Engine, users: dict[str, int], database_url: str, tmp_path: Path
) -> None:
    raw = _feed_token(engine, users["viewer"])
    port = free_port()
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
            "app:create_app()",
        ],
        cwd=REPO,
        env=cli_environment(database_url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"http://127.0.0.1:{port}/alerts/feed.atom?token={raw}"
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(20)
    written = log.read_text()
    assert "/alerts/feed.atom?token=[redacted]" in written, written
    assert raw not in written and raw[4:] not in written


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /alerts/feed.atom?token=wbf_abc123def456 HTTP/1.1" 200', "?token=[redacted] HTTP"),
        ("/alerts/feed.atom?kind=x&TOKEN=anything;other", "&TOKEN=[redacted];other"),
        ("Authorization: Bearer wbt_0123456789abcdef", "Bearer wbt_[redacted]"),
    ],
)
def test_redact_takes_out_tokens_wherever_they_are(line: str, expected: str) -> None:
    assert expected in redact(line)
