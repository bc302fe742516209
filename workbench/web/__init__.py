"""The web app's blueprints, one per area, registered in one place."""

from __future__ import annotations

from flask import Flask, redirect, render_template, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from workbench.web import api, articles, auth, claims, security


def init_app(app: Flask) -> None:
    security.init_app(app)
    for blueprint in (auth.bp, articles.bp, claims.bp, api.bp):
        app.register_blueprint(blueprint)

    @app.get("/")
    def home() -> Response:
        return redirect(url_for("claims.index"))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: HTTPException) -> tuple[str, int]:
        limit = app.config["WORKBENCH_SETTINGS"].max_upload_bytes
        return render_template("errors/413.html", limit=limit), 413

    @app.errorhandler(404)
    def not_found(_exc: HTTPException) -> tuple[str, int]:
        return render_template("errors/404.html"), 404

    @app.errorhandler(400)
    def bad_request(exc: HTTPException) -> tuple[str, int]:
        return render_template("errors/400.html", description=exc.description), 400
