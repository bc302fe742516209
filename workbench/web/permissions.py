"""Who is calling, and may they: one check before every request, before any view runs.

The caller is found once per request and kept in `g.user` (None: nobody) and `g.via` (how they
showed who they are). A page's caller is the browser session's user. Under /api/ a bearer API
token wins over any cookie, else the session counts. A view that takes a feed token (the alert
feed, which feed readers fetch without a session) is read with that token and nothing else.
Then the mark of the view (access.py) says who may use it; a view without one is refused.

A token request cannot be forged by another site (a browser never adds the header by itself), so
it needs no CSRF token. A session request to the API that changes something must carry the
session's CSRF token in an `X-CSRFToken` header, or it is refused: the cookie alone would let any
page the editor visits post to the API in their name. (Forms are checked by CSRFProtect.)
"""

from __future__ import annotations

from enum import StrEnum

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from workbench.accounts.tokens import PREFIXES, user_for_token
from workbench.db import get_session
from workbench.models import Role, TokenKind, User
from workbench.web.access import Access, access_of, allow_anyone
from workbench.web.api import SAFE_METHODS, error
from workbench.web.auth import session_user


class Via(StrEnum):
    """How the caller showed who they are."""

    SESSION = "session"
    API_TOKEN = "api_token"
    FEED_TOKEN = "feed_token"


def init_app(app: Flask) -> None:
    """Register the check; call after the blueprints, so every view is there to be marked."""
    _mark_static(app)
    app.before_request(check)


def _mark_static(app: Flask) -> None:
    """Flask's own static view is a bound method, which cannot carry a mark: a marked function
    that calls it takes its place. Anyone may have the stylesheets (the log-in page needs them)."""
    send = app.view_functions.get("static")
    if send is None or access_of(send) is not None:
        return

    @allow_anyone
    def static(filename: str) -> Response:
        return send(filename=filename)

    app.view_functions["static"] = static


def check() -> ResponseReturnValue | None:
    """Find the caller, then let the request through or answer it with a refusal."""
    endpoint = request.endpoint
    access = access_of(current_app.view_functions[endpoint]) if endpoint else None
    api = request.path.startswith("/api/")
    g.user, g.via = None, None
    if access is not None and access.feed_token:
        refused = _feed_caller()
    elif api and access is not None and access.role is not None:
        refused = _api_caller()
    else:
        _session_caller()  # also for a page not found: it still shows who is logged in
        refused = None
    if refused is not None or endpoint is None:
        return refused
    if access is None:
        current_app.logger.error(
            "The view of %s does not say who may use it (@allow...): refused", endpoint
        )
        return _refuse(api, None)
    return _admit(access, api)


def _admit(access: Access, api: bool) -> ResponseReturnValue | None:
    user: User | None = g.user
    if access.admits(user.role if user else None):
        return None
    if user is None:
        if api:
            return _unauthorized("unauthorized", "Log in or send an API token first.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return _refuse(api, access.role)


def _refuse(api: bool, needed: Role | None) -> ResponseReturnValue:
    if api:
        return error(403, "forbidden", "Your account's role may not do this.")
    return render_template("errors/403.html", needed=needed), 403


# --- Who is calling ------------------------------------------------------------------------------


def _session_caller() -> None:
    user = session_user()
    g.user, g.via = user, (Via.SESSION if user is not None else None)


def bearer_token() -> str:
    """The token in `Authorization: Bearer ...`, or an empty string."""
    scheme, _, raw = request.headers.get("Authorization", "").strip().partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def _api_caller() -> ResponseReturnValue | None:
    """A bearer token if one is sent (it wins over any cookie), else the log-in session, which
    must show its CSRF token to change anything."""
    if "Authorization" in request.headers:
        raw = bearer_token()
        if not raw:
            return _unauthorized(
                "bad_authorization", "Send the token as the header 'Authorization: Bearer wbt_…'."
            )
        user = user_for_token(get_session(), raw)
        if user is None and raw.startswith(PREFIXES[TokenKind.FEED]):
            return _unauthorized(
                "feed_token",
                "This is a feed token: it reads the alert feed and nothing else. Make an API "
                "token on your account page for scripts.",
            )
        if user is None:
            return _unauthorized(
                "invalid_token",
                "This token is not valid: it is unknown or revoked, or its account is disabled. "
                "Make a new one on your account page.",
            )
        g.user, g.via = user, Via.API_TOKEN
        return None
    _session_caller()
    if g.user is None:
        return _unauthorized(
            "unauthorized",
            "Log in, or send an API token as the header 'Authorization: Bearer wbt_…'.",
        )
    if request.method not in SAFE_METHODS:
        try:
            current_app.extensions["csrf"].protect()
        except CSRFError:
            return error(
                403,
                "csrf_required",
                "A logged-in browser must send its CSRF token in the X-CSRFToken header to "
                "change anything; scripts should use an API token instead.",
            )
    return None


def _unauthorized(code: str, message: str) -> ResponseReturnValue:
    response, status = error(401, code, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="workbench"'
    return response, status


def _feed_caller() -> ResponseReturnValue | None:
    """The user of a feed token in ?token= (feed readers cannot set headers), or of a feed or API
    token in `Authorization: Bearer`. Only a feed token is taken from the URL: a URL ends up in
    proxies and logs, and a feed token can read the feed and do nothing else. A session does not
    count: the feed is read by feed readers, which have none."""
    raw = bearer_token()
    if raw:
        user = user_for_token(get_session(), raw, (TokenKind.FEED, TokenKind.API))
    else:
        raw = request.args.get("token", "")
        user = user_for_token(get_session(), raw, (TokenKind.FEED,)) if raw else None
    if user is None:
        return (
            "This feed needs a feed token (make one on your account page): ?token=wbf_... "
            "or Authorization: Bearer ...\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="alerts"', "Content-Type": "text/plain"},
        )
    g.user, g.via = user, Via.FEED_TOKEN
    return None
