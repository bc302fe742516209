"""API and feed tokens: shown once, stored hashed, revocable, dead with their user's account
and with their user's old password; a feed token reads the feed and nothing else."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import AuthActions, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from workbench.accounts import tokens
from workbench.accounts import users as accounts
from workbench.db import read_session
from workbench.models import ApiToken, AuditEvent, Claim, TokenKind, User


def test_a_token_identifies_its_user_and_only_its_hash_is_stored(
    session: Session, users: dict[str, int]
) -> None:
    row, raw = tokens.create_token(session, users["editor"], "  CMS   export ")
    assert raw.startswith("wbt_") and len(raw) > 40
    assert row.name == "CMS export" and raw.startswith(row.prefix)
    stored = session.exec(select(ApiToken)).one()
    assert raw not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    assert tokens.user_for_token(session, raw).id == users["editor"]
    assert tokens.user_for_token(session, raw + "x") is None
    assert tokens.user_for_token(session, "not-a-token") is None
    actions = session.exec(select(AuditEvent.action)).all()
    assert "token.create" in actions


def test_revoked_tokens_and_disabled_users_stop_working(
    session: Session, users: dict[str, int]
) -> None:
    row, raw = tokens.create_token(session, users["editor"], "feed reader")
    assert tokens.revoke_token(session, users["viewer"], row.id) is None  # not theirs
    assert tokens.user_for_token(session, raw) is not None
    assert tokens.revoke_token(session, users["editor"], row.id).revoked_at is not None
    assert tokens.user_for_token(session, raw) is None

    _other, raw_other = tokens.create_token(session, users["editor"], "second")
    editor = session.get(User, users["editor"])
    editor.is_active = False
    session.add(editor)
    session.commit()
    assert tokens.user_for_token(session, raw_other) is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_short_name(session: Session, users: dict[str, int], name: str) -> None:
    with pytest.raises(tokens.TokenError):
        tokens.create_token(session, users["editor"], name)


# --- Kinds and password changes -----------------------------------------------------------------


def test_a_feed_token_is_its_own_kind(session: Session, users: dict[str, int]) -> None:
    _row, feed = tokens.create_token(session, users["editor"], "reader", TokenKind.FEED)
    assert feed.startswith("wbf_")
    assert tokens.user_for_token(session, feed) is None  # not an API token
    assert tokens.user_for_token(session, feed, [TokenKind.FEED]).id == users["editor"]
    with pytest.raises(tokens.TokenError):
        tokens.create_token(session, users["editor"], "x", "admin")


def test_changing_a_password_revokes_the_users_tokens_and_the_api_refuses_them(
    app: Flask, engine: sa.Engine, users: dict[str, int]
) -> None:
    from workbench.intake.reading import ArticleInput
    from workbench.intake.storing import ingest_article

    with committed(engine) as db:
        ingest_article(db, ArticleInput(body="The city spent $12 million on the bridge in 2023."))
        api = tokens.create_token(db, users["editor"], "script")[1]
        tokens.create_token(db, users["editor"], "reader", TokenKind.FEED)
        claim_id = db.exec(select(Claim.id)).first()
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {api}"}
    take = client.post(f"/api/claims/{claim_id}/take", json={"version": 1}, headers=bearer)
    assert take.status_code == 200
    with committed(engine) as db:
        revoked = accounts.set_password(db, db.get(User, users["editor"]), "a brand new password")
        db.commit()
    assert revoked == 2
    release = client.post(f"/api/claims/{claim_id}/take", json={"version": 2}, headers=bearer)
    assert release.status_code == 401
    with read_session(engine) as db:
        assert all(t.revoked_at for t in tokens.user_tokens(db, users["editor"]))
        assert "token.revoke_all" in db.exec(select(AuditEvent.action)).all()


def test_the_account_page_says_a_new_password_revokes_tokens_and_makes_feed_tokens(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("viewer")
    page = client.get("/account/").get_data(as_text=True)
    assert "Changing your password revokes every token below" in page
    made = client.post(
        "/account/tokens",
        data={"name": "My reader", "kind": "feed", "csrf_token": csrf_token(client, "/account/")},
    ).get_data(as_text=True)
    raw = re.search(r'id="new-token">(wbf_[^<]+)<', made).group(1)  # type: ignore[union-attr]
    assert f"/alerts/feed.atom?token={raw}" in made
    assert client.get(f"/alerts/feed.atom?token={raw}").status_code == 200
    refused = client.post(
        "/account/tokens",
        data={"name": "x", "kind": "root", "csrf_token": csrf_token(client, "/account/")},
    )
    assert refused.status_code == 400
