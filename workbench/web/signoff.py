"""Sign-off on a claim's page: a second editor approves a draft verdict or sends it back with a
note. Whether verdicts need sign-off is a newsroom setting (`sign_off_on`), read here for the
claim pages and the API."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from workbench.db import get_session
from workbench.models import Role
from workbench.review import newsroom, verdicts
from workbench.web.access import allow
from workbench.web.errors import back_to

bp = Blueprint("signoff", __name__, url_prefix="/claims")


def sign_off_on() -> bool:
    """Whether a saved verdict is a draft until a second editor approves it (the admin's choice
    on the Newsroom page, else WORKBENCH_SIGN_OFF)."""
    default = current_app.config["WORKBENCH_SETTINGS"].sign_off
    return newsroom.sign_off_required(get_session(), default)


@bp.app_context_processor
def _templates_may_ask() -> dict[str, object]:
    return {"sign_off_on": sign_off_on}


def _back(claim_id: int) -> str:
    """The claim page, with the queue's filters kept; a refusal is flashed there too."""
    query = {k: v for k, v in request.args.items() if k != "claim_id"}
    return back_to(url_for("claims.detail", claim_id=claim_id, **query) + "#verdict")


@bp.post("/<int:claim_id>/approve")
@allow(Role.EDITOR)
def approve(claim_id: int) -> Response:
    back = _back(claim_id)
    verdicts.approve(get_session(), claim_id, g.user.id, request.form.get("version", type=int))
    flash("Approved: the verdict is published.", "success")
    return redirect(back)


@bp.post("/<int:claim_id>/send-back")
@allow(Role.EDITOR)
def send_back(claim_id: int) -> Response:
    back = _back(claim_id)
    verdicts.send_back(
        get_session(),
        claim_id,
        g.user.id,
        request.form.get("version", type=int),
        request.form.get("note", ""),
    )
    flash("Sent back: the verdict's author sees your note.", "success")
    return redirect(back)
