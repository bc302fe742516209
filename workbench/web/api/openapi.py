"""The OpenAPI 3 description of the JSON API, served at /api/openapi.json.

Written by hand next to the routes rather than generated: the routes are few, and a test checks
that every API route in the app's URL map is described here and every path here is a route, and
runs schemathesis against the app with this document (tests/web/test_openapi.py).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from workbench.export import records as export
from workbench.models import AlertKind, AlertState, ClaimStatus, Stance, SuggestionState, Verdict
from workbench.review.filter_args import OUTLET_MAX, TEXT_MAX
from workbench.review.verdicts import SOURCE_KINDS
from workbench.web.access import allow_anyone
from workbench.web.api import ID_MAX, MAX_LIMIT, QUERY_MAX, bp


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {"code": STRING, "message": STRING},
                ["code", "message"],
            )
        },
        ["error"],
    ),
    "ArticleBrief": _object(
        {
            "id": ID,
            "title": STRING,
            "url": _nullable(STRING),
            "outlet": _nullable(STRING),
            "published_at": _nullable(TIME),
        }
    ),
    "Article": _object(
        {
            "id": ID,
            "title": STRING,
            "url": _nullable(STRING),
            "outlet": _nullable(STRING),
            "published_at": _nullable(TIME),
            "origin": STRING,
            "ingested_at": TIME,
            "claims": {"type": "integer"},
        }
    ),
    "Claim": _object(
        {
            "id": ID,
            "external_id": _nullable(STRING),
            "text": STRING,
            "status": {"type": "string", "enum": [s.value for s in ClaimStatus]},
            "verdict": _nullable({"type": "string", "enum": [v.value for v in Verdict]}),
            "verdict_summary": _nullable(STRING),
            "check_worthiness": {"type": "number"},
            "priority": {"type": "number"},
            "repeat_count": {"type": "integer"},
            "assignee_id": _nullable(ID),
            "cluster_id": _nullable(ID),
            "version": {"type": "integer", "description": "Send it back with every change."},
            "created_at": TIME,
            "updated_at": TIME,
            "updated_by_id": _nullable(ID),
            "article": _ref("ArticleBrief"),
        }
    ),
    "Source": _object(
        {
            "id": ID,
            "title": STRING,
            "url": _nullable(STRING),
            "publisher": _nullable(STRING),
            "kind": STRING,
            "archived_url": _nullable(STRING),
            "created_at": TIME,
        }
    ),
    "Evidence": _object(
        {
            "id": ID,
            "claim_id": ID,
            "stance": {"type": "string", "enum": [s.value for s in Stance]},
            "quote": _nullable(STRING),
            "note": _nullable(STRING),
            "added_by": _nullable(STRING),
            "created_at": TIME,
            "source": _ref("Source"),
        }
    ),
    "Suggestion": _object(
        {
            "id": ID,
            "claim_id": ID,
            "candidate_id": ID,
            "score": {"type": "number"},
            "method": STRING,
            "state": {"type": "string", "enum": [s.value for s in SuggestionState]},
            "decided_at": _nullable(TIME),
            "other": _ref("Claim"),
        }
    ),
    "Cluster": _object(
        {
            "id": ID,
            "canonical_claim_id": _nullable(ID),
            "created_at": TIME,
            "members": {"type": "array", "items": _ref("Claim")},
        }
    ),
    "ClaimDetail": {
        "allOf": [
            _ref("Claim"),
            _object(
                {
                    "effective_verdict": _object(
                        {
                            "verdict": _nullable(STRING),
                            "inherited_from": _nullable(ID),
                        }
                    ),
                    "evidence": {"type": "array", "items": _ref("Evidence")},
                    "suggestions": {"type": "array", "items": _ref("Suggestion")},
                    "cluster": _nullable(_ref("Cluster")),
                }
            ),
        ]
    },
    "AlertClaim": _object(
        {
            "id": ID,
            "text": STRING,
            "status": {"type": "string", "enum": [s.value for s in ClaimStatus]},
            "verdict": _nullable(STRING),
            "article": {"type": "object"},
        }
    ),
    "Alert": _object(
        {
            "id": ID,
            "kind": {"type": "string", "enum": [k.value for k in AlertKind]},
            "state": {"type": "string", "enum": [s.value for s in AlertState]},
            "created_at": TIME,
            "score": {"type": "number"},
            "verdict": _nullable(STRING),
            "note": _nullable(STRING),
            "claim": _ref("AlertClaim"),
            "matched_claim": _ref("AlertClaim"),
        }
    ),
}


def _param(name: str, schema: dict[str, Any], description: str, where: str = "query") -> Any:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


def _path_id(name: str) -> dict[str, Any]:
    return _param(name, ID, "The record's id.", "path")


LIMIT = _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Items per page.")
AFTER_ID = _param("after", {"type": "string"}, "next_cursor of the previous page.")
FILTERS = [
    _param("status", {"type": "string", "enum": [s.value for s in ClaimStatus]}, "Status."),
    _param("verdict", {"type": "string", "enum": [v.value for v in Verdict]}, "Own verdict."),
    _param("outlet", {"type": "string", "maxLength": OUTLET_MAX}, "The article's outlet."),
    _param("article_id", ID, "Claims of one article."),
    _param("assignee", {"type": "string"}, "A user id, or 'none' for unassigned claims."),
    _param("text", {"type": "string", "maxLength": TEXT_MAX}, "Claims containing all words."),
    _param("cluster_id", ID, "Claims in one cluster."),
    _param("ingested_from", TIME, "Ingested at or after (UTC; a date is midnight)."),
    _param("ingested_until", TIME, "Ingested before."),
    _param("changed_from", TIME, "Last changed at or after."),
    _param("changed_until", TIME, "Last changed before."),
]
ERRORS = {
    "400": (
        "The request cannot be read: malformed JSON (`bad_json`), arrays or objects nested more "
        "than 100 deep (`too_deep`), a string holding a NUL or a lone surrogate (`bad_text`), a "
        "missing or mistyped field."
    ),
    "401": "No valid token or log-in.",
    "403": "The account's role may not do this, or a browser session sent no CSRF token.",
    "404": "No record with that id.",
    "409": "The claim changed since `version` (reload it), or the suggestion is decided.",
    "422": "The input is refused; the message says what to fix.",
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(
    summary: str,
    ok: dict[str, Any],
    *,
    parameters: list[Any] | None = None,
    body: dict[str, Any] | None = None,
    errors: tuple[str, ...] = ("400", "401"),
    status: str = "200",
) -> dict[str, Any]:
    responses = {status: ok}
    for code in errors:
        responses[code] = _json(_ref("Error"), ERRORS[code])
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


def _exactly_one_source(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """Evidence names a library source or describes a new one, never both."""
    return {
        **_object(properties, required),
        "oneOf": [{"required": ["source_id"]}, {"required": ["source"]}],
    }


VERSION = {"version": {"type": "integer", "description": "The claim's version you last saw."}}
WRITE_ERRORS = ("400", "401", "403", "404", "409", "422")


def _listing(key: str, item: str) -> dict[str, Any]:
    return _object({key: {"type": "array", "items": _ref(item)}, "next_cursor": _nullable(STRING)})


def _add_source() -> dict[str, Any]:
    operation = _operation(
        "Add a source to the library (an address already there gives that source back).",
        _json(_ref("Source"), "Added"),
        body=_object(
            {
                "title": STRING,
                "url": STRING,
                "publisher": STRING,
                "kind": {"type": "string", "enum": list(SOURCE_KINDS)},
            },
            ["title"],
        ),
        errors=("400", "401", "403", "422"),
        status="201",
    )
    operation["responses"]["200"] = _json(_ref("Source"), "Already in the library")
    return operation


def document() -> dict[str, Any]:
    claim_path = [_path_id("claim_id")]
    paths: dict[str, Any] = {
        "/api/openapi.json": {
            "get": {
                **_operation("This document.", _json({"type": "object"}), errors=()),
                "security": [],
            }
        },
        "/api/claims": {
            "get": _operation(
                "Claims in queue order, filtered as the queue is; keyset pages.",
                _json(_listing("claims", "Claim")),
                parameters=[*FILTERS, AFTER_ID, LIMIT],
            )
        },
        "/api/claims/similar": {
            "get": _operation(
                "Claims most similar to a text, best first.",
                _json({"type": "object"}),
                parameters=[
                    {
                        **_param("q", {"type": "string", "maxLength": QUERY_MAX}, "The text."),
                        "required": True,
                    },
                    _param(
                        "date",
                        {"type": "string", "format": "date"},
                        "When the text was published (ISO); claims of that time rank higher.",
                    ),
                    LIMIT,
                ],
            )
        },
        "/api/claims/{claim_id}": {
            "get": _operation(
                "One claim with evidence, duplicate suggestions and cluster.",
                _json(_ref("ClaimDetail")),
                parameters=claim_path,
                errors=("401", "404"),
            )
        },
        "/api/claims/{claim_id}/take": {
            "post": _operation(
                "Assign the claim to yourself (a new claim goes into review).",
                _json(_ref("ClaimDetail")),
                parameters=claim_path,
                body=_object(VERSION, ["version"]),
                errors=WRITE_ERRORS,
            )
        },
        "/api/claims/{claim_id}/verdict": {
            "post": _operation(
                "Give the claim a verdict with a public summary.",
                _json(_ref("ClaimDetail")),
                parameters=claim_path,
                body=_object(
                    {
                        **VERSION,
                        "verdict": {"type": "string", "enum": [v.value for v in Verdict]},
                        "summary": STRING,
                    },
                    ["version", "verdict", "summary"],
                ),
                errors=WRITE_ERRORS,
            )
        },
        "/api/claims/{claim_id}/reopen": {
            "post": _operation(
                "Take the verdict back; the claim is in review again.",
                _json(_ref("ClaimDetail")),
                parameters=claim_path,
                body=_object(VERSION, ["version"]),
                errors=WRITE_ERRORS,
            )
        },
        "/api/claims/{claim_id}/evidence": {
            "post": _operation(
                "Link a source from the library (source_id) or a new one (source).",
                _json(
                    _object({"evidence": _ref("Evidence"), "claim_version": {"type": "integer"}}),
                    "Linked",
                ),
                parameters=claim_path,
                body=_exactly_one_source(
                    {
                        **VERSION,
                        "stance": {"type": "string", "enum": [s.value for s in Stance]},
                        "quote": STRING,
                        "note": STRING,
                        "source_id": ID,
                        "source": _object(
                            {
                                "title": STRING,
                                "url": STRING,
                                "publisher": STRING,
                                "kind": {"type": "string", "enum": list(SOURCE_KINDS)},
                            },
                            ["title"],
                        ),
                    },
                    ["version", "stance"],
                ),
                errors=WRITE_ERRORS,
                status="201",
            )
        },
    }
    evidence_path = [_path_id("claim_id"), _path_id("evidence_id")]
    paths["/api/claims/{claim_id}/evidence/{evidence_id}"] = {
        "patch": _operation(
            "Change a piece of evidence's stance, quote or note.",
            _json(_object({"evidence": _ref("Evidence"), "claim_version": {"type": "integer"}})),
            parameters=evidence_path,
            body=_object(
                {
                    **VERSION,
                    "stance": {"type": "string", "enum": [s.value for s in Stance]},
                    "quote": STRING,
                    "note": STRING,
                },
                ["version", "stance"],
            ),
            errors=WRITE_ERRORS,
        ),
        "delete": _operation(
            "Unlink a piece of evidence from the claim.",
            _json(_object({"claim_version": {"type": "integer"}})),
            parameters=[
                *evidence_path,
                {
                    **_param("version", {"type": "integer"}, "The claim's version you last saw."),
                    "required": True,
                },
            ],
            errors=WRITE_ERRORS,
        ),
    }
    for decision, summary in (
        ("confirm", "The two claims are the same: they join one cluster."),
        ("reject", "Not the same claim: the pair is never suggested again."),
    ):
        paths[f"/api/suggestions/{{suggestion_id}}/{decision}"] = {
            "post": _operation(
                summary,
                _json(
                    _object(
                        {
                            "id": ID,
                            "state": STRING,
                            "claim_id": ID,
                            "candidate_id": ID,
                            "cluster_id": _nullable(ID),
                        }
                    )
                ),
                parameters=[_path_id("suggestion_id")],
                errors=("401", "403", "404", "409"),
            )
        }
    paths["/api/export"] = {
        "get": _operation(
            "The filtered claims as CSV, JSON Lines or a JSON-LD array of ClaimReview, streamed.",
            {
                "description": "The export file",
                "content": {
                    export.FORMATS[name].media_type.split(";")[0]: {"schema": STRING}
                    for name in export.FORMATS
                },
            },
            parameters=[
                _param("format", {"type": "string", "enum": list(export.FORMATS)}, "Format."),
                *FILTERS,
            ],
        )
    }
    paths["/api/articles"] = {
        "get": _operation(
            "Articles, newest first, with their number of claims.",
            _json(_listing("articles", "Article")),
            parameters=[AFTER_ID, LIMIT],
        ),
        "post": _operation(
            "Store an article and split it into claims (as the web form does).",
            _json(
                {
                    "allOf": [
                        _ref("Article"),
                        _object(
                            {
                                "suggestions": {"type": "integer"},
                                "skipped": {"type": "object"},
                            }
                        ),
                    ]
                },
                "Stored",
            ),
            body=_object(
                {
                    "text": STRING,
                    "title": STRING,
                    "url": STRING,
                    "outlet": STRING,
                    "published": {"type": "string", "format": "date"},
                },
                ["text"],
            ),
            errors=("400", "401", "403", "409", "422"),
            status="201",
        ),
    }
    paths["/api/articles/{article_id}"] = {
        "get": _operation(
            "One article with its text and its claims.",
            _json(
                {
                    "allOf": [
                        _ref("Article"),
                        _object(
                            {"body": STRING, "claims": {"type": "array", "items": _ref("Claim")}}
                        ),
                    ]
                }
            ),
            parameters=[_path_id("article_id")],
            errors=("401", "404"),
        )
    }
    paths["/api/sources"] = {
        "get": _operation(
            "Sources whose title, address or publisher contains q, newest first.",
            _json(_object({"sources": {"type": "array", "items": _ref("Source")}})),
            parameters=[_param("q", {"type": "string", "maxLength": 500}, "Search text."), LIMIT],
        ),
        "post": _add_source(),
    }
    paths["/api/sources/{source_id}"] = {
        "get": _operation(
            "One source.",
            _json(_ref("Source")),
            parameters=[_path_id("source_id")],
            errors=("401", "404"),
        )
    }
    paths["/api/clusters"] = {
        "get": _operation(
            "Clusters of confirmed duplicates, newest first, with their size.",
            _json(
                _object(
                    {
                        "clusters": {
                            "type": "array",
                            "items": _object(
                                {
                                    "id": ID,
                                    "canonical_claim_id": _nullable(ID),
                                    "size": {"type": "integer"},
                                }
                            ),
                        },
                        "next_cursor": _nullable(STRING),
                    }
                )
            ),
            parameters=[AFTER_ID, LIMIT],
        )
    }
    paths["/api/clusters/{cluster_id}"] = {
        "get": _operation(
            "One cluster with its member claims.",
            _json(_ref("Cluster")),
            parameters=[_path_id("cluster_id")],
            errors=("401", "404"),
        )
    }
    paths["/api/alerts"] = {
        "get": _operation(
            "Alerts (a new claim repeats a checked or in-review one), newest first, as webhooks "
            "send them.",
            _json(
                _object(
                    {
                        "alerts": {"type": "array", "items": _ref("Alert")},
                        "next_before": _nullable(ID),
                    }
                )
            ),
            parameters=[
                _param("kind", {"type": "string", "enum": [k.value for k in AlertKind]}, "Kind."),
                _param(
                    "state", {"type": "string", "enum": [s.value for s in AlertState]}, "State."
                ),
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Per page."),
                _param("before", ID, "next_before of the previous page."),
            ],
        )
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Claim workbench API",
            "version": "1",
            "description": (
                "Send a personal API token (made on your account page) as "
                "`Authorization: Bearer wbt_…`; it acts with your role: viewers read, editors "
                "and admins also write. Errors are JSON: "
                '`{"error": {"code": "…", "message": "…"}}`.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
    }


@bp.get("/openapi.json")
@allow_anyone
def openapi() -> Response:
    return jsonify(document())
