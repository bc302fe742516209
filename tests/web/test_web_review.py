"""The claim workspace over HTTP: take, evidence, verdict, history, stale edits and hostile text."""

from __future__ import annotations

import html
import re

import pytest
from conftest import AuthActions, csrf_token
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim, ClaimStatus, Evidence, Source, Verdict
from workbench.review import verdicts as review
from workbench.review.verdicts import SourceInput

HOSTILE = (
    'The minister said <script>alert("x")</script> 40 jets <img src=x onerror=alert(1)> landed.'
)


@pytest.fixture
def claim_id(session: Session) -> int:
    ingest_article(
        session,
        ArticleInput(
            body="Officials met on Monday.\n" + HOSTILE + "\nThe talks ended on Friday evening.",
            title="<b>Jets</b>",
        ),
    )
    found = session.exec(select(Claim.id).where(Claim.text.contains("40 jets"))).one()
    session.commit()
    return found


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


def _post(client: FlaskClient, path: str, **data: object) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_token(client, "/claims/"), **data})


def _claim(session: Session, claim_id: int) -> Claim:
    """The claim as stored now, read outside the test's write session (which would lock out the
    app's writes)."""
    with Session(session.get_bind()) as reader:
        return reader.get(Claim, claim_id)


def test_take_then_verdict_through_the_forms(
    editor: FlaskClient, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    taken = _post(editor, f"/claims/{claim_id}/take?status=new", version=1)
    assert taken.status_code == 302
    assert taken.headers["Location"] == f"/claims/{claim_id}?status=new"
    claim = _claim(session, claim_id)
    assert claim.assignee_id == users["editor"] and claim.status == ClaimStatus.IN_REVIEW
    page = editor.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Taken by <strong>editor</strong>" in page

    saved = _post(
        editor, f"/claims/{claim_id}/verdict", version=2, verdict="refuted", summary="No jets."
    )
    assert saved.status_code == 302
    claim = _claim(session, claim_id)
    assert claim.verdict == Verdict.REFUTED and claim.verdict_summary == "No jets."
    page = editor.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Verdict saved." in page and "Reopen" in page


def test_a_stale_form_is_refused_with_409_and_keeps_what_was_typed(
    editor: FlaskClient, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    review.take(session, claim_id, users["admin"], 1)  # another editor got there first
    session.commit()  # end the test's write transaction so the app can write
    response = _post(
        editor,
        f"/claims/{claim_id}/verdict",
        version=1,
        verdict="mixed",
        summary="Partly right: 40 jets, not 50.",
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this claim by admin" in page
    assert "Reload the claim" in page
    assert "Partly right: 40 jets, not 50.</textarea>" in page
    assert re.search(r'<option value="mixed"\s+selected>', page)
    assert 'name="version" value="2"' in page  # the reloaded form carries the new version
    assert _claim(session, claim_id).verdict is None


def test_bad_input_is_422_and_keeps_the_evidence_form(
    editor: FlaskClient, session: Session, claim_id: int
) -> None:
    response = _post(
        editor,
        f"/claims/{claim_id}/evidence",
        version=1,
        source_id="new",
        source_title="",
        source_url="https://example.org/x",
        stance="supports",
        quote="Q!",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the source a title." in page
    assert 'value="https://example.org/x"' in page and ">Q!</textarea>" in page
    assert session.exec(select(Evidence)).all() == []


def test_linking_evidence_shows_the_balance(
    editor: FlaskClient, session: Session, claim_id: int
) -> None:
    _post(
        editor,
        f"/claims/{claim_id}/evidence",
        version=1,
        source_id="new",
        source_title="Flight records",
        source_url="https://records.example/f",
        source_publisher="Aviation Authority",
        source_kind="dataset",
        stance="conflicts",
        quote="12 aircraft landed",
    )
    source_id = session.exec(select(Source.id)).one()
    session.commit()
    _post(
        editor,
        f"/claims/{claim_id}/evidence",
        version=2,
        source_id=str(source_id),
        stance="context",
    )
    page = editor.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "0 supporting" in page and "1 conflicting" in page and "1 context" in page
    assert '<a href="https://records.example/f" rel="noopener noreferrer nofollow">' in page
    found = editor.get(f"/claims/{claim_id}?source_q=aviation").get_data(as_text=True)
    assert f'name="source_id" value="{source_id}"' in found


def test_hostile_text_is_shown_as_text(
    editor: FlaskClient, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    review.link_evidence(
        session,
        claim_id,
        users["editor"],
        1,
        stance="supports",
        quote="</blockquote><script>alert(2)</script>",
        note="<i>note</i>",
        new_source=SourceInput(title="<b>bold</b>", url="javascript:alert(1)"),
    )
    review.set_verdict(session, claim_id, users["editor"], 2, "refuted", "<svg onload=alert(3)>")
    session.commit()
    for path in (f"/claims/{claim_id}", f"/claims/{claim_id}/history", "/claims/"):
        page = editor.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "<b>bold</b>" not in page and "<svg" not in page and "<i>note" not in page, path
        assert 'href="javascript:' not in page, path
    page = editor.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert html.escape('<script>alert("x")</script>', quote=False) in html.unescape(page) or (
        "&lt;script&gt;alert" in page
    )
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_history_page_lists_changes_with_who_and_before_after(
    editor: FlaskClient, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    review.take(session, claim_id, users["editor"], 1)
    # The editor holds it: the admin's verdict takes it over (issue 14), shown as a take.
    review.set_verdict(
        session, claim_id, users["admin"], 2, "supported", "Confirmed.", take_over=True
    )
    session.commit()
    page = editor.get(f"/claims/{claim_id}/history").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>[\d: -]+</td>\s*<td>(\w+)</td>\s*<td>([\w.]+)</td>", page)
    assert rows == [("editor", "claim.take"), ("admin", "claim.take"), ("admin", "claim.verdict")]
    assert "Confirmed." in page
    assert editor.get("/claims/999999/history").status_code == 404


def test_a_viewer_sees_the_claim_without_editing_controls(
    client: FlaskClient, auth: AuthActions, claim_id: int
) -> None:
    auth.login("viewer")
    page = client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "40 jets" in page
    for control in ("Take", "Link evidence", "Save verdict"):
        assert f">{control}" not in page
    response = _post(client, f"/claims/{claim_id}/take", version=1)
    assert response.status_code == 403


def test_missing_claims_and_evidence_are_404(editor: FlaskClient, claim_id: int) -> None:
    assert editor.get("/claims/999999").status_code == 404
    assert _post(editor, "/claims/999999/take", version=1).status_code == 404
    assert _post(editor, f"/claims/{claim_id}/evidence/999/remove", version=1).status_code == 404


def test_odd_query_arguments_on_an_action_do_not_break_the_redirect(
    editor: FlaskClient, claim_id: int
) -> None:
    response = _post(editor, f"/claims/{claim_id}/take?claim_id=2&_x=1&status=new", version=1)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/claims/{claim_id}?status=new"


def test_a_typed_new_source_counts_as_chosen(
    editor: FlaskClient, session: Session, claim_id: int
) -> None:
    response = _post(
        editor,
        f"/claims/{claim_id}/evidence",
        version=1,
        source_title="Press release",
        stance="supports",
    )
    assert response.status_code == 302
    assert session.exec(select(Source.title)).all() == ["Press release"]
