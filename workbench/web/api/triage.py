"""The JSON API for triage: dismiss and restore one claim, and one action on many claims. The
same domain functions as the queue's page (review/triage.py), so the rules are the same."""

from __future__ import annotations

from flask import g

from workbench.db import get_session
from workbench.models import Role
from workbench.review import triage
from workbench.shapes import BulkOutcome, BulkRefusal, ClaimDetail
from workbench.web.access import allow
from workbench.web.api import WRITE_ERRORS, answers, bp, spec
from workbench.web.api.claims import _claim_detail
from workbench.web.api.inputs import BulkBody, DismissBody, VersionBody


@bp.post("/claims/<id:claim_id>/dismiss")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: ClaimDetail}, WRITE_ERRORS), tags=["claims"])
def dismiss(claim_id: int, json: DismissBody) -> ClaimDetail:
    """Set the claim aside with a reason; it leaves the open queue and ClaimReview."""
    triage.dismiss(get_session(), claim_id, g.user.id, json.version, json.reason)
    return _claim_detail(claim_id)


@bp.post("/claims/<id:claim_id>/restore")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: ClaimDetail}, WRITE_ERRORS), tags=["claims"])
def restore(claim_id: int, json: VersionBody) -> ClaimDetail:
    """Bring a dismissed claim back with the status it had."""
    triage.restore(get_session(), claim_id, g.user.id, json.version)
    return _claim_detail(claim_id)


@bp.post("/claims/bulk")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: BulkOutcome}, (400, 401, 403, 422)), tags=["claims"])
def bulk(json: BulkBody) -> BulkOutcome:
    """Dismiss, assign, take or release many claims, each against its own version: a claim that
    changed meanwhile or is not yours to change is listed in `refused`, the rest are done."""
    result = triage.bulk(
        get_session(),
        g.user.id,
        json.action,
        [(claim.id, claim.version) for claim in json.claims],
        reason=json.reason,
        assignee_id=json.assignee_id,
    )
    return BulkOutcome.build(
        action=result.action.value,
        done=result.done,
        refused=[BulkRefusal.build(**vars(refusal)) for refusal in result.refused],
        message=result.summary(),
    )
