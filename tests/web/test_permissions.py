"""Every route, every role, against the one permission table (web/permissions.py): a new route
that is not in the table fails here, and so does a view whose decorator disagrees with it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, csrf_token
from flask import Flask
from sqlmodel import Session, select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Alias, AuditEvent, Claim, DuplicateSuggestion, Role
from workbench.review import verdicts as review
from workbench.review.verdicts import SourceInput
from workbench.web.permissions import REQUIRED_ROLE, TOKEN_ROUTES, allows

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
    }
    session.rollback()  # end the write transaction: the app's requests write next
    return found


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


def test_every_route_is_in_the_permission_table(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _routes(app)}
    assert endpoints - set(REQUIRED_ROLE) == set(), "routes missing from REQUIRED_ROLE"
    assert set(REQUIRED_ROLE) - endpoints == set(), "stale entries in REQUIRED_ROLE"


def test_view_decorators_agree_with_the_table(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        declared = getattr(view, "required_role", "undeclared")
        if declared != "undeclared":
            assert declared == REQUIRED_ROLE[endpoint], endpoint


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_each_role_reaches_exactly_what_the_table_allows(
    app: Flask, ids: dict[str, int], role: Role | None
) -> None:
    client = app.test_client()
    if role is not None:
        login = client.post(
            "/auth/login",
            data={"username": role.value, "password": PASSWORD, "csrf_token": csrf_token(client)},
        )
        assert login.status_code == 302
    token = csrf_token(client, "/auth/login")
    for endpoint, method, rule in _routes(app):
        if endpoint in ("auth.logout", "auth.login") and method == "POST":
            continue  # would end or replace the walk's own session; tested in test_auth.py
        path = _path(rule, ids)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.open(path, method=method, data={"csrf_token": token})
        needed = REQUIRED_ROLE[endpoint]
        where = f"{role} {method} {path}"
        if endpoint in TOKEN_ROUTES:
            assert response.status_code == 401, where  # no token sent
        elif allows(role, needed):
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
