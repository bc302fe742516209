"""PostgreSQL keeps each claim's text-search vector in a stored column, and indexes that; and it
learns that a verdict goes with the verdict status.

The similar-claims search ranks every claim its words match (ts_rank), and ranking a claim needs
its tsvector. With only an expression index, PostgreSQL parses each matched claim's text again to
rank it: at 1,000,000 claims a search matches thousands and spent most of its time there
(benchmarks/matching.py --database, EXPLAIN ANALYZE: the Bitmap Heap Scan under the sort). A
generated column holds the parsed vector once, written with the row, and the GIN index moves to
it. SQLite is unchanged: FTS5 keeps its own index.

The queue's verdict filter on the open queue (`?verdict=refuted`, open statuses by default)
matches no claim, since a claim with a verdict has the verdict status; PostgreSQL, taking the two
columns as independent, expected thousands of matches and walked the whole priority index for
them: 4.5 s at 1,000,000 claims (benchmarks/review_queue.py --database). Statistics on the two
columns together (their most common pairs) tell it there are none, and it reads the verdict
index instead (56 ms). SQLite has its own hint in review/queue.py.

Adding the column rewrites the claim table (about a minute per million claims).

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VECTOR = "to_tsvector('simple', normalized_text || ' ' || coalesce(normalized_title, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        f"ALTER TABLE claim ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED"
    )
    op.execute("CREATE INDEX ix_claim_search_vector ON claim USING gin (search_vector)")
    op.execute("DROP INDEX IF EXISTS ix_claim_search")
    op.execute("CREATE STATISTICS claim_status_verdict (mcv) ON status, verdict FROM claim")
    op.execute("ANALYZE claim")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP STATISTICS IF EXISTS claim_status_verdict")
    op.execute(f"CREATE INDEX ix_claim_search ON claim USING gin ({VECTOR})")
    op.execute("DROP INDEX IF EXISTS ix_claim_search_vector")
    op.execute("ALTER TABLE claim DROP COLUMN search_vector")
