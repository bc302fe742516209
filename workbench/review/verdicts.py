"""What an editor does to a claim: take it, link evidence from sources, give a verdict, reopen.

Every change is checked against the claim's version the editor saw (optimistic locking): two
editors saving the same claim cannot silently overwrite each other; the second gets StaleEdit and
reloads. Adding, editing or removing evidence changes the claim too (a verdict rests on its
evidence), so it bumps the version as well. Every change writes an AuditEvent in the same
transaction, and each function commits its own change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.alerts import rules as alert_rules
from workbench.audit import record
from workbench.errors import Conflict, NotFound, Refused
from workbench.models import (
    AuditEvent,
    Claim,
    ClaimStatus,
    DuplicateSuggestion,
    Evidence,
    Role,
    Source,
    Stance,
    User,
    Verdict,
    VerdictState,
    utcnow,
)

SUMMARY_MAX = 1_000
QUOTE_MAX = 5_000
NOTE_MAX = 5_000
TITLE_MAX = 500
URL_MAX = 2_000
PUBLISHER_MAX = 200
SOURCE_KINDS = ("web", "document", "dataset", "interview", "statement", "other")


class ReviewError(Refused, ValueError):
    """Input an editor can fix; the message says how."""


class ClaimNotFound(NotFound):
    pass


class EvidenceNotFound(NotFound):
    pass


class SourceNotFound(NotFound):
    pass


class StaleEdit(Conflict):
    """The claim changed since the editor loaded it; nothing was saved."""

    code = "stale_version"

    def __init__(self, claim: Claim, by: str | None) -> None:
        self.claim = claim
        who = f" by {by}" if by else ""
        super().__init__(
            f"Someone else changed this claim{who} after you opened it, so your change was not "
            "saved. Reload the claim to see the latest version, then make your change again."
        )

    def fields(self) -> dict[str, Any]:
        return {"current_version": self.claim.version}


def get_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise ClaimNotFound(claim_id)
    return claim


def editable(session: Session, claim_id: int, version: int | None) -> Claim:
    """The claim, locked for this change, if it is still the version the editor saw."""
    claim = session.exec(select(Claim).where(Claim.id == claim_id).with_for_update()).first()
    if claim is None:
        raise ClaimNotFound(claim_id)
    if version is None or claim.version != version:
        by = session.get(User, claim.updated_by_id) if claim.updated_by_id else None
        raise StaleEdit(claim, by.username if by else None)
    return claim


def _changed(claim: Claim, actor_id: int | None) -> None:
    claim.version += 1
    claim.updated_at = utcnow()
    claim.updated_by_id = actor_id


def audit_values(claim: Claim, *names: str) -> dict[str, Any]:
    """The fields' values as the audit log keeps them (plain JSON, enums as their values)."""
    return {name: _plain(getattr(claim, name)) for name in names}


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def save_change(session: Session, claim: Claim, actor_id: int | None) -> Claim:
    """Every change to a claim ends here: a new version, who and when, flushed, so the next
    change (triage, corrections, verdicts) is checked against it."""
    _changed(claim, actor_id)
    session.add(claim)
    session.flush()
    session.refresh(claim)
    return claim


# --- Assignment ----------------------------------------------------------------------------------


def take(session: Session, claim_id: int, actor_id: int, version: int | None) -> Claim:
    """Assign the claim to this editor (taking it over from anyone who had it); a new claim goes
    into review."""
    claim = editable(session, claim_id, version)
    hand_to(session, claim, actor_id, actor_id)
    return save_change(session, claim, actor_id)


def hand_to(
    session: Session,
    claim: Claim,
    assignee_id: int,
    actor_id: int,
    action: str = "claim.take",
    **noted: object,
) -> None:
    """The claim is the assignee's, and in review if it was new; audited as `action` (a take,
    or an assignment), with what `noted` adds (a take made by saving a verdict says so)."""
    before = audit_values(claim, "assignee_id", "status")
    claim.assignee_id = assignee_id
    claim.assigned_at = utcnow()
    if claim.status == ClaimStatus.NEW:
        claim.status = ClaimStatus.IN_REVIEW
    after = audit_values(claim, "assignee_id", "status") | noted
    record(session, actor_id, action, "claim", claim.id, before=before, after=after)


def release(session: Session, claim_id: int, actor_id: int, version: int | None) -> Claim:
    """Give the claim back to the queue; its status and evidence stay."""
    claim = editable(session, claim_id, version)
    before = audit_values(claim, "assignee_id")
    claim.assignee_id = None
    claim.assigned_at = None
    record(
        session,
        actor_id,
        "claim.release",
        "claim",
        claim.id,
        before=before,
        after={"assignee_id": None},
    )
    return save_change(session, claim, actor_id)


# --- Verdicts ------------------------------------------------------------------------------------
#
# Who may give a verdict: the person who holds the claim. Saving a verdict on a claim nobody holds
# takes it for the saver first (a `claim.take` in the history); while someone else holds it, the
# save is refused unless the editor says they take it over.
#
# Sign-off (a newsroom setting, see newsroom.py): when it is on, a saved verdict is a draft. The
# claim stays in review ("awaiting sign-off") until a second editor, not the verdict's author,
# approves it (the claim then has status `verdict`) or sends it back with a note (in review
# again, the note shown to the author). When it is off, saving a verdict approves it at once,
# with the saver as its approver. Only an approved verdict is a published one: it alone counts
# as checked for alerts, is inherited by repeats, is exported as ClaimReview and sent by
# webhooks. A claim's status is `verdict` exactly when its verdict is approved.

VERDICT_FIELDS = (
    "status",
    "verdict",
    "verdict_summary",
    "verdict_state",
    "sign_off_note",
)


class HeldByAnother(ReviewError):
    """Someone else holds the claim; a verdict is theirs to give unless the editor takes over."""

    code = "held_by_another"


class SignOffRefused(ReviewError):
    """The sign-off step cannot be taken: nothing awaits it, or the editor wrote the verdict."""

    code = "sign_off_refused"


def set_verdict(
    session: Session,
    claim_id: int,
    actor_id: int,
    version: int | None,
    verdict: Verdict | str,
    summary: str,
    *,
    take_over: bool = False,
    sign_off: bool = False,
) -> Claim:
    """Give the claim a verdict: approved at once, or (with `sign_off`) a draft that awaits a
    second editor. The saver must hold the claim; see the section's comment."""
    try:
        verdict = Verdict(verdict)
    except ValueError:
        choices = ", ".join(v.value for v in Verdict)
        raise ReviewError(f"Choose a verdict: one of {choices}.") from None
    summary = summary.strip()
    if not summary:
        raise ReviewError("Write a short public summary of why the claim gets this verdict.")
    if len(summary) > SUMMARY_MAX:
        raise ReviewError(f"Keep the summary under {SUMMARY_MAX:,} characters.")
    claim = editable(session, claim_id, version)
    if claim.status == ClaimStatus.RESOLVED:
        raise ReviewError(
            "This claim is a confirmed repeat and carries the verdict of the claim it repeats. "
            "To check it on its own, undo the confirmation first."
        )
    if claim.status == ClaimStatus.DISMISSED:
        raise ReviewError("This claim was set aside; restore it before giving it a verdict.")
    _hold_for_verdict(session, claim, actor_id, take_over)
    was_published = claim.verdict_state == VerdictState.APPROVED
    before = audit_values(claim, *VERDICT_FIELDS)
    now = utcnow()
    claim.verdict = verdict
    claim.verdict_summary = summary
    claim.verdict_by_id = actor_id
    claim.verdict_at = now
    claim.sign_off_note = None
    if sign_off:
        claim.verdict_state = VerdictState.DRAFT
        claim.approved_by_id = None
        claim.approved_at = None
        claim.status = ClaimStatus.IN_REVIEW
    else:
        claim.verdict_state = VerdictState.APPROVED
        claim.approved_by_id = actor_id
        claim.approved_at = now
        claim.status = ClaimStatus.VERDICT
    record(
        session,
        actor_id,
        "claim.verdict",
        "claim",
        claim.id,
        before=before,
        after=audit_values(claim, *VERDICT_FIELDS),
    )
    if sign_off:
        if was_published:
            # The published verdict is replaced by a draft: until it is approved, the claim and
            # its repeats show none.
            alert_rules.raise_for_withdrawn(session, claim)
    else:
        alert_rules.raise_for_verdict(session, claim)
    return save_change(session, claim, actor_id)


def _hold_for_verdict(session: Session, claim: Claim, actor_id: int, take_over: bool) -> None:
    """The saver must hold the claim: take it if nobody does, or over if they say so."""
    if claim.assignee_id == actor_id:
        return
    if claim.assignee_id is not None and not take_over:
        holder = session.get(User, claim.assignee_id)
        name = holder.username if holder else "another editor"
        raise HeldByAnother(
            f"{name} holds this claim, so the verdict is theirs to give. Tick “take over” to "
            "take the claim from them and save your verdict, or ask them first."
        )
    hand_to(session, claim, actor_id, actor_id, with_verdict=True)


def _awaiting_sign_off(
    session: Session, claim_id: int, actor_id: int, version: int | None
) -> Claim:
    claim = editable(session, claim_id, version)
    if claim.verdict_state != VerdictState.DRAFT or claim.status != ClaimStatus.IN_REVIEW:
        raise SignOffRefused("This claim has no verdict awaiting sign-off; reload the claim.")
    if claim.verdict_by_id == actor_id:
        raise SignOffRefused(
            "A verdict is signed off by a second editor, not by its author; ask another editor "
            "to approve it or send it back."
        )
    return claim


def approve(session: Session, claim_id: int, actor_id: int, version: int | None) -> Claim:
    """A second editor signs the draft verdict off: it is published (status `verdict`), and the
    claims that repeat it hear of it."""
    claim = _awaiting_sign_off(session, claim_id, actor_id, version)
    before = audit_values(claim, *VERDICT_FIELDS)
    claim.verdict_state = VerdictState.APPROVED
    claim.approved_by_id = actor_id
    claim.approved_at = utcnow()
    claim.status = ClaimStatus.VERDICT
    record(
        session,
        actor_id,
        "claim.approve",
        "claim",
        claim.id,
        before=before,
        after=audit_values(claim, *VERDICT_FIELDS),
    )
    alert_rules.raise_for_verdict(session, claim)
    return save_change(session, claim, actor_id)


def send_back(
    session: Session, claim_id: int, actor_id: int, version: int | None, note: str
) -> Claim:
    """A second editor sends the draft verdict back to its author with a note: the claim stays
    in review, the draft kept for the author to revise."""
    note = note.strip()
    if not note:
        raise ReviewError("Say in a note what the verdict's author should look at again.")
    if len(note) > NOTE_MAX:
        raise ReviewError(f"Keep the note under {NOTE_MAX:,} characters.")
    claim = _awaiting_sign_off(session, claim_id, actor_id, version)
    before = audit_values(claim, *VERDICT_FIELDS)
    claim.verdict_state = VerdictState.SENT_BACK
    claim.sign_off_note = note
    record(
        session,
        actor_id,
        "claim.send_back",
        "claim",
        claim.id,
        before=before,
        after=audit_values(claim, *VERDICT_FIELDS),
    )
    return save_change(session, claim, actor_id)


def reopen(session: Session, claim_id: int, actor_id: int, version: int | None) -> Claim:
    """Take the verdict back: the claim is in review again, its evidence kept. The claims that
    repeat it and are held by someone hear of it (they show no verdict until it has one)."""
    claim = editable(session, claim_id, version)
    if claim.status != ClaimStatus.VERDICT:
        raise ReviewError("This claim has no verdict to reopen.")
    before = audit_values(claim, *VERDICT_FIELDS)
    claim.verdict = None
    claim.verdict_summary = None
    claim.verdict_state = None
    claim.approved_by_id = None
    claim.approved_at = None
    claim.sign_off_note = None
    claim.status = ClaimStatus.IN_REVIEW
    record(
        session,
        actor_id,
        "claim.reopen",
        "claim",
        claim.id,
        before=before,
        after=audit_values(claim, *VERDICT_FIELDS),
    )
    alert_rules.raise_for_withdrawn(session, claim)
    return save_change(session, claim, actor_id)


# --- Sources -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInput:
    title: str
    url: str = ""
    publisher: str = ""
    kind: str = "web"


def find_sources(session: Session, query: str, limit: int = 20) -> list[Source]:
    """Sources whose title, address or publisher contains the query, newest first."""
    statement = select(Source).order_by(Source.created_at.desc(), Source.id.desc()).limit(limit)
    query = query.strip()
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            sa.or_(
                Source.title.ilike(pattern, escape="\\"),
                Source.url.ilike(pattern, escape="\\"),
                Source.publisher.ilike(pattern, escape="\\"),
            )
        )
    return list(session.exec(statement).all())


def get_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise SourceNotFound(source_id)
    return source


def add_source(session: Session, actor_id: int | None, new: SourceInput) -> Source:
    """A source for the shared library; an address already there gives back that source instead
    of a copy. Not committed: the caller links it as evidence in the same transaction."""
    title = " ".join(new.title.split())
    url = new.url.strip()
    publisher = " ".join(new.publisher.split())
    if not title:
        raise ReviewError("Give the source a title.")
    if len(title) > TITLE_MAX:
        raise ReviewError(f"Keep the source's title under {TITLE_MAX} characters.")
    if len(url) > URL_MAX:
        raise ReviewError(f"The source's address is longer than {URL_MAX:,} characters.")
    if any(ch.isspace() for ch in url):
        raise ReviewError("A source's address cannot contain spaces.")
    if len(publisher) > PUBLISHER_MAX:
        raise ReviewError(f"Keep the publisher under {PUBLISHER_MAX} characters.")
    if new.kind not in SOURCE_KINDS:
        raise ReviewError(f"Choose a kind of source: one of {', '.join(SOURCE_KINDS)}.")
    if url:
        existing = session.exec(select(Source).where(Source.url == url)).first()
        if existing is not None:
            return existing
    source = Source(
        title=title,
        url=url or None,
        publisher=publisher or None,
        kind=new.kind,
        created_by_id=actor_id,
    )
    session.add(source)
    session.flush()
    record(
        session,
        actor_id,
        "source.add",
        "source",
        source.id,
        after={"title": title, "url": url or None, "publisher": publisher or None},
    )
    return source


# --- Evidence ------------------------------------------------------------------------------------


def _evidence_fields(
    stance: Stance | str, quote: str, note: str
) -> tuple[Stance, str | None, str | None]:
    try:
        stance = Stance(stance)
    except ValueError:
        raise ReviewError(
            "Say whether the source supports, conflicts with or gives context to the claim."
        ) from None
    quote, note = quote.strip(), note.strip()
    if len(quote) > QUOTE_MAX:
        raise ReviewError(f"Keep the quote under {QUOTE_MAX:,} characters.")
    if len(note) > NOTE_MAX:
        raise ReviewError(f"Keep the note under {NOTE_MAX:,} characters.")
    return stance, quote or None, note or None


def _evidence_snapshot(evidence: Evidence) -> dict[str, Any]:
    return {
        "evidence_id": evidence.id,
        "source_id": evidence.source_id,
        "stance": _plain(evidence.stance),
        "quote": evidence.quote,
        "note": evidence.note,
    }


def link_evidence(
    session: Session,
    claim_id: int,
    actor_id: int,
    version: int | None,
    *,
    stance: Stance | str,
    quote: str = "",
    note: str = "",
    source_id: int | None = None,
    new_source: SourceInput | None = None,
) -> Evidence:
    """Link a source (from the library, or a new one added here) to the claim."""
    stance, quote_text, note_text = _evidence_fields(stance, quote, note)
    if source_id is None and new_source is None:
        raise ReviewError("Pick a source from the library or add a new one.")
    claim = editable(session, claim_id, version)
    source = (
        get_source(session, source_id)
        if source_id is not None
        else add_source(
            session,
            actor_id,
            new_source,  # type: ignore[arg-type]
        )
    )
    evidence = Evidence(
        claim_id=claim.id,
        source_id=source.id,
        stance=stance,
        quote=quote_text,
        note=note_text,
        created_by_id=actor_id,
    )
    session.add(evidence)
    session.flush()
    record(
        session,
        actor_id,
        "evidence.add",
        "claim",
        claim.id,
        after={**_evidence_snapshot(evidence), "source": source.title},
    )
    save_change(session, claim, actor_id)
    session.refresh(evidence)
    return evidence


def _claim_evidence(session: Session, evidence_id: int, claim_id: int) -> Evidence:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.claim_id != claim_id:
        raise EvidenceNotFound(evidence_id)
    return evidence


def update_evidence(
    session: Session,
    claim_id: int,
    evidence_id: int,
    actor_id: int,
    version: int | None,
    *,
    stance: Stance | str,
    quote: str = "",
    note: str = "",
) -> Evidence:
    stance, quote_text, note_text = _evidence_fields(stance, quote, note)
    claim = editable(session, claim_id, version)
    evidence = _claim_evidence(session, evidence_id, claim.id)
    before = _evidence_snapshot(evidence)
    evidence.stance, evidence.quote, evidence.note = stance, quote_text, note_text
    evidence.updated_at = utcnow()
    session.add(evidence)
    record(
        session,
        actor_id,
        "evidence.edit",
        "claim",
        claim.id,
        before=before,
        after=_evidence_snapshot(evidence),
    )
    save_change(session, claim, actor_id)
    session.refresh(evidence)
    return evidence


def remove_evidence(
    session: Session, claim_id: int, evidence_id: int, actor_id: int, version: int | None
) -> Claim:
    claim = editable(session, claim_id, version)
    evidence = _claim_evidence(session, evidence_id, claim.id)
    record(
        session, actor_id, "evidence.remove", "claim", claim.id, before=_evidence_snapshot(evidence)
    )
    session.delete(evidence)
    return save_change(session, claim, actor_id)


@dataclass(frozen=True)
class EvidenceView:
    evidence: Evidence
    source: Source
    added_by: str | None


def evidence_for(session: Session, claim_id: int) -> list[EvidenceView]:
    rows = session.execute(
        sa.select(Evidence, Source, User.username)
        .join(Source, Evidence.source_id == Source.id)
        .outerjoin(User, Evidence.created_by_id == User.id)
        .where(Evidence.claim_id == claim_id)
        .order_by(Evidence.created_at, Evidence.id)
    ).all()
    return [EvidenceView(evidence, source, name) for evidence, source, name in rows]


def evidence_balance(evidence: list[EvidenceView]) -> dict[Stance, int]:
    """How many sources support, conflict with and give context to the claim."""
    balance = dict.fromkeys(Stance, 0)
    for view in evidence:
        balance[view.evidence.stance] += 1
    return balance


# --- History -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    actor: str | None


def claim_history(session: Session, claim_id: int) -> list[HistoryEntry]:
    """Every recorded change to the claim, its evidence and its duplicate suggestions, oldest
    first."""
    suggestions = sa.select(DuplicateSuggestion.id).where(
        sa.or_(
            DuplicateSuggestion.claim_id == claim_id, DuplicateSuggestion.candidate_id == claim_id
        )
    )
    rows = session.execute(
        sa.select(AuditEvent, User.username)
        .outerjoin(User, AuditEvent.actor_id == User.id)
        .where(
            sa.or_(
                sa.and_(AuditEvent.entity_type == "claim", AuditEvent.entity_id == claim_id),
                sa.and_(
                    AuditEvent.entity_type == "suggestion", AuditEvent.entity_id.in_(suggestions)
                ),
            )
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    return [HistoryEntry(event, name) for event, name in rows]


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.username).where(User.id.in_(wanted))).all())


def editors(session: Session) -> list[User]:
    """Active people who can take claims, for the queue's assignee filter."""
    return list(
        session.exec(
            select(User)
            .where(User.is_active, User.role.in_([Role.EDITOR, Role.ADMIN]))
            .order_by(User.username)
        ).all()
    )
