"""What a person sees when a request fails: the domain errors (workbench/errors.py) and HTTP's
own, mapped once for every page. The API answers the same errors as JSON (web/api/).

A domain error on a page: not found is the 404 page; a request we cannot read is the 400 page
with the reason. A refusal or a conflict undoes whatever the request changed, and the person goes
back to the page the form was on (the view names it with `back_to`) with the reason shown there.
A view that wants to keep what was typed (a form shown again with its input) catches the error
itself.
"""

from __future__ import annotations

from flask import Flask, flash, g, redirect, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from workbench.db import get_session
from workbench.errors import Invalid, NotFound, WorkbenchError
from workbench.web import api


def back_to(url: str) -> str:
    """Where this request goes back to if the domain refuses it or finds a conflict: the page
    handler shows the reason there. Returns `url`, for the redirect after a success."""
    g.back_to = url
    return url


def init_app(app: Flask) -> None:
    app.register_error_handler(WorkbenchError, domain_error_page)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: HTTPException) -> ResponseReturnValue:
        limit = app.config["WORKBENCH_SETTINGS"].max_upload_bytes
        return render_template("errors/413.html", limit=limit), 413

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        """JSON errors under /api/ (clients parse them), pages elsewhere."""
        if request.path.startswith("/api/"):
            code = (exc.name or "error").lower().replace(" ", "_")
            return api.error(exc.code or 500, code, exc.description or exc.name)
        if exc.code == 404:
            return render_template("errors/404.html"), 404
        return exc

    @app.errorhandler(400)
    def bad_request(exc: HTTPException) -> ResponseReturnValue:
        return render_template("errors/400.html", description=exc.description), 400


def domain_error_page(exc: WorkbenchError) -> ResponseReturnValue:
    if isinstance(exc, NotFound):
        return render_template("errors/404.html"), 404
    if isinstance(exc, Invalid):
        return render_template("errors/400.html", description=exc.public_message()), 400
    # Refused or a conflict. A redirect is a success to the request's unit of work, which would
    # commit: nothing of a refused request is kept.
    get_session().rollback()
    back = g.get("back_to")
    if back is None:
        page = render_template("errors/400.html", description=exc.public_message())
        return page, exc.status
    flash(exc.public_message(), "error")
    return redirect(back)
