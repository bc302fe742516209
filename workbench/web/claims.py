"""The review queue as a list, highest check-worthiness first."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from workbench.db import get_session
from workbench.models import ClaimStatus
from workbench.queue import list_claims
from workbench.web.auth import login_required

bp = Blueprint("claims", __name__, url_prefix="/claims")


@bp.get("/")
@login_required
def index() -> str:
    status_value = request.args.get("status", "")
    status = ClaimStatus(status_value) if status_value in set(ClaimStatus) else None
    page = list_claims(get_session(), request.args.get("page", 1, type=int), status=status)
    return render_template(
        "claims/index.html", page=page, status=status, statuses=list(ClaimStatus)
    )
