"""The `flask --app app ...` commands, through Flask's CLI runner and as real processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from conftest import PASSWORD, REPO, cli_environment, committed
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlmodel import func, select

from workbench.accounts import tokens
from workbench.accounts import users as accounts
from workbench.db import read_session
from workbench.models import Alert, Article, Claim, Evidence, TokenKind, User

Invoke = Callable[..., Result]

STORY = (
    "Military talks between the US and Russia on the Syrian crisis began Friday.\n"
    "Kremlin spokesman Dmitry Peskov said he was unaware of any such messages.\n"
)
HTML = (
    "<html><head><title>Talks in Geneva</title></head><body><nav><a href='/'>Home page</a></nav>"
    "<article><p>Carter and Shoygu spoke by telephone for fifty minutes on Friday, the Pentagon "
    "said in a statement.</p><p>Both sides agreed to keep talking about the conflict in Syria "
    "next week.</p></article></body></html>"
)


def _invoker(app: Flask, runner: FlaskCliRunner) -> Invoke:
    def invoke(*args: str, input: str | bytes | None = None) -> Result:
        # The commands find the app through current_app. `flask` pushes an app context for every
        # command; the test runner does not, so push one here (see the report on cli.py).
        with app.app_context():
            return runner.invoke(args=list(args), input=input)

    return invoke


@pytest.fixture
def invoke(app: Flask, runner: FlaskCliRunner) -> Invoke:
    return _invoker(app, runner)


def _count(engine: sa.Engine, model: type) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _articles(engine: sa.Engine) -> list[Article]:
    with read_session(engine) as session:
        return list(session.exec(select(Article).order_by(Article.id)))


def _claim_texts(engine: sa.Engine) -> list[str]:
    with read_session(engine) as session:
        return list(session.exec(select(Claim.text).order_by(Claim.article_id, Claim.position)))


def _authenticates(engine: sa.Engine, username: str, password: str) -> bool:
    with read_session(engine) as session:
        return accounts.authenticate(session, username, password) is not None


def _flask(
    database_url: str,
    tmp_path: Path,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m flask --app app ARGS` in the repository, against the test's database."""
    environment = cli_environment(database_url, tmp_path) | (env or {})
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=REPO,
        env=environment,
        input=input,
        capture_output=True,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


# --- setup ---------------------------------------------------------------------------------------


def test_setup_creates_admin_and_demo_once(invoke: Invoke, engine: sa.Engine) -> None:
    first = invoke("setup")
    assert first.exit_code == 0, first.output
    found = re.search(r"user name: admin\n\s*password:\s+(\S+)\n", first.output)
    assert found, first.output
    password = found.group(1)
    assert "shown only once" in first.output
    assert _authenticates(engine, "admin", password)
    assert not _authenticates(engine, "admin", password + "x")
    with read_session(engine) as session:
        admin = session.exec(select(User).where(User.username == "admin")).one()
        assert admin.role == "admin"

    # The demo newsroom (tests/intake/test_demo.py shows what it holds).
    assert (
        "Demo newsroom: Imported 7 article(s) with 21 claim(s); 3 claim(s) checked, 1 in review, "
        "1 repeat(s) confirmed." in first.output
    )
    claims = _claim_texts(engine)
    assert any("Sergei Shoygu" in text for text in claims)
    assert any("Shoigu was in August 2014" in text for text in claims)
    articles = _articles(engine)
    assert {article.origin for article in articles} == {"fixture"}
    assert "Kerry: U.S. plans military talks with Russian Federation over Syria" in {
        article.title for article in articles
    }
    counts = {model: _count(engine, model) for model in (Article, Claim, User, Alert, Evidence)}

    second = invoke("setup")
    assert second.exit_code == 0, second.output
    assert "password:" not in second.output and password not in second.output
    assert (
        "Demo newsroom: Imported 0 article(s) with 0 claim(s); 7 already in the archive; its "
        "editorial work was done before." in second.output
    )
    assert "users set-password" in second.output
    assert {model: _count(engine, model) for model in counts} == counts
    assert _authenticates(engine, "admin", password)


def test_setup_without_demo_and_with_existing_users(
    invoke: Invoke, engine: sa.Engine, users: dict[str, int]
) -> None:
    result = invoke("setup", "--no-demo")
    assert result.exit_code == 0, result.output
    # There are accounts already, so no admin is made and no password shown.
    assert "password:" not in result.output and "Demo newsroom" not in result.output
    assert _count(engine, Article) == 0 and _count(engine, User) == len(users)
    again = invoke("load-demo")
    assert again.exit_code == 0 and "Imported 7 article(s)" in again.output
    assert "password:" not in again.output
    assert "7 already in the archive" in invoke("load-demo").output


def test_load_demo_on_an_empty_database_creates_the_admin_first(
    invoke: Invoke, engine: sa.Engine
) -> None:
    """The demo's own (disabled) accounts must not count as the users that keep setup from
    creating the first admin."""
    result = invoke("load-demo")
    assert result.exit_code == 0, result.output
    found = re.search(r"user name: admin\n\s*password:\s+(\S+)\n", result.output)
    assert found and _authenticates(engine, "admin", found.group(1))
    assert "password:" not in invoke("setup").output


def test_a_missing_demo_file_is_a_clear_error(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(demo_fixtures=tmp_path)
    result = _invoker(app, app.test_cli_runner())("setup")
    assert result.exit_code == 1
    assert f"The demo needs {tmp_path / 'articles.jsonl'}" in result.output
    assert "user name: admin" in result.output, "the only chance to see the password"


# --- ingest --------------------------------------------------------------------------------------


def test_ingest_one_text_file(invoke: Invoke, engine: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "syria_talks.txt"
    path.write_text(STORY, encoding="utf-8")
    result = invoke("ingest", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Imported 1 article(s) with 2 claim(s)."
    (article,) = _articles(engine)
    assert article.title == "syria talks" and article.origin == "upload"
    assert article.body == STORY.strip()
    assert _claim_texts(engine) == STORY.strip().split("\n")


def test_ingest_a_folder_recursively(invoke: Invoke, engine: sa.Engine, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "world" / "europe").mkdir(parents=True)
    (folder / "a.txt").write_text("Carter spoke with Shoygu on Friday in Geneva.")
    (folder / "world" / "b.MD").write_text("# Shoigu said the talks would go on next week.")
    (folder / "world" / "europe" / "c.html").write_text(HTML)
    (folder / "world" / "d.jsonl").write_text(
        json.dumps({"text": "Peskov said he was unaware of the messages."})
        + "\n"
        + json.dumps({"text": "Hammond said Britain and the U.S. were aligned."})
        + "\n"
    )
    (folder / "e.txt").write_bytes(
        "Prices rose 5 percent in Damascus, traders said.".encode("utf-16")
    )
    # Not articles: skipped without complaint.
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "README").write_text("Drop articles here, the desk said on Monday.")
    (folder / "world" / "notes.docx").write_bytes(b"PK\x03\x04 not a text file")
    (folder / "world" / "europe" / "draft.txt.bak").write_text("An old draft said otherwise.")

    result = invoke("ingest", str(folder))
    assert result.exit_code == 0, result.output
    assert "Imported 6 article(s) with 7 claim(s)." in result.output
    bodies = sorted(a.body for a in _articles(engine))
    assert bodies == sorted(
        [
            "Carter spoke with Shoygu on Friday in Geneva.",
            "# Shoigu said the talks would go on next week.",
            "Carter and Shoygu spoke by telephone for fifty minutes on Friday, the Pentagon said"
            " in a statement.\n"
            "Both sides agreed to keep talking about the conflict in Syria next week.",
            "Peskov said he was unaware of the messages.",
            "Hammond said Britain and the U.S. were aligned.",
            "Prices rose 5 percent in Damascus, traders said.",
        ]
    )
    assert {a.origin for a in _articles(engine)} == {"upload", "html", "jsonl"}

    # Run again: everything is already there, nothing is refused.
    again = invoke("ingest", str(folder))
    assert again.exit_code == 0, again.output
    assert "Imported 0 article(s) with 0 claim(s); 6 already in the archive." in again.output
    assert _count(engine, Article) == 6


def test_ingest_a_folder_without_articles(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "x.pdf").write_bytes(b"%PDF-1.4")
    result = invoke("ingest", str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert "No article files found" in result.output


def test_ingest_jsonl_keeps_metadata(invoke: Invoke, engine: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    records = [
        {
            "title": "Talks begin",
            "url": "https://news.example.com/talks",
            "outlet": "Wire",
            "published": "2015-09-18T14:30:00Z",
            "text": "Military talks between the US and Russia began Friday.",
        },
        {"text": "Kremlin spokesman Dmitry Peskov said he was unaware of any messages."},
        {"text": "Will the talks work? By Jane Smith"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    result = invoke("ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported 3 article(s) with 2 claim(s)." in result.output
    first, second, third = _articles(engine)
    assert (first.title, first.url, first.outlet) == (
        "Talks begin",
        "https://news.example.com/talks",
        "Wire",
    )
    assert first.published_at is not None and first.published_at.isoformat().startswith(
        "2015-09-18T14:30:00"
    )
    assert second.title == records[1]["text"] and second.url is None
    assert {first.origin, second.origin, third.origin} == {"jsonl"}


@pytest.mark.parametrize(
    ("data", "origin", "claims"),
    [
        (STORY.encode("utf-8"), "upload", 2),
        (
            b"\n  " + json.dumps({"text": STORY, "title": "From the wire"}).encode() + b"\n",
            "jsonl",
            2,
        ),
        (HTML.encode("utf-8"), "html", 2),
    ],
    ids=["text", "jsonl", "html"],
)
def test_ingest_from_stdin(
    database_url: str, tmp_path: Path, engine: sa.Engine, data: bytes, origin: str, claims: int
) -> None:
    result = _flask(database_url, tmp_path, "ingest", "-", input=data)
    assert result.returncode == 0, result.stderr
    assert f"Imported 1 article(s) with {claims} claim(s)." in result.stdout
    (article,) = _articles(engine)
    assert article.origin == origin
    assert _count(engine, Claim) == claims


def test_stdin_article_is_titled_by_its_first_line(invoke: Invoke, engine: sa.Engine) -> None:
    assert invoke("ingest", "-", input=STORY).exit_code == 0
    (article,) = _articles(engine)
    assert article.title == STORY.split("\n")[0]


def test_ingest_a_missing_path(invoke: Invoke, engine: sa.Engine, tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text(STORY)
    missing = tmp_path / "no" / "such.txt"
    result = invoke("ingest", str(real), str(missing))
    assert result.exit_code == 2
    assert f"{missing}: no such file or folder" in result.output
    assert "Traceback" not in result.output
    # The command stops before importing anything.
    assert _count(engine, Article) == 0


def test_ingest_a_missing_path_as_a_process(database_url: str, tmp_path: Path) -> None:
    result = _flask(database_url, tmp_path, "ingest", str(tmp_path / "nope.txt"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr and "Traceback" not in result.stderr


def test_malformed_jsonl_imports_nothing(
    database_url: str, tmp_path: Path, engine: sa.Engine
) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [
        json.dumps({"text": "Carter spoke with Shoygu on Friday."}),
        '{"text": "cut off',
        "",
        json.dumps({"title": "No text here"}),
        json.dumps({"text": "Peskov said he was unaware.", "url": "ftp://x.example"}),
        json.dumps({"text": "Hammond said Britain was aligned.", "published": "soon"}),
    ]
    path.write_text("\n".join(lines) + "\n")
    result = _flask(database_url, tmp_path, "ingest", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "4 bad line(s), so nothing from this file was imported" in result.stderr
    for number in (2, 4, 5, 6):
        assert f"line {number}:" in result.stderr
    assert "line 1:" not in result.stderr and "line 3:" not in result.stderr
    assert "Imported 0 article(s) with 0 claim(s); 1 refused." in result.stdout
    assert _count(engine, Article) == 0 and _count(engine, Claim) == 0


def test_a_bad_file_does_not_stop_the_others(
    invoke: Invoke, engine: sa.Engine, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a_bad.jsonl").write_text("not json\n")
    (tmp_path / "in" / "b_binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (tmp_path / "in" / "c_good.txt").write_text(STORY)
    result = invoke("ingest", str(tmp_path / "in"))
    assert result.exit_code == 1
    assert "a_bad.jsonl: 1 bad line(s)" in result.output
    assert "b_binary.txt: this does not look like a text file" in result.output
    assert "Imported 1 article(s) with 2 claim(s); 2 refused." in result.output
    assert [a.body for a in _articles(engine)] == [STORY.strip()]


def test_ingest_duplicates(invoke: Invoke, engine: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text(STORY)
    assert invoke("ingest", str(path)).exit_code == 0
    (tmp_path / "copy.txt").write_text("  " + STORY.replace(" ", "   ") + "\n\n")
    again = invoke("ingest", str(path))
    copy = invoke("ingest", str(tmp_path / "copy.txt"))
    for result in (again, copy):
        assert result.exit_code == 0, result.output
        assert "already in the archive as #" in result.output
        assert "Imported 0 article(s) with 0 claim(s); 1 already in the archive." in result.output
    assert _count(engine, Article) == 1 and _count(engine, Claim) == 2


def test_ingest_too_large_file(make_app, engine: sa.Engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small = make_app(max_upload_bytes=100)
    invoke = _invoker(small, small.test_cli_runner())
    big = tmp_path / "big.txt"
    big.write_text("Carter spoke with Shoygu on Friday. " * 10)
    fits = tmp_path / "fits.txt"
    fits.write_text("Carter spoke with Shoygu on Friday.")
    result = invoke("ingest", str(big), str(fits))
    assert result.exit_code == 1
    assert "big.txt: the file is larger than the limit of 100 bytes." in result.output
    assert "Imported 1 article(s) with 1 claim(s); 1 refused." in result.output
    assert [a.body for a in _articles(engine)] == ["Carter spoke with Shoygu on Friday."]


def test_too_large_stdin_with_the_limit_from_the_environment(
    database_url: str, tmp_path: Path, engine: sa.Engine
) -> None:
    data = ("Carter spoke with Shoygu on Friday. " * 20).encode()
    result = _flask(
        database_url,
        tmp_path,
        "ingest",
        "-",
        input=data,
        env={"WORKBENCH_MAX_UPLOAD_BYTES": "200"},
    )
    assert result.returncode == 1
    assert "larger than the limit of 200 bytes" in result.stderr
    assert _count(engine, Article) == 0


# --- users ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
def test_users_create(invoke: Invoke, engine: sa.Engine, role: str) -> None:
    result = invoke("users", "create", "alice", "--role", role, input="long password 1\n" * 2)
    assert result.exit_code == 0, result.output
    assert f"Created {role} 'alice'." in result.output
    assert "long password 1" not in result.output
    assert _authenticates(engine, "alice", "long password 1")
    with read_session(engine) as session:
        assert session.exec(select(User.role).where(User.username == "alice")).one() == role


def test_users_create_default_role_is_editor(invoke: Invoke, engine: sa.Engine) -> None:
    assert invoke("users", "create", "bob", input="long password 1\n" * 2).exit_code == 0
    with read_session(engine) as session:
        assert session.exec(select(User.role).where(User.username == "bob")).one() == "editor"


@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (["users", "create", "carol"], "short\nshort\n", "at least 10 characters"),
        (["users", "create", "editor"], "long password 1\n" * 2, "already a user called 'editor'"),
        (["users", "create", "carol"], "long password 1\nlong password 2\n", "do not match"),
        (["users", "create", "carol", "--role", "root"], "long password 1\n" * 2, "root"),
    ],
    ids=["short", "taken", "mismatch", "bad-role"],
)
def test_users_create_refusals(
    invoke: Invoke,
    engine: sa.Engine,
    users: dict[str, int],
    args: list[str],
    input: str,
    message: str,
) -> None:
    result = invoke(*args, input=input)
    assert result.exit_code != 0
    assert message in result.output
    assert _count(engine, User) == len(users)
    assert _authenticates(engine, "editor", PASSWORD)


def test_users_set_password(invoke: Invoke, engine: sa.Engine, users: dict[str, int]) -> None:
    with committed(engine) as session:
        epoch = session.get(User, users["editor"]).session_epoch
        api = tokens.create_token(session, users["editor"], "script")[1]
        feed = tokens.create_token(session, users["editor"], "reader", TokenKind.FEED)[1]
        other = tokens.create_token(session, users["viewer"], "script")[1]
    result = invoke("users", "set-password", "editor", input="a brand new pw\n" * 2)
    assert result.exit_code == 0, result.output
    assert "Password changed for 'editor'; 2 token(s) revoked." in result.output
    with read_session(engine) as session:
        assert tokens.user_for_token(session, api) is None
        assert tokens.user_for_token(session, feed, [TokenKind.FEED]) is None
        assert tokens.user_for_token(session, other) is not None
    assert _authenticates(engine, "editor", "a brand new pw")
    assert not _authenticates(engine, "editor", PASSWORD)
    assert _authenticates(engine, "viewer", PASSWORD)
    with read_session(engine) as session:
        assert session.get(User, users["editor"]).session_epoch == epoch + 1


def test_users_disable_enable_and_revoke_tokens(
    invoke: Invoke, engine: sa.Engine, users: dict[str, int]
) -> None:
    with committed(engine) as session:
        raw = tokens.create_token(session, users["editor"], "script")[1]
    assert invoke("users", "disable", "editor").output.strip() == "'editor' is disabled."
    assert not _authenticates(engine, "editor", PASSWORD)
    with read_session(engine) as session:
        assert tokens.user_for_token(session, raw) is None  # a disabled user's token is dead
        assert session.get(User, users["editor"]).session_epoch == 1  # sessions ended
    assert "already disabled" in invoke("users", "disable", "editor").output
    assert invoke("users", "enable", "editor").output.strip() == "'editor' is enabled."
    assert _authenticates(engine, "editor", PASSWORD)

    result = invoke("users", "revoke-tokens", "editor")
    assert result.exit_code == 0 and "Revoked 1 token(s) of 'editor'." in result.output
    with read_session(engine) as session:
        assert tokens.user_for_token(session, raw) is None  # revoked for good
    for command in ("disable", "enable", "revoke-tokens"):
        missing = invoke("users", command, "nobody")
        assert missing.exit_code == 1 and "There is no user called 'nobody'." in missing.output


@pytest.mark.parametrize(
    ("name", "input", "message"),
    [
        ("editor", "tiny\ntiny\n", "at least 10 characters"),
        ("nobody", "a brand new pw\n" * 2, "There is no user called 'nobody'."),
    ],
)
def test_users_set_password_refusals(
    invoke: Invoke, engine: sa.Engine, users: dict[str, int], name: str, input: str, message: str
) -> None:
    result = invoke("users", "set-password", name, input=input)
    assert result.exit_code == 1
    assert message in result.output
    assert _authenticates(engine, "editor", PASSWORD)
    with read_session(engine) as session:
        assert session.get(User, users["editor"]).session_epoch == 0
