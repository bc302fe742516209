"""How urgent a claim is for the review queue.

Priority is the claim's check-worthiness (see intake/claim_spotting.py) plus a bonus for each other
claim the matcher says repeats it (a claim many outlets carry reaches more readers), capped so
that a much-syndicated sentence cannot bury everything else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from workbench.models import Claim, DuplicateSuggestion

REPEAT_WEIGHT = 0.1
REPEAT_CAP = 5


def priority(check_worthiness: float, repeat_count: int) -> float:
    return round(check_worthiness + REPEAT_WEIGHT * min(repeat_count, REPEAT_CAP), 6)


def _priority_sql(repeats: Any) -> Any:
    """priority() in SQL, for a claim with this many repeats."""
    capped = sa.case((repeats > REPEAT_CAP, REPEAT_CAP), else_=repeats)
    # PostgreSQL rounds to places only as numeric (no round(double, int)).
    return sa.func.round(sa.cast(Claim.check_worthiness + REPEAT_WEIGHT * capped, sa.Numeric), 6)


def add_repeats(session: Session, added: Counter[int]) -> None:
    """Count new suggestions into their claims' repeats and priority (in the caller's
    transaction). Ingest calls this: its suggestions are new pairs, so adding is exact and costs
    one UPDATE per distinct increment instead of a recount per claim."""
    by_increment: dict[int, list[int]] = defaultdict(list)
    for claim_id, count in added.items():
        by_increment[count].append(claim_id)
    for count, ids in by_increment.items():
        for start in range(0, len(ids), 500):
            session.execute(
                sa.update(Claim)
                .where(Claim.id.in_(sorted(ids[start : start + 500])))
                .values(
                    repeat_count=Claim.repeat_count + count,
                    priority=_priority_sql(Claim.repeat_count + count),
                )
                .execution_options(synchronize_session=False)
            )


def recount_repeats(session: Session, claim_ids: Iterable[int]) -> None:
    """Recount repeats and priority of these claims from their live (pending or confirmed)
    suggestions, in the caller's transaction; called when an editor's decision changes a
    suggestion's state."""
    ids = sorted(set(claim_ids))
    if not ids:
        return
    live = DuplicateSuggestion.state.in_(["pending", "confirmed"])
    repeats = (
        sa.select(sa.func.count())
        .where(
            live,
            sa.or_(
                DuplicateSuggestion.claim_id == Claim.id,
                DuplicateSuggestion.candidate_id == Claim.id,
            ),
        )
        .scalar_subquery()
    )
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(sa.update(Claim).where(Claim.id.in_(chunk)).values(repeat_count=repeats))
        session.execute(
            sa.update(Claim)
            .where(Claim.id.in_(chunk))
            .values(priority=_priority_sql(Claim.repeat_count))
        )
