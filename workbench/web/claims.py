"""Claims: the queue list, one claim with its context and duplicate suggestions, and the
similar-claims search that every page's search box leads to."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workbench import duplicates
from workbench.articles import claim_context
from workbench.db import get_session
from workbench.matching import shared_word_spans
from workbench.models import Article, Claim, ClaimStatus, Role
from workbench.queue import ClaimFilters, list_claims
from workbench.similar import find_similar
from workbench.web.auth import login_required, role_required

bp = Blueprint("claims", __name__, url_prefix="/claims")
SEARCH_LIMIT = 20
QUERY_MAX = 5_000


@bp.get("/")
@login_required
def index() -> str:
    status_value = request.args.get("status", "")
    status = ClaimStatus(status_value) if status_value in set(ClaimStatus) else None
    db = get_session()
    page = list_claims(
        db,
        ClaimFilters(status=status),
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    pending = duplicates.pending_counts(db, [claim.id for claim, _ in page.items])
    return render_template(
        "claims/index.html",
        page=page,
        status=status,
        statuses=list(ClaimStatus),
        pending=pending,
    )


@bp.get("/<int:claim_id>")
@login_required
def detail(claim_id: int) -> str:
    db = get_session()
    claim = db.get(Claim, claim_id)
    if claim is None:
        abort(404)
    article = db.get(Article, claim.article_id)
    suggestions = duplicates.suggestions_for(db, claim)
    return render_template(
        "claims/detail.html",
        claim=claim,
        article=article,
        context=claim_context(article, claim),
        verdict=duplicates.effective_verdict(db, claim),
        suggestions=suggestions,
        spans={
            view.suggestion.id: (
                shared_word_spans(claim.text, view.other.text),
                shared_word_spans(view.other.text, claim.text),
            )
            for view in suggestions
        },
        members=duplicates.cluster_members(db, claim),
    )


@bp.post("/suggestions/<int:suggestion_id>/<any(confirm, reject, undo):decision>")
@role_required(Role.EDITOR)
def decide(suggestion_id: int, decision: str) -> Response:
    """Confirm, reject or undo a duplicate suggestion, then go back to the claim it was seen on."""
    db = get_session()
    action = {"confirm": duplicates.confirm, "reject": duplicates.reject, "undo": duplicates.undo}
    try:
        action[decision](db, suggestion_id, g.user.id)
    except duplicates.SuggestionNotFound:
        abort(404)
    except duplicates.SuggestionAlreadyDecided as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(
            {
                "confirm": "Confirmed: the two claims are now in one cluster.",
                "reject": "Rejected: this pair will not be suggested again.",
                "undo": "Undone: the suggestion is open again.",
            }[decision],
            "success",
        )
    back = request.form.get("claim_id", type=int)
    if back is None:
        back = duplicates.get_suggestion(db, suggestion_id).claim_id
    return redirect(url_for("claims.detail", claim_id=back) + "#duplicates")


@bp.get("/similar")
@login_required
def similar() -> str:
    query = request.args.get("q", "").strip()[:QUERY_MAX]
    results = find_similar(get_session(), query, SEARCH_LIMIT) if query else []
    return render_template("claims/similar.html", query=query, results=results)
