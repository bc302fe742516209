"""Correcting a claim from its page: edit its text, split it in two, merge it with the next claim
of its article, name who made it. Plain form posts that go back to the claim page, as the other
claim actions do (web/claims.py); the claim page shows the forms (claims/_corrections.html)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, g, request

from workbench.db import get_session
from workbench.intake.claimants import find_claimant
from workbench.models import Claim, Role
from workbench.review import corrections
from workbench.review.corrections import MergeCandidate, SplitPoint
from workbench.web.access import allow
from workbench.web.claims import act_on_claim, form_version

bp = Blueprint("corrections", __name__, url_prefix="/claims")


@dataclass(frozen=True)
class CorrectionChoices:
    """What the claim page offers: where the claim can be split, and the claim it would merge
    with (None for the last claim of its article)."""

    split_points: list[SplitPoint]
    merge_with: MergeCandidate | None


@bp.app_template_global()
def correction_choices(claim: Claim) -> CorrectionChoices:
    return CorrectionChoices(
        corrections.split_points(claim.text), corrections.next_claim(get_session(), claim)
    )


@bp.post("/<int:claim_id>/text")
@allow(Role.EDITOR)
def edit_text(claim_id: int) -> Any:
    return act_on_claim(
        claim_id,
        lambda: corrections.edit_text(
            get_session(), claim_id, g.user.id, form_version(), request.form.get("text", "")
        ),
        "Text corrected; the sentence it came from is kept in the history.",
    )


@bp.post("/<int:claim_id>/split")
@allow(Role.EDITOR)
def split(claim_id: int) -> Any:
    at = request.form.get("at", type=int)
    return act_on_claim(
        claim_id,
        lambda: corrections.split(
            get_session(),
            claim_id,
            g.user.id,
            form_version(),
            -1 if at is None else at,
            claimant_for=find_claimant,
        ),
        "Split: the second part is a claim of its own, next in the article.",
    )


@bp.post("/<int:claim_id>/merge")
@allow(Role.EDITOR)
def merge(claim_id: int) -> Any:
    return act_on_claim(
        claim_id,
        lambda: corrections.merge_next(
            get_session(),
            claim_id,
            g.user.id,
            form_version(),
            request.form.get("next_version", type=int),
        ),
        "Merged with the next sentence of the article.",
    )


@bp.post("/<int:claim_id>/claimant")
@allow(Role.EDITOR)
def claimant(claim_id: int) -> Any:
    return act_on_claim(
        claim_id,
        lambda: corrections.set_claimant(
            get_session(), claim_id, g.user.id, form_version(), request.form.get("claimant", "")
        ),
        "Claimant saved.",
    )
