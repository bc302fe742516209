"""API tokens: shown once, stored hashed, revocable, dead with their user's account."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from workbench import tokens
from workbench.models import ApiToken, AuditEvent, User


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
