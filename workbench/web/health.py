"""/healthz and /readyz, for load balancers, orchestrators and monitoring: open to anyone (they
have no session), cheap, and saying nothing an outsider could use (ops/health.py).

/healthz answers from the process alone: a server that can run a view is alive, whatever its
database is doing. /readyz checks the database, its schema and the worker, and answers 503 with
the failed check's name when one fails.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from workbench.config import Settings
from workbench.db import get_engine
from workbench.ops.health import readiness
from workbench.web.access import allow_anyone

bp = Blueprint("health", __name__)


def _answer(body: dict[str, object], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # a cached "ok" would hide an outage
    return response


@bp.get("/healthz")
@allow_anyone
def healthz() -> Response:
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
@allow_anyone
def readyz() -> Response:
    settings: Settings = current_app.config["WORKBENCH_SETTINGS"]
    stale_s = settings.worker_stale_s
    stale_after = timedelta(seconds=stale_s) if stale_s > 0 else None
    found = readiness(get_engine(), stale_after)
    if found.ready:
        return _answer({"status": "ok", "checks": found.checks}, 200)
    return _answer({"status": "unavailable", "checks": found.checks}, 503)
