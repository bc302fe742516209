"""The editorial workflow: claims dismissed or resolved as repeats, verdicts signed off, claims
corrected and attributed to a claimant, and newsroom settings an admin switches.

Claim statuses gain `dismissed` and `resolved`. The status CHECK constraint must change; on
SQLite that would mean rebuilding the claim table (and its search triggers), so the constraint's
text is widened in place, as SQLite documents for loosening a CHECK (writable_schema, then a new
schema version): no row can break the wider rule. Columns are only added (ADD COLUMN).

Verdicts given before this revision are approved ones, by whoever last changed the claim.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "'new', 'in_review', 'verdict'"
NEW_STATUSES = "'new', 'in_review', 'verdict', 'dismissed', 'resolved'"
VERDICT_STATES = ("draft", "sent_back", "approved")
USER_COLUMNS = ("verdict_by_id", "approved_by_id")


def _set_statuses(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA writable_schema=ON")
        op.execute(
            "UPDATE sqlite_master SET sql = replace(sql, "
            f'"CHECK (status IN ({old}))", "CHECK (status IN ({new}))") '
            "WHERE type = 'table' AND name = 'claim'"
        )
        version = op.get_bind().exec_driver_sql("PRAGMA schema_version").scalar_one()
        op.execute(f"PRAGMA schema_version = {int(version) + 1}")
        op.execute("PRAGMA writable_schema=OFF")
    else:
        op.drop_constraint(op.f("ck_claim_claimstatus"), "claim", type_="check")
        op.create_check_constraint(op.f("ck_claim_claimstatus"), "claim", f"status IN ({new})")


def _user_column(name: str) -> None:
    constraint = f"fk_claim_{name}_user_account"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE claim ADD COLUMN {name} INTEGER CONSTRAINT {constraint} "
            "REFERENCES user_account (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("claim", sa.Column(name, sa.Integer(), nullable=True))
        op.create_foreign_key(
            constraint, "claim", "user_account", [name], ["id"], ondelete="SET NULL"
        )


def upgrade() -> None:
    _set_statuses(OLD_STATUSES, NEW_STATUSES)
    states = ", ".join(f"'{state}'" for state in VERDICT_STATES)
    if op.get_bind().dialect.name == "sqlite":
        # alembic would skip the CHECK on SQLite; the column can carry it as it is added.
        op.execute(
            "ALTER TABLE claim ADD COLUMN verdict_state VARCHAR(20) CONSTRAINT "
            f"ck_claim_verdictstate CHECK (verdict_state IN ({states}))"
        )
    else:
        op.add_column("claim", sa.Column("verdict_state", sa.String(20), nullable=True))
        op.create_check_constraint("ck_claim_verdictstate", "claim", f"verdict_state IN ({states})")
    for name in USER_COLUMNS:
        _user_column(name)
    text = sqlmodel.sql.sqltypes.AutoString
    op.add_column("claim", sa.Column("verdict_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    op.add_column("claim", sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    op.add_column("claim", sa.Column("sign_off_note", sa.Text(), nullable=True))
    op.add_column("claim", sa.Column("dismiss_reason", text(length=40), nullable=True))
    op.add_column("claim", sa.Column("status_before", text(length=20), nullable=True))
    op.add_column("claim", sa.Column("claimant", text(length=200), nullable=True))
    op.add_column("claim", sa.Column("original_text", sa.Text(), nullable=True))
    op.create_index("ix_claim_claimant", "claim", ["claimant"])
    op.execute(
        "UPDATE claim SET verdict_state = 'approved', verdict_at = updated_at, "
        "approved_at = updated_at, verdict_by_id = updated_by_id, "
        "approved_by_id = updated_by_id WHERE verdict IS NOT NULL"
    )

    op.create_table(
        "newsroom_setting",
        sa.Column("key", text(length=50), nullable=False),
        sa.Column("value", text(length=200), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_newsroom_setting_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_newsroom_setting")),
    )


def downgrade() -> None:
    op.drop_table("newsroom_setting")
    op.execute(
        "UPDATE claim SET status = coalesce(status_before, 'new') "
        "WHERE status IN ('dismissed', 'resolved')"
    )
    op.drop_index("ix_claim_claimant", table_name="claim")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in USER_COLUMNS:
        if not sqlite:
            op.drop_constraint(f"fk_claim_{name}_user_account", "claim", type_="foreignkey")
    for name in (
        "original_text",
        "claimant",
        "status_before",
        "dismiss_reason",
        "sign_off_note",
        "approved_at",
        "verdict_at",
        *USER_COLUMNS,
    ):
        op.drop_column("claim", name)
    op.drop_column("claim", "verdict_state")  # its CHECK goes with it
    _set_statuses(NEW_STATUSES, OLD_STATUSES)
