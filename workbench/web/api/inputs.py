"""What the JSON API accepts: one pydantic model per request body and per query string.

spectree validates the request against the view's models before the view runs (see
`web/api/__init__.py`) and hands the view the result. Bodies are read strictly: a number sent as
text or `true` sent as a number is refused, as a script that sends them has a bug it should hear
about. A refusal is a 400 naming the field (`missing_field`, `bad_field`) or the argument's own
code (`bad_limit`, `bad_cursor`, `bad_source`...). The queue's filters are the one exception:
`review.filter_args` reads them for the queue's page, the export page and the API alike, so a
filter means the same everywhere; their model only describes them.
"""

from __future__ import annotations

import datetime
import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from workbench.export import FORMATS
from workbench.intake.reading import parse_date
from workbench.models import AlertKind, AlertState, ClaimStatus, DismissReason, Stance, Verdict
from workbench.review.filter_args import CLAIMANT_MAX, OUTLET_MAX, TEXT_MAX
from workbench.review.queue import StatusGroup, decode_cursor
from workbench.review.search import MAX_PAGE, PER_PAGE, SearchMode
from workbench.review.triage import BULK_MAX, BulkAction
from workbench.review.verdicts import SOURCE_KINDS
from workbench.shapes import ID_MAX

# The 400 codes the checks below answer with, besides missing_field and bad_field: the API's
# error hook passes these through with their message (pydantic's own would name internals).
OWN_CODES = frozenset(
    {
        "bad_source",
        "bad_limit",
        "bad_cursor",
        "bad_before",
        "bad_kind",
        "bad_state",
        "bad_format",
        "bad_date",
        "bad_field",
        "query_too_long",
    }
)

BULK_ACTIONS = [action.value for action in BulkAction]

# Ids and versions in a body: out of the databases' range is refused here, not in the driver.
Number = Annotated[int, Field(ge=-ID_MAX, le=ID_MAX)]


def _one_of(values: Any, description: str, **default: Any) -> Any:
    """Text the domain checks (so its message says what is allowed); documented as the choice."""
    return Field(
        **default, description=description, json_schema_extra={"enum": [str(v) for v in values]}
    )


class Body(BaseModel):
    model_config = ConfigDict(strict=True)


class VersionBody(Body):
    version: Number = Field(description="The claim's version you last saw.")


class VerdictBody(VersionBody):
    verdict: str = _one_of(Verdict, "The verdict.")
    summary: str = Field(description="The public summary of the check.")
    take_over: bool = Field(
        default=False,
        description="Take the claim from the editor who holds it; without it, a claim someone "
        "else holds is refused (held_by_another).",
    )


class SendBackBody(VersionBody):
    note: str = Field(description="What the verdict's author should look at again.")


class NewSource(Body):
    title: str
    url: str | None = None
    publisher: str | None = None
    kind: str | None = _one_of(
        SOURCE_KINDS, "What kind of source it is (web by default).", default=None
    )


class EvidenceBody(VersionBody):
    """Link a library source (`source_id`) or a new one (`source`), never both."""

    stance: str = _one_of(Stance, "Whether the source supports or conflicts with the claim.")
    quote: str | None = None
    note: str | None = None
    source_id: Number | None = None
    source: NewSource | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> EvidenceBody:
        if (self.source_id is None) == (self.source is None):
            raise PydanticCustomError(
                "bad_source", "Give either 'source_id' or a new 'source', not both."
            )
        return self


class EvidenceUpdate(VersionBody):
    stance: str = _one_of(Stance, "Whether the source supports or conflicts with the claim.")
    quote: str | None = None
    note: str | None = None


class DismissBody(VersionBody):
    reason: str = _one_of(DismissReason, "Why the claim is set aside.")


class BulkClaim(Body):
    id: Number = Field(description="The claim's id.")
    version: Number = Field(description="The claim's version you last saw.")


class BulkBody(Body):
    """One action on many claims, each checked against its own version."""

    action: str = _one_of(BULK_ACTIONS, "What to do with every claim.")
    claims: list[BulkClaim] = Field(
        description=f"The claims, at most {BULK_MAX}, each with the version you last saw."
    )
    reason: str | None = _one_of(DismissReason, "Why (for dismiss).", default=None)
    assignee_id: Number | None = Field(default=None, description="The editor (for assign).")


class DecisionBody(Body):
    override: bool = Field(
        default=False, description="Confirm a variant (a fact differs) as the same claim anyway."
    )


class ArticleBody(Body):
    text: str | None = Field(
        default=None,
        description="The article's text, split into claims. Leave it out and give `url` to have "
        "the page fetched (through the outbound address policy) and its text extracted.",
    )
    title: str | None = None
    url: str | None = Field(default=None, description="http:// or https:// only.")
    outlet: str | None = None
    published: str | None = Field(
        default=None, description="The publication date, such as 2015-09-18."
    )


# --- Query strings --------------------------------------------------------------------------------
#
# A query string holds text, so each argument is read from text by a check that says, with the
# argument's own error code, what it takes: "²" and a run of thousands of digits are refused
# before int() sees them (either would be a 500 instead of a 400).

MAX_LIMIT = 100
QUERY_MAX = 5_000
SOURCE_QUERY_MAX = 500
CURSOR_MAX = 100


def _digits(value: Any, most: int) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= most:
        return int(value)
    return None


def _limit(default: int, maximum: int = MAX_LIMIT) -> Any:
    """`limit`: how many items a page holds, from 1 to `maximum`."""

    def read(value: Any) -> int:
        number = _digits(value, len(str(maximum)))
        if number is None or not 1 <= number <= maximum:
            raise PydanticCustomError(
                "bad_limit",
                "limit must be a whole number from 1 to {maximum}.",
                {"maximum": maximum},
            )
        return number

    return Annotated[
        int,
        BeforeValidator(read),
        Field(
            default=default,
            description=f"Items per page, 1-{maximum}.",
            json_schema_extra={"minimum": 1, "maximum": maximum},
        ),
    ]


def _record_id(code: str, message: str) -> Any:
    """An id, or past every id (None: nothing is older, so the first page)."""

    def read(value: Any) -> int | None:
        if value == "":
            return None
        number = _digits(value, len(str(ID_MAX)))
        if number is None:
            raise PydanticCustomError(code, message)
        return number if number <= ID_MAX else None

    return BeforeValidator(read)


def _choice(name: str, choices: Any) -> Any:
    values = [str(choice) for choice in choices]

    def read(value: Any) -> str | None:
        if value == "":
            return None
        if value not in values:
            raise PydanticCustomError(f"bad_{name}", f"{name} must be one of {', '.join(values)}.")
        return value

    return BeforeValidator(read)


def _claim_cursor(value: Any) -> str | None:
    """`after` of the claim list: a next_cursor we made (priority and id), else refused."""
    if value == "":
        return None
    position = decode_cursor(value) if isinstance(value, str) and len(value) <= CURSOR_MAX else None
    if position is None or not math.isfinite(position[0]) or not 0 < position[1] <= ID_MAX:
        raise PydanticCustomError("bad_cursor", "after must be a next_cursor from an earlier page.")
    return value


def _date(value: Any) -> datetime.date | None:
    when = parse_date(value) if isinstance(value, str) and value else None
    if value and when is None:
        raise PydanticCustomError("bad_date", "date must be an ISO date such as 2020-05-03.")
    return when.date() if when else None


def _text(most: int, message: str, description: str) -> Any:
    def read(value: Any) -> str:
        text = value if isinstance(value, str) else ""
        if len(text) > most:
            raise PydanticCustomError("query_too_long", message)
        return text

    return Annotated[
        str,
        BeforeValidator(read),
        Field(default="", description=description, json_schema_extra={"maxLength": most}),
    ]


class Query(BaseModel):
    """A query string's arguments, read as the route takes them."""


def _arg(description: str, **schema: Any) -> Any:
    return Field(default=None, description=description, json_schema_extra=schema or None)


class ClaimFilterArgs(Query):
    """The queue's filters. They are read by `review.filter_args`, the parser the queue's page and
    the export page use, so a filter means the same everywhere; here they are only described."""

    status: str | None = _arg(
        "Status; `open` is new or in review, `all` (as without it) every status.",
        enum=[s.value for s in ClaimStatus] + [g.value for g in StatusGroup],
    )
    verdict: str | None = _arg("Own verdict.", enum=[v.value for v in Verdict])
    outlet: str | None = _arg("The article's outlet.", maxLength=OUTLET_MAX)
    claimant: str | None = _arg("Who made the claim, exactly.", maxLength=CLAIMANT_MAX)
    feed_id: str | None = _arg("Claims of articles from one monitored feed.", pattern=r"^[0-9]+$")
    article_id: str | None = _arg("Claims of one article.", pattern=r"^[0-9]+$")
    assignee: str | None = _arg("A user id, or 'none' for unassigned claims.")
    text: str | None = _arg("Claims containing all these words.", maxLength=TEXT_MAX)
    cluster_id: str | None = _arg("Claims in one cluster.", pattern=r"^[0-9]+$")
    ingested_from: str | None = _arg("Ingested at or after (UTC; a date is midnight).")
    ingested_until: str | None = _arg("Ingested before.")
    changed_from: str | None = _arg("Last changed at or after.")
    changed_until: str | None = _arg("Last changed before.")


class ClaimListArgs(ClaimFilterArgs):
    after: Annotated[str | None, BeforeValidator(_claim_cursor)] = Field(
        default=None, description="next_cursor of the previous page."
    )
    limit: _limit(default=50)  # type: ignore[valid-type]


class PageArgs(Query):
    after: Annotated[
        int | None,
        _record_id("bad_cursor", "after must be a next_cursor from an earlier page."),
    ] = Field(default=None, description="next_cursor of the previous page.")
    limit: _limit(default=50)  # type: ignore[valid-type]


class ExportArgs(ClaimFilterArgs):
    format: Annotated[str | None, _choice("format", FORMATS)] = _arg(
        "The file's format (csv when not given).", enum=list(FORMATS)
    )


class SimilarArgs(Query):
    q: _text(  # type: ignore[valid-type]
        QUERY_MAX,
        f"The text may be at most {QUERY_MAX} characters.",
        "The text to search for (required).",
    )
    date: Annotated[datetime.date | None, BeforeValidator(_date)] = Field(
        default=None,
        description="When the text was published (ISO); claims of that time rank higher.",
    )
    limit: _limit(default=10)  # type: ignore[valid-type]


class SearchArgs(ClaimFilterArgs):
    q: _text(  # type: ignore[valid-type]
        QUERY_MAX,
        f"The text may be at most {QUERY_MAX} characters.",
        "The words or the sentence to search for (required).",
    )
    mode: str | None = _arg(
        "keyword (full text, ranked), similar (similar claims) or auto (as without it: a "
        "sentence is searched for similar claims, a few words as keywords).",
        enum=[mode.value for mode in SearchMode],
    )
    page: str | None = _arg(f"The page, 1-{MAX_PAGE} (keyword mode).", pattern=r"^[0-9]+$")
    limit: _limit(default=PER_PAGE)  # type: ignore[valid-type]


class SourceArgs(Query):
    q: _text(  # type: ignore[valid-type]
        SOURCE_QUERY_MAX,
        f"q may be at most {SOURCE_QUERY_MAX} characters.",
        "Text in the title, address or publisher (all sources without).",
    )
    limit: _limit(default=20)  # type: ignore[valid-type]


class AlertArgs(Query):
    kind: Annotated[str | None, _choice("kind", AlertKind)] = _arg(
        "Alerts of one kind.", enum=[k.value for k in AlertKind]
    )
    state: Annotated[str | None, _choice("state", AlertState)] = _arg(
        "Alerts in one state.", enum=[s.value for s in AlertState]
    )
    limit: _limit(default=50, maximum=200)  # type: ignore[valid-type]
    before: Annotated[int | None, _record_id("bad_before", "before must be an alert id.")] = Field(
        default=None, description="next_before of the previous page."
    )


class RemoveEvidenceArgs(Query):
    version: Annotated[int, _record_id("bad_field", "Give the claim's version as ?version=N.")] = (
        Field(description="The claim's version you last saw.")
    )
