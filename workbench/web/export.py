"""The export screen: pick filters and a format, download the claims as a streamed file.

The download is a GET (it changes nothing), so its address can be bookmarked or handed to a
script; the same filters in the same arguments work on the queue and the JSON API.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    url_for,
)

from workbench import export
from workbench.db import get_engine, get_session, read_session
from workbench.models import ClaimStatus, Role, Verdict
from workbench.review.filter_args import FilterError, filters_from_args
from workbench.review.queue import ClaimFilters, count_claims, feed_choices, outlets
from workbench.web.access import allow

bp = Blueprint("export", __name__, url_prefix="/export")


def publisher() -> export.Publisher:
    return export.Publisher.from_settings(current_app.config["WORKBENCH_SETTINGS"])


@bp.app_template_global()
def export_url(filters: ClaimFilters, format_name: str | None = None) -> str:
    """The export page (or, with a format, the download) for these filters, e.g. from the queue."""
    if format_name is None:
        return url_for("export.index", **filters.as_query())
    return url_for("export.download", format=format_name, **filters.as_query())


@bp.get("/")
@allow(Role.VIEWER)
def index() -> str | tuple[str, int]:
    try:
        filters = filters_from_args(request.args)
    except FilterError as exc:
        return _page(ClaimFilters(), error=str(exc)), 400
    return _page(filters)


def _page(filters: ClaimFilters, error: str | None = None) -> str:
    db = get_session()
    return render_template(
        "export/index.html",
        filters=filters,
        query=filters.as_query(),
        error=error,
        formats=export.FORMATS.values(),
        statuses=list(ClaimStatus),
        verdicts=list(Verdict),
        outlets=outlets(db),
        feeds=feed_choices(db),
        matching=None if error else count_claims(db, filters),
    )


@bp.get("/download")
@allow(Role.VIEWER)
def download() -> Response | tuple[str, int]:
    format_name = request.args.get("format", "csv")
    try:
        filters = filters_from_args(request.args)
    except FilterError as exc:
        return _page(ClaimFilters(), error=str(exc)), 400
    if format_name not in export.FORMATS:
        return _page(filters, error=f"Choose a format: one of {', '.join(export.FORMATS)}."), 400
    try:
        return stream_export(format_name, filters)
    except export.ExportError as exc:
        return _page(filters, error=str(exc)), 400


def stream_export(format_name: str, filters: ClaimFilters) -> Response:
    """The export as a streamed attachment: rows are written as the database hands them over.

    The stream reads through a session of its own, closed when the stream ends or the client
    goes away. On the request's session it outlived the request's teardown: the connection it
    checked out afterwards was only returned by the garbage collector, whose rollback could then
    fail on a dropped database and print a traceback from inside whatever was running (once,
    werkzeug's `ast.parse`, which tripped CPython 3.11.7's gh-106905)."""
    session = read_session(get_engine())
    name = export.file_name(format_name, filters, datetime.now(UTC))
    try:
        chunks = export.export(session, format_name, filters, publisher())
    except export.ExportError:
        session.close()
        raise

    def stream() -> Iterator[str]:
        try:
            yield from chunks
        finally:
            session.close()

    response = Response(stream(), mimetype=export.FORMATS[format_name].media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
