"""Review: queue priority, assignment, who changed a claim last, and log-in throttling.

`priority` starts as the claim's check-worthiness (no claim has repeats yet when this runs on an
archive from before it; `claims renormalize` style recounts are not needed because suggestions
made from now on bump it).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_claim_queue", table_name="claim")
    # Plain ADD COLUMNs: a batch rebuild of `claim` on SQLite would drop its search triggers.
    # The server defaults fill existing rows and stay (the app always writes both columns).
    op.add_column(
        "claim", sa.Column("repeat_count", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("claim", sa.Column("priority", sa.Float(), nullable=False, server_default="0"))
    op.add_column("claim", sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE claim ADD COLUMN updated_by_id INTEGER "
            "CONSTRAINT fk_claim_updated_by_id_user_account "
            "REFERENCES user_account (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("claim", sa.Column("updated_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_claim_updated_by_id_user_account",
            "claim",
            "user_account",
            ["updated_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        """UPDATE claim SET repeat_count = (
            SELECT count(*) FROM duplicatesuggestion s
            WHERE s.state IN ('pending', 'confirmed')
              AND (s.claim_id = claim.id OR s.candidate_id = claim.id))"""
    )
    op.execute(
        "UPDATE claim SET priority = check_worthiness + 0.1 * "
        "(CASE WHEN repeat_count > 5 THEN 5 ELSE repeat_count END)"
    )
    op.create_index("ix_claim_priority", "claim", ["priority", "id"])
    op.create_index("ix_claim_status_priority", "claim", ["status", "priority", "id"])
    op.create_index("ix_claim_assignee_id", "claim", ["assignee_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index("ix_claim_assignee_id", table_name="claim")
    op.drop_index("ix_claim_status_priority", table_name="claim")
    op.drop_index("ix_claim_priority", table_name="claim")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_claim_updated_by_id_user_account", "claim", type_="foreignkey")
    # SQLite (3.35+) drops a plain column in place; the foreign key goes with its column.
    for column in ("updated_by_id", "assigned_at", "priority", "repeat_count"):
        op.drop_column("claim", column)
    op.create_index("ix_claim_queue", "claim", ["status", "check_worthiness"])
