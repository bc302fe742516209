"""Duplicate-claim alerts: when a claim comes back that was already checked, or is being checked,
editors learn at once.

The rules, and what they are called from:

- Ingest (`raise_for_suggestions`, from `intake.storing.store_article`): a new claim suggested as a
  duplicate of a claim with a verdict (its own, or its cluster's as `duplicates.effective_verdict`
  reads it) raises `previously_checked`; of a claim in review, `being_checked`. Matches are keyed by
  cluster (`cluster:<id>`) or, outside clusters, by claim (`claim:<id>`), so a claim repeating three
  members of one cluster gets one alert, and the strongest one: a verdict beats a review, then the
  best score.
- Confirm (`raise_for_confirm`, from `duplicates.confirm`): claims that move into a cluster whose
  canonical claim has a verdict, and have none of their own, now show that verdict as inherited;
  each gets `verdict_reached`.
- Verdict (`raise_for_verdict`, from `review.set_verdict`): the cluster's "pending members" are told
  with `verdict_reached`. We count as pending: the cluster's members without a verdict of their own
  (only when the claim is the cluster's canonical claim, since only its verdict is inherited), and
  the claims, outside the cluster, with a pending duplicate suggestion to the claim or to any of
  those members (an editor has not decided yet whether they repeat it).

"Updated" means: the claim now shows the verdict (inherited, computed from its cluster on every
read, so a reopened verdict is never left behind as a stale copy); its own status, verdict and
version are left alone, because whether it repeats the checked claim exactly is still an editor's
call. Verdict alerts are keyed `verdict:<claim id>:<verdict>`: a claim hears once about each
verdict a claim reaches, and again only if that verdict changes.

"Checked" means an approved verdict, everywhere here: a draft or a verdict sent back (sign-off,
see review.verdicts) is read as no verdict (`published`), so it never raises `previously_checked`,
is never inherited and never reaches a webhook. The verdict rule runs when a verdict is approved.

Holders of repeats: a cluster member someone holds (a confirmed repeat keeps its holder) hears of
every change to the verdict it carries, keyed `follow:<canonical id>:v<version>`: each approved
verdict, and each time it is taken back (`raise_for_withdrawn`, from `review.reopen`, or a
published verdict replaced by a draft), as `verdict_reached` with no verdict and a note that says
so. Members nobody holds keep the once-per-verdict key.

Every alert is unique on (claim, match key), inserted with ON CONFLICT DO NOTHING, so an alert is
never raised twice, however often or concurrently a rule fires. In the same transaction each new
alert gets one outbox row per active webhook (see delivery.py), so no alert is ever committed
without its deliveries.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from workbench import shapes
from workbench.audit import record
from workbench.errors import NotFound
from workbench.models import (
    Alert,
    AlertKind,
    AlertState,
    Article,
    Claim,
    ClaimStatus,
    Cluster,
    Delivery,
    DeliveryState,
    DuplicateSuggestion,
    SuggestionKind,
    SuggestionState,
    User,
    Verdict,
    VerdictState,
    Webhook,
    utcnow,
)

PAGE_SIZE = 50


class AlertNotFound(NotFound):
    pass


# --- Raising alerts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """What a suggested claim tells about a new claim that repeats it."""

    id: int
    status: ClaimStatus
    verdict: Verdict | None  # effective: its own, else its cluster's canonical claim's
    cluster_id: int | None

    @property
    def key(self) -> str:
        return f"cluster:{self.cluster_id}" if self.cluster_id else f"claim:{self.id}"

    @property
    def kind(self) -> AlertKind | None:
        if self.verdict is not None:
            return AlertKind.PREVIOUSLY_CHECKED
        if self.status == ClaimStatus.IN_REVIEW:
            return AlertKind.BEING_CHECKED
        return None


def _targets(session: Session, ids: Iterable[int]) -> dict[int, _Target]:
    """One query for all the suggested claims, with the verdict their cluster gives them."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    canonical = aliased(Claim)
    rows = session.execute(
        sa.select(
            Claim.id,
            Claim.status,
            published(Claim),
            Claim.cluster_id,
            published(canonical),
        )
        .outerjoin(Cluster, Claim.cluster_id == Cluster.id)
        .outerjoin(canonical, canonical.id == Cluster.canonical_claim_id)
        .where(Claim.id.in_(wanted))
    ).all()
    return {
        claim_id: _Target(
            claim_id, ClaimStatus(status), _verdict(own) or _verdict(inherited), cluster_id
        )
        for claim_id, status, own, cluster_id, inherited in rows
    }


def published(claim: Any) -> sa.ColumnElement[Any]:
    """The claim's verdict if it is approved, else NULL: the one column that says "checked".
    A draft or sent-back verdict is never a published one."""
    return sa.case((claim.verdict_state == VerdictState.APPROVED.value, claim.verdict), else_=None)


def is_published(claim: Claim) -> bool:
    return claim.verdict is not None and claim.verdict_state == VerdictState.APPROVED


def _unpublished(claim: Any) -> sa.ColumnElement[bool]:
    """No approved verdict of its own (none, or a draft, or one sent back)."""
    return sa.or_(
        claim.verdict.is_(None),
        claim.verdict_state.is_(None),
        claim.verdict_state != VerdictState.APPROVED.value,
    )


def _verdict(value: Any) -> Verdict | None:
    return Verdict(value) if value is not None else None


def raise_for_suggestions(session: Session, suggestions: Sequence[Any]) -> list[int]:
    """Alerts for new claims suggested as repeats of checked or in-review claims, or as variants
    of checked claims (the caller's transaction). `suggestions` are `similar.Suggested` rows
    (claim_id, candidate_id, score, kind, changed); returns new alert ids."""
    if not suggestions:
        return []
    targets = _targets(session, (s[1] for s in suggestions))
    best: dict[tuple[int, str], dict[str, Any]] = {}
    for suggestion in suggestions:
        claim_id, candidate_id, score = suggestion[:3]
        target = targets.get(candidate_id)
        if target is None:
            continue
        variant = getattr(suggestion, "kind", SuggestionKind.DUPLICATE) == SuggestionKind.VARIANT
        if variant:
            # A changed fact makes another claim: never "previously checked", and only worth an
            # alert when the claim it varies was checked (a mutated copy of a checked claim).
            if target.verdict is None:
                continue
            kind, key = AlertKind.VARIANT_OF_CHECKED, f"variant:{target.key}"
            note = (
                f"Same wording as checked claim #{candidate_id} ({target.verdict.value}), but "
                f"a fact differs: {suggestion.changed}. Check it as a new claim."
            )
        else:
            kind, key, note = target.kind, target.key, None
            if kind is None:
                continue
        row = {
            "kind": kind,
            "claim_id": claim_id,
            "matched_claim_id": candidate_id,
            "match_key": key,
            "score": score,
            "verdict": target.verdict,
            "note": note,
        }
        rank = (kind == AlertKind.PREVIOUSLY_CHECKED, score, -candidate_id)
        held = best.get((claim_id, key))
        if held is None or rank > held["rank"]:
            best[(claim_id, key)] = {**row, "rank": rank}
    # A claim that repeats one member of a cluster and varies another (an editor confirmed a
    # variant into it with the override) hears once about that cluster: the repeat wins, since
    # the editor has said the cluster's claims are one claim.
    repeated = {(claim_id, key) for claim_id, key in best if not key.startswith("variant:")}
    rows = [
        {k: v for k, v in row.items() if k != "rank"}
        for (claim_id, key), row in best.items()
        if not (key.startswith("variant:") and (claim_id, key.removeprefix("variant:")) in repeated)
    ]
    return _add(session, sorted(rows, key=lambda r: (r["claim_id"], r["match_key"])))


def raise_for_confirm(
    session: Session, cluster: Cluster, moved: Iterable[int], score: float
) -> list[int]:
    """After a confirmation: claims that moved into a cluster with a verdict now show it."""
    canonical = (
        session.get(Claim, cluster.canonical_claim_id) if cluster.canonical_claim_id else None
    )
    if canonical is None or not is_published(canonical):
        return []
    ids = sorted(set(moved) - {canonical.id})
    if not ids:
        return []
    own = dict(
        session.execute(sa.select(Claim.id, published(Claim)).where(Claim.id.in_(ids))).all()
    )
    verdict = canonical.verdict
    assert verdict is not None
    rows = [
        {
            "kind": AlertKind.VERDICT_REACHED,
            "claim_id": claim_id,
            "matched_claim_id": canonical.id,
            "match_key": _verdict_key(canonical.id, verdict),
            "score": score,
            "verdict": verdict,
            "note": (
                f"Confirmed as a repeat of claim #{canonical.id}: this claim now shows its "
                f"verdict, {verdict.value}, as inherited."
            ),
        }
        for claim_id in ids
        if own.get(claim_id) is None
    ]
    return _add(session, rows)


def raise_for_verdict(session: Session, claim: Claim) -> list[int]:
    """After a verdict on `claim` is approved: tell its cluster's pending members (see the
    module docstring). A draft tells no one."""
    verdict = claim.verdict
    if verdict is None or not is_published(claim):
        return []
    members: list[int] = []
    held: dict[int, int] = {}
    cluster = session.get(Cluster, claim.cluster_id) if claim.cluster_id else None
    if cluster is not None and cluster.canonical_claim_id == claim.id:
        for member, holder in session.execute(
            sa.select(Claim.id, Claim.assignee_id).where(
                Claim.cluster_id == cluster.id, Claim.id != claim.id, _unpublished(Claim)
            )
        ).all():
            members.append(member)
            if holder is not None:
                held[member] = holder
    in_cluster = (
        set(session.exec(select(Claim.id).where(Claim.cluster_id == cluster.id)).all())
        if cluster is not None
        else set()
    ) | {claim.id}
    matched = (
        [claim.id, *members] if cluster and cluster.canonical_claim_id == claim.id else [claim.id]
    )
    suggested: dict[int, float] = {}
    for one, other, score in session.execute(
        sa.select(
            DuplicateSuggestion.claim_id,
            DuplicateSuggestion.candidate_id,
            DuplicateSuggestion.score,
        ).where(
            DuplicateSuggestion.state == SuggestionState.PENDING,
            # A verdict is never inherited across a variant: its claim is another claim.
            DuplicateSuggestion.kind == SuggestionKind.DUPLICATE,
            sa.or_(
                DuplicateSuggestion.claim_id.in_(matched),
                DuplicateSuggestion.candidate_id.in_(matched),
            ),
        )
    ).all():
        waiting = other if one in matched else one
        if waiting not in in_cluster:
            suggested[waiting] = max(score, suggested.get(waiting, 0.0))
    if suggested:
        with_verdict = set(
            session.exec(
                select(Claim.id).where(Claim.id.in_(suggested), sa.not_(_unpublished(Claim)))
            ).all()
        )
        suggested = {i: s for i, s in suggested.items() if i not in with_verdict}

    key = _verdict_key(claim.id, verdict)
    names = _usernames(session, set(held.values()))
    rows = [
        {
            "kind": AlertKind.VERDICT_REACHED,
            "claim_id": member,
            "matched_claim_id": claim.id,
            # A member someone holds hears of every change to the verdict it carries.
            "match_key": _follow_key(claim) if member in held else key,
            "score": None,
            "verdict": verdict,
            "note": (
                f"Claim #{claim.id}, the checked claim of this claim's cluster, got the verdict "
                f"{verdict.value}; this claim now shows it as inherited."
                + _held_note(names, held.get(member))
            ),
        }
        for member in sorted(members)
    ] + [
        {
            "kind": AlertKind.VERDICT_REACHED,
            "claim_id": waiting,
            "matched_claim_id": claim.id,
            "match_key": key,
            "score": score,
            "verdict": verdict,
            "note": (
                f"Claim #{claim.id} got the verdict {verdict.value}; this claim may repeat it or "
                "a claim of its cluster (the suggestion is still open)."
            ),
        }
        for waiting, score in sorted(suggested.items())
    ]
    return _add(session, rows)


def raise_for_withdrawn(session: Session, claim: Claim) -> list[int]:
    """After `claim`'s published verdict is taken back (reopened, or replaced by a draft that
    awaits sign-off): the members of its cluster that someone holds now show no verdict, and
    their holders are told. Members nobody holds follow silently (the verdict is read, never
    copied), and hear again when a verdict is published."""
    cluster = session.get(Cluster, claim.cluster_id) if claim.cluster_id else None
    if cluster is None or cluster.canonical_claim_id != claim.id:
        return []
    held = dict(
        session.execute(
            sa.select(Claim.id, Claim.assignee_id).where(
                Claim.cluster_id == cluster.id,
                Claim.id != claim.id,
                Claim.assignee_id.is_not(None),
                _unpublished(Claim),
            )
        ).all()
    )
    names = _usernames(session, set(held.values()))
    rows = [
        {
            "kind": AlertKind.VERDICT_REACHED,
            "claim_id": member,
            "matched_claim_id": claim.id,
            "match_key": _follow_key(claim),
            "score": None,
            "verdict": None,
            "note": (
                f"The verdict of claim #{claim.id}, which this claim repeats, was taken back; "
                "this claim shows no verdict until it has one again." + _held_note(names, holder)
            ),
        }
        for member, holder in sorted(held.items())
    ]
    return _add(session, rows)


def _verdict_key(claim_id: int | None, verdict: Verdict) -> str:
    return f"verdict:{claim_id}:{verdict.value}"


def _follow_key(claim: Claim) -> str:
    """Unique to each change of the canonical claim (its version moves with every change), so a
    member's holder hears of each one: a verdict, its withdrawal, the same verdict again."""
    return f"follow:{claim.id}:v{claim.version}"


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all())


def _held_note(names: dict[int, str], holder: int | None) -> str:
    if holder is None:
        return ""
    return f" {names.get(holder, 'Someone')} holds this claim."


def _add(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the alerts that are new, and their outbox rows; returns the new alerts' ids."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    created: list[int] = []
    for row in rows:
        statement = (
            insert(Alert.__table__)  # type: ignore[attr-defined]
            .values(**row, state=AlertState.UNREAD, created_at=now)
            .on_conflict_do_nothing(index_elements=["claim_id", "match_key"])
            .returning(Alert.__table__.c.id)  # type: ignore[attr-defined]
        )
        alert_id = session.execute(statement).scalar()
        if alert_id is not None:
            created.append(alert_id)
    if created:
        enqueue(session, created)
    return created


def enqueue(session: Session, alert_ids: Sequence[int]) -> None:
    """One pending delivery per alert and active webhook, in the caller's transaction.

    Delivery ids follow alert ids, which is the order the worker sends them in.
    """
    hooks = session.exec(select(Webhook.id).where(Webhook.is_active)).all()
    if not hooks or not alert_ids:
        return
    now = utcnow()
    session.execute(
        sa.insert(Delivery),
        [
            {
                "alert_id": alert_id,
                "webhook_id": hook,
                "message_id": new_message_id(),
                "state": DeliveryState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for alert_id in sorted(alert_ids)
            for hook in hooks
        ],
    )


def new_message_id() -> str:
    """The webhook-id of a delivery: random, fixed for the delivery's life."""
    return "msg_" + secrets.token_urlsafe(18)


# --- The inbox -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFilters:
    kind: AlertKind | None = None
    state: AlertState | None = None

    @classmethod
    def parse(cls, kind: str | None, state: str | None) -> AlertFilters:
        """Unknown values are ignored rather than refused: a stale bookmark still shows alerts."""
        return cls(
            kind=AlertKind(kind) if kind in set(AlertKind) else None,
            state=AlertState(state) if state in set(AlertState) else None,
        )

    def as_query(self) -> dict[str, str]:
        return {
            name: value.value
            for name, value in (("kind", self.kind), ("state", self.state))
            if value
        }


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    claim: Claim
    article: Article
    matched: Claim
    matched_article: Article
    handled_by: str | None

    def shape(self) -> shapes.Alert:
        """The alert as other newsroom tools read it: the JSON API, the feed and webhooks."""
        return shapes.Alert.of(
            self.alert,
            shapes.ClaimRef.of(self.claim, self.article),
            shapes.ClaimRef.of(self.matched, self.matched_article),
        )


@dataclass(frozen=True)
class AlertPage:
    items: list[AlertView]
    next_before: int | None  # the `before` of the next (older) page, None on the last


def list_alerts(
    session: Session, filters: AlertFilters, *, before: int | None = None, limit: int = PAGE_SIZE
) -> AlertPage:
    """Alerts newest first, `limit` at a time; `before` is the id the previous page ended at."""
    statement = _views_query()
    if filters.kind is not None:
        statement = statement.where(Alert.kind == filters.kind)
    if filters.state is not None:
        statement = statement.where(Alert.state == filters.state)
    if before is not None:
        statement = statement.where(Alert.id < before)
    rows = session.execute(statement.order_by(Alert.id.desc()).limit(limit + 1)).all()
    items = [AlertView(*row) for row in rows[:limit]]
    more = len(rows) > limit
    return AlertPage(items=items, next_before=items[-1].alert.id if more and items else None)


def get_view(session: Session, alert_id: int) -> AlertView:
    row = session.execute(_views_query().where(Alert.id == alert_id)).first()
    if row is None:
        raise AlertNotFound(alert_id)
    return AlertView(*row)


_MATCHED, _MATCHED_ARTICLE = aliased(Claim), aliased(Article)


@functools.cache
def _views_query() -> sa.Select[Any]:
    """Built once: composing the joins costs more than running them (the worker reads one alert
    per delivery). Statements are immutable, so callers add their own WHERE to a shared one."""
    return (
        sa.select(Alert, Claim, Article, _MATCHED, _MATCHED_ARTICLE, User.username)
        .join(Claim, Alert.claim_id == Claim.id)
        .join(Article, Claim.article_id == Article.id)
        .join(_MATCHED, Alert.matched_claim_id == _MATCHED.id)
        .join(_MATCHED_ARTICLE, _MATCHED.article_id == _MATCHED_ARTICLE.id)
        .outerjoin(User, Alert.handled_by_id == User.id)
    )


def unread_for_claim(session: Session, claim_id: int) -> list[AlertView]:
    """The claim's unread alerts, oldest first: what its page tells the editor at the top."""
    statement = _views_query().where(Alert.claim_id == claim_id, Alert.state == AlertState.UNREAD)
    return [AlertView(*row) for row in session.execute(statement.order_by(Alert.id)).all()]


def unread_count(session: Session) -> int:
    return session.execute(
        sa.select(sa.func.count()).select_from(Alert).where(Alert.state == AlertState.UNREAD)
    ).scalar_one()


def handle(session: Session, alert_id: int, actor_id: int, state: AlertState) -> Alert:
    """Acknowledge or dismiss an alert; audited and committed. Doing it again changes nothing."""
    if state == AlertState.UNREAD:
        raise ValueError("An alert is acknowledged or dismissed, never made unread again.")
    alert = session.exec(select(Alert).where(Alert.id == alert_id).with_for_update()).first()
    if alert is None:
        raise AlertNotFound(alert_id)
    if alert.state != state:
        before = alert.state.value
        alert.state = state
        alert.handled_by_id = actor_id
        alert.handled_at = utcnow()
        session.add(alert)
        record(
            session,
            actor_id,
            "alert.acknowledge" if state == AlertState.ACKNOWLEDGED else "alert.dismiss",
            "alert",
            alert.id,
            before={"state": before},
            after={"state": state.value},
        )
    return alert
