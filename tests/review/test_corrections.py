"""Correcting a claim (review/corrections.py): its text edited, split, merged with the next one,
its claimant named; the normalised form, the text index and the suggestions follow, and every
change is version-checked and audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.matching import text_index
from workbench.matching.normalize import normalize
from workbench.models import (
    Article,
    AuditEvent,
    Claim,
    DuplicateSuggestion,
    SuggestionState,
    Verdict,
)
from workbench.review import corrections, duplicates
from workbench.review import verdicts as review
from workbench.review.verdicts import ReviewError, SourceInput, StaleEdit

STORY = (
    "Kerry said that the talks in Geneva will resume next week with both delegations present.\n"
    "The city spent $12 million on the new bridge last year and the mayor said it was worth it.\n"
    "Unemployment fell to 4.1 percent in March.\n"
    "The harbour froze over for the first time since 1963."
)
ARCHIVED = "The museum reopened its east wing to visitors after a decade of repairs."


def _ingest(session: Session, body: str, title: str) -> list[Claim]:
    made = ingest_article(session, ArticleInput(body=body, title=title))
    return list(
        session.exec(
            select(Claim).where(Claim.article_id == made.article.id).order_by(Claim.position)
        )
    )


def _fresh(session: Session, claim_id: int) -> Claim:
    session.expire_all()
    claim = session.get(Claim, claim_id)
    assert claim is not None
    return claim


def _found_by_index(session: Session, word: str) -> list[int]:
    return list(session.execute(text_index.all_words_query(session, [word])).scalars())


def _pending(session: Session, claim_id: int) -> set[tuple[int, int]]:
    rows = session.exec(
        select(DuplicateSuggestion.claim_id, DuplicateSuggestion.candidate_id).where(
            DuplicateSuggestion.state == SuggestionState.PENDING,
            sa.or_(
                DuplicateSuggestion.claim_id == claim_id,
                DuplicateSuggestion.candidate_id == claim_id,
            ),
        )
    ).all()
    return {(a, b) for a, b in rows}


def _history(session: Session, claim_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "claim", AuditEvent.entity_id == claim_id)
            .order_by(AuditEvent.id)
        )
    )


def test_editing_the_text_keeps_the_original_and_the_index_and_suggestions_follow(
    session: Session, users: dict[str, int]
) -> None:
    (archived,) = _ingest(session, ARCHIVED, "Museum")
    claims = _ingest(session, STORY, "Story")
    harbour = claims[-1]
    assert _pending(session, harbour.id) == set()

    edited = corrections.edit_text(
        session,
        harbour.id,
        users["editor"],
        harbour.version,
        "The museum reopened its east wing to visitors after ten years of repairs.",
    )
    session.commit()
    edited = _fresh(session, harbour.id)
    assert edited.original_text == "The harbour froze over for the first time since 1963."
    assert edited.normalized_text == normalize(edited.text)
    assert edited.version == 2
    # The index follows the new text: found by its new words, not by its old ones.
    assert harbour.id in _found_by_index(session, "museum")
    assert harbour.id not in _found_by_index(session, "harbour")
    # It now repeats the archived claim: suggested, counted into both claims' repeats.
    assert _pending(session, harbour.id) == {(harbour.id, archived.id)}
    assert edited.repeat_count == 1 and _fresh(session, archived.id).repeat_count == 1
    # The article still carries the sentence the outlet published, at the same place.
    article = session.get(Article, edited.article_id)
    assert article.body[edited.start_offset : edited.end_offset] == edited.original_text

    # A second edit keeps the first original; its suggestion is found again for the new text.
    again = corrections.edit_text(
        session, harbour.id, users["editor"], 2, "The harbour froze over in 1963."
    )
    session.commit()
    assert again.original_text == "The harbour froze over for the first time since 1963."
    assert _pending(session, harbour.id) == set()
    assert _fresh(session, archived.id).repeat_count == 0
    (first, second) = [e for e in _history(session, harbour.id) if e.action == "claim.edit_text"]
    assert first.before == {"text": "The harbour froze over for the first time since 1963."}
    assert first.after["text"].startswith("The museum") and second.actor_id == users["editor"]


def test_decided_suggestions_stay_when_the_text_changes(
    session: Session, users: dict[str, int]
) -> None:
    (archived,) = _ingest(session, ARCHIVED, "Museum")
    (repeat,) = _ingest(session, ARCHIVED.replace("a decade", "ten years"), "Again")
    suggestion = session.exec(select(DuplicateSuggestion)).one()

    duplicates.reject(session, suggestion.id, users["editor"])
    session.commit()
    corrections.edit_text(
        session, repeat.id, users["editor"], repeat.version, ARCHIVED.replace("a decade", "years")
    )
    session.commit()
    kept = session.exec(select(DuplicateSuggestion)).one()
    assert kept.id == suggestion.id and kept.state == SuggestionState.REJECTED


@pytest.mark.parametrize("text", ["", "   ", "?!", "x" * 1_001])
def test_an_empty_or_overlong_text_is_refused(
    session: Session, users: dict[str, int], text: str
) -> None:
    claim = _ingest(session, STORY, "Story")[0]
    with pytest.raises(ReviewError):
        corrections.edit_text(session, claim.id, users["editor"], claim.version, text)


def test_a_stale_correction_is_refused_and_saves_nothing(
    session: Session, users: dict[str, int]
) -> None:
    claim = _ingest(session, STORY, "Story")[0]
    review.take(session, claim.id, users["admin"], claim.version)
    session.commit()
    with pytest.raises(StaleEdit):
        corrections.edit_text(session, claim.id, users["editor"], 1, "Kerry said nothing at all.")
    with pytest.raises(StaleEdit):
        corrections.split(session, claim.id, users["editor"], 1, 10)
    with pytest.raises(StaleEdit):
        corrections.merge_next(session, claim.id, users["editor"], 1, 1)
    session.rollback()
    assert _fresh(session, claim.id).original_text is None


def test_a_claim_with_a_verdict_is_reopened_before_it_is_corrected(
    session: Session, users: dict[str, int]
) -> None:
    claim = _ingest(session, STORY, "Story")[0]
    review.set_verdict(session, claim.id, users["editor"], 1, Verdict.REFUTED, "No.")
    session.commit()
    with pytest.raises(ReviewError, match="Reopen"):
        corrections.edit_text(session, claim.id, users["editor"], 2, "Kerry said something else.")


def test_split_cuts_the_text_and_its_span_and_inserts_the_second_part_after_it(
    session: Session, users: dict[str, int]
) -> None:
    claims = _ingest(session, STORY, "Story")
    bridge = claims[1]
    sentence = bridge.text
    at = sentence.index(" and the mayor")
    first, second = corrections.split(session, bridge.id, users["editor"], bridge.version, at)
    session.commit()
    first, second = _fresh(session, bridge.id), _fresh(session, second.id)
    assert first.text == "The city spent $12 million on the new bridge last year"
    assert second.text == "and the mayor said it was worth it."
    body = session.get(Article, first.article_id).body
    assert body[first.start_offset : first.end_offset] == first.text
    assert body[second.start_offset : second.end_offset] == second.text
    assert first.original_text == second.original_text == sentence
    assert (first.normalized_text, second.normalized_text) == (
        normalize(first.text),
        normalize(second.text),
    )
    assert second.id in _found_by_index(session, "mayor")
    assert first.id not in _found_by_index(session, "mayor")
    # Inserted right after the first part: the claims after it moved down one place.
    order = session.exec(
        select(Claim.id).where(Claim.article_id == first.article_id).order_by(Claim.position)
    ).all()
    assert order == [claims[0].id, first.id, second.id, claims[2].id, claims[3].id]
    positions = session.exec(
        select(Claim.position).where(Claim.article_id == first.article_id).order_by(Claim.position)
    ).all()
    assert positions == [0, 1, 2, 3, 4]
    (event,) = [e for e in _history(session, first.id) if e.action == "claim.split"]
    assert event.before["text"] == sentence and event.after["new_claim_id"] == second.id
    assert [e.action for e in _history(session, second.id)] == ["claim.split_from"]


@pytest.mark.parametrize("at", [0, -1, 200, len("Unemployment fell to 4.1 percent in March")])
def test_a_split_needs_words_on_both_sides(
    session: Session, users: dict[str, int], at: int
) -> None:
    claim = _ingest(session, STORY, "Story")[2]
    assert claim.text == "Unemployment fell to 4.1 percent in March."
    with pytest.raises(ReviewError, match="both sides"):
        corrections.split(session, claim.id, users["editor"], claim.version, at)


def test_a_corrected_claim_splits_its_span_in_proportion(
    session: Session, users: dict[str, int]
) -> None:
    claim = _ingest(session, STORY, "Story")[3]
    corrections.edit_text(session, claim.id, users["editor"], 1, "Harbour froze. It was 1963.")
    first, second = corrections.split(session, claim.id, users["editor"], 2, 14)
    assert first.start_offset < first.end_offset <= second.start_offset < second.end_offset
    assert (first.text, second.text) == ("Harbour froze.", "It was 1963.")


def test_merge_joins_the_next_claim_and_deletes_it(session: Session, users: dict[str, int]) -> None:
    claims = _ingest(session, STORY, "Story")
    one, two = claims[2], claims[3]
    texts, span = (one.text, two.text), (one.start_offset, two.end_offset)
    corrections.merge_next(session, one.id, users["editor"], one.version, two.version)
    session.commit()
    merged = _fresh(session, one.id)
    assert merged.text == " ".join(texts)
    assert merged.original_text == texts[0]
    assert (merged.start_offset, merged.end_offset) == span
    assert session.get(Claim, two.id) is None
    assert merged.id in _found_by_index(session, "harbour")
    assert _found_by_index(session, "harbour") == [merged.id]
    (event,) = [e for e in _history(session, one.id) if e.action == "claim.merge"]
    assert event.before["merged_text"] == texts[1]
    # The last claim has nothing after it.
    with pytest.raises(ReviewError, match="last claim"):
        corrections.merge_next(session, one.id, users["editor"], merged.version, None)


def test_merge_then_split_keeps_positions_unique(session: Session, users: dict[str, int]) -> None:
    claims = _ingest(session, STORY, "Story")
    texts = [claim.text for claim in claims]
    first = claims[0]
    corrections.merge_next(session, first.id, users["editor"], 1, claims[1].version)
    merged = _fresh(session, first.id)
    corrections.split(session, first.id, users["editor"], merged.version, len(texts[0]))
    session.commit()
    rows = session.exec(
        select(Claim.position, Claim.text)
        .where(Claim.article_id == first.article_id)
        .order_by(Claim.position)
    ).all()
    assert [p for p, _ in rows] == [0, 1, 2, 3]
    assert [t for _, t in rows] == texts


def test_merge_is_refused_when_the_next_claim_holds_an_editors_work(
    session: Session, users: dict[str, int]
) -> None:
    claims = _ingest(session, STORY, "Story")
    one, two = claims[0], claims[1]
    review.link_evidence(
        session,
        two.id,
        users["editor"],
        two.version,
        stance="supports",
        new_source=SourceInput(title="Budget"),
    )
    session.commit()
    two = _fresh(session, two.id)
    candidate = corrections.next_claim(session, _fresh(session, one.id))
    assert candidate is not None and "evidence" in (candidate.refusal or "")
    with pytest.raises(ReviewError, match="evidence"):
        corrections.merge_next(session, one.id, users["editor"], one.version, two.version)
    session.rollback()
    assert _fresh(session, two.id) is not None
    # A change to the next claim since the editor looked is not merged away either.
    three = claims[2]
    with pytest.raises(StaleEdit):
        corrections.merge_next(session, two.id, users["editor"], two.version, three.version + 1)


def test_the_claimant_is_named_cleared_and_audited(session: Session, users: dict[str, int]) -> None:
    claim = _ingest(session, STORY, "Story")[0]
    assert claim.claimant == "Kerry"
    named = corrections.set_claimant(session, claim.id, users["editor"], 1, "  John   Kerry ")
    assert named.claimant == "John Kerry" and named.version == 2
    cleared = corrections.set_claimant(session, claim.id, users["editor"], 2, "")
    assert cleared.claimant is None
    with pytest.raises(ReviewError):
        corrections.set_claimant(session, claim.id, users["editor"], 3, "x" * 201)
    events = [e for e in _history(session, claim.id) if e.action == "claim.claimant"]
    assert [(e.before, e.after) for e in events] == [
        ({"claimant": "Kerry"}, {"claimant": "John Kerry"}),
        ({"claimant": "John Kerry"}, {"claimant": None}),
    ]


def test_the_second_part_of_a_split_is_attributed_anew(
    session: Session, users: dict[str, int]
) -> None:
    claim = _ingest(session, "Kerry said the talks resume and the ministry said jets landed.", "S")[
        0
    ]
    assert claim.claimant == "Kerry"
    at = claim.text.index(" the ministry")
    first, second = corrections.split(session, claim.id, users["editor"], 1, at)
    assert (first.claimant, second.claimant) == ("Kerry", None)  # not Kerry's words, maybe
    again = corrections.split(
        session,
        second.id,
        users["editor"],
        second.version,
        second.text.index(" jets"),
        claimant_for=lambda text: "the ministry" if "ministry" in text else "the jets",
    )
    assert again[1].claimant == "the jets"
