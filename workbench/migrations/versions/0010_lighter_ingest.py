"""Lighter ingest writes and reads.

- One index fewer on duplicate suggestions: the pair's unique constraint already starts with the
  claim, so `ix_duplicatesuggestion_claim_id` only cost a write for each of the five suggestions
  a claim can get at ingest.
- SQLite's text index merges its segments in pairs (FTS5 `automerge` 2, the default is 4): every
  duplicate search reads each word from every segment, and fewer segments made the searches of
  a batch import cheaper by more than the merging costs.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_duplicatesuggestion_claim_id", table_name="duplicatesuggestion")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO claim_fts(claim_fts, rank) VALUES ('automerge', 2)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO claim_fts(claim_fts, rank) VALUES ('automerge', 4)")
    op.create_index(
        "ix_duplicatesuggestion_claim_id", "duplicatesuggestion", ["claim_id"], unique=False
    )
