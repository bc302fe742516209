"""What an editor does with a duplicate suggestion: confirm it, reject it, or undo a confirmation.

Confirmed duplicates form a cluster with one canonical claim; a claim in a cluster shows the
canonical claim's approved verdict as inherited until it gets its own. Confirming resolves the
repeat: a claim still open becomes `resolved` ("repeat of #N") and leaves the queue; undo puts
back the status it had. Every change is an AuditEvent whose
`before` holds what undo needs, so a merge can be taken back exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.alerts import rules as alert_rules
from workbench.audit import record
from workbench.errors import Conflict, NotFound
from workbench.matching.aliases import load_aliases
from workbench.matching.facts import FactComparison, compare_texts
from workbench.matching.similar import SUGGESTION_METHOD, Suggested
from workbench.models import (
    OPEN_STATUSES,
    Article,
    AuditEvent,
    Claim,
    ClaimStatus,
    Cluster,
    DuplicateSuggestion,
    SuggestionKind,
    SuggestionState,
    Verdict,
    utcnow,
)
from workbench.review.priority import add_repeats, recount_repeats


class SuggestionNotFound(NotFound):
    pass


class SuggestionAlreadyDecided(Conflict):
    """Someone decided this suggestion already; the page the editor saw is out of date."""

    code = "already_decided"


class UndoOutOfOrder(SuggestionAlreadyDecided):
    """A later confirmation built on this one; it has to be undone first."""


class VariantNeedsOverride(Conflict):
    """A variant states another fact: confirming it as the same claim takes an explicit override,
    or the claim would inherit a verdict it never earned."""

    code = "variant_needs_override"


def record_suggestions(session: Session, suggestions: Sequence[Suggested]) -> None:
    """Store new suggestions as pending pairs (in the caller's transaction), counted into both
    claims' repeats and priority: ingest's writes for what matching found."""
    if not suggestions:
        return
    now = utcnow()
    session.execute(
        sa.insert(DuplicateSuggestion.__table__),
        [
            {
                "claim_id": s.claim_id,
                "candidate_id": s.candidate_id,
                "score": s.score,
                "method": SUGGESTION_METHOD,
                "kind": s.kind.value,
                "state": SuggestionState.PENDING.value,
                "created_at": now,
            }
            for s in suggestions
        ],
    )
    add_repeats(session, Counter(i for s in suggestions for i in (s.claim_id, s.candidate_id)))


def get_suggestion(session: Session, suggestion_id: int) -> DuplicateSuggestion:
    suggestion = session.get(DuplicateSuggestion, suggestion_id)
    if suggestion is None:
        raise SuggestionNotFound(suggestion_id)
    return suggestion


def _pending(session: Session, suggestion_id: int) -> DuplicateSuggestion:
    suggestion = get_suggestion(session, suggestion_id)
    if suggestion.state != SuggestionState.PENDING:
        raise SuggestionAlreadyDecided(
            f"This suggestion was already {suggestion.state.value}; reload the page to see it."
        )
    return suggestion


def confirm(
    session: Session, suggestion_id: int, actor_id: int | None, *, override: bool = False
) -> Cluster:
    """The two claims are the same claim: put them (and their clusters) in one cluster.

    A variant (a fact differs) is confirmed only with `override`: the editor says the difference
    does not matter (a typo, a rounding), and the history records that they said so.
    """
    suggestion = _pending(session, suggestion_id)
    claim = session.get(Claim, suggestion.claim_id)
    other = session.get(Claim, suggestion.candidate_id)
    assert claim is not None and other is not None  # foreign keys
    changed = None
    if suggestion.kind == SuggestionKind.VARIANT:
        changed = (
            compare_texts(
                claim.text,
                claim.normalized_text,
                other.text,
                other.normalized_text,
                load_aliases(session),
            ).summary()
            or "a fact differs"
        )
        if not override:
            raise VariantNeedsOverride(
                f"These claims state different facts ({changed}). Confirm them as the same "
                "claim only with the override, if the difference does not change the claim."
            )

    target = _cluster_to_keep(session, claim, other)
    moved: dict[str, int | None] = {}
    for member in _members_to_move(session, target, claim, other):
        moved[str(member.id)] = member.cluster_id
        _move(session, member, target.id)
    emptied = _delete_empty_clusters(session, {c for c in moved.values() if c is not None}, target)
    resolved = _resolve(session, target, [int(i) for i in moved], actor_id)

    _decide(session, suggestion, SuggestionState.CONFIRMED, actor_id)
    record(
        session,
        actor_id,
        "duplicate.confirm",
        "suggestion",
        suggestion.id,
        before={
            "state": "pending",
            "clusters": moved,
            "deleted_clusters": emptied,
            "resolved": resolved,
        },
        after={"state": "confirmed", "cluster": target.id}
        | ({"override": f"variant confirmed although {changed}"} if changed else {}),
    )
    alert_rules.raise_for_confirm(session, target, [int(i) for i in moved], suggestion.score)
    session.flush()
    return target


def _resolve(
    session: Session, cluster: Cluster, moved: list[int], actor_id: int | None
) -> dict[str, str]:
    """The claims that joined the cluster as repeats and were still open leave the queue:
    resolved, "repeat of #N", carrying the canonical claim's published verdict. Returns each
    one's status before, which undo puts back.

    The canonical claim stays as it is (it is the one to check). So does a claim with a
    verdict of its own (it was checked on its own; its verdict stays its own) and a dismissed
    one. Whoever held a resolved claim keeps it: they are told when the verdict it carries
    changes (alerts.rules)."""
    resolved: dict[str, str] = {}
    for claim_id in moved:
        claim = session.get(Claim, claim_id)
        if claim is None or claim.id == cluster.canonical_claim_id:
            continue
        if claim.status not in OPEN_STATUSES:
            continue
        before = claim.status.value
        claim.status_before = before
        claim.status = ClaimStatus.RESOLVED
        session.add(claim)
        record(
            session,
            actor_id,
            "claim.resolve",
            "claim",
            claim.id,
            before={"status": before},
            after={"status": "resolved", "repeat_of": cluster.canonical_claim_id},
        )
        resolved[str(claim.id)] = before
    return resolved


def _unresolve(session: Session, resolved: dict[str, str], actor_id: int | None) -> None:
    """Undo's half of `_resolve`: each claim is open again with the status it had."""
    for claim_id, before in resolved.items():
        claim = session.get(Claim, int(claim_id))
        if claim is None or claim.status != ClaimStatus.RESOLVED:
            continue  # changed since by someone else: their change stands
        claim.status = ClaimStatus(claim.status_before or before)
        claim.status_before = None
        session.add(claim)
        record(
            session,
            actor_id,
            "claim.unresolve",
            "claim",
            claim.id,
            before={"status": "resolved"},
            after={"status": claim.status.value},
        )


def _move(session: Session, claim: Claim, cluster_id: int | None) -> None:
    """Put a claim in a cluster (or none); its version says it changed, for optimistic locking."""
    claim.cluster_id = cluster_id
    claim.version += 1
    claim.updated_at = utcnow()
    session.add(claim)


def _decide(
    session: Session, suggestion: DuplicateSuggestion, state: SuggestionState, actor_id: int | None
) -> None:
    suggestion.state = state
    suggestion.decided_by_id = actor_id if state != SuggestionState.PENDING else None
    suggestion.decided_at = utcnow() if state != SuggestionState.PENDING else None
    session.add(suggestion)
    session.flush()
    recount_repeats(session, [suggestion.claim_id, suggestion.candidate_id])


def _cluster_to_keep(session: Session, claim: Claim, other: Claim) -> Cluster:
    """The cluster both claims end in: the one that has a verdict, else the older one, else new.

    A new cluster's canonical claim is the archived one (it was there first).
    """
    clusters = [
        session.get(Cluster, c) for c in (other.cluster_id, claim.cluster_id) if c is not None
    ]
    clusters = [c for c in clusters if c is not None]
    if clusters:
        return min(clusters, key=lambda c: (not _has_verdict(session, c), c.id or 0))
    cluster = Cluster(canonical_claim_id=other.id)
    session.add(cluster)
    session.flush()
    return cluster


def _has_verdict(session: Session, cluster: Cluster) -> bool:
    if cluster.canonical_claim_id is None:
        return False
    canonical = session.get(Claim, cluster.canonical_claim_id)
    return canonical is not None and alert_rules.is_published(canonical)


def _members_to_move(session: Session, target: Cluster, *claims: Claim) -> list[Claim]:
    """The claims themselves, and every member of a cluster that is merged into the target."""
    moving = {c.id: c for c in claims if c.cluster_id != target.id}
    merged = {c.cluster_id for c in claims if c.cluster_id not in (None, target.id)}
    if merged:
        for member in session.exec(select(Claim).where(Claim.cluster_id.in_(merged))).all():
            moving[member.id] = member
    return sorted(moving.values(), key=lambda c: c.id or 0)


def _member_count(session: Session, cluster_id: int) -> int:
    return session.exec(
        select(sa.func.count()).select_from(Claim).where(Claim.cluster_id == cluster_id)
    ).one()


def _delete_empty_clusters(
    session: Session, cluster_ids: set[int], keep: Cluster
) -> dict[str, int | None]:
    """Remove clusters a merge emptied; returns their canonical claims so undo can restore them."""
    deleted: dict[str, int | None] = {}
    session.flush()
    for cluster_id in cluster_ids - {keep.id}:
        left = _member_count(session, cluster_id)
        cluster = session.get(Cluster, cluster_id)
        if left == 0 and cluster is not None:
            deleted[str(cluster_id)] = cluster.canonical_claim_id
            session.delete(cluster)
    return deleted


def reject(session: Session, suggestion_id: int, actor_id: int | None) -> DuplicateSuggestion:
    """Not the same claim: the pair is never suggested again."""
    suggestion = _pending(session, suggestion_id)
    _decide(session, suggestion, SuggestionState.REJECTED, actor_id)
    record(
        session,
        actor_id,
        "duplicate.reject",
        "suggestion",
        suggestion.id,
        before={"state": "pending"},
        after={"state": "rejected"},
    )
    session.flush()
    return suggestion


def undo(session: Session, suggestion_id: int, actor_id: int | None) -> DuplicateSuggestion:
    """Take back a confirmation or rejection; a confirmation's cluster moves are reversed."""
    suggestion = get_suggestion(session, suggestion_id)
    if suggestion.state == SuggestionState.PENDING:
        raise SuggestionAlreadyDecided("This suggestion is not decided; there is nothing to undo.")
    decision = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "suggestion",
            AuditEvent.entity_id == suggestion.id,
            AuditEvent.action.in_(["duplicate.confirm", "duplicate.reject"]),
        )
        .order_by(AuditEvent.id.desc())
    ).first()
    undone_state = suggestion.state.value
    if suggestion.state == SuggestionState.CONFIRMED and decision is not None:
        later = _later_confirmations(session, suggestion, decision)
        if later:
            raise UndoOutOfOrder(
                "Later confirmations changed this cluster since; undo those first "
                f"(suggestion {', '.join(f'#{i}' for i in later)})."
            )
        _reverse_moves(session, decision.before or {})
        _unresolve(session, (decision.before or {}).get("resolved") or {}, actor_id)
    _decide(session, suggestion, SuggestionState.PENDING, None)
    record(
        session,
        actor_id,
        "duplicate.undo",
        "suggestion",
        suggestion.id,
        before={"state": undone_state},
        after={"state": "pending"},
    )
    session.flush()
    return suggestion


def _later_confirmations(
    session: Session, suggestion: DuplicateSuggestion, decision: AuditEvent
) -> list[int]:
    """Confirmed suggestions decided after this one that touch its cluster.

    Undo replays the cluster as it was before this confirmation; with later merges on top that
    would break them (a canonical claim outside its cluster), so undo goes in reverse order.
    """
    cluster_id = (decision.after or {}).get("cluster")
    members = session.exec(select(Claim.id).where(Claim.cluster_id == cluster_id)).all()
    if not members:
        return []
    others = session.exec(
        select(DuplicateSuggestion.id).where(
            DuplicateSuggestion.id != suggestion.id,
            DuplicateSuggestion.state == SuggestionState.CONFIRMED,
            sa.or_(
                DuplicateSuggestion.claim_id.in_(members),
                DuplicateSuggestion.candidate_id.in_(members),
            ),
        )
    ).all()
    if not others:
        return []
    later = session.exec(
        select(AuditEvent.entity_id).where(
            AuditEvent.entity_type == "suggestion",
            AuditEvent.action == "duplicate.confirm",
            AuditEvent.entity_id.in_(others),
            AuditEvent.id > decision.id,
        )
    ).all()
    return sorted(set(later))


def _reverse_moves(session: Session, before: dict) -> None:
    # A merged-away cluster comes back under its old id, unless that id went to a new cluster
    # since (SQLite reuses the highest rowid once it is deleted): then under a fresh one.
    restored: dict[int, int] = {}
    for cluster_id, canonical in (before.get("deleted_clusters") or {}).items():
        old_id = int(cluster_id)
        taken = session.get(Cluster, old_id) is not None
        cluster = Cluster(id=None if taken else old_id, canonical_claim_id=canonical)
        session.add(cluster)
        session.flush()
        assert cluster.id is not None
        restored[old_id] = cluster.id
    touched: set[int] = set()
    for claim_id, cluster_id in (before.get("clusters") or {}).items():
        claim = session.get(Claim, int(claim_id))
        if claim is None:
            continue
        if claim.cluster_id is not None:
            touched.add(claim.cluster_id)
        _move(session, claim, restored.get(cluster_id, cluster_id) if cluster_id else None)
    session.flush()
    for cluster_id in touched:
        cluster = session.get(Cluster, cluster_id)
        left = _member_count(session, cluster_id)
        if cluster is not None and left < 2:
            # A cluster of one is no cluster; its last claim stands alone again.
            for member in session.exec(select(Claim).where(Claim.cluster_id == cluster_id)).all():
                _move(session, member, None)
            session.flush()
            session.delete(cluster)


# --- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveVerdict:
    verdict: Verdict | None
    inherited_from: Claim | None  # the canonical claim whose verdict this claim shows
    repeat_of: Claim | None = None  # the canonical claim of its cluster, when not itself


def effective_verdict(session: Session, claim: Claim) -> EffectiveVerdict:
    """The verdict the claim shows: its own once approved; else, in a cluster, the canonical
    claim's approved verdict, marked as inherited. A draft or sent-back verdict is nobody's:
    it is not shown as checked, on the claim or on its repeats."""
    canonical = None
    if claim.cluster_id is not None:
        cluster = session.get(Cluster, claim.cluster_id)
        if cluster is not None and cluster.canonical_claim_id not in (None, claim.id):
            canonical = session.get(Claim, cluster.canonical_claim_id)
    if alert_rules.is_published(claim):
        return EffectiveVerdict(claim.verdict, None, canonical)
    if canonical is None or not alert_rules.is_published(canonical):
        return EffectiveVerdict(None, None, canonical)
    return EffectiveVerdict(canonical.verdict, canonical, canonical)


@dataclass(frozen=True)
class SuggestionView:
    """One suggestion from the point of view of a claim: the other claim and its article."""

    suggestion: DuplicateSuggestion
    other: Claim
    other_article: Article
    facts: FactComparison  # this claim's facts against the other's

    @property
    def variant(self) -> bool:
        return self.suggestion.kind == SuggestionKind.VARIANT


def suggestions_for(session: Session, claim: Claim) -> list[SuggestionView]:
    """Suggestions in both directions (this claim repeats another, or is repeated), best first."""
    rows = session.exec(
        select(DuplicateSuggestion).where(
            sa.or_(
                DuplicateSuggestion.claim_id == claim.id,
                DuplicateSuggestion.candidate_id == claim.id,
            )
        )
    ).all()
    views = []
    # Only a variant shows what differs; its facts are compared here, the others' need not be.
    aliases = load_aliases(session) if any(s.kind == SuggestionKind.VARIANT for s in rows) else None
    for suggestion in rows:
        other_id = (
            suggestion.candidate_id if suggestion.claim_id == claim.id else suggestion.claim_id
        )
        other = session.get(Claim, other_id)
        if other is None:
            continue
        article = session.get(Article, other.article_id)
        assert article is not None
        facts = FactComparison()
        if aliases is not None and suggestion.kind == SuggestionKind.VARIANT:
            facts = compare_texts(
                claim.text, claim.normalized_text, other.text, other.normalized_text, aliases
            )
        views.append(SuggestionView(suggestion, other, article, facts))
    order = {SuggestionState.PENDING: 0, SuggestionState.CONFIRMED: 1, SuggestionState.REJECTED: 2}
    views.sort(key=lambda v: (order[v.suggestion.state], -v.suggestion.score, v.other.id))
    return views


def cluster_members(session: Session, claim: Claim) -> list[tuple[Claim, Article]]:
    if claim.cluster_id is None:
        return []
    statement = (
        select(Claim, Article)
        .join(Article, Claim.article_id == Article.id)
        .where(Claim.cluster_id == claim.cluster_id)
        .order_by(Claim.id)
    )
    return [(c, a) for c, a in session.exec(statement).all()]


def pending_counts(session: Session, claim_ids: list[int]) -> dict[int, int]:
    """Pending suggestions per claim, for the queue."""
    if not claim_ids:
        return {}
    rows = session.execute(
        sa.select(DuplicateSuggestion.claim_id, sa.func.count())
        .where(
            DuplicateSuggestion.claim_id.in_(claim_ids),
            DuplicateSuggestion.state == SuggestionState.PENDING,
        )
        .group_by(DuplicateSuggestion.claim_id)
    )
    return {claim_id: count for claim_id, count in rows}
