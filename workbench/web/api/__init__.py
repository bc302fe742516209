"""The JSON API: how errors look, reading requests, and the similar-claims search.

The API's routes live in several modules (`claims.py`, `records.py`, `openapi.py`) on this
one blueprint, so errors are written once, here. Who may call each route is the mark on its view
(web/access.py), checked before the view runs with the rest of the app (web/permissions.py): a
personal API token (`Authorization: Bearer wbt_...`) or the browser's log-in session, which must
send its CSRF token in an `X-CSRFToken` header to change anything.

Errors are JSON, `{"error": {"code": "stable_code", "message": "A sentence."}}`: 400 for a request
we cannot read, 401 without valid credentials, 403 for a role too junior or a missing CSRF token,
404 for an unknown id, 409 for a stale version or a decision already made, 422 for input the
domain refuses (the message says what to fix), and 503 `database_unavailable` with `Retry-After`
when the database cannot be reached (nothing was changed; send the request again later).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ValidationError
from spectree import Response as SpecResponse
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError as NoMatch
from werkzeug.wrappers import Response

from workbench.db import get_session
from workbench.errors import Invalid, NotFound, WorkbenchError
from workbench.matching.similar import find_similar
from workbench.models import Role
from workbench.review.filter_args import ID_MAX
from workbench.shapes import SimilarClaim, SimilarClaims
from workbench.web.access import allow
from workbench.web.api.inputs import OWN_CODES, SimilarArgs
from workbench.web.converters import ID_PATTERN

bp = Blueprint("api", __name__, url_prefix="/api")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class IdConverter(BaseConverter):
    """`<id:claim_id>`: a positive whole number that fits the database's integer ids; a larger
    one does not match the rule, so it is the JSON 404 (see converters.py)."""

    regex = rf"(?=0*[1-9]){ID_PATTERN}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > ID_MAX:
            raise NoMatch()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


# Before any route below is bound, so `<id:...>` is known when the blueprint is registered.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("id", IdConverter))


class RecordNotFound(NotFound):
    """A source, cluster or other record the API was asked for by an id that does not exist."""


class BadRequest(Invalid):
    """A request we cannot read (malformed JSON, a missing or mistyped field): a 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


# --- Domain errors, the same for every route ------------------------------------------------------


@bp.errorhandler(WorkbenchError)
def _domain_error(exc: WorkbenchError) -> tuple[Response, int]:
    """Every domain error by its base (workbench/errors.py): 404 not found, 422 refused, 409
    conflict, 400 invalid, with the error's stable code and what else a client needs."""
    return error(exc.status, exc.code, exc.public_message(), **exc.fields())


# --- Reading arguments and bodies ----------------------------------------------------------------


# Our bodies are two levels deep; a hundred is generous. JSON nested deeper is refused before it
# is parsed: the parser recurses, and 100,000 levels was a RecursionError (a 500).
DEPTH_MAX = 100
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]+|\\.)*"|[\[\]{}]')


def nesting_depth(raw: bytes, stop_at: int = DEPTH_MAX) -> int:
    """How deep the arrays and objects in a JSON text nest (brackets inside strings do not
    count), read without parsing; stops counting once past `stop_at`."""
    if raw.count(b"[") + raw.count(b"{") <= stop_at:
        return min(raw.count(b"[") + raw.count(b"{"), stop_at)  # cannot nest deeper than that
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(raw):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop_at:
                break
        elif bracket in (b"]", b"}"):
            depth -= 1
    return deepest


@bp.before_request
def _read_body() -> None:
    """Refuse a body no JSON reader should be handed, before any model reads it: nesting deeper
    than DEPTH_MAX (the parser recurses: 100,000 levels was a RecursionError, a 500), and text
    that is not text (see _check_text). Runs after the permission check, so a caller without
    credentials hears 401 first."""
    if request.method in SAFE_METHODS:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    if nesting_depth(raw) > DEPTH_MAX:
        raise BadRequest(
            "too_deep", f"The JSON body nests arrays or objects more than {DEPTH_MAX} deep."
        )
    data = request.get_json(silent=True)
    if data is not None:
        _check_text(data, "")


def _refuse_invalid(
    _request: Any, _response: Any, problem: ValidationError | None, *_: Any
) -> None:
    """spectree's hook after it validated a request against the view's models: a refusal
    becomes our 400, naming the first field at fault (pydantic's own message would name
    internals such as `int_type`)."""
    if request.method not in SAFE_METHODS and _declares_body() and _unreadable_body(problem):
        raise BadRequest("bad_json", "Send a JSON object with Content-Type: application/json.")
    if problem is None:
        return
    first = problem.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "the body"
    kind = first["type"]
    if kind == "missing":
        raise BadRequest("missing_field", f"Give {name!r}.")
    if kind in WANTED:
        raise BadRequest("bad_field", f"{name!r} must be {WANTED[kind]}.")
    if kind in ("greater_than_equal", "less_than_equal"):
        raise BadRequest("bad_field", f"{name!r} is out of range.")
    if kind in OWN_CODES:
        raise BadRequest(kind, first["msg"])  # an argument's own check (PydanticCustomError)
    raise BadRequest("bad_field", f"{name!r}: {first['msg']}.")


def _unreadable_body(problem: ValidationError | None) -> bool:
    """A body a view that reads one cannot use: JSON that is not an object; a form post (spectree
    reads no JSON from it, so the view would get no body at all); or no JSON where the model
    refused what spectree read instead (an empty object). No body at all is fine for a model
    whose fields all have defaults (confirming a suggestion)."""
    body = request.get_json(silent=True)
    if body is None:
        return problem is not None or request.context.json is None
    return not isinstance(body, dict)


def _declares_body() -> bool:
    metadata = spec.get_function_metadata(current_app.view_functions[request.endpoint])
    return metadata is not None and metadata.json is not None


WANTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "string_type": "a string",
    "bool_type": "true or false",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


class ErrorBody(BaseModel):
    """Every error the API answers: `{"error": {"code": "stable_code", "message": "..."}}`."""

    class Detail(BaseModel):
        code: str
        message: str

    error: Detail


spec = SpecTree(
    "flask",
    mode="strict",  # only the API's views, each decorated with spec.validate
    title="Claim workbench API",
    version="1",
    description=(
        "Send a personal API token (made on your account page) as "
        "`Authorization: Bearer wbt_…`; it acts with your role: viewers read, editors "
        "and admins also write. Errors are JSON: "
        '`{"error": {"code": "…", "message": "…"}}`.'
    ),
    before=_refuse_invalid,
    validation_error_status=400,
    validation_error_model=ErrorBody,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    page_templates={},  # no documentation pages: they would load scripts from a CDN
    security_schemes=[
        SecurityScheme(name="token", data=SecuritySchemeData(type="http", scheme="bearer"))
    ],
    security={"token": []},
)
ERROR_TEXT = {
    400: "The request cannot be read: malformed JSON (`bad_json`), arrays or objects nested more "
    "than 100 deep (`too_deep`), a string holding a NUL or a lone surrogate (`bad_text`), a "
    "missing or mistyped field.",
    401: "No valid token or log-in.",
    403: "The account's role may not do this, or a browser session sent no CSRF token.",
    404: "No record with that id.",
    409: "The claim changed since `version` (reload it), or the decision is already made.",
    422: "The input is refused; the message says what to fix.",
}
READ_ERRORS = (400, 401)
ONE_RECORD_ERRORS = (401, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


def answers(ok: dict[int, type[BaseModel] | None], errors: tuple[int, ...]) -> SpecResponse:
    """The responses a view documents: its successes with their shapes, and its errors."""
    return SpecResponse(
        **{f"HTTP_{status}": model for status, model in ok.items()},
        **{f"HTTP_{status}": (ErrorBody, ERROR_TEXT[status]) for status in errors},
    )


def _check_text(value: Any, where: str) -> None:
    """JSON may carry what is not text at all: a lone surrogate ("\\ud800") cannot be encoded as
    UTF-8, and PostgreSQL text cannot hold NUL. Neither is ever meant, and both would fail deep in
    the driver as a 500, so the request is refused naming the field (keys are checked too)."""
    if isinstance(value, str):
        problem = _not_text(value)
        if problem:
            name = where or "the body"
            raise BadRequest("bad_text", f"{name!r} {problem}; send it as plain UTF-8 text.")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if _not_text(key):
                raise BadRequest("bad_text", f"A key {_not_text(key)}; send plain UTF-8 text.")
            _check_text(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{where}[{index}]")


def _not_text(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a lone surrogate ({text[exc.start]!r}), which is half of a character"
    return None


# --- Similar claims ------------------------------------------------------------------------------


@bp.get("/claims/similar")
@allow(Role.VIEWER)
@spec.validate(query=SimilarArgs, resp=answers({200: SimilarClaims}, READ_ERRORS), tags=["claims"])
def similar_claims(query: SimilarArgs) -> SimilarClaims:
    """Claims most similar to a text, best first.

    `duplicate` is true at or above the duplicate threshold when no fact differs; `kind` says
    duplicate, variant (a fact differs: `changed` says which) or related."""
    text = query.q.strip()
    if not text:
        raise BadRequest("missing_query", "Give the text to search for as ?q=.")
    results = find_similar(get_session(), text, query.limit, when=query.date)
    return SimilarClaims.build(
        query=text,
        results=[SimilarClaim.of(hit.claim, hit.article, **hit.score_fields()) for hit in results],
    )
