"""The JSON API's search: the search box's two modes (review/search.py), the same engine and the
same filters as the search page."""

from __future__ import annotations

from flask import request

from workbench import shapes
from workbench.db import get_session
from workbench.models import Role
from workbench.review.filter_args import filters_from_args
from workbench.review.search import SearchHit, parse_mode, parse_page, search
from workbench.web.access import allow
from workbench.web.api import READ_ERRORS, BadRequest, answers, bp, spec
from workbench.web.api.inputs import SearchArgs


@bp.get("/claims/search")
@allow(Role.VIEWER)
@spec.validate(
    query=SearchArgs, resp=answers({200: shapes.SearchResults}, READ_ERRORS), tags=["claims"]
)
def search_claims(query: SearchArgs) -> shapes.SearchResults:
    """Search claims. `mode=keyword`: claims holding the words (normalised as claims are), those
    with every word first, each group in the text index's relevance order, filtered as the queue
    is, paged by `page`. `mode=similar`: the claims most similar to a sentence (see
    `/api/claims/similar`), one page. `mode=auto` (the default) picks similar for a sentence (6
    words or more, or 3 or more ending in . ! ?) and keyword otherwise; `mode` in the answer
    says which ran. Each result's `snippet` marks the query's words in the claim's own text."""
    text = query.q.strip()
    if not text:
        raise BadRequest("missing_query", "Give the words or sentence to search for as ?q=.")
    found = search(
        get_session(),
        text,
        parse_mode(request.args.get("mode")),
        filters_from_args(request.args),
        page=parse_page(request.args.get("page")),
        per_page=query.limit,
    )
    return shapes.SearchResults.build(
        query=text,
        mode=found.mode.value,
        automatic=found.automatic,
        words=found.words,
        page=found.page,
        next_page=found.page + 1 if found.has_next else None,
        results=[_hit(hit) for hit in found.hits],
    )


def _hit(hit: SearchHit) -> shapes.SearchHit:
    return shapes.SearchHit.of(
        hit.claim,
        hit.article,
        snippet=[{"text": text, "match": marked} for text, marked in hit.snippet],
        score=hit.score,
        matched_words=hit.matched,
        kind=hit.similar.kind if hit.similar else None,
    )
