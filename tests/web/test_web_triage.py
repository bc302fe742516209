"""Triage over HTTP: the claim page's dismiss and restore forms, the queue's tabs and counts, and
the queue's bulk form (CSRF, refusals named in the flash, audit rows)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from conftest import AuthActions, committed, csrf_token
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from workbench.accounts import tokens
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import AuditEvent, Claim, ClaimStatus
from workbench.review import triage
from workbench.review import verdicts as review
from workbench.review.queue import ClaimFilters, list_claims

SENTENCES = [
    f"The council spent {i + 3} million dollars on road repairs in district {i}." for i in range(5)
]


@pytest.fixture
def ids(session: Session) -> list[int]:
    result = ingest_article(session, ArticleInput(body="\n".join(SENTENCES), title="Roads"))
    found = list(
        session.exec(
            select(Claim.id).where(Claim.article_id == result.article.id).order_by(Claim.position)
        ).all()
    )
    session.commit()
    return found


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


def _post(client: FlaskClient, path: str, data: dict | list) -> TestResponse:
    token = csrf_token(client, "/claims/")
    if isinstance(data, dict):
        data = list(data.items())
    return client.post(path, data=MultiDict([("csrf_token", token), *data]))


def _claim(session: Session, claim_id: int) -> Claim:
    with Session(session.get_bind()) as reader:
        return reader.get(Claim, claim_id)


def _actions(session: Session, claim_id: int) -> list[str]:
    with Session(session.get_bind()) as reader:
        return list(
            reader.exec(
                select(AuditEvent.action)
                .where(AuditEvent.entity_type == "claim", AuditEvent.entity_id == claim_id)
                .order_by(AuditEvent.id)
            ).all()
        )


def _text(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def _rows(page: str) -> list[str]:
    return re.findall(r'<a href="/claims/\d+[^"]*" data-open>([^<]*)</a>', page)


def _tab(page: str, name: str) -> str:
    found = re.search(rf">\s*{name}\s*<span class=\"count\">([\d,+]+)</span>", page)
    assert found, f"no {name} tab with a count"
    return found.group(1)


# --- One claim -----------------------------------------------------------------------------------


def test_dismiss_and_restore_from_the_claim_page(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    page = _text(editor.get(f"/claims/{ids[0]}?status=open"))
    assert f'action="/claims/{ids[0]}/dismiss?status=open"' in page
    assert '<option value="not_checkable">not checkable</option>' in page

    done = _post(
        editor, f"/claims/{ids[0]}/dismiss?status=open", {"version": 1, "reason": "opinion"}
    )
    assert done.status_code == 302 and done.headers["Location"] == f"/claims/{ids[0]}?status=open"
    claim = _claim(session, ids[0])
    assert claim.status == ClaimStatus.DISMISSED and claim.dismiss_reason == "opinion"
    page = _text(editor.get(done.headers["Location"]))
    assert "Dismissed (opinion): the claim has left the open queue." in page
    assert "Dismissed as <strong>opinion</strong>" in page and "Restore to the queue" in page
    assert "choose a reason…" not in page

    back = _post(editor, f"/claims/{ids[0]}/restore", {"version": 2})
    assert back.status_code == 302
    assert _claim(session, ids[0]).status == ClaimStatus.NEW
    assert "Restored: the claim is back in the open queue as new." in _text(
        editor.get(f"/claims/{ids[0]}")
    )
    assert _actions(session, ids[0]) == ["claim.dismiss", "claim.restore"]
    history = _text(editor.get(f"/claims/{ids[0]}/history"))
    assert "claim.dismiss" in history and "claim.restore" in history and "opinion" in history


def test_a_stale_or_reasonless_dismissal_is_refused_and_says_why(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    with Session(session.get_bind()) as other:
        review.take(other, ids[0], users["admin"], 1)
        other.commit()
    stale = _post(editor, f"/claims/{ids[0]}/dismiss", {"version": 1, "reason": "opinion"})
    assert stale.status_code == 302 and stale.headers["Location"] == f"/claims/{ids[0]}"
    assert "Someone else changed this claim by admin" in _text(editor.get(f"/claims/{ids[0]}"))
    no_reason = _post(editor, f"/claims/{ids[0]}/dismiss", {"version": 2})
    assert no_reason.status_code == 302
    assert "Choose why the claim is dismissed" in _text(editor.get(f"/claims/{ids[0]}"))
    assert _claim(session, ids[0]).status == ClaimStatus.IN_REVIEW
    assert _actions(session, ids[0]) == ["claim.take"]


def test_viewers_see_no_triage_controls_and_cannot_post_them(
    client: FlaskClient, auth: AuthActions, ids: list[int], session: Session
) -> None:
    assert auth.login("viewer").status_code == 302
    page = _text(client.get(f"/claims/{ids[0]}"))
    assert "/dismiss" not in page
    queue = _text(client.get("/claims/"))
    assert "data-pick" not in queue and 'id="bulk"' not in queue
    assert (
        _post(client, f"/claims/{ids[0]}/dismiss", {"version": 1, "reason": "opinion"}).status_code
        == 403
    )
    assert _post(client, "/claims/bulk", {"action": "take", "claim_id": ids[0]}).status_code == 403
    assert _claim(session, ids[0]).version == 1


def test_triage_posts_need_the_csrf_token(
    editor: FlaskClient, ids: list[int], session: Session
) -> None:
    refused = editor.post(f"/claims/{ids[0]}/dismiss", data={"version": 1, "reason": "opinion"})
    assert refused.status_code == 400
    bulk = editor.post(
        "/claims/bulk", data={"action": "take", "claim_id": ids[0], f"version-{ids[0]}": 1}
    )
    assert bulk.status_code == 400
    assert _claim(session, ids[0]).version == 1


# --- The queue -----------------------------------------------------------------------------------


def test_the_queue_opens_on_the_open_claims_with_a_tab_and_count_per_status(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    with Session(session.get_bind()) as db:
        triage.dismiss(db, ids[0], users["editor"], 1, "opinion")
        triage.dismiss(db, ids[1], users["editor"], 1, "not_a_claim")
        review.set_verdict(db, ids[2], users["editor"], 1, "refuted", "No.")
        db.commit()
    page = _text(editor.get("/claims/"))
    assert set(_rows(page)) == set(SENTENCES[3:])
    assert "2 claims" in page
    assert _tab(page, "open") == "2" and _tab(page, "dismissed") == "2"
    assert _tab(page, "verdict") == "1" and _tab(page, "all") == "5"
    assert re.search(r'href="/claims/"\s+aria-current="page">open', page)
    assert "Clear filters" not in page

    dismissed = _text(editor.get("/claims/?status=dismissed"))
    assert set(_rows(dismissed)) == set(SENTENCES[:2])
    assert "not a claim" in dismissed and "opinion" in dismissed
    everything = _text(editor.get("/claims/?status=all"))
    assert set(_rows(everything)) == set(SENTENCES) and "5 claims" in everything
    # Links from the all tab stay in it.
    assert re.search(rf'href="/claims/{ids[0]}\?status=all" data-open', everything)


def test_the_export_and_the_api_still_give_every_status_without_a_filter(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    with Session(session.get_bind()) as db:
        triage.dismiss(db, ids[0], users["editor"], 1, "opinion")
        db.commit()
    listed = editor.get("/api/claims").get_json()["claims"]
    assert len(listed) == 5
    assert len(editor.get("/api/claims?status=open").get_json()["claims"]) == 4
    assert [c["id"] for c in editor.get("/api/claims?status=dismissed").get_json()["claims"]] == [
        ids[0]
    ]
    rows = editor.get("/export/download?format=csv").get_data(as_text=True).strip().splitlines()
    assert len(rows) == 1 + 5
    # The open queue's export button exports the open claims, as the queue shows them.
    link = re.search(r'href="([^"]+)">Export these claims', _text(editor.get("/claims/")))
    assert link and "status=open" in link.group(1)
    assert editor.get("/api/claims?status=finished").status_code == 400


def test_an_empty_open_queue_says_so_when_claims_are_elsewhere(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    data = [("action", "dismiss"), ("reason", "out_of_scope")]
    for claim_id in ids:
        data += [("claim_id", claim_id), (f"version-{claim_id}", 1)]
    _post(editor, "/claims/bulk", data)
    page = _text(editor.get("/claims/"))
    assert "Nothing left to review" in page and _tab(page, "dismissed") == "5"


# --- Bulk ----------------------------------------------------------------------------------------


def test_the_queue_is_one_form_with_a_labelled_checkbox_and_version_per_row(
    editor: FlaskClient, ids: list[int]
) -> None:
    page = _text(editor.get("/claims/?after=&outlet="))
    assert '<form method="post" id="bulk"' in page and 'action="/claims/bulk"' in page
    for claim_id in ids:
        assert f'name="claim_id" value="{claim_id}"' in page
        assert f'name="version-{claim_id}" value="1"' in page
        assert f'aria-label="Select claim #{claim_id}:' in page
    for action in ("dismiss", "assign", "take", "release"):
        assert f'name="action" value="{action}"' in page
    assert 'data-select-all aria-label="Select every claim on this page"' in page


def test_bulk_dismiss_refuses_a_stale_row_and_flashes_what_was_done(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    with Session(session.get_bind()) as other:
        review.take(other, ids[1], users["admin"], 1)
        other.commit()
    data = [("action", "dismiss"), ("reason", "not_checkable")]
    for claim_id in ids[:3]:
        data += [("claim_id", claim_id), (f"version-{claim_id}", 1)]
    done = _post(editor, "/claims/bulk?status=open&outlet=&after=0.5_3", data)
    assert done.status_code == 302
    assert done.headers["Location"] == "/claims/?status=open&after=0.5_3"
    page = _text(editor.get("/claims/"))
    assert f"2 dismissed; 1 refused: #{ids[1]} changed meanwhile (reload it)." in page
    assert 'class="flash warning"' in page
    assert _claim(session, ids[0]).status == ClaimStatus.DISMISSED
    assert _claim(session, ids[1]).status == ClaimStatus.IN_REVIEW
    assert _actions(session, ids[2]) == ["claim.dismiss"]
    assert _actions(session, ids[1]) == ["claim.take"]


def test_bulk_assign_take_and_release(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    assigned = _post(
        editor,
        "/claims/bulk",
        [
            ("action", "assign"),
            ("assignee_id", users["admin"]),
            ("claim_id", ids[0]),
            (f"version-{ids[0]}", 1),
            ("claim_id", ids[1]),
            (f"version-{ids[1]}", 1),
        ],
    )
    assert assigned.status_code == 302
    assert "2 assigned." in _text(editor.get("/claims/"))
    assert _claim(session, ids[0]).assignee_id == users["admin"]
    assert _actions(session, ids[1]) == ["claim.assign"]

    _post(
        editor, "/claims/bulk", [("action", "take"), ("claim_id", ids[2]), (f"version-{ids[2]}", 1)]
    )
    assert _claim(session, ids[2]).assignee_id == users["editor"]
    released = _post(
        editor,
        "/claims/bulk",
        [
            ("action", "release"),
            ("claim_id", ids[2]),
            (f"version-{ids[2]}", 2),
            ("claim_id", ids[0]),
            (f"version-{ids[0]}", 2),
        ],
    )
    assert released.status_code == 302
    assert f"1 released; 1 refused: #{ids[0]} not allowed: admin has it." in _text(
        editor.get("/claims/")
    )
    assert _claim(session, ids[2]).assignee_id is None
    assert _claim(session, ids[0]).assignee_id == users["admin"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([("action", "take")], "Select at least one claim first."),
        ([("action", "dismiss"), ("claim_id", "ID")], "Choose why the claim is dismissed"),
        ([("action", "assign"), ("claim_id", "ID")], "Choose an editor"),
        ([("action", "assign"), ("assignee_id", "x"), ("claim_id", "ID")], "bad assignee_id"),
        ([("action", "take"), ("claim_id", "²")], "bad claim_id"),
        ([("action", ""), ("claim_id", "ID")], "Choose what to do"),
    ],
)
def test_a_bulk_form_wrong_as_a_whole_changes_nothing_and_says_why(
    editor: FlaskClient, session: Session, ids: list[int], data: list, message: str
) -> None:
    data = [(k, ids[0] if v == "ID" else v) for k, v in data] + [(f"version-{ids[0]}", 1)]
    refused = _post(editor, "/claims/bulk?status=new", data)
    assert refused.status_code == 302 and refused.headers["Location"] == "/claims/?status=new"
    assert message in _text(editor.get("/claims/"))
    assert _claim(session, ids[0]).version == 1


def test_a_row_without_its_version_is_refused_as_changed(
    editor: FlaskClient, session: Session, ids: list[int]
) -> None:
    _post(editor, "/claims/bulk", [("action", "take"), ("claim_id", ids[0])])
    assert f"Nothing taken; 1 refused: #{ids[0]} changed meanwhile" in _text(editor.get("/claims/"))
    assert _claim(session, ids[0]).assignee_id is None


# --- JSON API ------------------------------------------------------------------------------------


@pytest.fixture
def bearer(engine: sa.Engine, users: dict[str, int]) -> Callable[[str], dict[str, str]]:
    made = {}
    with committed(engine) as db:
        for role in ("viewer", "editor", "admin"):
            made[role] = tokens.create_token(db, users[role], f"{role} script")[1]
    return lambda role: {"Authorization": f"Bearer {made[role]}"}


def test_the_api_dismisses_restores_and_checks_the_version(
    client: FlaskClient, bearer: Callable, ids: list[int], session: Session
) -> None:
    path = f"/api/claims/{ids[0]}"
    done = client.post(
        f"{path}/dismiss", json={"version": 1, "reason": "opinion"}, headers=bearer("editor")
    )
    assert done.status_code == 200
    assert done.get_json()["status"] == "dismissed" and done.get_json()["version"] == 2
    stale = client.post(f"{path}/restore", json={"version": 1}, headers=bearer("editor"))
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "stale_version"
    assert stale.get_json()["error"]["current_version"] == 2
    bad = client.post(
        f"/api/claims/{ids[1]}/dismiss",
        json={"version": 1, "reason": "x"},
        headers=bearer("editor"),
    )
    assert bad.status_code == 422 and "Choose why" in bad.get_json()["error"]["message"]
    viewer = client.post(f"{path}/restore", json={"version": 2}, headers=bearer("viewer"))
    assert viewer.status_code == 403
    back = client.post(f"{path}/restore", json={"version": 2}, headers=bearer("admin"))
    assert back.status_code == 200 and back.get_json()["status"] == "new"
    assert _actions(session, ids[0]) == ["claim.dismiss", "claim.restore"]


def test_the_api_bulk_lists_what_was_done_and_refused(
    client: FlaskClient, bearer: Callable, ids: list[int], session: Session, users: dict[str, int]
) -> None:
    with Session(session.get_bind()) as other:
        review.take(other, ids[1], users["admin"], 1)
        other.commit()
    answer = client.post(
        "/api/claims/bulk",
        json={
            "action": "assign",
            "assignee_id": users["editor"],
            "claims": [{"id": ids[0], "version": 1}, {"id": ids[1], "version": 1}],
        },
        headers=bearer("editor"),
    )
    assert answer.status_code == 200
    assert answer.get_json() == {
        "action": "assign",
        "done": [ids[0]],
        "refused": [
            {"claim_id": ids[1], "code": "stale_version", "reason": "changed meanwhile (reload it)"}
        ],
        "message": f"1 assigned; 1 refused: #{ids[1]} changed meanwhile (reload it).",
    }
    assert _claim(session, ids[0]).assignee_id == users["editor"]
    empty = client.post(
        "/api/claims/bulk", json={"action": "take", "claims": []}, headers=bearer("editor")
    )
    assert empty.status_code == 422
    unknown = client.post(
        "/api/claims/bulk",
        json={"action": "delete", "claims": [{"id": ids[2], "version": 1}]},
        headers=bearer("editor"),
    )
    assert unknown.status_code == 422
    assert (
        client.post(
            "/api/claims/bulk", json={"action": "take", "claims": "all"}, headers=bearer("editor")
        ).status_code
        == 400
    )
    viewer = client.post(
        "/api/claims/bulk",
        json={"action": "take", "claims": [{"id": ids[2], "version": 1}]},
        headers=bearer("viewer"),
    )
    assert viewer.status_code == 403
    assert _claim(session, ids[2]).version == 1


def test_the_export_page_keeps_the_open_queue_filter(editor: FlaskClient, ids: list[int]) -> None:
    page = _text(editor.get("/export/?status=open"))
    assert '<option value="open" selected>open (new or in review)</option>' in page
    everything = _text(editor.get("/export/"))
    assert '<option value="open" selected>' not in everything  # no filter: every status


def test_next_on_a_claim_page_skips_what_left_the_open_queue(
    editor: FlaskClient, session: Session, ids: list[int], users: dict[str, int]
) -> None:
    with Session(session.get_bind()) as db:
        order = [c.id for c, _ in list_claims(db, ClaimFilters()).items]
        triage.dismiss(db, order[1], users["editor"], 1, "opinion")
        db.commit()
    page = _text(editor.get(f"/claims/{order[0]}"))
    assert re.search(rf'href="/claims/{order[2]}" data-shortcut="j" rel="next"', page)
    everything = _text(editor.get(f"/claims/{order[0]}?status=all"))
    assert re.search(rf'href="/claims/{order[1]}\?status=all" data-shortcut="j"', everything)


def test_a_stage_direction_the_splitter_set_aside_is_shown_dismissed_and_can_be_restored(
    editor: FlaskClient, session: Session
) -> None:
    result = ingest_article(
        session, ArticleInput(body="The council spent 3 million dollars.\n(APPLAUSE)")
    )
    applause = session.exec(
        select(Claim).where(Claim.article_id == result.article.id, Claim.text == "(APPLAUSE)")
    ).one()
    session.commit()
    page = _text(editor.get(f"/claims/{applause.id}"))
    assert "Dismissed as <strong>stage direction</strong>" in page
    assert "stage direction" in _text(editor.get("/claims/?status=dismissed"))
    back = _post(editor, f"/claims/{applause.id}/restore", {"version": applause.version})
    assert back.status_code == 302
    assert _claim(session, applause.id).status == ClaimStatus.NEW
