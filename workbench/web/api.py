"""The JSON API. Errors are JSON with a stable code and a sentence, never an HTML page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.wrappers import Response

from workbench.db import get_session
from workbench.similar import find_similar

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_LIMIT = 100
QUERY_MAX = 5_000


def error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.before_request
def require_login() -> tuple[Response, int] | None:
    if g.get("user") is None:
        return error(401, "unauthorized", "Log in first (API tokens come with the API issue).")
    return None


@bp.get("/claims/similar")
def similar_claims() -> Any:
    """Ranked claims closest to `q`; `duplicate` is true at or above the duplicate threshold."""
    query = request.args.get("q", "").strip()
    if not query:
        return error(400, "missing_query", "Give the text to search for as ?q=.")
    if len(query) > QUERY_MAX:
        return error(400, "query_too_long", f"The text may be at most {QUERY_MAX} characters.")
    limit_text = request.args.get("limit", "10")
    # ASCII digits, and few of them: str.isdigit() also passes "²" and int() refuses a run of
    # thousands of digits; either would be a 500 instead of this 400.
    digits = limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 3
    limit = int(limit_text) if digits else 0
    if not 1 <= limit <= MAX_LIMIT:
        return error(400, "bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    results = find_similar(get_session(), query, limit)
    return jsonify(
        {
            "query": query,
            "results": [
                {
                    "id": hit.claim.id,
                    "external_id": hit.claim.external_id,
                    "text": hit.claim.text,
                    "score": hit.score,
                    "duplicate_score": hit.duplicate_score,
                    "duplicate": hit.duplicate,
                    "status": hit.claim.status.value,
                    "verdict": hit.claim.verdict.value if hit.claim.verdict else None,
                    "article": {
                        "id": hit.article.id,
                        "title": hit.article.title,
                        "outlet": hit.article.outlet,
                        "url": hit.article.url,
                    },
                }
                for hit in results
            ],
        }
    )
