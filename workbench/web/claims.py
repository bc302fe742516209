"""Claims: the review queue, one claim's workspace (context, duplicates, evidence, verdict), its
history, and the similar-claims search that every page's search box leads to.

Every action is a plain form post that redirects back to the claim page; with htmx the same
response is swapped into the page in place (see templates/claims/detail.html). A refused change
(stale version, bad input) re-renders the page with the editor's input kept and a 409 or 422.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from workbench.db import get_session
from workbench.matching.facts import marked_pair
from workbench.matching.similar import find_similar
from workbench.models import Article, ClaimStatus, Role, Stance, Verdict
from workbench.review import duplicates, verdicts
from workbench.review.articles import claim_context
from workbench.review.decision import decision_banner
from workbench.review.filter_args import filters_from_args
from workbench.review.queue import (
    UNASSIGNED,
    ClaimFilters,
    StatusGroup,
    count_claims,
    feed_choices,
    list_claims,
    neighbours,
    outlets,
    tab_counts,
)
from workbench.web.access import allow
from workbench.web.errors import back_to
from workbench.web.signoff import sign_off_on

bp = Blueprint("claims", __name__, url_prefix="/claims")
SEARCH_LIMIT = 20
QUERY_MAX = 5_000
PAGING = ("after", "before")
SOURCE_RESULTS = 8


def _filters() -> ClaimFilters:
    return filters_from_args(request.args)  # a filter that cannot be read is the 400 page


def queue_filters() -> ClaimFilters:
    """The queue's filters: without a status it shows the open claims (status=all shows every
    one), and a claim page's next and previous follow the same. Only the queue's pages read a
    missing status so; the export and the API do not. Links keep the arguments as given."""
    filters = _filters()
    return filters if filters.status is not None else replace(filters, status=StatusGroup.OPEN)


@bp.get("/")
@allow(Role.VIEWER)
def index() -> str:
    filters = queue_filters()
    given = _filters().as_query()
    db = get_session()
    page = list_claims(
        db, filters, after=request.args.get("after"), before=request.args.get("before")
    )
    ids = [claim.id for claim, _ in page.items]
    tabs = tab_counts(db, filters)
    total = tabs.get(str(filters.status))
    return render_template(
        "claims/index.html",
        page=page,
        filters=filters,
        query=given,
        # This very page, cursor and all: the bulk form comes back to it.
        here={**given, **{k: v for k, v in request.args.items() if k in PAGING and v}},
        any_status={k: v for k, v in given.items() if k != "status"},
        total=total if total is not None else count_claims(db, filters),
        tabs=tabs,
        # Filters besides the tab: "Clear filters" and the empty queue's message go by them.
        narrowed=not replace(filters, status=None).is_empty(),
        statuses=list(ClaimStatus),
        can_bulk=g.user.role >= Role.EDITOR,
        verdicts=list(Verdict),
        outlets=outlets(db),
        feeds=feed_choices(db),
        editors=verdicts.editors(db),
        unassigned=UNASSIGNED,
        pending=duplicates.pending_counts(db, ids),
        assignees=verdicts.usernames(db, {claim.assignee_id for claim, _ in page.items}),
    )


# The next claim is fetched while the editor reads this one, so j opens it at once. The rules
# come in a header (the CSP allows no inline script, a JSON <script> included), and a <link
# rel="prefetch"> would not do: Chromium keeps its answer only for a page sent with a cache
# lifetime, which a page that changes as editors work must not have. A speculative prefetch is
# kept apart from the cache, used once, for a navigation from this page, for a few minutes.
NEXT_CLAIM_RULES = {
    "prefetch": [
        {
            "source": "document",
            "where": {"selector_matches": "nav.crumbs a[rel~='next']"},
            "eagerness": "immediate",
        }
    ]
}


@bp.get("/<int:claim_id>")
@allow(Role.VIEWER)
def detail(claim_id: int) -> tuple[str, int, dict[str, str]]:
    page, status = _workspace(claim_id)
    return page, status, {"Speculation-Rules": f'"{url_for("claims.speculation_rules")}"'}


@bp.get("/speculation-rules.json")
@allow(Role.VIEWER)
def speculation_rules() -> Response:
    """The claim page's speculation rules: fetch the next claim ahead (see NEXT_CLAIM_RULES)."""
    answer = Response(json.dumps(NEXT_CLAIM_RULES), mimetype="application/speculationrules+json")
    answer.cache_control.max_age = 3600
    return answer


def _workspace(
    claim_id: int, *, problem: str | None = None, draft: MultiDict | None = None, status: int = 200
) -> tuple[str, int]:
    """The claim page; after a refused change it shows why and keeps what the editor typed."""
    db = get_session()
    claim = verdicts.get_claim(db, claim_id)
    filters = _filters()
    article = db.get(Article, claim.article_id)
    suggestions = duplicates.suggestions_for(db, claim)
    evidence = verdicts.evidence_for(db, claim.id)
    source_query = request.args.get("source_q", "").strip()[:200]
    previous_id, next_id = neighbours(db, claim, queue_filters())
    page = render_template(
        "claims/detail.html",
        claim=claim,
        article=article,
        context=claim_context(article, claim),
        verdict=duplicates.effective_verdict(db, claim),
        banner=decision_banner(db, claim, suggestions),
        suggestions=suggestions,
        spans={
            view.suggestion.id: marked_pair(claim.text, view.other.text, view.facts)
            for view in suggestions
        },
        members=duplicates.cluster_members(db, claim),
        evidence=evidence,
        balance=verdicts.evidence_balance(evidence),
        sources=verdicts.find_sources(db, source_query, SOURCE_RESULTS),
        source_query=source_query,
        source_kinds=verdicts.SOURCE_KINDS,
        stances=list(Stance),
        verdicts=list(Verdict),
        people=verdicts.usernames(
            db, {claim.assignee_id, claim.updated_by_id, claim.verdict_by_id, claim.approved_by_id}
        ),
        query=filters.as_query(),
        previous_id=previous_id,
        next_id=next_id,
        problem=problem,
        draft=draft or MultiDict(),
    )
    return page, status


def form_version() -> int | None:
    """The claim's version the form was made from: a change to anything newer is refused."""
    return request.form.get("version", type=int)


def act_on_claim(claim_id: int, action: Callable[[], object], done: str) -> Any:
    """Run one review action; on success go back to the claim page (post/redirect/get). A stale
    edit or refused input shows the page again with the reason and the editor's input kept."""
    db = get_session()
    try:
        action()
    except verdicts.StaleEdit as exc:
        db.rollback()
        return _workspace(claim_id, problem=str(exc), draft=request.form, status=409)
    except verdicts.ReviewError as exc:
        db.rollback()
        return _workspace(claim_id, problem=str(exc), draft=request.form, status=422)
    flash(done, "success")
    return redirect(url_for("claims.detail", claim_id=claim_id, **_filters().as_query()))


@bp.post("/<int:claim_id>/take")
@allow(Role.EDITOR)
def take(claim_id: int) -> Any:
    return act_on_claim(
        claim_id,
        lambda: verdicts.take(get_session(), claim_id, g.user.id, form_version()),
        "The claim is yours now; others see that you have it.",
    )


@bp.post("/<int:claim_id>/release")
@allow(Role.EDITOR)
def release(claim_id: int) -> Any:
    return act_on_claim(
        claim_id,
        lambda: verdicts.release(get_session(), claim_id, g.user.id, form_version()),
        "The claim is back in the queue for anyone to take.",
    )


@bp.post("/<int:claim_id>/verdict")
@allow(Role.EDITOR)
def verdict(claim_id: int) -> Any:
    form = request.form
    return act_on_claim(
        claim_id,
        lambda: verdicts.set_verdict(
            get_session(),
            claim_id,
            g.user.id,
            form_version(),
            form.get("verdict", ""),
            form.get("summary", ""),
            take_over=form.get("take_over") == "1",
            sign_off=sign_off_on(),
        ),
        "Verdict saved; it awaits a second editor's sign-off."
        if sign_off_on()
        else "Verdict saved.",
    )


@bp.post("/<int:claim_id>/reopen")
@allow(Role.EDITOR)
def reopen(claim_id: int) -> Any:
    return act_on_claim(
        claim_id,
        lambda: verdicts.reopen(get_session(), claim_id, g.user.id, form_version()),
        "Reopened: the claim is in review again.",
    )


@bp.post("/<int:claim_id>/evidence")
@allow(Role.EDITOR)
def add_evidence(claim_id: int) -> Any:
    form = request.form
    choice = form.get("source_id", "")
    source_id = int(choice) if choice.isascii() and choice.isdigit() else None
    new_source = None
    # Typing a new source's title is choosing it, even if the radio button was not ticked.
    if choice == "new" or (not choice and form.get("source_title", "").strip()):
        new_source = verdicts.SourceInput(
            title=form.get("source_title", ""),
            url=form.get("source_url", ""),
            publisher=form.get("source_publisher", ""),
            kind=form.get("source_kind", "web"),
        )
    return act_on_claim(
        claim_id,
        lambda: verdicts.link_evidence(
            get_session(),
            claim_id,
            g.user.id,
            form_version(),
            stance=form.get("stance", ""),
            quote=form.get("quote", ""),
            note=form.get("note", ""),
            source_id=source_id,
            new_source=new_source,
        ),
        "Evidence linked.",
    )


@bp.post("/<int:claim_id>/evidence/<int:evidence_id>")
@allow(Role.EDITOR)
def edit_evidence(claim_id: int, evidence_id: int) -> Any:
    form = request.form
    return act_on_claim(
        claim_id,
        lambda: verdicts.update_evidence(
            get_session(),
            claim_id,
            evidence_id,
            g.user.id,
            form_version(),
            stance=form.get("stance", ""),
            quote=form.get("quote", ""),
            note=form.get("note", ""),
        ),
        "Evidence updated.",
    )


@bp.post("/<int:claim_id>/evidence/<int:evidence_id>/remove")
@allow(Role.EDITOR)
def remove_evidence(claim_id: int, evidence_id: int) -> Any:
    return act_on_claim(
        claim_id,
        lambda: verdicts.remove_evidence(
            get_session(), claim_id, evidence_id, g.user.id, form_version()
        ),
        "Evidence removed.",
    )


@bp.get("/<int:claim_id>/history")
@allow(Role.VIEWER)
def history(claim_id: int) -> str:
    db = get_session()
    claim = verdicts.get_claim(db, claim_id)
    return render_template(
        "claims/history.html", claim=claim, entries=verdicts.claim_history(db, claim_id)
    )


@bp.post("/suggestions/<int:suggestion_id>/<any(confirm, reject, undo):decision>")
@allow(Role.EDITOR)
def decide(suggestion_id: int, decision: str) -> Response:
    """Confirm, reject or undo a duplicate suggestion, then go back to the claim it was seen on
    (also when someone decided it first, or a variant needs the override: it says so there)."""
    db = get_session()
    claim_id = request.form.get("claim_id", type=int)
    if claim_id is None:
        claim_id = duplicates.get_suggestion(db, suggestion_id).claim_id
    back = back_to(url_for("claims.detail", claim_id=claim_id) + "#duplicates")
    if decision == "confirm":
        override = request.form.get("override") == "1"
        duplicates.confirm(db, suggestion_id, g.user.id, override=override)
    else:
        {"reject": duplicates.reject, "undo": duplicates.undo}[decision](
            db, suggestion_id, g.user.id
        )
    flash(
        {
            "confirm": "Confirmed: the two claims are now in one cluster.",
            "reject": "Rejected: this pair will not be suggested again.",
            "undo": "Undone: the suggestion is open again.",
        }[decision],
        "success",
    )
    return redirect(back)


@bp.get("/similar")
@allow(Role.VIEWER)
def similar() -> str:
    query = request.args.get("q", "").strip()[:QUERY_MAX]
    results = find_similar(get_session(), query, SEARCH_LIMIT) if query else []
    return render_template("claims/similar.html", query=query, results=results)
