"""Admins' list of users: disable an account (its sessions end, its tokens stop) and revoke any
user's tokens, from the web; the same from the command line is in test_cli.py."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, AuthActions, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient

from workbench.accounts import tokens
from workbench.db import read_session
from workbench.models import AuditEvent, TokenKind, User


def _post(client: FlaskClient, path: str) -> str:
    response = client.post(path, data={"csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 302, path
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _flash(page: str) -> list[str]:
    return re.findall(r'<li class="flash \w+">([^<]*)</li>', page)


def test_an_admin_disables_enables_and_revokes_tokens(
    app: Flask, client: FlaskClient, auth: AuthActions, engine: sa.Engine, users: dict[str, int]
) -> None:
    with committed(engine) as db:
        api = tokens.create_token(db, users["editor"], "script")[1]
        feed = tokens.create_token(db, users["editor"], "reader", TokenKind.FEED)[1]
    editor = app.test_client()
    AuthActions(editor).login("editor")
    assert editor.get("/claims/").status_code == 200

    auth.login("admin")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert f'id="user-{users["editor"]}"' in listing and "Revoke tokens" in listing

    page = _post(client, f"/admin/users/{users['editor']}/disable")
    assert _flash(page) == [
        "editor is disabled: their sessions have ended and their tokens no longer work."
    ]
    assert editor.get("/claims/").status_code == 302  # the open session ended at once
    assert (
        app.test_client().get("/api/claims", headers={"Authorization": f"Bearer {api}"}).status_code
        == 401
    )
    assert AuthActions(app.test_client()).login("editor").status_code == 401

    page = _post(client, f"/admin/users/{users['editor']}/enable")
    assert _flash(page) == ["editor may log in again."]
    assert AuthActions(app.test_client()).login("editor", PASSWORD).status_code == 302

    page = _post(client, f"/admin/users/{users['editor']}/revoke-tokens")
    assert _flash(page) == ["Revoked 2 token(s) of editor."]
    with read_session(engine) as db:
        assert tokens.user_for_token(db, api) is None
        assert tokens.user_for_token(db, feed, [TokenKind.FEED]) is None
        actions = set(db.execute(sa.select(AuditEvent.action)).scalars())
    assert {"user.disable", "user.enable", "token.revoke_all"} <= actions


def test_an_admin_cannot_disable_their_own_account(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, users: dict[str, int]
) -> None:
    auth.login("admin")
    page = _post(client, f"/admin/users/{users['admin']}/disable")
    assert _flash(page) == ["You cannot disable your own account; ask another administrator."]
    with read_session(engine) as db:
        assert db.get(User, users["admin"]).is_active


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_manage_users(
    client: FlaskClient, auth: AuthActions, users: dict[str, int], role: str
) -> None:
    auth.login(role)
    assert client.get("/admin/users").status_code == 403
    token = csrf_token(client, "/claims/")
    for path in (
        f"/admin/users/{users['viewer']}/disable",
        f"/admin/users/{users['viewer']}/revoke-tokens",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 403


def test_user_actions_need_the_csrf_token(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, users: dict[str, int]
) -> None:
    auth.login("admin")
    assert client.post(f"/admin/users/{users['editor']}/disable").status_code == 400
    with read_session(engine) as db:
        assert db.get(User, users["editor"]).is_active
    assert (
        client.post(
            "/admin/users/999999/disable", data={"csrf_token": csrf_token(client, "/admin/users")}
        ).status_code
        == 404
    )
