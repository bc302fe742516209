"""Duplicate-claim alerts: the alert table remade around a match key, webhooks and their outbox.

`alert` was never written to before this revision, so it is dropped and made again rather than
altered. `claim` is not touched (a batch rebuild on SQLite would drop its search triggers).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


VERDICTS = ("supported", "refuted", "mixed", "unverifiable")


def upgrade() -> None:
    op.drop_index("ix_alert_claim_id", table_name="alert")
    op.drop_table("alert")
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum("alertkind", "previously_checked", "being_checked", "verdict_reached"),
            nullable=False,
        ),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("matched_claim_id", sa.Integer(), nullable=False),
        sa.Column("match_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("verdict", _enum("verdict", *VERDICTS), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "state", _enum("alertstate", "unread", "acknowledged", "dismissed"), nullable=False
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_alert_claim_id_claim"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["matched_claim_id"],
            ["claim.id"],
            name=op.f("fk_alert_matched_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["user_account.id"],
            name=op.f("fk_alert_handled_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("claim_id", "match_key", name="uq_alert_claim_match"),
    )
    op.create_index("ix_alert_claim_id", "alert", ["claim_id"])
    op.create_index("ix_alert_matched_claim_id", "alert", ["matched_claim_id"])
    op.create_index("ix_alert_state_id", "alert", ["state", "id"])

    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("format", _enum("webhookformat", "standard", "slack"), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_webhook_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "state",
            _enum("deliverystate", "pending", "delivered", "dead", "stopped"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("delivered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_delivery_alert_id_alert"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
            name=op.f("fk_delivery_webhook_id_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("alert_id", "webhook_id", name="uq_delivery_alert_webhook"),
        sa.UniqueConstraint("message_id", name=op.f("uq_delivery_message_id")),
    )
    op.create_index("ix_delivery_alert_id", "delivery", ["alert_id"])
    op.create_index("ix_delivery_state_next_attempt_at", "delivery", ["state", "next_attempt_at"])
    op.create_index("ix_delivery_webhook_state_id", "delivery", ["webhook_id", "state", "id"])


def downgrade() -> None:
    op.drop_table("delivery")
    op.drop_table("webhook")
    op.drop_table("alert")
    # The alert table as revision 0001 made it.
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", _enum("alertkind", "previously_checked", "being_checked"), nullable=False
        ),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("matched_claim_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user_account.id"],
            name=op.f("fk_alert_acknowledged_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_alert_claim_id_claim"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["matched_claim_id"],
            ["claim.id"],
            name=op.f("fk_alert_matched_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("claim_id", "matched_claim_id", name="uq_alert_pair"),
    )
    op.create_index("ix_alert_claim_id", "alert", ["claim_id"])
