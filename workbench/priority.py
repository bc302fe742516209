"""How urgent a claim is for the review queue.

Priority is the claim's check-worthiness (see splitting.py) plus a bonus for each other claim the
matcher says repeats it (a claim many outlets carry reaches more readers), capped so that a
much-syndicated sentence cannot bury everything else.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session

from workbench.models import Claim, DuplicateSuggestion

REPEAT_WEIGHT = 0.1
REPEAT_CAP = 5


def priority(check_worthiness: float, repeat_count: int) -> float:
    return round(check_worthiness + REPEAT_WEIGHT * min(repeat_count, REPEAT_CAP), 6)


def recount_repeats(session: Session, claim_ids: Iterable[int]) -> None:
    """Recount repeats and priority of these claims from their live (pending or confirmed)
    suggestions, in the caller's transaction; called whenever a suggestion appears or changes."""
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
            .values(
                # PostgreSQL rounds to places only as numeric (no round(double, int)).
                priority=sa.func.round(
                    sa.cast(
                        Claim.check_worthiness
                        + REPEAT_WEIGHT
                        * sa.case(
                            (Claim.repeat_count > REPEAT_CAP, REPEAT_CAP), else_=Claim.repeat_count
                        ),
                        sa.Numeric,
                    ),
                    6,
                )
            )
        )
