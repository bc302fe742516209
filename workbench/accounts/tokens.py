"""Personal tokens: made by their user, shown once, stored as a hash, revocable.

Two kinds. An API token (`wbt_...`) is sent as `Authorization: Bearer` and acts with its user's
role. A feed token (`wbf_...`) reads the alert feed and nothing else: a feed reader can only put
its token in the feed's URL, where proxies and logs may keep it, so that token must not be able to
write. The prefixes make a leaked token easy to recognise in logs and secret scanners.

Every token stops working when it is revoked, when its user is disabled, and when its user's
password changes (accounts.set_password revokes them all): the moment someone who suspects a leak
changes their password is the moment every credential should die.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.audit import record
from workbench.errors import Refused
from workbench.models import ApiToken, TokenKind, User, utcnow

PREFIXES = {TokenKind.API: "wbt_", TokenKind.FEED: "wbf_"}
TOKEN_PREFIX = PREFIXES[TokenKind.API]
NAME_MAX = 100


class TokenError(Refused, ValueError):
    """Input a person can fix; the message says how."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    session: Session, user_id: int, name: str, kind: TokenKind | str = TokenKind.API
) -> tuple[ApiToken, str]:
    """A new token for the user; returns the stored row and the token itself, which is never
    shown again. Committed here."""
    name = " ".join(name.split())
    if not name:
        raise TokenError("Name the token after where it will be used, e.g. 'CMS export'.")
    if len(name) > NAME_MAX:
        raise TokenError(f"Keep the token's name under {NAME_MAX} characters.")
    try:
        kind = TokenKind(kind)
    except ValueError:
        raise TokenError("Choose a kind of token: api or feed.") from None
    raw = PREFIXES[kind] + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id, name=name, token_hash=_digest(raw), prefix=raw[:12], kind=kind
    )
    session.add(token)
    session.flush()
    record(
        session,
        user_id,
        "token.create",
        "api_token",
        token.id,
        after={"name": name, "kind": kind.value},
    )
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
    return token


def revoke_all(session: Session, actor_id: int | None, user_id: int) -> int:
    """Revoke every live token of a user (both kinds), in the caller's transaction; returns how
    many were live. Used when the password changes and by admins."""
    live = list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        ).all()
    )
    now = utcnow()
    for token in live:
        token.revoked_at = now
        session.add(token)
    if live:
        record(
            session,
            actor_id,
            "token.revoke_all",
            "user_account",
            user_id,
            after={"revoked": [t.id for t in live]},
        )
    return len(live)


def user_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        ).all()
    )


def live_counts(session: Session) -> dict[int, int]:
    """user id -> how many live tokens they have (for the admins' list of users)."""
    rows = session.execute(
        sa.select(ApiToken.user_id, sa.func.count())
        .where(ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .group_by(ApiToken.user_id)
    ).all()
    return {user_id: count for user_id, count in rows}


def user_for_token(
    session: Session, raw: str, kinds: Iterable[TokenKind] = (TokenKind.API,)
) -> User | None:
    """The active user a live (unrevoked) token of one of these kinds belongs to, or None."""
    kinds = tuple(kinds)
    if not raw.startswith(tuple(PREFIXES[k] for k in kinds)) or len(raw) > 200:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(raw))).first()
    if token is None or token.revoked_at is not None or token.kind not in kinds:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return user
