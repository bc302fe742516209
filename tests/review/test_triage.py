"""Triage (review/triage.py): dismissing and restoring a claim, and bulk actions where each claim
is checked against its own version and refused on its own."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from workbench.accounts import users as accounts
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import AuditEvent, Claim, ClaimStatus, DismissReason, Role, Verdict
from workbench.review import triage
from workbench.review import verdicts as review
from workbench.review.queue import ClaimFilters, StatusGroup, count_claims, list_claims, tab_counts
from workbench.review.verdicts import StaleEdit

SENTENCES = [
    f"The council spent {i + 3} million dollars on road repairs in district {i}." for i in range(6)
]


@pytest.fixture
def ids(session: Session) -> list[int]:
    result = ingest_article(session, ArticleInput(body="\n".join(SENTENCES), title="Roads"))
    return list(
        session.exec(
            select(Claim.id).where(Claim.article_id == result.article.id).order_by(Claim.position)
        ).all()
    )


def _claim(session: Session, claim_id: int) -> Claim:
    session.expire_all()
    return session.get(Claim, claim_id)


def _events(session: Session, claim_id: int, action: str) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.entity_id == claim_id, AuditEvent.action == action)
        ).all()
    )


def test_dismissing_records_why_and_what_it_was_and_restoring_puts_it_back(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    review.take(session, ids[0], users["editor"], 1)
    claim = triage.dismiss(session, ids[0], users["editor"], 2, "opinion")
    assert claim.status == ClaimStatus.DISMISSED and claim.version == 3
    assert claim.dismiss_reason == "opinion" and claim.status_before == "in_review"
    assert claim.assignee_id == users["editor"]  # nothing else is cleared
    [event] = _events(session, ids[0], "claim.dismiss")
    assert event.actor_id == users["editor"]
    assert event.before == {"status": "in_review", "dismiss_reason": None, "status_before": None}
    assert event.after == {
        "status": "dismissed",
        "dismiss_reason": "opinion",
        "status_before": "in_review",
    }

    restored = triage.restore(session, ids[0], users["admin"], 3)
    assert restored.status == ClaimStatus.IN_REVIEW and restored.version == 4
    assert restored.dismiss_reason is None and restored.status_before is None
    [event] = _events(session, ids[0], "claim.restore")
    assert event.before["status"] == "dismissed" and event.after["status"] == "in_review"


def test_a_claim_without_a_known_status_before_comes_back_new(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    triage.dismiss(session, ids[0], users["editor"], 1, DismissReason.NOT_A_CLAIM)
    claim = _claim(session, ids[0])
    claim.status_before = None  # dismissed before anyone recorded it
    session.add(claim)
    session.flush()
    assert triage.restore(session, ids[0], users["editor"], 2).status == ClaimStatus.NEW


@pytest.mark.parametrize("reason", [None, "", "boring", "NOT_A_CLAIM"])
def test_a_dismissal_needs_one_of_the_reasons(
    session: Session, users: dict[str, int], ids: list[int], reason: str | None
) -> None:
    with pytest.raises(triage.TriageError, match="not a claim, opinion"):
        triage.dismiss(session, ids[0], users["editor"], 1, reason)
    assert _claim(session, ids[0]).status == ClaimStatus.NEW


def test_dismiss_and_restore_check_the_version_and_the_state(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    with pytest.raises(StaleEdit):
        triage.dismiss(session, ids[0], users["editor"], 7, "opinion")
    with pytest.raises(triage.WrongState, match="not dismissed"):
        triage.restore(session, ids[0], users["editor"], 1)
    triage.dismiss(session, ids[0], users["editor"], 1, "opinion")
    with pytest.raises(triage.WrongState, match="already dismissed"):
        triage.dismiss(session, ids[0], users["editor"], 2, "opinion")
    review.set_verdict(session, ids[1], users["editor"], 1, Verdict.MIXED, "Partly.")
    with pytest.raises(triage.WrongState, match="reopen it"):
        triage.dismiss(session, ids[1], users["editor"], 2, "opinion")


def test_dismissed_claims_leave_the_open_queue_and_have_their_own_count(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    triage.dismiss(session, ids[0], users["editor"], 1, "opinion")
    triage.dismiss(session, ids[1], users["editor"], 1, "out_of_scope")
    review.set_verdict(session, ids[2], users["editor"], 1, Verdict.MIXED, "Partly.")
    open_ids = {c.id for c, _ in list_claims(session, ClaimFilters(status=StatusGroup.OPEN)).items}
    assert open_ids == set(ids[3:])
    dismissed = ClaimFilters(status=ClaimStatus.DISMISSED)
    assert {c.id for c, _ in list_claims(session, dismissed).items} == set(ids[:2])
    # No status filter still means every claim (the export's and the API's meaning).
    assert count_claims(session, ClaimFilters()) == 6
    assert count_claims(session, ClaimFilters(status=StatusGroup.ALL)) == 6
    assert count_claims(session, ClaimFilters(status=StatusGroup.OPEN)) == 3
    tabs = tab_counts(session, ClaimFilters())
    assert tabs == {
        "open": 3,
        "new": 3,
        "in_review": 0,
        "verdict": 1,
        "dismissed": 2,
        "resolved": 0,
        "all": 6,
    }


def test_resolved_repeats_are_not_in_the_open_queue(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    claim = session.get(Claim, ids[0])
    claim.status = ClaimStatus.RESOLVED
    session.add(claim)
    session.flush()
    open_ids = {c.id for c, _ in list_claims(session, ClaimFilters(status=StatusGroup.OPEN)).items}
    assert ids[0] not in open_ids and len(open_ids) == 5
    result = triage.bulk(session, users["editor"], "dismiss", [(ids[0], 1)], reason="opinion")
    assert [r.reason for r in result.refused] == ["resolved as a repeat"]


# --- Bulk ----------------------------------------------------------------------------------------


def test_bulk_dismiss_goes_through_and_refuses_a_stale_row_on_its_own(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    review.take(session, ids[1], users["admin"], 1)  # changed after the editor's page loaded
    result = triage.bulk(
        session,
        users["editor"],
        "dismiss",
        [(ids[0], 1), (ids[1], 1), (ids[2], 1), (999_999, 1)],
        reason="not_checkable",
    )
    assert result.done == [ids[0], ids[2]]
    assert [(r.claim_id, r.reason, r.code) for r in result.refused] == [
        (ids[1], "changed meanwhile (reload it)", "stale_version"),
        (999_999, "not found", "not_found"),
    ]
    assert result.summary() == (
        f"2 dismissed; 2 refused: #{ids[1]} changed meanwhile (reload it), #999999 not found."
    )
    assert _claim(session, ids[1]).status == ClaimStatus.IN_REVIEW
    assert _claim(session, ids[1]).version == 2  # the refused claim is untouched
    for claim_id in (ids[0], ids[2]):
        claim = _claim(session, claim_id)
        assert claim.status == ClaimStatus.DISMISSED and claim.dismiss_reason == "not_checkable"
        assert len(_events(session, claim_id, "claim.dismiss")) == 1
    assert _events(session, ids[1], "claim.dismiss") == []


def test_bulk_assign_and_take_each_claim_at_its_own_version(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    triage.dismiss(session, ids[2], users["editor"], 1, "opinion")
    result = triage.bulk(
        session,
        users["editor"],
        "assign",
        [(ids[0], 1), (ids[1], 1), (ids[2], 2)],
        assignee_id=users["admin"],
    )
    assert result.done == [ids[0], ids[1]]
    assert [r.reason for r in result.refused] == ["dismissed (restore it first)"]
    for claim_id in ids[:2]:
        claim = _claim(session, claim_id)
        assert claim.assignee_id == users["admin"] and claim.status == ClaimStatus.IN_REVIEW
        [event] = _events(session, claim_id, "claim.assign")
        assert event.after == {"assignee_id": users["admin"], "status": "in_review"}
    assert _claim(session, ids[2]).assignee_id is None

    taken = triage.bulk(session, users["editor"], "take", [(ids[3], 1), (ids[3], 1)])
    assert taken.done == [ids[3]]  # a claim named twice is done once
    assert _claim(session, ids[3]).assignee_id == users["editor"]
    again = triage.bulk(session, users["editor"], "take", [(ids[3], 2)])
    assert [r.reason for r in again.refused] == ["you have it already"]


def test_an_editor_leaves_other_peoples_claims_alone_in_bulk_but_an_admin_may_release_them(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    colleague = accounts.create_user(session, "alice", "a long password 1", Role.EDITOR).id
    review.take(session, ids[0], colleague, 1)
    review.take(session, ids[1], users["editor"], 1)
    for action in ("take", "release", "assign"):
        result = triage.bulk(
            session, users["editor"], action, [(ids[0], 2)], assignee_id=users["admin"]
        )
        assert [(r.reason, r.code) for r in result.refused] == [
            ("not allowed: alice has it", "not_allowed")
        ], action
    assert _claim(session, ids[0]).assignee_id == colleague

    mine = triage.bulk(session, users["editor"], "release", [(ids[1], 2), (ids[2], 1)])
    assert mine.done == [ids[1]] and [r.reason for r in mine.refused] == ["nobody has it"]
    assert _claim(session, ids[1]).assignee_id is None

    desk = triage.bulk(session, users["admin"], "release", [(ids[0], 2)])
    assert desk.done == [ids[0]] and _claim(session, ids[0]).assignee_id is None
    [event] = _events(session, ids[0], "claim.release")
    assert event.actor_id == users["admin"] and event.before == {"assignee_id": colleague}


@pytest.mark.parametrize(
    ("action", "options", "message"),
    [
        ("delete", {}, "Choose what to do"),
        ("dismiss", {}, "Choose why"),
        ("assign", {}, "Choose an editor"),
        ("assign", {"assignee_id": "viewer"}, "Choose an editor"),
    ],
)
def test_a_bulk_request_wrong_as_a_whole_touches_nothing(
    session: Session,
    users: dict[str, int],
    ids: list[int],
    action: str,
    options: dict[str, str],
    message: str,
) -> None:
    extra = {k: users[v] for k, v in options.items()}
    with pytest.raises(triage.TriageError, match=message):
        triage.bulk(session, users["editor"], action, [(ids[0], 1)], **extra)  # type: ignore[arg-type]
    assert _claim(session, ids[0]).version == 1


def test_viewers_and_empty_or_huge_selections_are_refused(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    with pytest.raises(triage.NotAllowed, match="Only editors"):
        triage.bulk(session, users["viewer"], "take", [(ids[0], 1)])
    with pytest.raises(triage.TriageError, match="Select at least one"):
        triage.bulk(session, users["editor"], "take", [])
    too_many = [(i, 1) for i in range(1, triage.BULK_MAX + 2)]
    with pytest.raises(triage.TriageError, match="at most"):
        triage.bulk(session, users["editor"], "take", too_many)
    assert _claim(session, ids[0]).version == 1


def test_bulk_with_a_verdict_in_the_selection_dismisses_the_rest(
    session: Session, users: dict[str, int], ids: list[int]
) -> None:
    review.set_verdict(session, ids[0], users["editor"], 1, Verdict.REFUTED, "No.")
    result = triage.bulk(
        session, users["editor"], "dismiss", [(ids[0], 2), (ids[1], 1)], reason="opinion"
    )
    assert result.done == [ids[1]]
    assert result.summary() == f"1 dismissed; 1 refused: #{ids[0]} has a verdict (reopen it first)."
    assert _claim(session, ids[0]).status == ClaimStatus.VERDICT


def test_a_sentence_the_splitter_set_aside_waits_dismissed_and_an_editor_restores_it(
    session: Session, users: dict[str, int]
) -> None:
    body = "The council spent 3 million dollars on road repairs.\nWill it work?\n(APPLAUSE)"
    result = ingest_article(session, ArticleInput(body=body, title="Roads"))
    assert result.claims == 1 and result.skipped == {"question": 1, "stage_direction": 1}
    open_tab = ClaimFilters(status=StatusGroup.OPEN)
    assert [c.text for c, _ in list_claims(session, open_tab).items] == [
        ("The council spent 3 million dollars on road repairs.")
    ]
    tabs = tab_counts(session, ClaimFilters())
    assert tabs["open"] == 1 and tabs["dismissed"] == 2 and tabs["all"] == 3

    question = session.exec(select(Claim).where(Claim.text == "Will it work?")).one()
    assert (question.status, question.dismiss_reason) == (ClaimStatus.DISMISSED, "question")
    assert triage.reason_label(question.dismiss_reason) == "question"
    assert triage.reason_label("stage_direction") == "stage direction"
    restored = triage.restore(session, question.id, users["editor"], question.version)
    assert restored.status == ClaimStatus.NEW and restored.dismiss_reason is None
    assert count_claims(session, open_tab) == 2
