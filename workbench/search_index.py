"""The database's own text index, asked for duplicate candidates and word counts.

Every worker asks the same database, so a claim stored by one process is a candidate for all the
others at once; there is no per-process copy of the archive to go stale. SQLite answers from FTS5
(BM25-ranked), PostgreSQL from a GIN-indexed `simple` tsvector (ts_rank-ranked).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

# Words shared by more claims than this count the same for weighting; counting them exactly on a
# large archive would cost more than the difference is worth.
DOC_COUNT_CAP = 5_000
PG_VECTOR = "to_tsvector('simple', normalized_text || ' ' || coalesce(normalized_title, ''))"


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def candidate_ids(
    session: Session,
    words: list[str],
    limit: int,
    *,
    title_weight: float = 0.6,
    pairs: bool = False,
) -> list[int]:
    """Ids of the claims sharing the most (and rarest) of these words, best first; a word in a
    claim's title counts `title_weight` times a word in its text.

    With `pairs`, a candidate must share at least two of the words: the index then intersects
    short lists instead of ranking every claim that shares any one word, which is what a
    duplicate (sharing most of its rare words) needs at a fraction of the cost.
    """
    if not words:
        return []
    groups = _pairs(words) if pairs and len(words) > 1 else [[w] for w in words]
    if is_sqlite(session):
        # Words come from normalize(): letters, digits and dots only, so quoting is enough.
        match = " OR ".join("(" + " AND ".join(f'"{w}"' for w in group) + ")" for group in groups)
        rows = session.execute(
            sa.text(
                "SELECT rowid FROM claim_fts WHERE claim_fts MATCH :match "
                "ORDER BY bm25(claim_fts, 1.0, :title_weight) LIMIT :limit"
            ),
            {"match": match, "limit": limit, "title_weight": title_weight},
        )
    else:
        rows = session.execute(
            sa.text(
                f"SELECT id FROM claim WHERE {PG_VECTOR} @@ to_tsquery('simple', :query) "
                f"ORDER BY ts_rank({PG_VECTOR}, to_tsquery('simple', :query)) DESC, id "
                "LIMIT :limit"
            ),
            {
                "query": " | ".join(
                    "(" + " & ".join(_pg_lexeme(w) for w in group) + ")" for group in groups
                ),
                "limit": limit,
            },
        )
    return [row[0] for row in rows]


def all_words_query(session: Session, words: list[str]) -> sa.Select[tuple[int]]:
    """A subquery of the ids of claims containing every one of these (normalised) words, for
    `Claim.id IN (...)` filters such as the queue's text search."""
    if is_sqlite(session):
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
        fts = sa.table("claim_fts", sa.column("rowid"))
        return (
            sa.select(fts.c.rowid)
            .where(sa.text("claim_fts MATCH :all_words"))
            .params(all_words=match)
        )
    query = " & ".join(_pg_lexeme(w) for w in words)
    return (
        sa.select(sa.column("id"))
        .select_from(sa.table("claim"))
        .where(sa.text(f"{PG_VECTOR} @@ to_tsquery('simple', :all_words)"))
        .params(all_words=query)
    )


def _pairs(words: list[str]) -> list[list[str]]:
    return [[a, b] for i, a in enumerate(words) for b in words[i + 1 :]]


def _pg_lexeme(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"


def document_counts(session: Session, words: list[str]) -> dict[str, int]:
    """How many claims contain each word (capped at DOC_COUNT_CAP on PostgreSQL)."""
    unique = sorted(set(words))
    if not unique:
        return {}
    if is_sqlite(session):
        statement = sa.text("SELECT term, doc FROM claim_fts_vocab WHERE term IN :terms")
        statement = statement.bindparams(sa.bindparam("terms", expanding=True))
        return {term: doc for term, doc in session.execute(statement, {"terms": unique})}
    counts = {}
    for word in unique:
        counts[word] = session.execute(
            sa.text(
                f"SELECT count(*) FROM (SELECT 1 FROM claim WHERE {PG_VECTOR} @@ "
                "to_tsquery('simple', :word) LIMIT :cap) AS found"
            ),
            {"word": _pg_lexeme(word), "cap": DOC_COUNT_CAP},
        ).scalar_one()
    return counts


def archive_size(session: Session) -> int:
    """About how many claims there are: the highest id, which costs one index lookup."""
    return session.execute(sa.text("SELECT coalesce(max(id), 0) FROM claim")).scalar_one()
