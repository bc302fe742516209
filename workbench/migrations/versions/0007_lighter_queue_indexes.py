"""Lighter queue indexes: verdict and assignee without priority.

Every repeat found at ingest changes an archived claim's priority, and each index holding
priority moves an entry. Verdicts and assignees select few claims (sorted in memory in well under
a millisecond), so only the all-claims and per-status indexes keep priority (benchmarks/ingest.py
and benchmarks/review_queue.py measure both sides).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_claim_verdict_priority", table_name="claim")
    op.drop_index("ix_claim_assignee_priority", table_name="claim")
    op.create_index("ix_claim_verdict", "claim", ["verdict"])
    op.create_index("ix_claim_assignee", "claim", ["assignee_id"])


def downgrade() -> None:
    op.drop_index("ix_claim_assignee", table_name="claim")
    op.drop_index("ix_claim_verdict", table_name="claim")
    op.create_index("ix_claim_assignee_priority", "claim", ["assignee_id", "priority", "id"])
    op.create_index("ix_claim_verdict_priority", "claim", ["verdict", "priority", "id"])
