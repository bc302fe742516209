"""Sign-off and who may give a verdict, over HTTP: the admin's switch, drafts, approve and send
back, take-over, and a resolved repeat's page."""

from __future__ import annotations

import pytest
from claim_data import TALKS, TALKS_AGAIN
from conftest import PASSWORD, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import AuditEvent, Claim, ClaimStatus, DuplicateSuggestion, VerdictState
from workbench.review import verdicts as review


def _ingest(db: Session, text: str, title: str) -> int:
    result = ingest_article(db, ArticleInput(body=text, title=title))
    found = db.exec(select(Claim.id).where(Claim.article_id == result.article.id)).one()
    db.commit()
    return found


def _login(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    return client


def _post(client: FlaskClient, path: str, **data: object) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_token(client, "/claims/"), **data})


def _claim(session: Session, claim_id: int) -> Claim:
    with Session(session.get_bind()) as reader:
        claim = reader.get(Claim, claim_id)
        assert claim is not None
        return claim


@pytest.fixture
def claim_id(session: Session, users: dict[str, int]) -> int:
    return _ingest(session, TALKS, "First")


def test_the_admin_switches_sign_off_and_it_is_audited(
    app: Flask, session: Session, users: dict[str, int]
) -> None:
    admin = _login(app, "admin")
    page = admin.get("/admin/newsroom").get_data(as_text=True)
    assert "Sign-off is <strong>off</strong>" in page
    response = _post(admin, "/admin/newsroom", sign_off="1")
    assert response.status_code == 302
    assert "Sign-off is <strong>on</strong>" in admin.get("/admin/newsroom").get_data(as_text=True)
    assert _login(app, "editor").get("/admin/newsroom").status_code == 403
    with Session(session.get_bind()) as reader:
        events = reader.exec(select(AuditEvent).where(AuditEvent.action == "newsroom.sign_off"))
        assert [e.after for e in events] == [{"sign_off": True}]


def test_the_environment_turns_sign_off_on(make_app, users: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sign_off=True)
    page = _login(app, "admin").get("/admin/newsroom").get_data(as_text=True)
    assert "Sign-off is <strong>on</strong>" in page and "WORKBENCH_SIGN_OFF" in page


def test_draft_then_approval_by_a_second_editor_through_the_forms(
    app: Flask, session: Session, claim_id: int
) -> None:
    admin = _login(app, "admin")
    _post(admin, "/admin/newsroom", sign_off="1")
    editor = _login(app, "editor")
    saved = _post(
        editor, f"/claims/{claim_id}/verdict", version=1, verdict="refuted", summary="No."
    )
    assert saved.status_code == 302
    claim = _claim(session, claim_id)
    assert (claim.status, claim.verdict_state) == (ClaimStatus.IN_REVIEW, VerdictState.DRAFT)

    own = editor.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Awaiting sign-off" in own and "another editor signs it off" in own
    assert "Approve and publish" not in own
    refused = _post(editor, f"/claims/{claim_id}/approve", version=claim.version)
    assert refused.status_code == 302  # back to the claim, with the reason flashed
    assert "second editor" in editor.get(refused.headers["Location"]).get_data(as_text=True)
    assert _claim(session, claim_id).verdict_state == VerdictState.DRAFT

    page = admin.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Approve and publish" in page and "Send back" in page
    assert _post(admin, f"/claims/{claim_id}/approve", version=claim.version).status_code == 302
    claim = _claim(session, claim_id)
    assert (claim.status, claim.verdict_state) == (ClaimStatus.VERDICT, VerdictState.APPROVED)
    assert "Approved by admin" in admin.get(f"/claims/{claim_id}").get_data(as_text=True)


def test_send_back_needs_a_note_and_shows_it(
    app: Flask, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    review.set_verdict(session, claim_id, users["editor"], 1, "mixed", "Half.", sign_off=True)
    session.commit()
    admin = _login(app, "admin")
    version = _claim(session, claim_id).version
    empty = _post(admin, f"/claims/{claim_id}/send-back", version=version, note=" ")
    assert "Say in a note" in admin.get(empty.headers["Location"]).get_data(as_text=True)
    _post(admin, f"/claims/{claim_id}/send-back", version=version, note="Which survey?")
    claim = _claim(session, claim_id)
    assert claim.verdict_state == VerdictState.SENT_BACK
    page = _login(app, "editor").get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Sent back" in page and "Which survey?" in page


def test_a_claim_someone_else_holds_needs_take_over(
    app: Flask, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    review.take(session, claim_id, users["editor"], 1)
    session.commit()
    admin = _login(app, "admin")
    page = admin.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "Take the claim over from editor" in page
    refused = _post(
        admin, f"/claims/{claim_id}/verdict", version=2, verdict="refuted", summary="No."
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "editor holds this claim" in text and "No." in text  # the summary typed is kept
    assert _claim(session, claim_id).verdict is None
    done = _post(
        admin,
        f"/claims/{claim_id}/verdict",
        version=2,
        verdict="refuted",
        summary="No.",
        take_over="1",
    )
    assert done.status_code == 302
    claim = _claim(session, claim_id)
    assert claim.assignee_id == users["admin"] and claim.status == ClaimStatus.VERDICT


def test_api_verdict_take_over_approve_and_send_back(
    app: Flask, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    review.take(session, claim_id, users["admin"], 1)
    session.commit()
    editor = _login(app, "editor")
    token = csrf_token(editor, "/claims/")
    headers = {"X-CSRFToken": token}
    body = {"version": 2, "verdict": "refuted", "summary": "No."}
    refused = editor.post(f"/api/claims/{claim_id}/verdict", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "held_by_another"
    done = editor.post(
        f"/api/claims/{claim_id}/verdict", json={**body, "take_over": True}, headers=headers
    )
    assert done.status_code == 200 and done.get_json()["verdict_state"] == "approved"
    # Nothing awaits sign-off now: approving is refused with its own code.
    approve = editor.post(
        f"/api/claims/{claim_id}/approve",
        json={"version": done.get_json()["version"]},
        headers=headers,
    )
    assert approve.status_code == 422 and approve.get_json()["error"]["code"] == "sign_off_refused"


def test_a_resolved_repeat_shows_what_it_repeats_and_no_verdict_form(
    app: Flask, session: Session, claim_id: int, users: dict[str, int]
) -> None:
    review.set_verdict(session, claim_id, users["admin"], 1, "refuted", "No.")
    session.commit()
    repeat = _ingest(session, TALKS_AGAIN, "Second")
    suggestion = session.exec(select(DuplicateSuggestion.id)).one()
    session.commit()
    editor = _login(app, "editor")
    _post(editor, f"/claims/suggestions/{suggestion}/confirm", claim_id=repeat)
    page = editor.get(f"/claims/{repeat}").get_data(as_text=True)
    assert f'Repeat of <a href="/claims/{claim_id}">#{claim_id}</a>' in page
    assert "(inherited)" in page and "Save verdict" not in page
    assert _claim(session, repeat).status == ClaimStatus.RESOLVED
