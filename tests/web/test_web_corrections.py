"""Correcting a claim over HTTP (web/corrections.py): the forms on the claim page, the claimant
in the queue and its filter, and a stale or refused correction shown on the page."""

from __future__ import annotations

import html

import pytest
from conftest import AuthActions, csrf_token
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim

BODY = (
    "Kerry said that the talks in Geneva will resume next week with both delegations present.\n"
    "The harbour froze over for the first time since 1963.\n"
    "Unemployment fell to 4.1 percent in March."
)


@pytest.fixture
def claim_ids(session: Session) -> list[int]:
    ingest_article(session, ArticleInput(body=BODY, title="Story"))
    ids = list(session.exec(select(Claim.id).order_by(Claim.position)).all())
    session.commit()
    return ids


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


def _post(client: FlaskClient, path: str, **data: object) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_token(client, "/claims/"), **data})


def _claims(session: Session) -> list[Claim]:
    with Session(session.get_bind()) as reader:
        return list(reader.exec(select(Claim).order_by(Claim.position)).all())


def test_the_claim_page_offers_the_corrections_to_editors_only(
    client: FlaskClient, auth: AuthActions, claim_ids: list[int]
) -> None:
    auth.login("viewer")
    page = client.get(f"/claims/{claim_ids[0]}").get_data(as_text=True)
    assert "Claimant: <strong>Kerry</strong>" in page
    assert "Correct the text" not in page and 'name="claimant"' not in page
    auth.logout()
    auth.login("editor")
    page = client.get(f"/claims/{claim_ids[0]}").get_data(as_text=True)
    assert "Correct the text" in page and "Merge with the next sentence" in page
    assert html.escape("…Kerry said | that the talks in…") in page
    last = client.get(f"/claims/{claim_ids[-1]}").get_data(as_text=True)
    assert "Merge with the next sentence" not in last


def test_edit_split_and_merge_through_the_forms(
    editor: FlaskClient, session: Session, claim_ids: list[int]
) -> None:
    first = claim_ids[0]
    edited = _post(
        editor,
        f"/claims/{first}/text?status=new",
        version=1,
        text="Kerry said the talks in Geneva will resume next week.",
    )
    assert edited.status_code == 302 and edited.headers["Location"] == f"/claims/{first}?status=new"
    page = editor.get(f"/claims/{first}").get_data(as_text=True)
    assert "Text corrected" in page
    assert "The sentence as split from the article" in page
    assert "with both delegations present" in page  # the original, and the article's context

    at = len("Kerry said the talks in Geneva")
    assert _post(editor, f"/claims/{first}/split", version=2, at=at).status_code == 302
    texts = [c.text for c in _claims(session)]
    assert texts[:2] == ["Kerry said the talks in Geneva", "will resume next week."]

    second = _claims(session)[1]
    merged = _post(editor, f"/claims/{first}/merge", version=3, next_version=second.version)
    assert merged.status_code == 302
    assert [c.text for c in _claims(session)][0] == (
        "Kerry said the talks in Geneva will resume next week."
    )
    history = editor.get(f"/claims/{first}/history").get_data(as_text=True)
    for action in ("claim.edit_text", "claim.split", "claim.merge"):
        assert action in history


def test_a_stale_or_refused_correction_is_shown_with_what_was_typed(
    editor: FlaskClient, claim_ids: list[int]
) -> None:
    stale = _post(editor, f"/claims/{claim_ids[0]}/text", version=9, text="Typed words here.")
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone else changed this claim" in page and "Typed words here." in page
    refused = _post(editor, f"/claims/{claim_ids[0]}/split", version=1, at=0)
    assert refused.status_code == 422
    assert "words on both sides" in refused.get_data(as_text=True)
    missing = _post(editor, f"/claims/{claim_ids[0]}/split", version=1)
    assert missing.status_code == 422


def test_the_claimant_is_edited_shown_in_the_queue_and_filtered_by(
    editor: FlaskClient, session: Session, claim_ids: list[int]
) -> None:
    saved = _post(editor, f"/claims/{claim_ids[1]}/claimant", version=1, claimant="Harbour Office")
    assert saved.status_code == 302
    queue = editor.get("/claims/").get_data(as_text=True)
    assert "<th>Claimant</th>" in queue
    assert ">Kerry</a>" in queue and ">Harbour Office</a>" in queue
    filtered = editor.get("/claims/?claimant=Kerry").get_data(as_text=True)
    assert "Kerry said that the talks" in filtered and "harbour froze" not in filtered
    assert 'value="Kerry"' in filtered
    too_long = editor.get("/claims/?claimant=" + "x" * 201)
    assert too_long.status_code == 400
    api = editor.get("/api/claims?claimant=Harbour%20Office").get_json()
    assert [c["id"] for c in api["claims"]] == [claim_ids[1]]
