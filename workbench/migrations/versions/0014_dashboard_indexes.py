"""Indexes for the dashboard: claims per status in order of arrival (claims in per day, the oldest
open claims), approved verdicts by day (claims checked per day; partial, since only approved
verdicts have `approved_at`), and suggestions by when they were made (repeats found this week).
Without them the home page reads every claim at each visit (benchmarks/dashboard.py).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPROVED = sa.text("approved_at IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_claim_status_created", "claim", ["status", "created_at"])
    op.create_index(
        "ix_claim_approved_at",
        "claim",
        ["approved_at"],
        sqlite_where=APPROVED,
        postgresql_where=APPROVED,
    )
    op.create_index("ix_duplicatesuggestion_created_at", "duplicatesuggestion", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_duplicatesuggestion_created_at", table_name="duplicatesuggestion")
    op.drop_index("ix_claim_approved_at", table_name="claim")
    op.drop_index("ix_claim_status_created", table_name="claim")
