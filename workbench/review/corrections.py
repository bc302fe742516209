"""Correcting a claim the splitter got wrong: its text edited, split in two, or merged with the
next claim of its article; and who made it (the claimant).

What follows a change of text: the claim keeps the sentence it was split from in
`original_text` (set at the first correction, never overwritten), is normalised again with the
newsroom's aliases (the text index follows `normalized_text`: SQLite's triggers, PostgreSQL's
expression index), and its pending duplicate suggestions are found again: the old ones are
deleted, the archive is searched for the new text, and what is found is recorded as ingest
records it, alerts included. Confirmed and rejected pairs are editors' decisions and stay.

The offsets keep pointing at the article: an edited claim still marks its sentence there (the
article is what the outlet published, so it shows the original words; the claim page shows the
corrected text and the sentence it came from). A split cuts the sentence's span at the same
point; a merge spans both sentences.

A claim with a verdict is not corrected: the verdict judges the words it was given on, so the
claim is reopened first. A merge deletes the next claim, so it is refused when that claim
holds an editor's work (a verdict, evidence, a cluster); check-worthiness, evidence and
assignment stay with the claim that keeps its id. Every correction is checked against the
version the editor saw and written to the audit log with the text before and after.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.alerts import rules as alert_rules
from workbench.audit import record
from workbench.matching.aliases import load_aliases
from workbench.matching.normalize import normalize
from workbench.matching.similar import find_suggestions
from workbench.models import (
    Article,
    Claim,
    ClaimStatus,
    DuplicateSuggestion,
    Evidence,
    SuggestionState,
    utcnow,
)
from workbench.review import duplicates
from workbench.review.priority import priority, recount_repeats
from workbench.review.verdicts import ReviewError, editable, save_change  # one way to lock and save

TEXT_MAX = 1_000  # intake's longest claim (splitting.MAX_CLAIM_CHARS)
CLAIMANT_MAX = 200  # Claim.claimant's length


# --- The claimant ---------------------------------------------------------------------------


def set_claimant(
    session: Session, claim_id: int, actor_id: int | None, version: int | None, claimant: str
) -> Claim:
    """Who made the claim, as the editor names them; empty clears it."""
    name = " ".join(claimant.split())
    if len(name) > CLAIMANT_MAX:
        raise ReviewError(f"Keep the claimant under {CLAIMANT_MAX} characters.")
    claim = editable(session, claim_id, version)
    before = {"claimant": claim.claimant}
    claim.claimant = name or None
    record(
        session,
        actor_id,
        "claim.claimant",
        "claim",
        claim.id,
        before=before,
        after={"claimant": claim.claimant},
    )
    return save_change(session, claim, actor_id)


# --- Text -----------------------------------------------------------------------------------


def edit_text(
    session: Session, claim_id: int, actor_id: int | None, version: int | None, text: str
) -> Claim:
    """The claim says `text` now; the sentence it came from stays in `original_text`."""
    text = _valid_text(text)
    claim = _correctable(session, claim_id, version)
    if text == claim.text:
        raise ReviewError("The text is unchanged; edit it before saving.")
    before = claim.text
    _keep_original(claim)
    claim.text = text
    claim.normalized_text = normalize(text, load_aliases(session))
    record(
        session,
        actor_id,
        "claim.edit_text",
        "claim",
        claim.id,
        before={"text": before},
        after={"text": text},
    )
    save_change(session, claim, actor_id)
    _match_again(session, [claim])
    return claim


def split(
    session: Session,
    claim_id: int,
    actor_id: int | None,
    version: int | None,
    at: int,
    *,
    claimant_for: Callable[[str], str | None] | None = None,
) -> tuple[Claim, Claim]:
    """Cut the claim in two at character `at` of its text: the first part keeps the claim (its
    id, claimant, evidence and assignment), the second is a new claim right after it in the
    article, attributed by `claimant_for` (intake's reading of a sentence's attribution) or to
    nobody: the first part's claimant may not have said it."""
    claim = _correctable(session, claim_id, version)
    first, second = claim.text[:at].strip(), claim.text[at:].strip()
    if not 0 < at < len(claim.text) or not _has_words(first) or not _has_words(second):
        raise ReviewError("Choose a point with words on both sides to split the claim at.")
    before = {"text": claim.text, "end_offset": claim.end_offset}
    first_end, second_start = _span_cut(session, claim, at)
    original = claim.original_text or claim.text
    _shift(session, claim.article_id, after=claim.position, by=1)
    now = utcnow()
    new = Claim(
        article_id=claim.article_id,
        position=claim.position + 1,
        start_offset=second_start,
        end_offset=claim.end_offset,
        text=second,
        normalized_text="",
        original_text=original,
        claimant=claimant_for(second) if claimant_for else None,
        check_worthiness=claim.check_worthiness,
        priority=priority(claim.check_worthiness, 0),
        created_at=now,
        updated_at=now,
        updated_by_id=actor_id,
    )
    aliases = load_aliases(session)
    new.normalized_text = normalize(second, aliases)
    _keep_original(claim)
    claim.text = first
    claim.normalized_text = normalize(first, aliases)
    claim.end_offset = first_end
    session.add(new)
    session.flush()
    record(
        session,
        actor_id,
        "claim.split",
        "claim",
        claim.id,
        before=before,
        after={"text": first, "end_offset": first_end, "new_claim_id": new.id},
    )
    record(
        session,
        actor_id,
        "claim.split_from",
        "claim",
        new.id,
        before={"claim_id": claim.id, "text": before["text"]},
        after={"text": second},
    )
    save_change(session, claim, actor_id)
    _match_again(session, [claim, new])
    return claim, new


@dataclass(frozen=True)
class SplitPoint:
    """A place the claim can be split at: `at` is the character offset in its text, `before`
    and `after` the few words on either side, for the editor to choose from."""

    at: int
    before: str
    after: str


SPLIT_CONTEXT_WORDS = 4


def split_points(text: str) -> list[SplitPoint]:
    """Every gap between two words of the text, in order: where a split can be made."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    points = []
    for n in range(1, len(words)):
        at = words[n - 1][1]
        head = text[words[max(0, n - SPLIT_CONTEXT_WORDS)][0] : at]
        tail = text[words[n][0] : words[min(len(words), n + SPLIT_CONTEXT_WORDS) - 1][1]]
        if _has_words(text[:at]) and _has_words(text[at:]):
            points.append(SplitPoint(at, head, tail))
    return points


@dataclass(frozen=True)
class MergeCandidate:
    """The claim after this one in its article, and why it cannot be merged, if it cannot."""

    claim: Claim
    refusal: str | None


def next_claim(session: Session, claim: Claim) -> MergeCandidate | None:
    """The next claim of the claim's article (by position), or None for its last claim."""
    following = session.exec(
        select(Claim)
        .where(Claim.article_id == claim.article_id, Claim.position > claim.position)
        .order_by(Claim.position)
        .limit(1)
    ).first()
    if following is None:
        return None
    return MergeCandidate(following, _merge_refusal(session, following))


def merge_next(
    session: Session,
    claim_id: int,
    actor_id: int | None,
    version: int | None,
    next_version: int | None,
) -> Claim:
    """Join the claim with the next claim of its article (a sentence cut in two): the claim
    takes both texts and spans both sentences, and the next claim is deleted. `next_version` is
    the next claim's version the editor saw: a change to it since is not merged away."""
    claim = _correctable(session, claim_id, version)
    candidate = next_claim(session, claim)
    if candidate is None:
        raise ReviewError("This is the last claim of its article: there is nothing to merge.")
    following = editable(session, candidate.claim.id, next_version)  # type: ignore[arg-type]
    if candidate.refusal:
        raise ReviewError(candidate.refusal)
    before = {
        "text": claim.text,
        "end_offset": claim.end_offset,
        "merged_claim_id": following.id,
        "merged_text": following.text,
    }
    merged = f"{claim.text.rstrip()} {following.text.lstrip()}"
    if len(merged) > TEXT_MAX:
        raise ReviewError(f"Together the two claims are over {TEXT_MAX:,} characters.")
    partners = _partners(session, [following.id])  # type: ignore[list-item]
    _keep_original(claim)
    claim.text = merged
    claim.normalized_text = normalize(merged, load_aliases(session))
    claim.end_offset = max(claim.end_offset, following.end_offset)
    claim.claimant = claim.claimant or following.claimant
    gone = following.position
    record(
        session,
        actor_id,
        "claim.merge",
        "claim",
        claim.id,
        before=before,
        after={"text": merged, "end_offset": claim.end_offset},
    )
    record(
        session,
        actor_id,
        "claim.merged_into",
        "claim",
        following.id,
        before={"text": following.text},
        after={"claim_id": claim.id},
    )
    session.delete(following)
    session.flush()
    _shift(session, claim.article_id, after=gone, by=-1)
    recount_repeats(session, partners - {claim.id})
    save_change(session, claim, actor_id)
    _match_again(session, [claim])
    return claim


# --- Shared steps ---------------------------------------------------------------------------


def _correctable(session: Session, claim_id: int, version: int | None) -> Claim:
    claim = editable(session, claim_id, version)
    if claim.verdict is not None:
        raise ReviewError(
            "This claim has a verdict, given on its present text. Reopen it before correcting "
            "the text."
        )
    return claim


def _merge_refusal(session: Session, following: Claim) -> str | None:
    """Why merging would lose an editor's work on the next claim, or None."""
    what = None
    if following.verdict is not None or following.status == ClaimStatus.VERDICT:
        what = "has a verdict"
    elif session.exec(select(Evidence.id).where(Evidence.claim_id == following.id)).first():
        what = "has evidence linked"
    elif following.cluster_id is not None:
        what = "is in a cluster of confirmed duplicates"
    if what is None:
        return None
    return (
        f"The next claim (#{following.id}) {what}; merging would delete it. Merge only "
        "sentences nobody has worked on, or edit this claim's text instead."
    )


def _valid_text(text: str) -> str:
    text = text.strip()
    if not _has_words(text):
        raise ReviewError("Write the claim's text: it cannot be empty.")
    if len(text) > TEXT_MAX:
        raise ReviewError(f"Keep the claim under {TEXT_MAX:,} characters.")
    return text


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _keep_original(claim: Claim) -> None:
    """The sentence as the splitter took it, kept at the first correction only."""
    if claim.original_text is None:
        claim.original_text = claim.text


def _span_cut(session: Session, claim: Claim, at: int) -> tuple[int, int]:
    """Where the two parts of a split at `at` of the claim's text end and start in the article:
    exactly there (the space between them in neither) while the text is the article's own
    sentence; for a corrected text, at the same share of the span. Both parts keep at least one
    character (the span's CHECK)."""
    start, end = claim.start_offset, claim.end_offset
    article = session.get(Article, claim.article_id)
    assert article is not None  # a foreign key
    if article.body[start:end] == claim.text:
        head, tail = claim.text[:at], claim.text[at:]
        first_end = start + len(head.rstrip())
        second_start = start + at + len(tail) - len(tail.lstrip())
    else:
        first_end = second_start = start + round((end - start) * at / len(claim.text))
    first_end = min(max(first_end, start + 1), end - 1)
    return first_end, min(max(second_start, first_end), end - 1)


def _shift(session: Session, article_id: int, *, after: int, by: int) -> None:
    """Move the positions of the article's claims after `after` by `by`. Through negative
    numbers first: (article_id, position) is unique, and both databases may check it row by
    row in the middle of one UPDATE."""
    session.flush()
    later = sa.and_(Claim.article_id == article_id, Claim.position > after)
    session.execute(
        sa.update(Claim)
        .where(later)
        .values(position=-Claim.position - 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(Claim)
        .where(Claim.article_id == article_id, Claim.position < 0)
        .values(position=-Claim.position - 1 + by)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def _partners(session: Session, claim_ids: list[int]) -> set[int]:
    """Every claim that has a suggestion (any state) with one of these claims."""
    pairs = session.execute(
        sa.select(DuplicateSuggestion.claim_id, DuplicateSuggestion.candidate_id).where(
            sa.or_(
                DuplicateSuggestion.claim_id.in_(claim_ids),
                DuplicateSuggestion.candidate_id.in_(claim_ids),
            )
        )
    ).all()
    return {i for pair in pairs for i in pair}


def _match_again(session: Session, claims: list[Claim]) -> None:
    """The claims' pending suggestions found again for their new text (see the module
    docstring): deleted, searched for, recorded with repeats, priority and alerts."""
    ids = [c.id for c in claims if c.id is not None]
    pending = DuplicateSuggestion.state == SuggestionState.PENDING
    involved = sa.or_(
        DuplicateSuggestion.claim_id.in_(ids), DuplicateSuggestion.candidate_id.in_(ids)
    )
    partners = _partners(session, ids)
    session.execute(
        sa.delete(DuplicateSuggestion)
        .where(pending, involved)
        .execution_options(synchronize_session=False)
    )
    recount_repeats(session, partners | set(ids))
    session.flush()
    made = find_suggestions(session, claims, fresh=False, aliases=load_aliases(session))
    duplicates.record_suggestions(session, made)
    alert_rules.raise_for_suggestions(session, made)
    session.flush()
    for claim in claims:
        session.refresh(claim)
