"""The search page that every page's search box leads to: keyword search for a few words,
similar claims for a sentence (review/search.py), with the queue's filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from workbench.db import get_session
from workbench.models import ClaimStatus, Role, Verdict
from workbench.review.filter_args import filters_from_args
from workbench.review.queue import StatusGroup, feed_choices, outlets
from workbench.review.search import (
    PER_PAGE,
    RANKED_MAX,
    SearchMode,
    parse_mode,
    parse_page,
    search,
)
from workbench.web.access import allow

bp = Blueprint("search", __name__)
QUERY_MAX = 5_000


@bp.get("/search")
@allow(Role.VIEWER)
def index() -> str:
    query = request.args.get("q", "").strip()[:QUERY_MAX]
    asked = parse_mode(request.args.get("mode"))  # a mode or page we do not know is the 400 page
    filters = filters_from_args(request.args)
    page = parse_page(request.args.get("page"))
    db = get_session()
    results = search(db, query, asked, filters, page=page) if query else None
    return render_template(
        "search.html",
        query=query,
        asked=asked,
        modes=SearchMode,
        filters=filters,
        # The filters as given, for the links to the other mode and the next page.
        given=filters.as_query(),
        results=results,
        per_page=PER_PAGE,
        ranked_max=RANKED_MAX,
        statuses=[StatusGroup.OPEN.value, *(status.value for status in ClaimStatus)],
        verdicts=list(Verdict),
        outlets=outlets(db),
        feeds=feed_choices(db),
    )
