"""Personal API tokens: made by their user, shown once, stored as a hash, revocable.

A token reads `wbt_<random>`; the prefix makes a leaked token easy to recognise in logs and
secret scanners. It acts with its user's role, and stops working when the user is disabled or
revokes it.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from workbench.audit import record
from workbench.models import ApiToken, User, utcnow

TOKEN_PREFIX = "wbt_"
NAME_MAX = 100


class TokenError(ValueError):
    """Input a person can fix; the message says how."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(session: Session, user_id: int, name: str) -> tuple[ApiToken, str]:
    """A new token for the user; returns the stored row and the token itself, which is never
    shown again. Committed here."""
    name = " ".join(name.split())
    if not name:
        raise TokenError("Name the token after where it will be used, e.g. 'CMS export'.")
    if len(name) > NAME_MAX:
        raise TokenError(f"Keep the token's name under {NAME_MAX} characters.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=_digest(raw), prefix=raw[:12])
    session.add(token)
    session.flush()
    record(session, user_id, "token.create", "api_token", token.id, after={"name": name})
    session.commit()
    session.refresh(token)
    return token, raw


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    """Revoke one of the user's own tokens; None when they have no such token."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        record(session, user_id, "token.revoke", "api_token", token.id, after={"name": token.name})
        session.commit()
    return token


def user_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        ).all()
    )


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user a live (unrevoked) token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return user
