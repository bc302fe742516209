"""Queue indexes: one per queue filter, each in priority order, so pages and per-status counts
stay fast at a million claims (measured by benchmarks/review_queue.py).

`claim.article_id` and `claim.assignee_id` lose their single-column indexes: the new composite
ones start with the same column and serve the same look-ups.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = {
    "ix_claim_verdict_priority": ["verdict", "priority", "id"],
    "ix_claim_assignee_priority": ["assignee_id", "priority", "id"],
    "ix_claim_status_assignee": ["status", "assignee_id"],
    "ix_claim_article_status": ["article_id", "status"],
}


def upgrade() -> None:
    op.drop_index("ix_claim_article_id", table_name="claim")
    op.drop_index("ix_claim_assignee_id", table_name="claim")
    for name, columns in NEW.items():
        op.create_index(name, "claim", columns)


def downgrade() -> None:
    for name in NEW:
        op.drop_index(name, table_name="claim")
    op.create_index("ix_claim_assignee_id", "claim", ["assignee_id"])
    op.create_index("ix_claim_article_id", "claim", ["article_id"])
