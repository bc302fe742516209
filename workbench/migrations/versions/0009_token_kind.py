"""Token kinds: a feed token reads the alert feed and nothing else.

A feed reader cannot send headers, so its token travels in the feed's URL, where proxies and
server logs may keep it; until now that token could also write through the API with its owner's
role. Existing tokens stay API tokens.

Numbered 0009 and chained to 0007 for now: the lead re-chains it behind 0008 when merging.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A batch on SQLite (the table is rebuilt, with the CHECK constraint the enum needs);
    # api_token has no triggers for a rebuild to drop.
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "api",
                    "feed",
                    name="tokenkind",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=False,
                server_default="api",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_constraint(op.f("ck_api_token_tokenkind"), type_="check")
        batch.drop_column("kind")
