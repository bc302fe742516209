"""Triage on the pages: dismiss and restore one claim from its page, and the queue's bulk actions.

The bulk form is the queue's table itself: a checkbox per row and each row's version in a hidden
field, so it works without JavaScript; workbench.js only adds the keyboard and shift-click. A
refused claim does not stop the others: the flash says what was done and what was refused and why.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from workbench.db import get_session
from workbench.models import Role
from workbench.review import triage
from workbench.review.filter_args import FilterError, filters_from_args, parse_id
from workbench.web.access import allow
from workbench.web.claims import form_version
from workbench.web.errors import back_to

bp = Blueprint("triage", __name__, url_prefix="/claims")
# The reasons an editor can choose, in words, for the claim page's form and the queue's bulk bar;
# any stored reason in words (the splitter's "stage_direction" too) for the dismissed notes.
bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        dismiss_labels={reason.value: label for reason, label in triage.REASON_LABELS.items()},
        dismiss_reason_label=triage.reason_label,
    )
)


def _claim_page(claim_id: int) -> str:
    return back_to(url_for("claims.detail", claim_id=claim_id, **_query()))


def _query() -> dict[str, str]:
    """The queue's filters the page was reached with, kept on the way back."""
    return filters_from_args(request.args).as_query()


@bp.post("/<int:claim_id>/dismiss")
@allow(Role.EDITOR)
def dismiss(claim_id: int) -> Response:
    back = _claim_page(claim_id)
    claim = triage.dismiss(
        get_session(), claim_id, g.user.id, form_version(), request.form.get("reason")
    )
    label = triage.reason_label(claim.dismiss_reason)
    flash(f"Dismissed ({label}): the claim has left the open queue.", "success")
    return redirect(back)


@bp.post("/<int:claim_id>/restore")
@allow(Role.EDITOR)
def restore(claim_id: int) -> Response:
    back = _claim_page(claim_id)
    claim = triage.restore(get_session(), claim_id, g.user.id, form_version())
    status = claim.status.replace("_", " ")
    flash(f"Restored: the claim is back in the open queue as {status}.", "success")
    return redirect(back)


@bp.post("/bulk")
@allow(Role.EDITOR)
def bulk() -> Response:
    """One action on the claims ticked in the queue, each against the version its row showed."""
    cursor = {k: request.args[k] for k in ("after", "before") if request.args.get(k)}
    back = back_to(url_for("claims.index", **_query(), **cursor))
    form = request.form
    assignee = form.get("assignee_id", "").strip()
    result = triage.bulk(
        get_session(),
        g.user.id,
        form.get("action", ""),
        _selected(),
        reason=form.get("reason") or None,
        assignee_id=_id("assignee_id", assignee) if assignee else None,
    )
    flash(result.summary(), "success" if not result.refused else "warning")
    return redirect(back)


def _selected() -> list[tuple[int, int | None]]:
    """(claim id, version) for every ticked row: `claim_id` repeated, `version-<id>` for each."""
    form = request.form
    chosen = []
    for raw in form.getlist("claim_id"):
        claim_id = _id("claim_id", raw)
        chosen.append((claim_id, form.get(f"version-{claim_id}", type=int)))
    return chosen


def _id(name: str, raw: str) -> int:
    try:
        return parse_id(name, raw.strip())
    except FilterError as exc:
        raise triage.TriageError(f"The form sent a bad {name}: {exc}") from None
