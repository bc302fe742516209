"""What an editor does to a claim (review.py): take, evidence, verdict, reopen, history; every
change checked against the version the editor saw and recorded in the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import AuditEvent, Claim, ClaimStatus, Evidence, Source, Stance, Verdict
from workbench.review import verdicts as review
from workbench.review.verdicts import SourceInput, StaleEdit

SENTENCES = (
    "The ministry said unemployment fell to 4.1 percent in March.",
    "The city spent $12 million on the new bridge last year.",
)


@pytest.fixture
def claim_id(session: Session) -> int:
    ingest_article(session, ArticleInput(body="\n".join(SENTENCES), title="Economy"))
    return session.exec(select(Claim.id).order_by(Claim.id)).first()


def _claim(session: Session, claim_id: int) -> Claim:
    session.expire_all()
    return session.get(Claim, claim_id)


def test_taking_a_claim_assigns_it_and_starts_the_review(
    session: Session, users: dict[str, int], claim_id: int
) -> None:
    claim = review.take(session, claim_id, users["editor"], version=1)
    assert claim.assignee_id == users["editor"] and claim.assigned_at is not None
    assert claim.status == ClaimStatus.IN_REVIEW and claim.version == 2
    assert claim.updated_by_id == users["editor"]

    released = review.release(session, claim_id, users["editor"], version=2)
    assert released.assignee_id is None and released.status == ClaimStatus.IN_REVIEW


def test_a_change_from_an_old_version_is_refused_and_saves_nothing(
    session: Session, users: dict[str, int], claim_id: int
) -> None:
    review.take(session, claim_id, users["editor"], version=1)
    session.commit()  # the editor's request ends
    with pytest.raises(StaleEdit, match="editor") as refused:
        review.set_verdict(session, claim_id, users["admin"], 1, Verdict.REFUTED, "Wrong.")
    session.rollback()
    assert "Reload" in str(refused.value)
    claim = _claim(session, claim_id)
    assert claim.verdict is None and claim.version == 2
    with pytest.raises(StaleEdit):
        review.take(session, claim_id, users["admin"], version=None)


def test_verdict_and_reopen_keep_a_before_and_after_in_the_history(
    session: Session, users: dict[str, int], claim_id: int
) -> None:
    editor = users["editor"]
    claim = review.set_verdict(session, claim_id, editor, 1, "refuted", "  The rate was 4.4. ")
    assert claim.status == ClaimStatus.VERDICT and claim.verdict == Verdict.REFUTED
    assert claim.verdict_summary == "The rate was 4.4."
    claim = review.reopen(session, claim_id, editor, claim.version)
    assert claim.status == ClaimStatus.IN_REVIEW and claim.verdict is None
    assert claim.verdict_summary is None

    entries = review.claim_history(session, claim_id)
    # Saving a verdict on a claim nobody holds takes it first (issue 14), in the history too.
    assert [e.event.action for e in entries] == ["claim.take", "claim.verdict", "claim.reopen"]
    assert all(e.actor == "editor" for e in entries)
    verdict_event = entries[1].event
    assert verdict_event.before == {
        "status": "in_review",
        "verdict": None,
        "verdict_summary": None,
        "verdict_state": None,
        "sign_off_note": None,
    }
    assert verdict_event.after["verdict"] == "refuted"
    assert verdict_event.after["verdict_state"] == "approved"
    assert entries[2].event.before["verdict"] == "refuted"


@pytest.mark.parametrize(
    ("verdict", "summary", "message"),
    [
        ("", "x", "Choose a verdict"),
        ("true-ish", "x", "Choose a verdict"),
        ("refuted", "   ", "summary"),
        ("refuted", "x" * 1001, "under 1,000"),
    ],
)
def test_a_verdict_needs_a_known_word_and_a_summary(
    session: Session, users: dict[str, int], claim_id: int, verdict: str, summary: str, message: str
) -> None:
    with pytest.raises(review.ReviewError, match=message):
        review.set_verdict(session, claim_id, users["editor"], 1, verdict, summary)
    assert _claim(session, claim_id).verdict is None


def test_reopening_needs_a_verdict(session: Session, users: dict[str, int], claim_id: int) -> None:
    with pytest.raises(review.ReviewError, match="no verdict"):
        review.reopen(session, claim_id, users["editor"], 1)


def test_evidence_links_new_and_library_sources_and_counts_the_balance(
    session: Session, users: dict[str, int], claim_id: int
) -> None:
    editor = users["editor"]
    first = review.link_evidence(
        session,
        claim_id,
        editor,
        1,
        stance="supports",
        quote="Rate: 4.1%",
        new_source=SourceInput(
            title="Labour statistics, March",
            url="https://stats.example/m",
            publisher="Statistics Office",
            kind="dataset",
        ),
    )
    assert first.source_id is not None and first.quote == "Rate: 4.1%"
    # The same address again is the same library source, not a copy.
    second = review.link_evidence(
        session,
        claim_id,
        editor,
        2,
        stance="conflicts",
        note="Revised later",
        new_source=SourceInput(title="Other title", url="https://stats.example/m"),
    )
    assert second.source_id == first.source_id
    assert session.exec(select(sa.func.count()).select_from(Source)).one() == 1
    third = review.link_evidence(
        session, claim_id, editor, 3, stance=Stance.CONTEXT, source_id=first.source_id
    )
    views = review.evidence_for(session, claim_id)
    assert [v.evidence.id for v in views] == [first.id, second.id, third.id]
    assert review.evidence_balance(views) == {
        Stance.SUPPORTS: 1,
        Stance.CONFLICTS: 1,
        Stance.CONTEXT: 1,
    }
    assert _claim(session, claim_id).version == 4

    edited = review.update_evidence(
        session, claim_id, second.id, editor, 4, stance="supports", quote="", note="fine"
    )
    assert edited.stance == Stance.SUPPORTS and edited.quote is None
    review.remove_evidence(session, claim_id, third.id, editor, 5)
    assert session.get(Evidence, third.id) is None
    actions = [e.event.action for e in review.claim_history(session, claim_id)]
    assert actions == [
        "evidence.add",
        "evidence.add",
        "evidence.add",
        "evidence.edit",
        "evidence.remove",
    ]
    edit = review.claim_history(session, claim_id)[3].event
    assert edit.before["stance"] == "conflicts" and edit.after["stance"] == "supports"


def test_evidence_of_another_claim_cannot_be_edited_through_this_one(
    session: Session, users: dict[str, int], claim_id: int
) -> None:
    editor = users["editor"]
    evidence = review.link_evidence(
        session, claim_id, editor, 1, stance="supports", new_source=SourceInput(title="A")
    )
    session.commit()
    other = session.exec(select(Claim.id).where(Claim.id != claim_id)).first()
    with pytest.raises(review.EvidenceNotFound):
        review.remove_evidence(session, other, evidence.id, editor, 1)
    session.rollback()
    assert session.get(Evidence, evidence.id) is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"stance": "agrees", "new_source": SourceInput(title="A")}, "supports, conflicts"),
        ({"stance": "supports"}, "Pick a source"),
        ({"stance": "supports", "new_source": SourceInput(title="  ")}, "title"),
        ({"stance": "supports", "new_source": SourceInput(title="A", kind="rumour")}, "kind"),
        ({"stance": "supports", "new_source": SourceInput(title="A", url="http://a b")}, "spaces"),
        (
            {"stance": "supports", "quote": "q" * 5001, "new_source": SourceInput(title="A")},
            "quote",
        ),
    ],
)
def test_bad_evidence_is_refused_with_a_reason(
    session: Session, users: dict[str, int], claim_id: int, fields: dict, message: str
) -> None:
    with pytest.raises(review.ReviewError, match=message):
        review.link_evidence(session, claim_id, users["editor"], 1, **fields)
    session.rollback()
    assert session.exec(select(sa.func.count()).select_from(Evidence)).one() == 0
    assert _claim(session, claim_id).version == 1


def test_source_search_matches_title_address_and_publisher_literally(
    session: Session, users: dict[str, int]
) -> None:
    for title, url, publisher in [
        ("Budget 2026", "https://gov.example/budget", "Treasury"),
        ("100% renewable plan", "https://energy.example/plan", "Energy Desk"),
        ("Interview with the mayor", None, "City Hall"),
    ]:
        review.add_source(
            session, users["editor"], SourceInput(title=title, url=url or "", publisher=publisher)
        )
    session.commit()

    def titles(query: str) -> set[str]:
        return {s.title for s in review.find_sources(session, query)}

    assert titles("budget") == {"Budget 2026"}
    assert titles("energy.example") == {"100% renewable plan"}
    assert titles("city hall") == {"Interview with the mayor"}
    assert titles("%") == {"100% renewable plan"}  # a literal percent sign, not a wildcard
    assert titles("_") == set()
    assert len(titles("")) == 3


def test_audit_events_are_only_ever_added(
    session: Session, users: dict[str, int], claim_id: int
) -> None:
    review.take(session, claim_id, users["editor"], 1)
    review.set_verdict(session, claim_id, users["editor"], 2, "mixed", "Partly.")
    first = session.exec(select(AuditEvent).order_by(AuditEvent.id)).first()
    before = (first.action, first.before, first.after)
    review.reopen(session, claim_id, users["editor"], 3)
    session.expire_all()
    again = session.get(AuditEvent, first.id)
    assert (again.action, again.before, again.after) == before
    assert session.exec(select(sa.func.count()).select_from(AuditEvent)).one() == 3
