"""What the JSON API accepts: one pydantic model per request body, and one per query string.

Bodies are validated by these models before the view runs (spectree's `validate`, see
`web/api/__init__.py`), strictly: a number sent as text or `true` sent as a number is refused, as
a script that sends them has a bug it should hear about. A refused body is a 400 that names the
field (`missing_field`, `bad_field`, or the model's own code such as `bad_source`).

Query strings are documented here and read by the same parsers the web pages use
(`review.filter_args`, the API's `limit_arg`), so a filter means the same on the queue's page and
in the API; their fields are text, which is what a query string holds.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from workbench.models import AlertKind, AlertState, ClaimStatus, Stance, Verdict
from workbench.review.filter_args import OUTLET_MAX, TEXT_MAX
from workbench.review.verdicts import SOURCE_KINDS
from workbench.shapes import ID_MAX

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


class DecisionBody(Body):
    override: bool = Field(
        default=False, description="Confirm a variant (a fact differs) as the same claim anyway."
    )


class ArticleBody(Body):
    text: str = Field(description="The article's text, split into claims.")
    title: str | None = None
    url: str | None = Field(default=None, description="http:// or https:// only.")
    outlet: str | None = None
    published: str | None = Field(
        default=None, description="The publication date, such as 2015-09-18."
    )


# --- Query strings --------------------------------------------------------------------------------


def _arg(description: str, **schema: Any) -> Any:
    return Field(default=None, description=description, json_schema_extra=schema or None)


class Query(BaseModel):
    pass


class PageArgs(Query):
    after: str | None = _arg("next_cursor of the previous page.")
    limit: str | None = _arg("Items per page, 1-100 (50).", pattern=r"^[0-9]+$")


class ClaimFilterArgs(Query):
    status: str | None = _arg("Status.", enum=[s.value for s in ClaimStatus])
    verdict: str | None = _arg("Own verdict.", enum=[v.value for v in Verdict])
    outlet: str | None = _arg("The article's outlet.", maxLength=OUTLET_MAX)
    article_id: str | None = _arg("Claims of one article.", pattern=r"^[0-9]+$")
    assignee: str | None = _arg("A user id, or 'none' for unassigned claims.")
    text: str | None = _arg("Claims containing all these words.", maxLength=TEXT_MAX)
    cluster_id: str | None = _arg("Claims in one cluster.", pattern=r"^[0-9]+$")
    ingested_from: str | None = _arg("Ingested at or after (UTC; a date is midnight).")
    ingested_until: str | None = _arg("Ingested before.")
    changed_from: str | None = _arg("Last changed at or after.")
    changed_until: str | None = _arg("Last changed before.")


class ClaimListArgs(ClaimFilterArgs, PageArgs):
    pass


class ExportArgs(ClaimFilterArgs):
    format: str | None = _arg("csv (default), jsonl or claimreview.")


class SimilarArgs(Query):
    q: str | None = _arg("The text to search for (required).", maxLength=5_000)
    date: str | None = _arg(
        "When the text was published (ISO); claims of that time rank higher.", format="date"
    )
    limit: str | None = _arg("Results, 1-100 (10).", pattern=r"^[0-9]+$")


class SourceArgs(Query):
    q: str | None = _arg("Text in the title, address or publisher.")
    limit: str | None = _arg("Sources, 1-100 (20).", pattern=r"^[0-9]+$")


class AlertArgs(Query):
    kind: str | None = _arg("Kind.", enum=[k.value for k in AlertKind])
    state: str | None = _arg("State.", enum=[s.value for s in AlertState])
    limit: str | None = _arg("Alerts per page, 1-200 (50).", pattern=r"^[0-9]+$")
    before: str | None = _arg("next_before of the previous page.", pattern=r"^[0-9]+$")


class RemoveEvidenceArgs(Query):
    version: str | None = _arg("The claim's version you last saw (required).", pattern=r"^[0-9]+$")
