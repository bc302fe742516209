"""The log format, read back from a real gunicorn's files: with WORKBENCH_LOG_FORMAT=json every
line the app and the access log write is one JSON object carrying the response's request id (and
no token); with the default, plain lines carry it too."""

from __future__ import annotations

import json
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

# The app with one view that logs, as gunicorn loads it.
NOISY_APP = """
from flask import current_app

from app import create_app
from workbench.web.access import allow_anyone


@allow_anyone
def noisy():
    current_app.logger.warning("something worth a line")
    return "logged"


def make():
    app = create_app()
    app.add_url_rule("/noisy", "noisy", noisy)
    return app
"""


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.headers["X-Request-Id"]


def _serve(tmp_path: Path, database_url: str, log_format: str, paths: list[str]) -> list[str]:
    """Start gunicorn, fetch `paths` in order, stop it; returns the request ids."""
    (tmp_path / "noisy_app.py").write_text(NOISY_APP)
    port = free_port()
    env = cli_environment(database_url, tmp_path) | {"WORKBENCH_LOG_FORMAT": log_format}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--pythonpath",
            f"{REPO},{tmp_path}",
            "--access-logfile",
            str(tmp_path / "access.log"),
            "--error-logfile",
            str(tmp_path / "error.log"),
            "noisy_app:make()",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "error.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        return [_get(f"http://127.0.0.1:{port}{path}") for path in paths]
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(20)


@pytest.fixture
def feed_token(engine: sa.Engine, users: dict[str, int]) -> str:
    with committed(engine) as db:
        return tokens.create_token(db, users["viewer"], "reader", TokenKind.FEED)[1]


def test_json_lines_parse_and_carry_the_request_id(
    database_url: str, tmp_path: Path, feed_token: str
) -> None:
    noisy, feed = _serve(
        tmp_path, database_url, "json", ["/noisy", f"/alerts/feed.atom?token={feed_token}"]
    )
    access = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    by_id = {line["request_id"]: line for line in access}
    assert by_id[noisy]["method"] == "GET" and by_id[noisy]["path"] == "/noisy"
    assert by_id[noisy]["status"] == 200 and by_id[noisy]["logger"] == "gunicorn.access"
    assert set(by_id[noisy]) >= {"time", "level", "logger", "message", "request_id"}
    assert "token=[redacted]" in by_id[feed]["message"]
    # The app's line is in gunicorn's error log, as JSON, with the id of the request it was in.
    errors = (tmp_path / "error.log").read_text()
    app_lines = [
        json.loads(line)
        for line in errors.splitlines()
        if line.startswith("{") and "something worth a line" in line
    ]
    assert [(line["request_id"], line["level"], line["path"]) for line in app_lines] == [
        (noisy, "WARNING", "/noisy")
    ]
    written = (tmp_path / "access.log").read_text() + errors
    assert feed_token not in written and feed_token[4:] not in written


def test_plain_lines_carry_the_request_id(database_url: str, tmp_path: Path) -> None:
    [noisy] = _serve(tmp_path, database_url, "text", ["/noisy"])
    access = (tmp_path / "access.log").read_text().splitlines()
    assert [line for line in access if f"[{noisy}]" in line and "GET /noisy" in line]
    errors = (tmp_path / "error.log").read_text().splitlines()
    assert [line for line in errors if f"[{noisy}] something worth a line" in line]
