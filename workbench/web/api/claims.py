"""The JSON API for claims: the filtered list, one claim, what an editor does to it, duplicate
decisions and the export. Every route calls the same domain function as the web app."""

from __future__ import annotations

from flask import g, request
from werkzeug.wrappers import Response

from workbench import models
from workbench.db import get_session
from workbench.models import Role
from workbench.review import duplicates, verdicts
from workbench.review.filter_args import filters_from_args
from workbench.review.queue import list_claims
from workbench.shapes import (
    Claim,
    ClaimDetail,
    ClaimList,
    ClaimVersion,
    Cluster,
    EffectiveVerdict,
    Evidence,
    EvidenceChange,
    Suggestion,
    SuggestionDecision,
)
from workbench.web.access import allow
from workbench.web.api import (
    ONE_RECORD_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    answers,
    bp,
    spec,
)
from workbench.web.api.inputs import (
    ClaimListArgs,
    DecisionBody,
    EvidenceBody,
    EvidenceUpdate,
    ExportArgs,
    RemoveEvidenceArgs,
    SendBackBody,
    VerdictBody,
    VersionBody,
)
from workbench.web.export import stream_export
from workbench.web.signoff import sign_off_on


@bp.get("/claims")
@allow(Role.VIEWER)
@spec.validate(query=ClaimListArgs, resp=answers({200: ClaimList}, READ_ERRORS), tags=["claims"])
def claims(query: ClaimListArgs) -> ClaimList:
    """Claims in queue order, filtered as the queue is; `next_cursor` continues the list."""
    filters = filters_from_args(request.args)
    page = list_claims(get_session(), filters, after=query.after, per_page=query.limit)
    return ClaimList.build(
        claims=[Claim.of(claim, article) for claim, article in page.items],
        next_cursor=page.next_cursor,
    )


@bp.get("/claims/<id:claim_id>")
@allow(Role.VIEWER)
@spec.validate(resp=answers({200: ClaimDetail}, ONE_RECORD_ERRORS), tags=["claims"])
def claim(claim_id: int) -> ClaimDetail:
    """One claim with its evidence, its duplicate suggestions and its cluster."""
    return _claim_detail(claim_id)


def _claim_detail(claim_id: int) -> ClaimDetail:
    db = get_session()
    found = verdicts.get_claim(db, claim_id)
    article = db.get(models.Article, found.article_id)
    assert article is not None  # foreign key
    cluster = None
    if found.cluster_id is not None:
        row = db.get(models.Cluster, found.cluster_id)
        if row is not None:
            cluster = Cluster.of(row, duplicates.cluster_members(db, found))
    effective = duplicates.effective_verdict(db, found)
    return ClaimDetail.of(
        found,
        article,
        effective_verdict=EffectiveVerdict.build(
            verdict=effective.verdict.value if effective.verdict else None,
            inherited_from=effective.inherited_from.id if effective.inherited_from else None,
        ),
        evidence=[
            Evidence.of(view.evidence, view.source, view.added_by)
            for view in verdicts.evidence_for(db, found.id)
        ],
        suggestions=[
            Suggestion.of(view.suggestion, view.other, view.other_article)
            for view in duplicates.suggestions_for(db, found)
        ],
        cluster=cluster,
    )


@bp.post("/claims/<id:claim_id>/take")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: ClaimDetail}, WRITE_ERRORS), tags=["claims"])
def take(claim_id: int, json: VersionBody) -> ClaimDetail:
    """Assign the claim to yourself (a new claim goes into review)."""
    verdicts.take(get_session(), claim_id, g.user.id, json.version)
    return _claim_detail(claim_id)


@bp.post("/claims/<id:claim_id>/verdict")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: ClaimDetail}, WRITE_ERRORS), tags=["claims"])
def verdict(claim_id: int, json: VerdictBody) -> ClaimDetail:
    """Give the claim a verdict with a public summary. Saving takes a claim nobody holds; one
    someone else holds needs `take_over`. With sign-off on, the verdict is a draft
    (`verdict_state`) until a second editor approves it."""
    verdicts.set_verdict(
        get_session(),
        claim_id,
        g.user.id,
        json.version,
        json.verdict,
        json.summary,
        take_over=json.take_over,
        sign_off=sign_off_on(),
    )
    return _claim_detail(claim_id)


@bp.post("/claims/<id:claim_id>/approve")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: ClaimDetail}, WRITE_ERRORS), tags=["claims"])
def approve(claim_id: int, json: VersionBody) -> ClaimDetail:
    """Sign off a draft verdict as a second editor (not its author): it is published."""
    verdicts.approve(get_session(), claim_id, g.user.id, json.version)
    return _claim_detail(claim_id)


@bp.post("/claims/<id:claim_id>/send-back")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: ClaimDetail}, WRITE_ERRORS), tags=["claims"])
def send_back(claim_id: int, json: SendBackBody) -> ClaimDetail:
    """Send a draft verdict back to its author with a note; the claim stays in review."""
    verdicts.send_back(get_session(), claim_id, g.user.id, json.version, json.note)
    return _claim_detail(claim_id)


@bp.post("/claims/<id:claim_id>/reopen")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: ClaimDetail}, WRITE_ERRORS), tags=["claims"])
def reopen(claim_id: int, json: VersionBody) -> ClaimDetail:
    """Take the verdict back; the claim is in review again."""
    verdicts.reopen(get_session(), claim_id, g.user.id, json.version)
    return _claim_detail(claim_id)


@bp.post("/claims/<id:claim_id>/evidence")
@allow(Role.EDITOR)
@spec.validate(resp=answers({201: EvidenceChange}, WRITE_ERRORS), tags=["claims"])
def link_evidence(claim_id: int, json: EvidenceBody) -> tuple[EvidenceChange, int]:
    """Link a library source (`source_id`) or a new one (`source`) to the claim."""
    new_source = None
    if json.source is not None:
        new_source = verdicts.SourceInput(
            title=json.source.title,
            url=json.source.url or "",
            publisher=json.source.publisher or "",
            kind=json.source.kind or "web",
        )
    db = get_session()
    evidence = verdicts.link_evidence(
        db,
        claim_id,
        g.user.id,
        json.version,
        stance=json.stance,
        quote=json.quote or "",
        note=json.note or "",
        source_id=json.source_id,
        new_source=new_source,
    )
    source = verdicts.get_source(db, evidence.source_id)
    return EvidenceChange.build(
        evidence=Evidence.of(evidence, source, g.user.username),
        claim_version=verdicts.get_claim(db, claim_id).version,
    ), 201


@bp.patch("/claims/<id:claim_id>/evidence/<id:evidence_id>")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: EvidenceChange}, WRITE_ERRORS), tags=["claims"])
def update_evidence(claim_id: int, evidence_id: int, json: EvidenceUpdate) -> EvidenceChange:
    """Change a piece of evidence's stance, quote or note (its source stays)."""
    db = get_session()
    evidence = verdicts.update_evidence(
        db,
        claim_id,
        evidence_id,
        g.user.id,
        json.version,
        stance=json.stance,
        quote=json.quote or "",
        note=json.note or "",
    )
    source = verdicts.get_source(db, evidence.source_id)
    return EvidenceChange.build(
        evidence=Evidence.of(evidence, source, None),
        claim_version=verdicts.get_claim(db, claim_id).version,
    )


@bp.delete("/claims/<id:claim_id>/evidence/<id:evidence_id>")
@allow(Role.EDITOR)
@spec.validate(
    query=RemoveEvidenceArgs, resp=answers({200: ClaimVersion}, WRITE_ERRORS), tags=["claims"]
)
def remove_evidence(claim_id: int, evidence_id: int, query: RemoveEvidenceArgs) -> ClaimVersion:
    """Unlink a piece of evidence; `version` is a query argument (a DELETE has no body)."""
    claim_row = verdicts.remove_evidence(
        get_session(), claim_id, evidence_id, g.user.id, query.version
    )
    return ClaimVersion.build(claim_version=claim_row.version)


@bp.post("/suggestions/<id:suggestion_id>/<any(confirm, reject):decision>")
@allow(Role.EDITOR)
@spec.validate(
    resp=answers({200: SuggestionDecision}, (400, 401, 403, 404, 409)), tags=["duplicates"]
)
def decide(suggestion_id: int, decision: str, json: DecisionBody) -> SuggestionDecision:
    """Confirm (the claims join one cluster) or reject (never suggested again) a suggestion.

    A variant (a fact differs) is confirmed only with {"override": true} in the body."""
    db = get_session()
    if decision == "confirm":
        duplicates.confirm(db, suggestion_id, g.user.id, override=bool(json and json.override))
    else:
        duplicates.reject(db, suggestion_id, g.user.id)
    suggestion = duplicates.get_suggestion(db, suggestion_id)
    claim_row = verdicts.get_claim(db, suggestion.claim_id)
    return SuggestionDecision.build(
        id=suggestion.id,
        state=suggestion.state.value,
        claim_id=suggestion.claim_id,
        candidate_id=suggestion.candidate_id,
        cluster_id=claim_row.cluster_id,
    )


@bp.get("/export")
@allow(Role.VIEWER)
@spec.validate(query=ExportArgs, resp=answers({200: None}, READ_ERRORS), tags=["export"])
def export_claims(query: ExportArgs) -> Response:
    """The filtered claims as CSV, JSON Lines or a JSON-LD array of ClaimReview, streamed."""
    return stream_export(query.format or "csv", filters_from_args(request.args))
