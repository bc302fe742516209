"""Triage: setting aside what is not worth checking, and acting on many claims at once.

An editor dismisses a claim with a reason (not a claim, an opinion, not checkable, out of scope):
it leaves the open queue and ClaimReview but stays in the archive, and restoring it puts it back
with the status it had. In the queue an editor selects rows and dismisses, assigns, takes or
releases them in one go; each claim is checked against the version its row showed, in a savepoint
of its own, so one claim changed meanwhile is refused while the others go through, and the result
says which and why.

Who may do what in a bulk action (the single-claim pages keep their own rules):
- viewers may do none of it; editors and admins may dismiss, take, release and assign;
- a claim someone else holds is left to them: an editor's bulk take, assign or release refuses
  it as "not allowed" (taking over one claim is still a deliberate click on its own page); an
  admin, who runs the desk, may reassign or release anyone's claims in bulk;
- a dismissed claim or a resolved repeat is not taken or assigned (restore it first), and a claim
  with a verdict is not dismissed (reopen it first).

Like every domain function here, nothing commits: the request's unit of work does, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from workbench.audit import record
from workbench.errors import Conflict, Refused
from workbench.models import (
    OPEN_STATUSES,
    Claim,
    ClaimStatus,
    DismissReason,
    Role,
    User,
)
from workbench.review import verdicts
from workbench.review.verdicts import ClaimNotFound, StaleEdit

# The most claims one bulk action takes: two queue pages' worth, so a request stays short.
BULK_MAX = 100

REASON_LABELS = {
    DismissReason.NOT_A_CLAIM: "not a claim",
    DismissReason.OPINION: "opinion",
    DismissReason.NOT_CHECKABLE: "not checkable",
    DismissReason.OUT_OF_SCOPE: "out of scope",
}

_TRIAGE_FIELDS = ("status", "dismiss_reason", "status_before")


class TriageError(Refused, ValueError):
    """A triage request that cannot be carried out as asked; the message says what to change."""


class NotAllowed(TriageError):
    """The person may not do this to this claim."""

    code = "not_allowed"


class WrongState(Conflict):
    """The claim is not in a state the action applies to (already dismissed, has a verdict...).
    `short` says it in a few words, for a bulk action's list of refusals."""

    code = "wrong_state"

    def __init__(self, message: str, short: str | None = None) -> None:
        super().__init__(message)
        self.short = short or message


class BulkAction(StrEnum):
    DISMISS = "dismiss"
    ASSIGN = "assign"
    TAKE = "take"
    RELEASE = "release"


def reason_label(reason: str | None) -> str:
    """A dismissal reason in words, for pages and messages."""
    try:
        return REASON_LABELS[DismissReason(reason)]
    except ValueError:
        return (reason or "").replace("_", " ")


def parse_reason(reason: DismissReason | str | None) -> DismissReason:
    try:
        return DismissReason(reason)
    except ValueError:
        choices = ", ".join(REASON_LABELS.values())
        raise TriageError(f"Choose why the claim is dismissed: {choices}.") from None


# --- One claim -----------------------------------------------------------------------------------


def dismiss(
    session: Session,
    claim_id: int,
    actor_id: int,
    version: int | None,
    reason: DismissReason | str | None,
) -> Claim:
    """Set the claim aside with a reason: it leaves the open queue, remembering its status so
    restoring puts it back. Its assignee, evidence and suggestions stay as they are."""
    why = parse_reason(reason)
    claim = verdicts.editable(session, claim_id, version)
    _check_dismissable(claim)
    before = verdicts.audit_values(claim, *_TRIAGE_FIELDS)
    claim.status_before = ClaimStatus(claim.status).value
    claim.status = ClaimStatus.DISMISSED
    claim.dismiss_reason = why.value
    record(
        session,
        actor_id,
        "claim.dismiss",
        "claim",
        claim.id,
        before=before,
        after=verdicts.audit_values(claim, *_TRIAGE_FIELDS),
    )
    return verdicts.save_change(session, claim, actor_id)


def restore(session: Session, claim_id: int, actor_id: int, version: int | None) -> Claim:
    """Bring a dismissed claim back with the status it had (new, if that is not known)."""
    claim = verdicts.editable(session, claim_id, version)
    if claim.status != ClaimStatus.DISMISSED:
        raise WrongState("This claim is not dismissed, so there is nothing to restore.")
    before = verdicts.audit_values(claim, *_TRIAGE_FIELDS)
    claim.status = _status_to_restore(claim.status_before)
    claim.dismiss_reason = None
    claim.status_before = None
    record(
        session,
        actor_id,
        "claim.restore",
        "claim",
        claim.id,
        before=before,
        after=verdicts.audit_values(claim, *_TRIAGE_FIELDS),
    )
    return verdicts.save_change(session, claim, actor_id)


def _status_to_restore(before: str | None) -> ClaimStatus:
    # Only a status a claim can be dismissed from comes back; anything else starts over as new.
    return ClaimStatus(before) if before in OPEN_STATUSES else ClaimStatus.NEW


_NOT_DISMISSABLE = {
    ClaimStatus.DISMISSED: ("This claim is already dismissed.", "already dismissed"),
    ClaimStatus.VERDICT: (
        "This claim has a verdict: reopen it before dismissing it.",
        "has a verdict (reopen it first)",
    ),
    ClaimStatus.RESOLVED: (
        "This claim is resolved as a repeat: undo that before dismissing it.",
        "resolved as a repeat",
    ),
}


def _check_dismissable(claim: Claim) -> None:
    if claim.status in _NOT_DISMISSABLE:
        raise WrongState(*_NOT_DISMISSABLE[ClaimStatus(claim.status)])


def assign(
    session: Session, claim_id: int, actor_id: int, version: int | None, assignee_id: int
) -> Claim:
    """Give the claim to an editor (a new claim goes into review), as taking it does for oneself."""
    if assignee_id == actor_id:
        return verdicts.take(session, claim_id, actor_id, version)
    assignee = _editor(session, assignee_id)
    claim = verdicts.editable(session, claim_id, version)
    verdicts.hand_to(session, claim, assignee.id, actor_id, "claim.assign")  # type: ignore[arg-type]
    return verdicts.save_change(session, claim, actor_id)


def _editor(session: Session, user_id: int | None) -> User:
    person = session.get(User, user_id) if user_id is not None else None
    if person is None or not person.is_active or not person.role >= Role.EDITOR:
        raise TriageError("Choose an editor to assign the claims to.")
    return person


# --- Many claims ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    claim_id: int
    reason: str  # in words: "changed meanwhile (reload it)", "not allowed: alice has it", ...
    code: str  # stale_version, not_allowed, not_found, wrong_state


@dataclass
class BulkResult:
    action: BulkAction
    done: list[int] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    def summary(self) -> str:
        """What was done and what was refused and why, as one sentence for the flash."""
        done = len(self.done)
        parts = [f"{done} {_PAST[self.action]}" if done else f"Nothing {_PAST[self.action]}"]
        if self.refused:
            reasons = ", ".join(f"#{r.claim_id} {r.reason}" for r in self.refused)
            parts.append(f"{len(self.refused)} refused: {reasons}")
        return "; ".join(parts) + "."


_PAST = {
    BulkAction.DISMISS: "dismissed",
    BulkAction.ASSIGN: "assigned",
    BulkAction.TAKE: "taken",
    BulkAction.RELEASE: "released",
}


def bulk(
    session: Session,
    user_id: int,
    action: BulkAction | str,
    claims: Iterable[tuple[int, int | None]],
    *,
    reason: DismissReason | str | None = None,
    assignee_id: int | None = None,
) -> BulkResult:
    """Do one action to each (claim id, version the person saw), each claim on its own: a claim
    that changed meanwhile, or that this person may not touch, is refused and the rest go through.

    A request that is wrong as a whole (no claims, an unknown action, no reason, nobody to assign
    to, a viewer) is refused before any claim is touched."""
    try:
        action = BulkAction(action)
    except ValueError:
        raise TriageError("Choose what to do with the selected claims.") from None
    actor = session.get(User, user_id)
    if actor is None or not actor.is_active or not actor.role >= Role.EDITOR:
        raise NotAllowed("Only editors can act on claims.")
    wanted = _distinct(claims)
    if not wanted:
        raise TriageError("Select at least one claim first.")
    if len(wanted) > BULK_MAX:
        raise TriageError(f"Select at most {BULK_MAX} claims at a time.")
    why = parse_reason(reason) if action == BulkAction.DISMISS else None
    assignee = _editor(session, assignee_id) if action == BulkAction.ASSIGN else None

    result = BulkResult(action)
    names: dict[int, str] = {}
    for claim_id, version in wanted:
        try:
            with session.begin_nested():  # a refused claim undoes its own change only
                _one(session, actor, action, claim_id, version, why, assignee, names)
        except StaleEdit:
            result.refused.append(
                Refusal(claim_id, "changed meanwhile (reload it)", StaleEdit.code)
            )
        except ClaimNotFound:
            result.refused.append(Refusal(claim_id, "not found", "not_found"))
        except NotAllowed as exc:
            result.refused.append(Refusal(claim_id, str(exc), exc.code))
        except WrongState as exc:
            result.refused.append(Refusal(claim_id, exc.short, exc.code))
        else:
            result.done.append(claim_id)
    return result


def _distinct(claims: Iterable[tuple[int, int | None]]) -> list[tuple[int, int | None]]:
    seen: dict[int, int | None] = {}
    for claim_id, version in claims:
        seen.setdefault(claim_id, version)
    return list(seen.items())


def _one(
    session: Session,
    actor: User,
    action: BulkAction,
    claim_id: int,
    version: int | None,
    why: DismissReason | None,
    assignee: User | None,
    names: dict[int, str],
) -> Any:
    if action == BulkAction.DISMISS:
        return dismiss(session, claim_id, actor.id, version, why)
    claim = verdicts.editable(session, claim_id, version)
    if claim.status not in (*OPEN_STATUSES, ClaimStatus.VERDICT) and action != BulkAction.RELEASE:
        gone = "resolved as a repeat" if claim.status == ClaimStatus.RESOLVED else "dismissed"
        raise WrongState(f"{gone} (restore it first)")
    holder = claim.assignee_id
    target = assignee.id if assignee is not None else actor.id
    if action == BulkAction.RELEASE:
        if holder is None:
            raise WrongState("nobody has it")
        others = holder != actor.id
    else:
        others = holder not in (None, actor.id, target)
        if holder == target:
            who = "you have" if holder == actor.id else f"{_name(session, holder, names)} has"
            raise WrongState(f"{who} it already")
    if others and not actor.role >= Role.ADMIN:
        raise NotAllowed(f"not allowed: {_name(session, holder, names)} has it")
    if action == BulkAction.TAKE:
        return verdicts.take(session, claim_id, actor.id, version)
    if action == BulkAction.RELEASE:
        return verdicts.release(session, claim_id, actor.id, version)
    return assign(session, claim_id, actor.id, version, target)


def _name(session: Session, user_id: int | None, names: dict[int, str]) -> str:
    if user_id is None:
        return "nobody"
    if user_id not in names:
        names.update(verdicts.usernames(session, {user_id}))
    return names.get(user_id, "someone else")
