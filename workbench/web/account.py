"""The signed-in person's own account: their API tokens (make one, see it once, revoke it)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workbench import tokens
from workbench.db import get_session
from workbench.web.auth import login_required

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(new_token: str | None = None, name: str = "") -> str:
    return render_template(
        "account/index.html",
        tokens=tokens.user_tokens(get_session(), g.user.id),
        new_token=new_token,
        name=name,
    )


@bp.get("/")
@login_required
def index() -> str:
    return _page()


@bp.post("/tokens")
@login_required
def create_token() -> str | tuple[str, int]:
    """The token is shown on this response only: it is stored hashed and never shown again, so
    it is rendered here rather than carried through a redirect in the session cookie."""
    name = request.form.get("name", "")
    try:
        _row, raw = tokens.create_token(get_session(), g.user.id, name)
    except tokens.TokenError as exc:
        flash(str(exc), "error")
        return _page(name=name), 400
    return _page(new_token=raw)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    token = tokens.revoke_token(get_session(), g.user.id, token_id)
    if token is None:
        flash("You have no such token.", "error")
    else:
        flash(f"Token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("account.index"))
