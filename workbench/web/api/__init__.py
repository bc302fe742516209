"""The JSON API: who may call it, how errors look, and the similar-claims search.

The API's routes live in several modules (`claims.py`, `records.py`, `openapi.py`) on this
one blueprint, so authentication, permissions and errors are written once, here.

Authentication is either a personal API token (`Authorization: Bearer wbt_...`) or the browser's
log-in session. A token request cannot be forged by another site (a browser never adds the header
by itself), so it needs no CSRF token. A session request that changes something must carry the
session's CSRF token in an `X-CSRFToken` header, or it is refused: the cookie alone would let any
page the editor visits post to the API in their name.

Errors are JSON, `{"error": {"code": "stable_code", "message": "A sentence."}}`: 400 for a request
we cannot read, 401 without valid credentials, 403 for a role too junior or a missing CSRF token,
404 for an unknown id, 409 for a stale version or a decision already made, 422 for input the
domain refuses (the message says what to fix).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.wrappers import Response

from workbench.accounts.tokens import PREFIXES, user_for_token
from workbench.db import get_session
from workbench.intake.errors import DuplicateArticle, IngestError
from workbench.intake.reading import parse_date
from workbench.matching.similar import find_similar
from workbench.models import Role, TokenKind
from workbench.review import duplicates
from workbench.review import verdicts as review
from workbench.review.articles import ArticleNotFound
from workbench.review.filter_args import ID_MAX, FilterError
from workbench.web.auth import bearer_token
from workbench.web.converters import ID_PATTERN
from workbench.web.permissions import ROLE_RANK

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_LIMIT = 100
QUERY_MAX = 5_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
View = TypeVar("View", bound=Callable[..., Any])


class IdConverter(BaseConverter):
    """`<id:claim_id>`: a positive whole number that fits the database's integer ids; a larger
    one does not match the rule, so it is the JSON 404 (see converters.py)."""

    regex = rf"(?=0*[1-9]){ID_PATTERN}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > ID_MAX:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


# Before any route below is bound, so `<id:...>` is known when the blueprint is registered.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("id", IdConverter))


class RecordNotFound(LookupError):
    """A source, cluster or other record the API was asked for by an id that does not exist."""


class BadRequest(Exception):
    """A request we cannot read (malformed JSON, a missing or mistyped field): a 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


# --- Who is calling -------------------------------------------------------------------------------

PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


def authenticate() -> tuple[Response, int] | None:
    """A bearer token if one is sent (it wins over any cookie), else the log-in session.

    Called by the permission check (web/permissions.py) for every /api/ route before it compares
    the caller's role with the table, so a token user is known by then."""
    g.api_token = False
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if "Authorization" in request.headers:
        raw = bearer_token()
        if not raw:
            return _unauthorized(
                "bad_authorization", "Send the token as the header 'Authorization: Bearer wbt_…'."
            )
        user = user_for_token(get_session(), raw)
        if user is None and raw.startswith(PREFIXES[TokenKind.FEED]):
            return _unauthorized(
                "feed_token",
                "This is a feed token: it reads the alert feed and nothing else. Make an API "
                "token on your account page for scripts.",
            )
        if user is None:
            return _unauthorized(
                "invalid_token",
                "This token is not valid: it is unknown or revoked, or its account is disabled. "
                "Make a new one on your account page.",
            )
        g.user = user
        g.api_token = True
        return None
    if g.get("user") is None:
        return _unauthorized(
            "unauthorized",
            "Log in, or send an API token as the header 'Authorization: Bearer wbt_…'.",
        )
    if request.method not in SAFE_METHODS:
        try:
            current_app.extensions["csrf"].protect()
        except CSRFError:
            return error(
                403,
                "csrf_required",
                "A logged-in browser must send its CSRF token in the X-CSRFToken header to "
                "change anything; scripts should use an API token instead.",
            )
    return None


def _unauthorized(code: str, message: str) -> tuple[Response, int]:
    response, status = error(401, code, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="workbench"'
    return response, status


def role_required(role: Role) -> Callable[[View], View]:
    """The web app's rule for the API: viewers read, editors write, admins do everything."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if ROLE_RANK[g.user.role] < ROLE_RANK[role]:
                return error(
                    403,
                    "forbidden",
                    f"This needs an {role.value} account; yours is a {g.user.role.value}.",
                )
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


# --- Domain errors, the same for every route ------------------------------------------------------


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> tuple[Response, int]:
    return error(400, exc.code, exc.message)


@bp.errorhandler(FilterError)
def _bad_filter(exc: FilterError) -> tuple[Response, int]:
    return error(400, "bad_filter", str(exc))


@bp.errorhandler(review.ReviewError)
@bp.errorhandler(IngestError)
def _refused(exc: Exception) -> tuple[Response, int]:
    return error(422, "invalid", str(exc))


@bp.errorhandler(DuplicateArticle)
def _duplicate_article(exc: DuplicateArticle) -> tuple[Response, int]:
    return error(409, "duplicate_article", str(exc), article_id=exc.existing.id)


@bp.errorhandler(review.StaleEdit)
def _stale(exc: review.StaleEdit) -> tuple[Response, int]:
    return error(409, "stale_version", str(exc), current_version=exc.claim.version)


@bp.errorhandler(duplicates.SuggestionAlreadyDecided)
def _decided(exc: duplicates.SuggestionAlreadyDecided) -> tuple[Response, int]:
    return error(409, "already_decided", str(exc))


@bp.errorhandler(duplicates.VariantNeedsOverride)
def _variant(exc: duplicates.VariantNeedsOverride) -> tuple[Response, int]:
    return error(409, "variant_needs_override", str(exc))


@bp.errorhandler(review.ClaimNotFound)
@bp.errorhandler(review.EvidenceNotFound)
@bp.errorhandler(review.SourceNotFound)
@bp.errorhandler(duplicates.SuggestionNotFound)
@bp.errorhandler(ArticleNotFound)
@bp.errorhandler(RecordNotFound)
def _not_found(exc: Exception) -> tuple[Response, int]:
    return error(404, "not_found", "There is nothing with that id.")


# --- Reading arguments and bodies ----------------------------------------------------------------


def limit_arg(default: int = 50, maximum: int = MAX_LIMIT) -> int:
    text = request.args.get("limit", str(default))
    # ASCII digits, and few of them: str.isdigit() also passes "²" and int() refuses a run of
    # thousands of digits; either would be a 500 instead of this 400.
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(maximum))
    limit = int(text) if digits else 0
    if not 1 <= limit <= maximum:
        raise BadRequest("bad_limit", f"limit must be a whole number from 1 to {maximum}.")
    return limit


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


def json_body() -> dict[str, Any]:
    if nesting_depth(request.get_data(cache=True)) > DEPTH_MAX:
        raise BadRequest(
            "too_deep", f"The JSON body nests arrays or objects more than {DEPTH_MAX} deep."
        )
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("bad_json", "Send a JSON object with Content-Type: application/json.")
    _check_text(data, "")
    return data


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


def field(data: dict[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    """One field of a JSON body, of the given type (a bool is not an int), or None if absent."""
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest("missing_field", f"Give {name!r}.")
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        wanted = {int: "a whole number", str: "a string", dict: "an object"}.get(kind, kind)
        raise BadRequest("bad_field", f"{name!r} must be {wanted}.")
    if kind is int and not -ID_MAX <= value <= ID_MAX:
        raise BadRequest("bad_field", f"{name!r} is out of range.")
    return value


# --- Similar claims ------------------------------------------------------------------------------


@bp.get("/claims/similar")
def similar_claims() -> Any:
    """Ranked claims closest to `q`; `duplicate` is true at or above the duplicate threshold when
    no fact differs, `kind` says duplicate, variant (a fact differs: `changed` says which) or
    related."""
    query = request.args.get("q", "").strip()
    if not query:
        return error(400, "missing_query", "Give the text to search for as ?q=.")
    if len(query) > QUERY_MAX:
        return error(400, "query_too_long", f"The text may be at most {QUERY_MAX} characters.")
    limit = limit_arg(default=10)
    published = request.args.get("date")
    when = parse_date(published) if published else None
    if published and when is None:
        raise BadRequest("bad_date", "date must be an ISO date such as 2020-05-03.")
    results = find_similar(get_session(), query, limit, when=when.date() if when else None)
    return jsonify(
        {
            "query": query,
            "results": [
                {
                    "id": hit.claim.id,
                    "external_id": hit.claim.external_id,
                    "text": hit.claim.text,
                    **hit.score_fields(),
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
