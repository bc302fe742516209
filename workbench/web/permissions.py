"""Who may open which page, checked before any view runs: the mark each view carries
(access.py) says who may use it, and a view without one is refused to everyone.
"""

from __future__ import annotations

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workbench.models import Role
from workbench.web.access import access_of, allow_anyone


def init_app(app: Flask) -> None:
    """Register the check; call after the blueprints, so the user is loaded before it runs."""
    _mark_static(app)
    app.before_request(_enforce)


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


def _enforce() -> Response | tuple[object, int] | None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404 handler answers
        return None
    api = request.path.startswith("/api/")
    access = access_of(current_app.view_functions[endpoint])
    if access is None:
        current_app.logger.error(
            "The view of %s does not say who may use it (@allow...): refused", endpoint
        )
        return _refuse(api, None)
    if api and access.role is not None:
        from workbench.web.api import authenticate

        refused = authenticate()
        if refused is not None:
            return refused
    needed = access.role
    user = g.get("user")
    if access.feed_token or access.admits(user.role if user else None):
        return None
    if user is None:
        if api:
            from workbench.web.api import error

            return error(401, "unauthorized", "Log in or send an API token first.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return _refuse(api, needed)


def _refuse(api: bool, needed: Role | None) -> tuple[object, int]:
    if api:
        from workbench.web.api import error

        return error(403, "forbidden", "Your account's role may not do this.")
    return render_template("errors/403.html", needed=needed), 403
