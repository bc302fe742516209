"""Repeats confirmed before revision 0012 are resolved, as a confirmation now resolves them: an
open claim in a cluster that is not its canonical claim leaves the open queue and carries the
canonical verdict. Its status is kept in `status_before`, so reopening it restores the status.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE claim SET status_before = status, status = 'resolved' "
        "WHERE cluster_id IS NOT NULL AND status IN ('new', 'in_review') "
        "AND id NOT IN (SELECT canonical_claim_id FROM cluster "
        "WHERE canonical_claim_id IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE claim SET status = coalesce(status_before, 'new'), status_before = NULL "
        "WHERE status = 'resolved'"
    )
