"""Who may open which page: one table for every route, enforced before any view runs.

A route missing from the table is refused to everyone (and fails the permission-walk test), so a
new route cannot be left open by accident. The view decorators in auth.py say the same thing
next to each view; the test checks that both agree.
"""

from __future__ import annotations

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workbench.models import Role

# endpoint -> the least role that may use it; None: anyone, logged in or not.
REQUIRED_ROLE: dict[str, Role | None] = {
    "static": None,
    "auth.login": None,
    "auth.logout": None,
    "home": Role.VIEWER,
    "articles.index": Role.VIEWER,
    "articles.detail": Role.VIEWER,
    "articles.new": Role.EDITOR,
    "claims.index": Role.VIEWER,
    "claims.detail": Role.VIEWER,
    "claims.history": Role.VIEWER,
    "claims.similar": Role.VIEWER,
    "claims.take": Role.EDITOR,
    "claims.release": Role.EDITOR,
    "claims.verdict": Role.EDITOR,
    "claims.reopen": Role.EDITOR,
    "claims.add_evidence": Role.EDITOR,
    "claims.edit_evidence": Role.EDITOR,
    "claims.remove_evidence": Role.EDITOR,
    "claims.decide": Role.EDITOR,
    "admin.alias_list": Role.ADMIN,
    "admin.alias_add": Role.ADMIN,
    "admin.alias_apply": Role.ADMIN,
    "admin.alias_delete": Role.ADMIN,
    "admin.user_list": Role.ADMIN,
    "admin.user_switch": Role.ADMIN,
    "admin.user_revoke_tokens": Role.ADMIN,
    "export.index": Role.VIEWER,
    "export.download": Role.VIEWER,
    "account.index": Role.VIEWER,
    "account.create_token": Role.VIEWER,
    "account.revoke_token": Role.VIEWER,
    # The API: viewers read, editors write (each view's decorator in api_*.py says the same).
    "api.openapi": None,
    "api.similar_claims": Role.VIEWER,
    "api.claims": Role.VIEWER,
    "api.claim": Role.VIEWER,
    "api.articles": Role.VIEWER,
    "api.article": Role.VIEWER,
    "api.sources": Role.VIEWER,
    "api.source": Role.VIEWER,
    "api.clusters": Role.VIEWER,
    "api.cluster": Role.VIEWER,
    "api.alerts": Role.VIEWER,
    "api.export_claims": Role.VIEWER,
    "api.take": Role.EDITOR,
    "api.verdict": Role.EDITOR,
    "api.reopen": Role.EDITOR,
    "api.link_evidence": Role.EDITOR,
    "api.update_evidence": Role.EDITOR,
    "api.remove_evidence": Role.EDITOR,
    "api.decide": Role.EDITOR,
    "api.ingest": Role.EDITOR,
    "api.add_source": Role.EDITOR,
    "alerts.inbox": Role.VIEWER,
    "alerts.handle": Role.EDITOR,
    "alerts.feed": None,  # a feed reader has no session: the view asks for a feed token
    "alerts.webhook_list": Role.ADMIN,
    "alerts.webhook_add": Role.ADMIN,
    "alerts.webhook_switch": Role.ADMIN,
    "alerts.delivery_retry": Role.ADMIN,
}

# Open in the table because they check an API token themselves (401 without one).
TOKEN_ROUTES = {"alerts.feed"}


def allows(user_role: Role | None, needed: Role | None) -> bool:
    if needed is None:
        return True
    return user_role is not None and user_role >= needed


def init_app(app: Flask) -> None:
    """Register the check; call after the blueprints, so the user is loaded before it runs."""
    app.before_request(_enforce)


def _enforce() -> Response | tuple[object, int] | None:
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404 handler answers
        return None
    api = request.path.startswith("/api/")
    if api:
        from workbench.web.api import authenticate

        refused = authenticate()
        if refused is not None:
            return refused
    if endpoint not in REQUIRED_ROLE:
        current_app.logger.error("Route %s is missing from the permission table", endpoint)
        return _refuse(api, None)
    needed = REQUIRED_ROLE[endpoint]
    user = g.get("user")
    if needed is None or allows(user.role if user else None, needed):
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
