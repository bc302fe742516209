"""Bad input on every way in (the form, an upload, the CLI): a clear refusal with the reason,
never a server error, and never half a JSON Lines file."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import AuthActions, csrf_token
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from workbench.db import read_session
from workbench.intake.errors import MalformedJsonLines
from workbench.intake.reading import parse_jsonl
from workbench.models import Article, Claim

FINE = json.dumps({"text": "The council approved the harbour budget on Monday."})
ALSO_FINE = json.dumps({"text": "The new ferry line opens in the spring, the mayor said."})
DEEP = 100_000

# (id, the bad line, what the message says about it)
BAD_LINES = [
    pytest.param(
        '{"text": "Lone \\ud800 surrogate in a sentence about the budget."}',
        "lone surrogate",
        id="lone-surrogate",
    ),
    pytest.param(
        '{"text": "Fine.", "title": "\\udfff only the low half"}',
        "lone surrogate",
        id="lone-surrogate-title",
    ),
    pytest.param("[" * DEEP + "]" * DEEP, "nested deeper than", id="array-nested-100000-deep"),
    pytest.param(
        '{"text": "Fine.", "x": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
        "nested deeper than",
        id="object-nested-100000-deep",
    ),
    pytest.param(
        json.dumps({"text": "A fine sentence here.", "url": "https://x.example/" + "a" * 2100}),
        "address is longer than",
        id="over-long-url",
    ),
    pytest.param(json.dumps({"text": "\x00\x07 \u200b"}), "no text", id="only-control-chars"),
]


def jsonl(bad: str) -> str:
    """A file whose second line is bad: nothing of it may be stored."""
    return "\n".join([FINE, bad, ALSO_FINE]) + "\n"


def count(engine: sa.Engine, model: type) -> int:
    with read_session(engine) as db:
        return db.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize(("bad", "why"), BAD_LINES)
def test_a_bad_line_is_named_before_anything_is_parsed_too_deep(bad: str, why: str) -> None:
    with pytest.raises(MalformedJsonLines) as refused:
        parse_jsonl(jsonl(bad), "batch.jsonl")
    assert [line for line, _ in refused.value.errors] == [2]
    assert why in refused.value.errors[0][1]


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


def upload(client: FlaskClient, name: str, content: bytes) -> tuple[int, str]:
    data = {
        "csrf_token": csrf_token(client, "/articles/new"),
        "file": (io.BytesIO(content), name),
    }
    response = client.post("/articles/new", data=data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(("bad", "why"), BAD_LINES)
def test_an_upload_with_a_bad_line_is_refused_whole(
    editor: FlaskClient, engine: sa.Engine, bad: str, why: str
) -> None:
    status, page = upload(editor, "batch.jsonl", jsonl(bad).encode("utf-8"))
    assert status == 400
    assert "line 2:" in page and why in page
    assert count(engine, Article) == 0


@pytest.mark.parametrize(("bad", "why"), BAD_LINES)
def test_the_cli_refuses_a_file_with_a_bad_line_whole(
    app: Flask, runner: FlaskCliRunner, engine: sa.Engine, tmp_path: Path, bad: str, why: str
) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text(jsonl(bad), encoding="utf-8")
    with app.app_context():
        result = runner.invoke(args=["ingest", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "line 2:" in result.output and why in result.output
    assert count(engine, Article) == 0


def test_nul_bytes_in_pasted_text_and_fields_are_dropped_not_a_server_error(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    data = {
        "csrf_token": csrf_token(editor, "/articles/new"),
        "text": "The harbour\x00 budget was approved on Monday by the council.",
        "title": "Budget\x00 vote",
        "outlet": "Harbour\x00 News",
    }
    response = editor.post("/articles/new", data=data)
    assert response.status_code == 302
    with read_session(engine) as db:
        article = db.execute(sa.select(Article)).scalar_one()
        claims = list(db.execute(sa.select(Claim.text)).scalars())
    assert "\x00" not in article.body + article.title + (article.outlet or "")
    assert claims == ["The harbour budget was approved on Monday by the council."]


def test_nul_in_a_jsonl_string_is_dropped(editor: FlaskClient, engine: sa.Engine) -> None:
    line = json.dumps({"text": "The harbour\u0000 budget passed.", "title": "A\u0000B"})
    status, _ = upload(editor, "one.jsonl", (line + "\n").encode("utf-8"))
    assert status == 302
    with read_session(engine) as db:
        article = db.execute(sa.select(Article)).scalar_one()
    assert (article.body, article.title) == ("The harbour budget passed.", "AB")


def test_a_text_file_with_nul_bytes_is_refused_as_binary(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    status, page = upload(editor, "story.txt", b"The harbour budget\x00\x00 passed.\x00" * 40)
    assert status == 400
    assert re.search(r"does not look like a text file", page)
    assert count(engine, Article) == 0
