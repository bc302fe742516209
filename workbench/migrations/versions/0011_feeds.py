"""Articles from links and monitored feeds: feeds, the entries they have shown, and what an
article keeps of where it came from (its feed, its byline; its address indexed, since the same
canonical address is not imported twice).

`article` gains nullable columns only (ADD COLUMN, no table rebuild on SQLite).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", _text(2000), nullable=False),
        sa.Column("title", _text(500), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("next_poll_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("etag", _text(500), nullable=True),
        sa.Column("last_modified", _text(100), nullable=True),
        sa.Column("last_polled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_new_entry_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", _text(500), nullable=True),
        sa.Column("errors_in_a_row", sa.Integer(), nullable=False),
        sa.Column("entries_imported", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_feed_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed")),
        sa.UniqueConstraint("url", name=op.f("uq_feed_url")),
    )
    op.create_index("ix_feed_next_poll_at", "feed", ["next_poll_at"])
    op.create_table(
        "feedentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("key", _text(2000), nullable=False),
        sa.Column("link", _text(2000), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "imported",
                "duplicate",
                "failed",
                name="feedentrystate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", _text(500), nullable=True),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feed.id"], name=op.f("fk_feedentry_feed_id_feed"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_feedentry_article_id_article"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedentry")),
        sa.UniqueConstraint("feed_id", "key", name="uq_feedentry_feed_key"),
    )
    op.create_index("ix_feedentry_article_id", "feedentry", ["article_id"])

    op.add_column("article", sa.Column("byline", _text(300), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; alembic would rebuild the table.
        op.execute(
            "ALTER TABLE article ADD COLUMN feed_id INTEGER CONSTRAINT fk_article_feed_id_feed "
            "REFERENCES feed (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("article", sa.Column("feed_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_article_feed_id_feed", "article", "feed", ["feed_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_article_feed_id", "article", ["feed_id"])
    op.create_index("ix_article_url", "article", ["url"])


def downgrade() -> None:
    op.drop_index("ix_article_url", table_name="article")
    op.drop_index("ix_article_feed_id", table_name="article")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_article_feed_id_feed", "article", type_="foreignkey")
    op.drop_column("article", "feed_id")
    op.drop_column("article", "byline")
    op.drop_index("ix_feedentry_article_id", table_name="feedentry")
    op.drop_table("feedentry")
    op.drop_index("ix_feed_next_poll_at", table_name="feed")
    op.drop_table("feed")
