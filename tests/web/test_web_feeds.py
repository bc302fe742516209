"""Links and feeds through the web: an address pasted into "Add article", `POST /api/articles`
with a `url`, the Feeds page (subscribe, poll now, pause, remove, health) and the queue's and
export's feed filter."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from conftest import AuthActions, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from news_site import Story, publish, stories
from werkzeug.test import TestResponse

from workbench.db import read_session
from workbench.models import Article, AuditEvent, Feed


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(egress_allow=("127.0.0.0/8",))


def _login(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(role).status_code == 302
    return client


def _post(client: FlaskClient, path: str, page: str, **fields: Any) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_token(client, page), **fields})


def _serve(origin, count: int) -> list[Story]:  # type: ignore[no-untyped-def]
    entries = stories(count)
    publish(origin, entries)
    return entries


def _articles(app: Flask) -> list[Article]:
    with read_session(app.extensions["workbench.engine"]) as db:
        return list(db.execute(sa.select(Article).order_by(Article.id)).scalars())


def test_an_address_pasted_as_the_text_is_fetched(app: Flask, users, origin) -> None:  # type: ignore[no-untyped-def]
    story = _serve(origin, 1)[0]
    editor = _login(app, "editor")
    url = origin.url(f"/{story.slug}")
    response = _post(editor, "/articles/new", "/articles/new", text=f"  {url}  ")
    assert response.status_code == 302
    (article,) = _articles(app)
    assert response.headers["Location"].endswith(f"/articles/{article.id}")
    assert article.url == url and article.origin == "link" and article.title == story.title
    assert article.ingested_by_id == users["editor"]

    again = _post(editor, "/articles/new", "/articles/new", url=url)
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert f"#{article.id}" in page and "same address" in page
    assert origin.hits(f"/{story.slug}") == 1


def test_a_refused_address_keeps_the_form_and_says_why(make_app, users, origin) -> None:  # type: ignore[no-untyped-def]
    app = make_app()  # loopback not allowed
    story = _serve(origin, 1)[0]
    editor = _login(app, "editor")
    url = origin.url(f"/{story.slug}")
    response = _post(editor, "/articles/new", "/articles/new", url=url, title="Kept")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "loopback" in page and 'value="Kept"' in page
    assert origin.hits(f"/{story.slug}") == 0 and _articles(app) == []


def test_the_api_takes_an_address_alone(app: Flask, users, origin) -> None:  # type: ignore[no-untyped-def]
    story = _serve(origin, 1)[0]
    editor = _login(app, "editor")
    token = csrf_token(editor, "/articles/new")
    headers = {"X-CSRFToken": token}
    made = editor.post("/api/articles", json={"url": origin.url(f"/{story.slug}")}, headers=headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["origin"] == "link" and body["title"] == story.title and body["claim_count"] >= 3
    again = editor.post(
        "/api/articles", json={"url": origin.url(f"/{story.slug}")}, headers=headers
    )
    assert again.status_code == 409 and again.get_json()["error"]["article_id"] == body["id"]
    origin.route("/doc.pdf", body=b"%PDF", headers={"Content-Type": "application/pdf"})
    pdf = editor.post("/api/articles", json={"url": origin.url("/doc.pdf")}, headers=headers)
    assert pdf.status_code == 422 and "PDF" in pdf.get_json()["error"]["message"]
    neither = editor.post("/api/articles", json={"title": "x"}, headers=headers)
    assert neither.status_code == 400 and neither.get_json()["error"]["code"] == "missing_field"


def test_an_admin_subscribes_polls_now_and_sees_the_feeds_health(app: Flask, users, origin) -> None:  # type: ignore[no-untyped-def]
    entries = _serve(origin, 2)
    admin = _login(app, "admin")
    added = _post(admin, "/feeds/", "/feeds/", url=origin.url("/rss"), every="30")
    assert added.status_code == 302
    with read_session(app.extensions["workbench.engine"]) as db:
        feed = db.execute(sa.select(Feed)).scalar_one()
        assert feed.every_minutes == 30
        assert db.execute(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "feed")
        ).scalars().all() == ["feed.subscribe"]

    polled = _post(admin, f"/feeds/{feed.id}/poll", "/feeds/")
    assert polled.status_code == 302
    page = admin.get("/feeds/").get_data(as_text=True)
    assert "2 new entries, 2 imported" in page
    assert "Daily World" in page and f'id="feed-{feed.id}"' in page
    assert [a.title for a in _articles(app)] == [s.title for s in entries]

    queue = admin.get(f"/claims/?feed_id={feed.id}").get_data(as_text=True)
    assert entries[0].sentences[0] in queue
    other = admin.get(f"/claims/?feed_id={feed.id + 1}").get_data(as_text=True)
    assert entries[0].sentences[0] not in other
    export = admin.get(f"/export/download?format=csv&feed_id={feed.id}")
    assert export.status_code == 200 and entries[0].sentences[0] in export.get_data(as_text=True)

    origin.route("/rss", body=b"down", status=503)
    _post(admin, f"/feeds/{feed.id}/poll", "/feeds/")
    page = admin.get("/feeds/").get_data(as_text=True)
    assert "failing" in page and "503" in page

    assert _post(admin, f"/feeds/{feed.id}/pause", "/feeds/").status_code == 302
    assert "paused" in admin.get("/feeds/").get_data(as_text=True)
    assert _post(admin, f"/feeds/{feed.id}/delete", "/feeds/").status_code == 302
    assert len(_articles(app)) == 2, "a removed feed's articles stay"


def test_bad_subscriptions_are_refused_with_the_form_kept(app: Flask, users) -> None:  # type: ignore[no-untyped-def]
    admin = _login(app, "admin")
    for fields, expected in [
        ({"url": "ftp://news.example/rss"}, "https://"),
        ({"url": "https://news.example/rss", "every": "often"}, "whole number"),
        ({"url": "https://news.example/rss", "every": "0"}, "every 1 to"),
        ({"url": "http://169.254.169.254/rss"}, "metadata"),
    ]:
        response = _post(admin, "/feeds/", "/feeds/", **fields)
        assert response.status_code == 400, fields
        assert expected in response.get_data(as_text=True), fields


def test_editors_see_feeds_but_only_admins_change_them(app: Flask, users) -> None:  # type: ignore[no-untyped-def]
    editor = _login(app, "editor")
    page = editor.get("/feeds/")
    assert page.status_code == 200 and "Add feed" not in page.get_data(as_text=True)
    refused = _post(editor, "/feeds/", "/feeds/", url="https://news.example/rss")
    assert refused.status_code == 403
