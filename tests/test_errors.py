"""Every domain error derives from one of the four bases (workbench/errors.py) that the web maps
once, carries its stable API code, and is still what code catches it as (LookupError,
ValueError)."""

from __future__ import annotations

import pytest

from workbench.accounts.tokens import TokenError
from workbench.accounts.users import AccountError
from workbench.alerts.rules import AlertNotFound
from workbench.alerts.webhooks import DeliveryNotFound, WebhookError, WebhookNotFound
from workbench.errors import Conflict, Invalid, NotFound, Refused, WorkbenchError
from workbench.export import ExportError
from workbench.intake.errors import (
    DuplicateArticle,
    IngestError,
    MalformedJsonLines,
    TooManySentences,
)
from workbench.matching.aliases import AliasError
from workbench.models import Article, Claim
from workbench.review.articles import ArticleNotFound
from workbench.review.duplicates import (
    SuggestionAlreadyDecided,
    SuggestionNotFound,
    UndoOutOfOrder,
    VariantNeedsOverride,
)
from workbench.review.filter_args import FilterError
from workbench.review.verdicts import (
    ClaimNotFound,
    EvidenceNotFound,
    ReviewError,
    SourceNotFound,
    StaleEdit,
)
from workbench.web.api import BadRequest, RecordNotFound

# (error, its base, its API code, what else it still is)
ERRORS = [
    (ClaimNotFound, NotFound, "not_found", LookupError),
    (EvidenceNotFound, NotFound, "not_found", LookupError),
    (SourceNotFound, NotFound, "not_found", LookupError),
    (SuggestionNotFound, NotFound, "not_found", LookupError),
    (ArticleNotFound, NotFound, "not_found", LookupError),
    (AlertNotFound, NotFound, "not_found", LookupError),
    (WebhookNotFound, NotFound, "not_found", LookupError),
    (DeliveryNotFound, NotFound, "not_found", LookupError),
    (RecordNotFound, NotFound, "not_found", LookupError),
    (ReviewError, Refused, "invalid", ValueError),
    (AliasError, Refused, "invalid", ValueError),
    (WebhookError, Refused, "invalid", ValueError),
    (TokenError, Refused, "invalid", ValueError),
    (AccountError, Refused, "invalid", Exception),
    (IngestError, Refused, "invalid", Exception),
    (TooManySentences, Refused, "invalid", IngestError),
    (MalformedJsonLines, Refused, "invalid", IngestError),
    (DuplicateArticle, Conflict, "duplicate_article", IngestError),
    (StaleEdit, Conflict, "stale_version", Exception),
    (SuggestionAlreadyDecided, Conflict, "already_decided", Exception),
    (UndoOutOfOrder, Conflict, "already_decided", SuggestionAlreadyDecided),
    (VariantNeedsOverride, Conflict, "variant_needs_override", Exception),
    (FilterError, Invalid, "bad_filter", ValueError),
    (ExportError, Invalid, "bad_format", ValueError),
]


@pytest.mark.parametrize(("error", "base", "code", "also"), ERRORS, ids=lambda e: str(e))
def test_each_domain_error_has_its_base_and_code(
    error: type[WorkbenchError], base: type[WorkbenchError], code: str, also: type[Exception]
) -> None:
    assert issubclass(error, base) and issubclass(error, also)
    assert error.code == code
    assert error.status == {NotFound: 404, Refused: 422, Conflict: 409, Invalid: 400}[base]


def test_the_four_bases_do_not_overlap() -> None:
    bases = [NotFound, Refused, Conflict, Invalid]
    for one in bases:
        assert [other for other in bases if issubclass(one, other)] == [one]


def test_an_article_already_there_is_a_conflict_that_names_it() -> None:
    error = DuplicateArticle(Article(id=41, body="x", title="Budget", content_hash="h"))
    assert error.status == 409 and error.fields() == {"article_id": 41}
    assert isinstance(error, IngestError)  # what ingest's callers catch it as


def test_a_not_found_names_no_id_to_the_client() -> None:
    error = ClaimNotFound(12345)
    assert error.public_message() == "There is nothing with that id."
    assert error.fields() == {}


def test_a_stale_edit_tells_the_current_version() -> None:
    error = StaleEdit(Claim(id=1, article_id=1, position=0, text="x", version=7), "admin")
    assert error.fields() == {"current_version": 7}
    assert "by admin" in error.public_message()


def test_a_bad_request_keeps_its_own_code() -> None:
    error = BadRequest("bad_json", "Send a JSON object.")
    assert isinstance(error, Invalid)
    assert (error.code, error.public_message(), error.status) == (
        "bad_json",
        "Send a JSON object.",
        400,
    )
