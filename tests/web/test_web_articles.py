"""Adding articles through the web form, showing them, and who may do it."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import AuthActions, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Article, Claim

CLAIM_1 = "Unemployment fell to 4.1 percent in March, the lowest level since 2001."
CLAIM_2 = "The city spent $12 million on the new bridge last year."
BODY = f"{CLAIM_1}\n{CLAIM_2}"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


def _post_article(client: FlaskClient, **fields: Any) -> TestResponse:
    data = {"csrf_token": csrf_token(client, "/articles/new"), **fields}
    return client.post("/articles/new", data=data, content_type="multipart/form-data")


def _upload(client: FlaskClient, name: str, content: bytes, **fields: Any) -> TestResponse:
    return _post_article(client, file=(io.BytesIO(content), name), **fields)


def _count(engine: sa.Engine, model: type) -> int:
    with read_session(engine) as db:
        return db.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _articles(engine: sa.Engine) -> list[Article]:
    with read_session(engine) as db:
        return list(db.execute(sa.select(Article).order_by(Article.id)).scalars())


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _error_flashes(response: TestResponse) -> str:
    return " ".join(re.findall(r'<li class="flash error">(.*?)</li>', _text(response), re.S))


# --- Adding articles ------------------------------------------------------------------------------


def test_pasted_article_is_stored_and_shown_with_its_claims(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    response = _post_article(
        editor,
        title="Jobs and bridges",
        text=BODY,
        url="https://news.example/jobs",
        outlet="Daily Example",
        published="2015-09-18",
    )
    assert response.status_code == 302
    [article] = _articles(engine)
    assert response.headers["Location"] == f"/articles/{article.id}"
    assert article.url == "https://news.example/jobs"
    assert article.published_at is not None and article.published_at.date().isoformat() == (
        "2015-09-18"
    )

    page = editor.get(response.headers["Location"])
    assert page.status_code == 200
    html = _text(page)
    assert "<h1>Jobs and bridges</h1>" in html
    assert "2 claims" in html
    assert html.count('class="claim-text"') == 2
    assert str(escape(CLAIM_1)) in html and str(escape(CLAIM_2)) in html
    assert 'href="https://news.example/jobs"' in html
    assert "Daily Example" in html and "2015-09-18" in html
    assert "Imported #" in html  # the flash from the redirect
    assert 'class="body"' in html and html.count("<mark") == 2


def test_untitled_article_takes_its_first_line_as_title(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    assert _post_article(editor, text=f"Bridge costs\n\n{CLAIM_2}").status_code == 302
    assert [a.title for a in _articles(engine)] == ["Bridge costs"]


def test_txt_upload_is_stored(editor: FlaskClient, engine: sa.Engine) -> None:
    response = _upload(editor, "bridge_report.txt", BODY.encode("utf-8"))
    assert response.status_code == 302
    [article] = _articles(engine)
    assert response.headers["Location"] == f"/articles/{article.id}"
    assert article.title == "bridge report"
    assert article.origin == "upload"
    assert _count(engine, Claim) == 2
    assert str(escape(CLAIM_2)) in _text(editor.get(response.headers["Location"]))


def test_jsonl_upload_stores_every_line(editor: FlaskClient, engine: sa.Engine) -> None:
    lines = [
        {"title": "Jobs", "text": CLAIM_1, "url": "https://a.example/1", "published": "2020-01-02"},
        {"title": "Bridge", "text": CLAIM_2, "outlet": "Example Post"},
    ]
    content = "\n".join(json.dumps(line) for line in lines).encode("utf-8")
    response = _upload(editor, "batch.jsonl", content)
    assert response.status_code == 302
    assert response.headers["Location"] == "/articles/"
    articles = _articles(engine)
    assert [a.title for a in articles] == ["Jobs", "Bridge"]
    assert {a.origin for a in articles} == {"jsonl"}
    assert articles[1].outlet == "Example Post"
    listing = _text(editor.get("/articles/"))
    assert "Jobs" in listing and "Bridge" in listing and "Imported #" in listing


def test_file_takes_precedence_over_pasted_text(editor: FlaskClient, engine: sa.Engine) -> None:
    response = _upload(editor, "story.txt", CLAIM_1.encode(), text=CLAIM_2)
    assert response.status_code == 302
    assert [a.body for a in _articles(engine)] == [CLAIM_1]


# --- Bad input: 400, a clear message, and nothing the user typed is lost --------------------------

KEPT_TITLE = 'My draft <kept> & "quoted"'
KEPT_TEXT = "The draft text the editor pasted, 42 words long & <b>not</b> lost."


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"text": "   \n\t "}, "The article has no text", id="empty-text"),
        pytest.param(
            {"url": "ftp://files.example/a.txt"}, "must start with http:// or https://", id="ftp"
        ),
        pytest.param(
            {"url": "javascript:alert(1)"}, "must start with http:// or https://", id="js-url"
        ),
        pytest.param(
            {"published": "18/09/2015"}, "publication date must be a date like", id="bad-date"
        ),
        pytest.param({"published": "2015-02-30"}, "publication date", id="no-such-day"),
        pytest.param(
            {"file": (io.BytesIO(b"\x00\x01\x02\x03PK\x03\x04" * 200), "scan.txt")},
            "does not look like a text file",
            id="binary-upload",
        ),
        pytest.param(
            {"file": (io.BytesIO(b"%PDF-1.7 ..."), "report.pdf")},
            "unsupported file type",
            id="pdf-upload",
        ),
        pytest.param(
            {
                "file": (
                    io.BytesIO(
                        b'{"title": "ok", "text": "Fine text here."}\n'
                        b"{not json\n"
                        b'{"title": "no text"}\n'
                        b'["a list"]\n'
                    ),
                    "batch.jsonl",
                )
            },
            "line 2: not valid JSON",
            id="malformed-jsonl",
        ),
    ],
)
def test_bad_input_rerenders_the_form_with_a_message_and_keeps_the_input(
    editor: FlaskClient, engine: sa.Engine, fields: dict[str, Any], message: str
) -> None:
    data = {"title": KEPT_TITLE, "text": KEPT_TEXT, "outlet": "Kept Outlet", **fields}
    response = _post_article(editor, **data)
    assert response.status_code == 400
    assert message in _error_flashes(response)
    html = _text(response)
    assert '<form method="post"' in html  # the form again, not an error page
    assert f'value="{escape(KEPT_TITLE)}"' in html
    assert 'value="Kept Outlet"' in html
    if "text" not in fields:
        assert f">{escape(KEPT_TEXT)}</textarea>" in html
    if "url" in fields:
        assert f'value="{escape(fields["url"])}"' in html
    if "published" in fields:
        assert f'value="{fields["published"]}"' in html
    assert _count(engine, Article) == 0 and _count(engine, Claim) == 0


def test_malformed_jsonl_names_every_bad_line(editor: FlaskClient, engine: sa.Engine) -> None:
    content = (
        b'{"title": "ok", "text": "Fine text here."}\n'
        b"{not json\n"
        b'{"title": "no text"}\n'
        b"\n"
        b'["a list"]\n'
        b'{"text": "Fine.", "url": "javascript:alert(1)"}\n'
    )
    response = _upload(editor, "batch.jsonl", content)
    assert response.status_code == 400
    message = _error_flashes(response)
    assert "batch.jsonl: 4 bad line(s), so nothing from this file was imported" in message
    for number in (2, 3, 5, 6):
        assert f"line {number}:" in message
    assert "line 1:" not in message and "line 4:" not in message
    assert _count(engine, Article) == 0


def test_duplicate_article_is_refused_as_already_in_the_archive(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    assert _post_article(editor, title="First", text=BODY).status_code == 302
    # Same words with different spacing are the same article.
    response = _post_article(editor, title="Again", text=BODY.replace(" ", "  ") + "\n\n")
    assert response.status_code == 400
    message = _error_flashes(response)
    assert "already in the archive" in message and "First" in message
    assert 'value="Again"' in _text(response)
    assert [a.title for a in _articles(engine)] == ["First"]
    assert _count(engine, Claim) == 2


def test_jsonl_with_only_known_articles_reports_them_as_duplicates(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    assert _post_article(editor, text=CLAIM_1).status_code == 302
    response = _upload(editor, "again.jsonl", json.dumps({"text": CLAIM_1}).encode())
    assert response.status_code == 400
    assert "already in the archive" in _error_flashes(response)
    assert _count(engine, Article) == 1


# --- Size limits ----------------------------------------------------------------------------------


@pytest.fixture
def small_editor(make_app: Callable[..., Flask], users: dict[str, int]) -> FlaskClient:
    client = make_app(max_upload_bytes=1000).test_client()
    assert AuthActions(client).login("editor").status_code == 302
    return client


def test_file_over_the_upload_limit_is_refused(small_editor: FlaskClient) -> None:
    engine = small_editor.application.extensions["workbench.engine"]
    response = _upload(small_editor, "long.txt", (CLAIM_2 + "\n").encode() * 40)
    assert response.status_code == 400
    message = _error_flashes(response)
    assert "long.txt: the file is larger than the limit of 1,000 bytes" in message
    assert "1,001" not in message  # not the size of the part that was read
    assert _count(engine, Article) == 0


def test_pasted_text_over_the_limit_is_refused(small_editor: FlaskClient) -> None:
    engine = small_editor.application.extensions["workbench.engine"]
    text = " ".join([CLAIM_1] * 20)
    response = _post_article(small_editor, title="Long", text=text)
    assert response.status_code == 400
    assert "longer than the limit of 1,000 bytes" in _error_flashes(response)
    assert f">{escape(text)}</textarea>" in _text(response)
    assert _count(engine, Article) == 0


def test_request_body_over_max_content_length_gets_the_413_page(
    small_editor: FlaskClient,
) -> None:
    engine = small_editor.application.extensions["workbench.engine"]
    huge = (CLAIM_2 + "\n").encode() * 2000  # about 114 kB, over the 1,000 + 64 kB allowed
    response = _upload(small_editor, "huge.txt", huge)
    assert response.status_code == 413
    html = _text(response)
    assert "That upload is too large" in html and "1,000 bytes" in html
    assert _count(engine, Article) == 0


# --- Who may add articles -------------------------------------------------------------------------


def test_viewer_may_not_add_articles(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine
) -> None:
    auth.login("viewer")
    assert client.get("/articles/new").status_code == 403
    token = csrf_token(client, "/articles/")
    response = client.post("/articles/new", data={"csrf_token": token, "text": BODY})
    assert response.status_code == 403
    assert "needs the editor role" in _text(response)
    assert "Add article" not in _text(client.get("/articles/"))
    assert _count(engine, Article) == 0


def test_admin_may_add_articles(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("admin")
    assert client.get("/articles/new").status_code == 200
    assert _post_article(client, text=BODY).status_code == 302


@pytest.mark.parametrize("path", ["/articles/new", "/articles/", "/articles/1", "/claims/"])
def test_anonymous_users_are_sent_to_log_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_anonymous_post_to_the_form_stores_nothing(client: FlaskClient, engine: sa.Engine) -> None:
    token = csrf_token(client)
    response = client.post("/articles/new", data={"csrf_token": token, "text": BODY})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert _count(engine, Article) == 0


# --- Output escaping ------------------------------------------------------------------------------


def test_hostile_title_and_text_are_escaped_everywhere(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    title = f"{SCRIPT} {IMG}"
    text = (
        f"{IMG} The mayor said the city spent $12 million on the bridge in 2019.\n"
        f"{SCRIPT} Crime fell by 12 percent last year."
    )
    response = _post_article(editor, title=title, text=text, outlet=SCRIPT)
    assert response.status_code == 302
    [article] = _articles(engine)
    assert _count(engine, Claim) == 2

    pages = {
        "article": editor.get(f"/articles/{article.id}"),
        "articles": editor.get("/articles/"),
        "claims": editor.get("/claims/"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        html = _text(page)
        assert SCRIPT not in html, name
        assert "<img" not in html, name
        assert str(escape(SCRIPT)) in html, name
        assert str(escape(IMG)) in html, name


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,hi"],
)
def test_non_web_article_url_is_not_a_link(
    editor: FlaskClient, engine: sa.Engine, url: str
) -> None:
    with committed(engine) as db:
        result = ingest_article(db, ArticleInput(body=BODY, title="Linked", url=url))
    html = _text(editor.get(f"/articles/{result.article.id}"))
    assert "href=" in html  # the page has links (navigation), just not this one
    assert not re.search(r'href="\s*(javascript|data):', html, re.I)
    assert str(escape(url.strip())) in html  # still shown, as text


def test_web_article_url_with_quotes_stays_inside_the_href(
    editor: FlaskClient, engine: sa.Engine
) -> None:
    url = 'https://news.example/a" onmouseover="alert(1)'
    with committed(engine) as db:
        result = ingest_article(db, ArticleInput(body=BODY, title="Quoted", url=url))
    html = _text(editor.get(f"/articles/{result.article.id}"))
    assert 'onmouseover="alert(1)"' not in html
    assert f'href="{escape(url)}"' in html


# --- Not found and paging -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/articles/999999", "/articles/0", "/articles/abc"])
def test_missing_article_is_404(editor: FlaskClient, path: str) -> None:
    response = editor.get(path)
    assert response.status_code == 404
    assert "Not found" in _text(response)
