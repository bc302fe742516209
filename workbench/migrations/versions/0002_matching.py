"""Matching: claim titles, editable aliases, and the text index duplicate candidates come from.

SQLite gets an FTS5 table over the normalised text and title (kept in step with `claim` by
triggers, so bulk inserts are indexed too) and a vocabulary view for word document counts.
PostgreSQL gets a GIN index on the same text as a `simple` tsvector.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from workbench.matching.normalize import DEFAULT_ALIASES

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_INDEX = [
    """CREATE VIRTUAL TABLE claim_fts USING fts5(
        normalized_text, normalized_title, content='claim', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    "CREATE VIRTUAL TABLE claim_fts_vocab USING fts5vocab(claim_fts, 'row')",
    """CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN
        INSERT INTO claim_fts(rowid, normalized_text, normalized_title)
        VALUES (new.id, new.normalized_text, coalesce(new.normalized_title, ''));
    END""",
    """CREATE TRIGGER claim_fts_delete AFTER DELETE ON claim BEGIN
        INSERT INTO claim_fts(claim_fts, rowid, normalized_text, normalized_title)
        VALUES ('delete', old.id, old.normalized_text, coalesce(old.normalized_title, ''));
    END""",
    """CREATE TRIGGER claim_fts_update AFTER UPDATE OF normalized_text, normalized_title ON claim
    BEGIN
        INSERT INTO claim_fts(claim_fts, rowid, normalized_text, normalized_title)
        VALUES ('delete', old.id, old.normalized_text, coalesce(old.normalized_title, ''));
        INSERT INTO claim_fts(rowid, normalized_text, normalized_title)
        VALUES (new.id, new.normalized_text, coalesce(new.normalized_title, ''));
    END""",
    # Claims stored before this migration.
    "INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')",
]
POSTGRES_INDEX = [
    """CREATE INDEX ix_claim_search ON claim USING gin (
        to_tsvector('simple', normalized_text || ' ' || coalesce(normalized_title, '')))""",
]


def upgrade() -> None:
    with op.batch_alter_table("claim") as batch:
        batch.add_column(sa.Column("title", sa.Text(), nullable=True))
        batch.add_column(sa.Column("normalized_title", sa.Text(), nullable=True))
    alias = op.create_table(
        "alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("canonical", sa.String(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alias")),
        sa.UniqueConstraint("phrase", name=op.f("uq_alias_phrase")),
    )
    created = datetime.now(UTC)
    op.bulk_insert(
        alias,
        [{"phrase": p, "canonical": c, "created_at": created} for p, c in DEFAULT_ALIASES],
    )
    statements = SQLITE_INDEX if op.get_bind().dialect.name == "sqlite" else POSTGRES_INDEX
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("claim_fts_insert", "claim_fts_delete", "claim_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS claim_fts_vocab")
        op.execute("DROP TABLE IF EXISTS claim_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_claim_search")
    op.drop_table("alias")
    with op.batch_alter_table("claim") as batch:
        batch.drop_column("normalized_title")
        batch.drop_column("title")
