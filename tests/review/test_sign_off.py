"""Who may give a verdict, and sign-off: a draft is nobody's verdict until a second editor
approves it. The worst bug would be a false "previously checked" alert from a draft."""

from __future__ import annotations

import pytest
from claim_data import TALKS, TALKS_AGAIN
from sqlmodel import Session, select

from workbench.accounts import users as accounts
from workbench.alerts import rules as alerts
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import (
    Alert,
    AlertKind,
    AuditEvent,
    Claim,
    ClaimStatus,
    Delivery,
    Role,
    Verdict,
    VerdictState,
    Webhook,
)
from workbench.review import duplicates, newsroom
from workbench.review import verdicts as review

TALKS_THIRD = (
    "Military talks between the US and Russia on the Syrian crisis began on Friday with a phone "
    "call between US Defense Secretary Ash Carter and Russian defense minister Sergei Shoigu."
)


def _ingest(db: Session, text: str, title: str) -> int:
    result = ingest_article(db, ArticleInput(body=text, title=title))
    db.commit()
    return db.exec(select(Claim.id).where(Claim.article_id == result.article.id)).one()


def _claim(db: Session, claim_id: int) -> Claim:
    db.expire_all()
    claim = db.get(Claim, claim_id)
    assert claim is not None
    return claim


def _kinds(db: Session, claim_id: int) -> list[AlertKind]:
    db.expire_all()
    return list(db.exec(select(Alert.kind).where(Alert.claim_id == claim_id)).all())


@pytest.fixture
def second(session: Session) -> int:
    """A second editor, to sign verdicts off."""
    user = accounts.create_user(session, "second", "correct horse battery", Role.EDITOR)
    session.commit()
    return user.id  # type: ignore[return-value]


def _draft(db: Session, claim_id: int, editor: int, verdict: Verdict = Verdict.REFUTED) -> Claim:
    claim = review.set_verdict(
        db, claim_id, editor, _claim(db, claim_id).version, verdict, "Checked.", sign_off=True
    )
    db.commit()
    return claim


def test_a_draft_never_counts_as_checked_until_approved(
    session: Session, users: dict[str, int], second: int
) -> None:
    session.add(Webhook(url="https://hooks.example/in", secret="whsec_dGVzdA=="))
    session.commit()
    old = _ingest(session, TALKS, "First")
    claim = _draft(session, old, users["editor"])
    assert (claim.status, claim.verdict_state) == (ClaimStatus.IN_REVIEW, VerdictState.DRAFT)

    # A repeat arrives while the verdict is a draft: the claim is being checked, not checked.
    repeat = _ingest(session, TALKS_AGAIN, "Second")
    assert _kinds(session, repeat) == [AlertKind.BEING_CHECKED]
    shown = duplicates.effective_verdict(session, _claim(session, old))
    assert shown.verdict is None
    # The webhook's copy of the alert carries no verdict either.
    view = alerts.get_view(session, session.exec(select(Alert.id)).one())
    assert view.shape().matched_claim.verdict is None

    approved = review.approve(session, old, second, _claim(session, old).version)
    session.commit()
    assert approved.status == ClaimStatus.VERDICT
    assert (approved.approved_by_id, approved.verdict_by_id) == (second, users["editor"])
    assert approved.approved_at is not None
    # The repeat that was waiting hears of the published verdict; the next one is told at once.
    assert AlertKind.VERDICT_REACHED in _kinds(session, repeat)
    third = _ingest(session, TALKS_THIRD, "Third")
    assert _kinds(session, third) == [AlertKind.PREVIOUSLY_CHECKED]
    assert session.exec(select(Delivery)).all(), "published alerts go to the webhook"


def test_a_sent_back_verdict_is_not_checked_either(
    session: Session, users: dict[str, int], second: int
) -> None:
    old = _ingest(session, TALKS, "First")
    _draft(session, old, users["editor"])
    claim = review.send_back(session, old, second, _claim(session, old).version, " Cite it. ")
    session.commit()
    assert claim.verdict_state == VerdictState.SENT_BACK and claim.sign_off_note == "Cite it."
    assert claim.status == ClaimStatus.IN_REVIEW
    repeat = _ingest(session, TALKS_AGAIN, "Second")
    assert _kinds(session, repeat) == [AlertKind.BEING_CHECKED]
    # The author revises: a new draft, the note cleared.
    claim = _draft(session, old, users["editor"], Verdict.MIXED)
    assert claim.verdict_state == VerdictState.DRAFT and claim.sign_off_note is None


def test_only_a_second_editor_signs_off_and_only_a_draft(
    session: Session, users: dict[str, int], second: int
) -> None:
    old = _ingest(session, TALKS, "First")
    with pytest.raises(review.SignOffRefused, match="no verdict awaiting sign-off"):
        review.approve(session, old, second, 1)
    _draft(session, old, users["editor"])
    version = _claim(session, old).version
    with pytest.raises(review.SignOffRefused, match="second editor"):
        review.approve(session, old, users["editor"], version)
    with pytest.raises(review.SignOffRefused, match="second editor"):
        review.send_back(session, old, users["editor"], version, "Mine.")
    with pytest.raises(review.ReviewError, match="note"):
        review.send_back(session, old, second, version, "  ")
    with pytest.raises(review.StaleEdit):
        review.approve(session, old, second, version - 1)
    review.send_back(session, old, second, version, "Cite it.")
    session.commit()
    with pytest.raises(review.SignOffRefused):
        review.approve(session, old, second, _claim(session, old).version)


def test_without_sign_off_a_verdict_is_approved_by_its_saver(
    session: Session, users: dict[str, int]
) -> None:
    old = _ingest(session, TALKS, "First")
    claim = review.set_verdict(session, old, users["editor"], 1, Verdict.SUPPORTED, "Yes.")
    assert claim.status == ClaimStatus.VERDICT and claim.verdict_state == VerdictState.APPROVED
    assert claim.approved_by_id == claim.verdict_by_id == users["editor"]


def test_saving_a_verdict_takes_the_claim_or_needs_take_over(
    session: Session, users: dict[str, int]
) -> None:
    old = _ingest(session, TALKS, "First")
    claim = review.set_verdict(session, old, users["admin"], 1, Verdict.MIXED, "Half.")
    session.commit()
    assert claim.assignee_id == users["admin"]
    takes = session.exec(
        select(AuditEvent).where(AuditEvent.entity_id == old, AuditEvent.action == "claim.take")
    ).all()
    assert [t.after["assignee_id"] for t in takes] == [users["admin"]]

    other = _ingest(session, "The city spent $12 million on the new bridge last year.", "Bridge")
    review.take(session, other, users["editor"], 1)
    session.commit()
    with pytest.raises(review.HeldByAnother, match="editor holds this claim"):
        review.set_verdict(session, other, users["admin"], 2, Verdict.REFUTED, "No.")
    session.rollback()
    assert _claim(session, other).verdict is None
    claim = review.set_verdict(
        session, other, users["admin"], 2, Verdict.REFUTED, "No.", take_over=True
    )
    assert claim.assignee_id == users["admin"] and claim.verdict == Verdict.REFUTED


def test_a_published_verdict_replaced_by_a_draft_is_no_longer_checked(
    session: Session, users: dict[str, int], second: int
) -> None:
    old = _ingest(session, TALKS, "First")
    review.set_verdict(session, old, users["editor"], 1, Verdict.SUPPORTED, "Yes.")
    session.commit()
    _draft(session, old, users["editor"], Verdict.REFUTED)
    claim = _claim(session, old)
    assert claim.status == ClaimStatus.IN_REVIEW and claim.approved_at is None
    repeat = _ingest(session, TALKS_AGAIN, "Second")
    assert _kinds(session, repeat) == [AlertKind.BEING_CHECKED]


def test_the_admins_choice_wins_over_the_environment(
    session: Session, users: dict[str, int]
) -> None:
    assert newsroom.sign_off_required(session, default=True) is True
    assert newsroom.sign_off_required(session, default=False) is False
    newsroom.set_sign_off(session, users["admin"], False, default=True)
    session.commit()
    assert newsroom.sign_off_required(session, default=True) is False
    newsroom.set_sign_off(session, users["admin"], True, default=True)
    session.commit()
    assert newsroom.sign_off_required(session, default=False) is True
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "newsroom.sign_off")).all()
    assert [(e.before, e.after) for e in events] == [
        ({"sign_off": True}, {"sign_off": False}),
        ({"sign_off": False}, {"sign_off": True}),
    ]
