"""The JSON API for claims: the filtered list, one claim, what an editor does to it, duplicate
decisions and the export. Every route calls the same domain function as the web app."""

from __future__ import annotations

import math
from typing import Any

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from workbench.db import get_session
from workbench.export import records as export
from workbench.models import Article, Cluster, Role
from workbench.review import duplicates
from workbench.review import verdicts as review
from workbench.review.filter_args import filters_from_args
from workbench.review.queue import decode_cursor, list_claims
from workbench.web.access import allow
from workbench.web.api import ID_MAX, BadRequest, bp, field, json_body, limit_arg
from workbench.web.api.shapes import (
    claim_json,
    cluster_json,
    effective_verdict_json,
    evidence_json,
    evidence_view_json,
    suggestion_json,
)
from workbench.web.export import stream_export

CURSOR_MAX = 100


@bp.get("/claims")
@allow(Role.VIEWER)
def claims() -> Response:
    """Claims in queue order with the queue's filters; `next_cursor` continues the list."""
    filters = filters_from_args(request.args)
    after = request.args.get("after") or None
    if after is not None and not _is_cursor(after):
        raise BadRequest("bad_cursor", "after must be a next_cursor from an earlier page.")
    page = list_claims(get_session(), filters, after=after, per_page=limit_arg())
    return jsonify(
        {
            "claims": [claim_json(claim, article) for claim, article in page.items],
            "next_cursor": page.next_cursor,
        }
    )


def _is_cursor(text: str) -> bool:
    position = decode_cursor(text) if len(text) <= CURSOR_MAX else None
    return position is not None and math.isfinite(position[0]) and 0 < position[1] <= ID_MAX


@bp.get("/claims/<id:claim_id>")
@allow(Role.VIEWER)
def claim(claim_id: int) -> Response:
    """One claim with its evidence, its duplicate suggestions and its cluster."""
    return jsonify(_claim_detail(claim_id))


def _claim_detail(claim_id: int) -> dict[str, Any]:
    db = get_session()
    found = review.get_claim(db, claim_id)
    article = db.get(Article, found.article_id)
    assert article is not None  # foreign key
    members = duplicates.cluster_members(db, found)
    cluster = None
    if found.cluster_id is not None:
        row = db.get(Cluster, found.cluster_id)
        cluster = cluster_json(row, members) if row is not None else None
    return {
        **claim_json(found, article),
        "effective_verdict": effective_verdict_json(duplicates.effective_verdict(db, found)),
        "evidence": [evidence_view_json(view) for view in review.evidence_for(db, found.id)],
        "suggestions": [suggestion_json(view) for view in duplicates.suggestions_for(db, found)],
        "cluster": cluster,
    }


def _version(data: dict[str, Any]) -> int:
    return field(data, "version", int, required=True)


@bp.post("/claims/<id:claim_id>/take")
@allow(Role.EDITOR)
def take(claim_id: int) -> Response:
    data = json_body()
    review.take(get_session(), claim_id, g.user.id, _version(data))
    return jsonify(_claim_detail(claim_id))


@bp.post("/claims/<id:claim_id>/verdict")
@allow(Role.EDITOR)
def verdict(claim_id: int) -> Response:
    data = json_body()
    review.set_verdict(
        get_session(),
        claim_id,
        g.user.id,
        _version(data),
        field(data, "verdict", str, required=True),
        field(data, "summary", str, required=True),
    )
    return jsonify(_claim_detail(claim_id))


@bp.post("/claims/<id:claim_id>/reopen")
@allow(Role.EDITOR)
def reopen(claim_id: int) -> Response:
    data = json_body()
    review.reopen(get_session(), claim_id, g.user.id, _version(data))
    return jsonify(_claim_detail(claim_id))


@bp.post("/claims/<id:claim_id>/evidence")
@allow(Role.EDITOR)
def link_evidence(claim_id: int) -> tuple[Response, int]:
    """Link a library source (`source_id`) or a new one (`source`) to the claim."""
    data = json_body()
    source_id = field(data, "source_id", int)
    new = field(data, "source", dict)
    if (source_id is None) == (new is None):
        raise BadRequest("bad_source", "Give either 'source_id' or a new 'source', not both.")
    new_source = None
    if new is not None:
        new_source = review.SourceInput(
            title=field(new, "title", str, required=True),
            url=field(new, "url", str) or "",
            publisher=field(new, "publisher", str) or "",
            kind=field(new, "kind", str) or "web",
        )
    db = get_session()
    evidence = review.link_evidence(
        db,
        claim_id,
        g.user.id,
        _version(data),
        stance=field(data, "stance", str, required=True),
        quote=field(data, "quote", str) or "",
        note=field(data, "note", str) or "",
        source_id=source_id,
        new_source=new_source,
    )
    source = review.get_source(db, evidence.source_id)
    body = {
        "evidence": evidence_json(evidence, source, g.user.username),
        "claim_version": review.get_claim(db, claim_id).version,
    }
    return jsonify(body), 201


@bp.patch("/claims/<id:claim_id>/evidence/<id:evidence_id>")
@allow(Role.EDITOR)
def update_evidence(claim_id: int, evidence_id: int) -> Response:
    """Change a piece of evidence's stance, quote or note (its source stays)."""
    data = json_body()
    db = get_session()
    evidence = review.update_evidence(
        db,
        claim_id,
        evidence_id,
        g.user.id,
        _version(data),
        stance=field(data, "stance", str, required=True),
        quote=field(data, "quote", str) or "",
        note=field(data, "note", str) or "",
    )
    source = review.get_source(db, evidence.source_id)
    body = {
        "evidence": evidence_json(evidence, source, None),
        "claim_version": review.get_claim(db, claim_id).version,
    }
    return jsonify(body)


@bp.delete("/claims/<id:claim_id>/evidence/<id:evidence_id>")
@allow(Role.EDITOR)
def remove_evidence(claim_id: int, evidence_id: int) -> Response:
    """Unlink a piece of evidence; `version` is a query argument (a DELETE has no body)."""
    text = request.args.get("version", "")
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise BadRequest("bad_field", "Give the claim's version as ?version=N.")
    claim_row = review.remove_evidence(get_session(), claim_id, evidence_id, g.user.id, int(text))
    return jsonify({"claim_version": claim_row.version})


@bp.post("/suggestions/<id:suggestion_id>/<any(confirm, reject):decision>")
@allow(Role.EDITOR)
def decide(suggestion_id: int, decision: str) -> Response:
    """Confirm (the claims join one cluster) or reject (never suggested again) a suggestion; a
    variant is confirmed only with {"override": true} in the body."""
    db = get_session()
    if decision == "confirm":
        data = request.get_json(silent=True)
        override = isinstance(data, dict) and data.get("override") is True
        duplicates.confirm(db, suggestion_id, g.user.id, override=override)
    else:
        duplicates.reject(db, suggestion_id, g.user.id)
    suggestion = duplicates.get_suggestion(db, suggestion_id)
    claim_row = review.get_claim(db, suggestion.claim_id)
    return jsonify(
        {
            "id": suggestion.id,
            "state": suggestion.state.value,
            "claim_id": suggestion.claim_id,
            "candidate_id": suggestion.candidate_id,
            "cluster_id": claim_row.cluster_id,
        }
    )


@bp.get("/export")
@allow(Role.VIEWER)
def export_claims() -> Response:
    """The export (CSV, JSON Lines or ClaimReview) of the filtered claims, streamed."""
    format_name = request.args.get("format", "csv")
    if format_name not in export.FORMATS:
        raise BadRequest("bad_format", f"format must be one of: {', '.join(export.FORMATS)}.")
    return stream_export(format_name, filters_from_args(request.args))
