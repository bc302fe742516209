"""Log-in and log-out, and the logged-in user of a browser session."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from workbench.accounts import throttle
from workbench.accounts.users import authenticate
from workbench.db import get_session
from workbench.models import User
from workbench.web.access import allow_anyone

bp = Blueprint("auth", __name__, url_prefix="/auth")


def session_user() -> User | None:
    """The user this browser session is logged in as: trusted only while the account is active
    and the session epoch still matches (a stale session is cleared). The permission check
    (permissions.py) asks once per request and keeps the answer in `g.user`."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.is_active or session.get("epoch") != user.session_epoch:
        session.clear()
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@allow_anyone
def login() -> str | Response | tuple[str, int, dict[str, str]] | tuple[str, int]:
    next_url = request.values.get("next", "")
    if request.method == "POST":
        db = get_session()
        # The throttle's statements must open the transaction: its first one takes the lock
        # that makes the wait, the password check and the count one step (see throttle.py).
        db.commit()
        attempt = throttle.Attempt.of(request.form.get("username", ""), request.remote_addr)
        wait = throttle.begin(db, attempt)
        if wait:
            db.commit()
            flash(f"Too many failed log-ins. Wait {wait} seconds, then try again.", "error")
            page = render_template("auth/login.html", next=next_url)
            return page, 429, {"Retry-After": str(wait)}
        user = authenticate(db, request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            throttle.note_failure(db, attempt)
            db.commit()
            flash("That user name and password do not match an active account.", "error")
            return render_template("auth/login.html", next=next_url), 401
        throttle.note_success(db, attempt)
        db.commit()  # also keeps a rehashed password
        session.clear()
        session["user_id"] = user.id
        session["epoch"] = user.session_epoch
        return redirect(_safe_next(next_url))
    return render_template("auth/login.html", next=next_url)


@bp.post("/logout")
@allow_anyone
def logout() -> Response:
    """End this session everywhere: the epoch bump makes any copy of the cookie worthless."""
    if g.user is not None:
        db = get_session()
        g.user.session_epoch += 1
        db.add(g.user)
        db.commit()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str) -> str:
    """Only a path on this site: an open redirect would let a link send editors elsewhere."""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return url_for("articles.index")
