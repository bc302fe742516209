"""A confirmed repeat is resolved: it leaves the open queue carrying its canonical claim's
published verdict, follows that verdict as it changes (its holder told), and undo reopens it
as it was."""

from __future__ import annotations

from claim_data import TALKS, TALKS_AGAIN
from sqlmodel import Session, select

from workbench.accounts import users as accounts
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import (
    OPEN_STATUSES,
    Alert,
    AlertKind,
    Claim,
    ClaimStatus,
    DuplicateSuggestion,
    Role,
    SuggestionState,
    Verdict,
)
from workbench.review import duplicates
from workbench.review import verdicts as review
from workbench.review.queue import ClaimFilters, list_claims


def _ingest(db: Session, text: str, title: str) -> int:
    result = ingest_article(db, ArticleInput(body=text, title=title))
    db.commit()
    return db.exec(select(Claim.id).where(Claim.article_id == result.article.id)).one()


def _claim(db: Session, claim_id: int) -> Claim:
    db.expire_all()
    claim = db.get(Claim, claim_id)
    assert claim is not None
    return claim


def _suggestion(db: Session, claim_id: int, candidate_id: int) -> int:
    found = db.exec(
        select(DuplicateSuggestion.id).where(
            DuplicateSuggestion.claim_id == claim_id,
            DuplicateSuggestion.candidate_id == candidate_id,
        )
    ).first()
    assert found is not None
    return found


def _alerts_on(db: Session, claim_id: int) -> list[Alert]:
    db.expire_all()
    return list(db.exec(select(Alert).where(Alert.claim_id == claim_id).order_by(Alert.id)).all())


def _open_queue(db: Session) -> list[int]:
    return [
        claim.id
        for status in OPEN_STATUSES
        for claim, _ in list_claims(db, ClaimFilters(status=status)).items
    ]


def test_confirming_resolves_the_repeat_with_the_inherited_verdict_and_undo_reopens_it(
    session: Session, users: dict[str, int]
) -> None:
    old = _ingest(session, TALKS, "First")
    review.set_verdict(session, old, users["editor"], 1, Verdict.REFUTED, "No.")
    new = _ingest(session, TALKS_AGAIN, "Second")
    review.take(session, new, users["admin"], _claim(session, new).version)
    session.commit()
    suggestion = _suggestion(session, new, old)

    duplicates.confirm(session, suggestion, users["editor"])
    session.commit()
    repeat = _claim(session, new)
    assert (repeat.status, repeat.status_before) == (ClaimStatus.RESOLVED, "in_review")
    assert repeat.assignee_id == users["admin"], "its holder keeps it, to hear of changes"
    assert new not in _open_queue(session)
    shown = duplicates.effective_verdict(session, repeat)
    assert shown.verdict == Verdict.REFUTED and shown.inherited_from.id == old  # type: ignore[union-attr]
    assert shown.repeat_of.id == old  # type: ignore[union-attr]
    # A resolved repeat is not checked anew: its verdict is the canonical claim's.
    try:
        review.set_verdict(session, new, users["admin"], repeat.version, Verdict.MIXED, "Hm.")
    except review.ReviewError as exc:
        assert "confirmed repeat" in str(exc)
    else:
        raise AssertionError("a verdict on a resolved repeat should be refused")
    session.rollback()
    history = [e.event.action for e in review.claim_history(session, new)]
    assert "claim.resolve" in history

    duplicates.undo(session, suggestion, users["editor"])
    session.commit()
    repeat = _claim(session, new)
    assert (repeat.status, repeat.status_before) == (ClaimStatus.IN_REVIEW, None)
    assert new in _open_queue(session)
    assert "claim.unresolve" in [e.event.action for e in review.claim_history(session, new)]


def test_the_canonical_claim_and_claims_with_their_own_verdict_stay_as_they_are(
    session: Session, users: dict[str, int]
) -> None:
    old = _ingest(session, TALKS, "First")
    new = _ingest(session, TALKS_AGAIN, "Second")
    review.set_verdict(session, new, users["editor"], 1, Verdict.SUPPORTED, "Yes.")
    session.commit()
    duplicates.confirm(session, _suggestion(session, new, old), users["editor"])
    session.commit()
    # `new` was checked on its own and keeps its verdict; `old`, the canonical claim, stays open.
    assert _claim(session, new).status == ClaimStatus.VERDICT
    assert _claim(session, old).status == ClaimStatus.NEW


def test_members_follow_the_canonical_verdict_and_their_holders_are_told(
    session: Session, users: dict[str, int]
) -> None:
    second = accounts.create_user(session, "second", "correct horse battery", Role.EDITOR).id
    session.commit()
    old = _ingest(session, TALKS, "First")
    new = _ingest(session, TALKS_AGAIN, "Second")
    review.take(session, new, users["admin"], _claim(session, new).version)
    session.commit()
    duplicates.confirm(session, _suggestion(session, new, old), users["editor"])
    session.commit()
    assert duplicates.effective_verdict(session, _claim(session, new)).verdict is None

    # A draft on the canonical claim: the member shows nothing, and hears nothing.
    review.set_verdict(
        session, old, users["editor"], _claim(session, old).version, "refuted", "No.", sign_off=True
    )
    session.commit()
    assert duplicates.effective_verdict(session, _claim(session, new)).verdict is None
    assert _alerts_on(session, new) == []

    review.approve(session, old, second, _claim(session, old).version)
    session.commit()
    assert duplicates.effective_verdict(session, _claim(session, new)).verdict == Verdict.REFUTED
    [approved] = _alerts_on(session, new)
    assert approved.kind == AlertKind.VERDICT_REACHED and approved.verdict == Verdict.REFUTED
    assert "admin holds this claim" in (approved.note or "")

    review.reopen(session, old, users["editor"], _claim(session, old).version)
    session.commit()
    assert _claim(session, new).status == ClaimStatus.RESOLVED
    assert duplicates.effective_verdict(session, _claim(session, new)).verdict is None
    withdrawn = _alerts_on(session, new)[-1]
    assert withdrawn.verdict is None and "taken back" in (withdrawn.note or "")

    # The same verdict again is news to the holder, who heard it was taken back.
    review.set_verdict(
        session, old, users["editor"], _claim(session, old).version, "refuted", "No."
    )
    session.commit()
    again = _alerts_on(session, new)
    assert len(again) == 3 and again[-1].verdict == Verdict.REFUTED
    assert duplicates.effective_verdict(session, _claim(session, new)).verdict == Verdict.REFUTED


def test_a_draft_does_not_make_a_cluster_win_a_merge(
    session: Session, users: dict[str, int]
) -> None:
    old = _ingest(session, TALKS, "First")
    new = _ingest(session, TALKS_AGAIN, "Second")
    review.set_verdict(session, new, users["editor"], 1, "mixed", "Half.", sign_off=True)
    session.commit()
    duplicates.confirm(session, _suggestion(session, new, old), users["editor"])
    session.commit()
    suggestion = session.get(DuplicateSuggestion, _suggestion(session, new, old))
    assert suggestion is not None and suggestion.state == SuggestionState.CONFIRMED
    # The draft is nobody's verdict: nothing is inherited, and the open repeat is resolved.
    assert duplicates.effective_verdict(session, _claim(session, new)).verdict is None
    assert _claim(session, new).status == ClaimStatus.RESOLVED
