"""The site's icon: static/favicon.svg, linked from every page and also answered at /favicon.ico,
which browsers ask for whatever a page links."""

from __future__ import annotations

from flask import Flask, current_app, send_from_directory
from werkzeug.wrappers import Response

from workbench.web.access import allow_anyone

# A day: the icon changes about never, and a stale one costs nothing.
MAX_AGE_SECONDS = 24 * 60 * 60


@allow_anyone
def favicon() -> Response:
    """The SVG icon under the name browsers guess."""
    return send_from_directory(
        current_app.static_folder or "static",
        "favicon.svg",
        mimetype="image/svg+xml",
        max_age=MAX_AGE_SECONDS,
    )


def init_app(app: Flask) -> None:
    app.add_url_rule("/favicon.ico", "favicon", favicon)
