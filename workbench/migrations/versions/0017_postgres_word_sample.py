"""PostgreSQL samples ten times as many claims for the words of the text index, so that the
similar-claims search can read a common word's count from the sample instead of counting it.

Weighing a search's words needs how many claims hold each. Counting a word through the GIN index
reads every claim that holds it: at 1,000,000 claims the 21 words of one search took 442 ms
(benchmarks/matching.py --database). ANALYZE already keeps the most common words of the stored
vector with their shares (pg_stats.most_common_elems); at the default statistics target that is
the 1,000 commonest of 30,000 sampled claims, at 1,000 it is the 10,000 commonest of 300,000,
which reaches down to words in a few hundred claims, and the rest are cheap to count exactly
(text_index.document_counts). ANALYZE then takes a few seconds a million claims; autovacuum runs
it as the archive grows. SQLite is unchanged: FTS5's vocabulary table has exact counts.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("ALTER TABLE claim ALTER COLUMN search_vector SET STATISTICS 1000")
    op.execute("ANALYZE claim (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("ALTER TABLE claim ALTER COLUMN search_vector SET STATISTICS -1")
