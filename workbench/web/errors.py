"""What a person sees when a request fails: the domain errors (workbench/errors.py) and HTTP's
own, mapped once for every page. The API answers the same errors as JSON (web/api/).

A domain error on a page: not found is the 404 page; a request we cannot read is the 400 page
with the reason. A refusal or a conflict undoes whatever the request changed, and the person goes
back to the page the form was on (the view names it with `back_to`) with the reason shown there.
A view that wants to keep what was typed (a form shown again with its input) catches the error
itself.

A database that cannot be reached (a server stopped or restarting, a connection cut, SQLite's
lock held past its busy timeout: db.is_unavailable) is a 503 with `Retry-After`, for pages and the
API alike, whether it failed in the view or in the request's commit; what the request changed is
rolled back. The client is told only that the database is away; the log gets one line with the
driver's reason (no traceback: it is the same for every request of the outage). Any other database
error is a bug and stays a 500.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app, flash, g, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from workbench.db import discard_session, get_session, is_unavailable, outage_reason
from workbench.errors import Invalid, NotFound, WorkbenchError
from workbench.web import api


def back_to(url: str) -> str:
    """Where this request goes back to if the domain refuses it or finds a conflict: the page
    handler shows the reason there. Returns `url`, for the redirect after a success."""
    g.back_to = url
    return url


# Seconds a client is asked to wait: a PostgreSQL restart or a lock's holder takes about that.
RETRY_AFTER_S = 5


def init_app(app: Flask) -> None:
    app.register_error_handler(WorkbenchError, domain_error_page)
    app.register_error_handler(sa.exc.SQLAlchemyError, database_error)

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


def database_error(exc: sa.exc.SQLAlchemyError) -> ResponseReturnValue:
    """A database that cannot be reached is a 503 to retry; any other database error is raised
    on, to be the 500 of a bug."""
    if not is_unavailable(exc):
        raise exc
    discard_session()
    current_app.logger.warning(
        "Database unavailable, answered 503 to %s %s: %s",
        request.method,
        request.path,
        outage_reason(exc),
    )
    # Nothing was saved: a message the view queued ("Saved.") would say otherwise. The page has
    # no menu, which needs the user's record and the unread count from the database.
    session.pop("_flashes", None)
    g.user = None
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if request.path.startswith("/api/"):
        response, status = api.error(
            503,
            "database_unavailable",
            f"The database cannot be reached just now; nothing was changed. Try again in "
            f"{RETRY_AFTER_S} seconds.",
        )
        return response, status, headers
    return render_template("errors/503.html"), 503, headers
