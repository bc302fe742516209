"""The web app's blueprints, one per area, registered in one place."""

from __future__ import annotations

from flask import Flask

from workbench.models import Role
from workbench.web import (
    account,
    admin,
    alerts,
    api,
    articles,
    auth,
    claims,
    converters,
    corrections,
    dashboard,
    errors,
    export,
    favicon,
    feeds,
    health,
    logs,
    permissions,
    proxy,
    request_id,
    search,
    security,
    signoff,
    triage,
)
from workbench.web.access import allow
from workbench.web.api import claims as api_claims  # noqa: F401  (its routes are on api.bp)
from workbench.web.api import dashboard as api_dashboard  # noqa: F401  (its route is on api.bp)
from workbench.web.api import openapi  # noqa: F401  (its route is on api.bp)
from workbench.web.api import records as api_records  # noqa: F401  (its routes are on api.bp)
from workbench.web.api import search as api_search  # noqa: F401  (its route is on api.bp)
from workbench.web.api import triage as api_triage  # noqa: F401  (its routes are on api.bp)


def init_app(app: Flask) -> None:
    security.init_app(app)
    logs.init_app(app)  # after security: the request id joins its token redaction
    proxy.init_app(app)  # believe the proxies' X-Forwarded-* before anything reads the request
    request_id.init_app(app)  # outermost: the servers' request log lines carry the id too
    # Before any blueprint adds its rules, so every `<int:...>` id is bounded (see converters.py).
    app.url_map.converters["int"] = converters.RecordIdConverter
    blueprints = (auth.bp, articles.bp, claims.bp, admin.bp, api.bp, alerts.bp)
    for blueprint in (*blueprints, export.bp, account.bp, feeds.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(signoff.bp)
    app.register_blueprint(triage.bp)  # dismiss, restore and the queue's bulk actions
    app.register_blueprint(corrections.bp)
    app.register_blueprint(dashboard.bp)  # the home page's figures, also at /dashboard/
    app.register_blueprint(search.bp)  # the search box's page: keywords or similar claims
    app.register_blueprint(health.bp)  # /healthz and /readyz, for load balancers and monitoring
    permissions.init_app(app)
    errors.init_app(app)
    favicon.init_app(app)
    # Templates show a control only to the roles that may use it: `g.user.role >= Role.EDITOR`.
    app.jinja_env.globals["Role"] = Role
    # The API checks CSRF itself: token requests need none, session requests do (permissions.py).
    app.extensions["csrf"].exempt(api.bp)

    @app.get("/")
    @allow(Role.VIEWER)
    def home() -> str:
        return dashboard.page()
