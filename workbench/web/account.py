"""The signed-in person's own account: their API and feed tokens (make one, see it once, revoke
it)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workbench.accounts import tokens
from workbench.db import get_session
from workbench.models import Role, TokenKind
from workbench.web.access import allow

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(new_token: str | None = None, name: str = "", kind: str = "api") -> str:
    feed_url = None
    if new_token and new_token.startswith(tokens.PREFIXES[TokenKind.FEED]):
        feed_url = url_for("alerts.feed", token=new_token, _external=True)
    return render_template(
        "account/index.html",
        tokens=tokens.user_tokens(get_session(), g.user.id),
        new_token=new_token,
        feed_url=feed_url,
        name=name,
        kind=kind,
        kinds=list(TokenKind),
    )


@bp.get("/")
@allow(Role.VIEWER)
def index() -> str:
    return _page()


@bp.post("/tokens")
@allow(Role.VIEWER)
def create_token() -> str | tuple[str, int]:
    """The token is shown on this response only: it is stored hashed and never shown again, so
    it is rendered here rather than carried through a redirect in the session cookie."""
    name = request.form.get("name", "")
    kind = request.form.get("kind", TokenKind.API.value)
    try:
        _row, raw = tokens.create_token(get_session(), g.user.id, name, kind)
    except tokens.TokenError as exc:
        flash(str(exc), "error")
        return _page(name=name, kind=kind), 400
    return _page(new_token=raw)


@bp.post("/tokens/<int:token_id>/revoke")
@allow(Role.VIEWER)
def revoke_token(token_id: int) -> Response:
    token = tokens.revoke_token(get_session(), g.user.id, token_id)
    if token is None:
        flash("You have no such token.", "error")
    else:
        flash(f"Token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("account.index"))
