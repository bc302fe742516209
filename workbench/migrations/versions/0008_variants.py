"""Variants: suggestions get a kind, a variant of a checked claim its own alert kind, and the
synonym list joins the aliases; every claim's matching key is recomputed (now stemmed and read
through the synonyms).

SQLite cannot change a CHECK constraint in place, so `alert` is rebuilt; dropping it would
cascade to its webhook deliveries, which are kept aside and put back.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from workbench.matching.normalize import DEFAULT_SYNONYMS, AliasTable, normalize

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ALERT_KINDS = ("previously_checked", "being_checked", "verdict_reached")
NEW_ALERT_KINDS = (*OLD_ALERT_KINDS, "variant_of_checked")
BATCH = 2_000
NEW_ALIASES = (
    ("WTO", "World Trade Organization"),
    ("World Trade Organisation", "World Trade Organization"),
    ("IAEA", "International Atomic Energy Agency"),
    ("FDA", "Food and Drug Administration"),
    ("CDC", "Centers for Disease Control and Prevention"),
    ("SEC", "Securities and Exchange Commission"),
    ("IMF", "International Monetary Fund"),
    ("WHO", "World Health Organization"),
    ("NATO", "North Atlantic Treaty Organization"),
    ("OPEC", "Organization of the Petroleum Exporting Countries"),
    ("FBI", "Federal Bureau of Investigation"),
    ("DHS", "Department of Homeland Security"),
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    synonym = op.create_table(
        "synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("canonical", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonym")),
        sa.UniqueConstraint("phrase", name=op.f("uq_synonym_phrase")),
    )
    created = datetime.now(UTC)
    op.bulk_insert(
        synonym,
        [{"phrase": p, "canonical": c, "created_at": created} for p, c in DEFAULT_SYNONYMS],
    )
    # Organisations' short names, new to the default alias list (a name kept by an admin wins).
    known = {row[0] for row in op.get_bind().execute(sa.text("SELECT phrase FROM alias"))}
    alias = sa.table(
        "alias",
        sa.column("phrase", sa.String),
        sa.column("canonical", sa.String),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    op.bulk_insert(
        alias,
        [
            {"phrase": p, "canonical": c, "created_at": created}
            for p, c in NEW_ALIASES
            if p not in known
        ],
    )
    with op.batch_alter_table("duplicatesuggestion") as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                _enum("suggestionkind", "duplicate", "variant"),
                nullable=False,
                server_default="duplicate",
            )
        )
    _alert_kinds(NEW_ALERT_KINDS)
    _renormalize()


def downgrade() -> None:
    op.execute("DELETE FROM alert WHERE kind = 'variant_of_checked'")
    for phrase, canonical in NEW_ALIASES:
        op.execute(
            sa.text("DELETE FROM alias WHERE phrase = :p AND canonical = :c").bindparams(
                p=phrase, c=canonical
            )
        )
    _alert_kinds(OLD_ALERT_KINDS)
    with op.batch_alter_table("duplicatesuggestion") as batch_op:
        if op.get_bind().dialect.name == "sqlite":
            batch_op.drop_constraint(op.f("ck_duplicatesuggestion_suggestionkind"), type_="check")
        batch_op.drop_column("kind")
    op.drop_table("synonym")


def _alert_kinds(kinds: Sequence[str]) -> None:
    check = "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_alert_alertkind"), "alert", type_="check")
        op.create_check_constraint("alertkind", "alert", check)
        return
    op.execute("CREATE TEMP TABLE delivery_kept AS SELECT * FROM delivery")
    with op.batch_alter_table("alert", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_alertkind"), type_="check")
        batch_op.create_check_constraint("alertkind", check)
    op.execute("DELETE FROM delivery")
    op.execute("INSERT INTO delivery SELECT * FROM delivery_kept")
    op.execute("DROP TABLE delivery_kept")


def _renormalize() -> None:
    """The stored keys as `claims renormalize` would make them with the new normaliser."""
    bind = op.get_bind()
    aliases = AliasTable.build(
        bind.execute(sa.text("SELECT phrase, canonical FROM alias")).all(),
        bind.execute(sa.text("SELECT phrase, canonical FROM synonym")).all(),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, text, title FROM claim WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text(
                "UPDATE claim SET normalized_text = :text, normalized_title = :title WHERE id = :id"
            ),
            [
                {
                    "id": claim_id,
                    "text": normalize(text, aliases),
                    "title": normalize(title, aliases) if title else None,
                }
                for claim_id, text, title in rows
            ],
        )
        last = rows[-1][0]
