"""Every route, every role, against the table of who may use which view, read from the mark each
view carries (web/access.py): a view without a mark fails here and is refused to everyone."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, AuthActions, csrf_token
from flask import Flask, g
from sqlmodel import Session, select

from workbench.accounts import tokens
from workbench.db import write_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import (
    Alias,
    AuditEvent,
    Claim,
    DuplicateSuggestion,
    Feed,
    Role,
    TokenKind,
)
from workbench.review import verdicts as review
from workbench.review.verdicts import SourceInput
from workbench.web.access import (
    access_table,
    allow,
    allow_anyone,
    allow_feed_token,
    required_roles,
)

ROLES = [None, Role.VIEWER, Role.EDITOR, Role.ADMIN]


@pytest.fixture
def ids(session: Session, users: dict[str, int]) -> dict[str, int]:
    """One of everything a route can name."""
    ingest_article(
        session,
        ArticleInput(
            body="Defense minister Sergei Shoigu met the delegation in Moscow on Friday.",
            title="One",
        ),
    )
    ingest_article(
        session,
        ArticleInput(
            body="Russian defense minister Sergei Shoygu met the delegation in Moscow on Friday.",
            title="Two",
        ),
    )
    claim = session.exec(select(Claim).order_by(Claim.id)).first()
    evidence = review.link_evidence(
        session,
        claim.id,
        users["editor"],
        claim.version,
        stance="supports",
        new_source=SourceInput(title="Minutes"),
    )
    suggestion = session.exec(select(DuplicateSuggestion)).first()
    assert suggestion is not None, "the two reports should be suggested as duplicates"
    found = {
        "claim_id": claim.id,
        "article_id": claim.article_id,
        "evidence_id": evidence.id,
        "suggestion_id": suggestion.id,
        "alias_id": session.exec(select(Alias.id)).first(),
        "user_id": users["viewer"],
        # A name that never resolves: the admin's "poll now" in the walk reaches no one.
        "feed_id": _feed(session),
    }
    session.rollback()  # end the write transaction: the app's requests write next
    return found


def _feed(session: Session) -> int:
    feed = Feed(url="https://feeds.invalid/rss", title="Walk")
    session.add(feed)
    session.commit()
    return feed.id  # type: ignore[return-value]


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every route, with real ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def _path(rule: str, ids: dict[str, int]) -> str:
    path = re.sub(r"<path:filename>", "style.css", rule)
    path = re.sub(r"<any\(([a-z]+)[^)]*\):\w+>", r"\1", path)
    # An id the fixture did not make is 1: a 404 still shows the permission check let it through.
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), path)


def _allows(role: Role | None, needed: Role | None) -> bool:
    return needed is None or (role is not None and role >= needed)


def test_every_view_says_who_may_use_it(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _routes(app)}
    assert endpoints - set(required_roles(app)) == set(), "views without @allow..."
    assert set(required_roles(app)) - endpoints == set(), "marked views without a route"


def test_the_health_probes_are_open_to_anyone(app: Flask) -> None:
    """Load balancers and orchestrators have no session; the probes say nothing private."""
    roles = required_roles(app)
    assert roles["health.healthz"] is None and roles["health.readyz"] is None
    client = app.test_client()
    for path in ("/healthz", "/readyz"):
        answer = client.get(path)
        assert answer.status_code in (200, 503) and "Location" not in answer.headers, path


def test_a_view_says_it_once() -> None:
    @allow(Role.EDITOR)
    def view() -> str:
        return ""

    with pytest.raises(TypeError, match="already says who may use it"):
        allow_anyone(view)
    with pytest.raises(TypeError, match="already says who may use it"):
        allow(Role.VIEWER)(view)


def test_writes_need_an_editor_except_logging_in_and_ones_own_tokens(app: Flask) -> None:
    roles = required_roles(app)
    own = {"auth.login", "auth.logout", "account.create_token", "account.revoke_token"}
    for endpoint, method, rule in _routes(app):
        if method != "GET" and endpoint not in own:
            assert not _allows(Role.VIEWER, roles[endpoint]), f"{method} {rule}"
    for endpoint in roles:
        if endpoint.startswith("admin."):
            assert roles[endpoint] == Role.ADMIN, endpoint


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_a_view_without_a_mark_is_refused_to_everyone(
    make_app, users: dict[str, int], caplog: pytest.LogCaptureFixture, role: Role | None
) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "open to all")
    app.add_url_rule("/api/forgotten", "api.forgotten", lambda: {"open": True})
    client = app.test_client()
    if role is not None:
        assert AuthActions(client).login(role.value).status_code == 302
    with caplog.at_level(logging.ERROR):
        page = client.get("/forgotten")
        assert page.status_code == 403
        assert "not open to anyone yet" in page.get_data(as_text=True)
        api = client.get("/api/forgotten")
        assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    refusals = [r for r in caplog.records if "does not say who may use it" in r.getMessage()]
    assert len(refusals) == 2


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_each_role_reaches_exactly_what_the_marks_allow(
    app: Flask, ids: dict[str, int], role: Role | None
) -> None:
    client = app.test_client()
    if role is not None:
        assert AuthActions(client).login(role.value).status_code == 302
    token = csrf_token(client, "/auth/login")
    roles = required_roles(app)
    feed_token_views = {e for e, access in access_table(app).items() if access.feed_token}
    for endpoint, method, rule in _routes(app):
        if endpoint in ("auth.logout", "auth.login") and method == "POST":
            continue  # would end or replace the walk's own session; tested in test_auth.py
        path = _path(rule, ids)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.open(path, method=method, data={"csrf_token": token})
        needed = roles[endpoint]
        where = f"{role} {method} {path}"
        if endpoint in feed_token_views:
            assert response.status_code == 401, where  # no token sent
        elif _allows(role, needed):
            assert response.status_code not in (401, 403), where
            assert "/auth/login" not in response.headers.get("Location", "") or needed is None, (
                where
            )
        elif role is None and path.startswith("/api/"):
            assert response.status_code == 401, where
            assert response.get_json()["error"]["code"] == "unauthorized", where
        elif role is None:
            assert response.status_code == 302, where
            assert "/auth/login" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where


def test_no_get_changes_anything(app: Flask, ids: dict[str, int], engine: sa.Engine) -> None:
    def state() -> tuple[int, list[tuple[int, int]]]:
        with Session(engine) as db:
            events = db.exec(select(sa.func.count()).select_from(AuditEvent)).one()
            versions = db.exec(select(Claim.id, Claim.version).order_by(Claim.id)).all()
            return events, list(versions)

    client = app.test_client()
    client.post(
        "/auth/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    before = state()
    for _endpoint, method, rule in _routes(app):
        if method == "GET":
            client.get(_path(rule, ids))
    assert state() == before


def test_a_post_without_the_csrf_token_is_refused(app: Flask, ids: dict[str, int]) -> None:
    client = app.test_client()
    client.post(
        "/auth/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    for endpoint, method, rule in _routes(app):
        if method != "GET" and endpoint != "auth.login":
            response = client.open(_path(rule, ids), method=method, data={})
            # The API answers a browser session without its CSRF header with a JSON 403.
            expected = 403 if rule.startswith("/api/") else 400
            assert response.status_code == expected, f"{method} {rule}"


def test_the_caller_is_found_once_and_says_how(make_app, users: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()

    def whoami() -> dict[str, str | None]:
        return {"user": g.user.username if g.user else None, "via": g.via}

    app.add_url_rule("/whoami", "whoami", allow_anyone(whoami))
    app.add_url_rule("/api/whoami", "api.whoami", allow(Role.VIEWER)(lambda: whoami()))
    app.add_url_rule("/feed-whoami", "feed_whoami", allow_feed_token(lambda: whoami()))
    with write_session(app.extensions["workbench.engine"]) as db:
        api_token = tokens.create_token(db, users["editor"], "script")[1]
        feed_token = tokens.create_token(db, users["viewer"], "reader", TokenKind.FEED)[1]
        db.commit()
    client = app.test_client()
    assert client.get("/whoami").get_json() == {"user": None, "via": None}
    client.post(
        "/auth/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert client.get("/whoami").get_json() == {"user": "admin", "via": "session"}
    assert client.get("/api/whoami").get_json() == {"user": "admin", "via": "session"}
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/whoami", headers=bearer).get_json() == {
        "user": "editor",
        "via": "api_token",
    }
    # The feed does not count the session: a feed reader has none.
    assert client.get("/feed-whoami").status_code == 401
    assert client.get(f"/feed-whoami?token={feed_token}").get_json() == {
        "user": "viewer",
        "via": "feed_token",
    }
