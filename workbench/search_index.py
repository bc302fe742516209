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
    if is_sqlite(session):
        match = _sqlite_two_of(words) if pairs else _sqlite_any_of(words)
        rows = session.execute(
            sa.text(
                "SELECT rowid FROM claim_fts WHERE claim_fts MATCH :match "
                "ORDER BY bm25(claim_fts, 1.0, :title_weight) LIMIT :limit"
            ),
            {"match": match, "limit": limit, "title_weight": title_weight},
        )
    else:
        query = _pg_two_of(words) if pairs else _pg_any_of(words)
        rows = session.execute(
            sa.text(
                f"SELECT id FROM claim WHERE {PG_VECTOR} @@ to_tsquery('simple', :query) "
                f"ORDER BY ts_rank({PG_VECTOR}, to_tsquery('simple', :query)) DESC, id "
                "LIMIT :limit"
            ),
            {"query": query, "limit": limit},
        )
    return [row[0] for row in rows]


def claims_sharing(session: Session, queries: list[list[str]]) -> list[sa.Row]:
    """Every claim holding two words of one of the queries (any word of a query of one or two
    words), unranked and unlimited: (id, article_id, normalized_text, normalized_title, text).

    One index query answers a whole article's claims at once; the caller keeps it to rare words
    (whose matches are few), and ranks with `candidate_ids` where they are not.
    """
    queries = [query for query in queries if query]
    if not queries:
        return []
    columns = "id, article_id, normalized_text, coalesce(normalized_title, ''), text"
    if is_sqlite(session):
        match = " OR ".join(
            f"({_sqlite_two_of(q) if len(q) > 2 else _sqlite_any_of(q)})" for q in queries
        )
        statement = sa.text(
            f"SELECT {columns} FROM claim WHERE id IN "
            "(SELECT rowid FROM claim_fts WHERE claim_fts MATCH :match)"
        )
        return list(session.execute(statement, {"match": match}))
    query = " | ".join(f"({_pg_two_of(q) if len(q) > 2 else _pg_any_of(q)})" for q in queries)
    statement = sa.text(
        f"SELECT {columns} FROM claim WHERE {PG_VECTOR} @@ to_tsquery('simple', :query)"
    )
    return list(session.execute(statement, {"query": query}))


def _two_of(terms: list[str], both: str, either: str) -> str:
    """ "Any two of these terms", factored as (a AND (b OR c OR d)) OR (b AND (c OR d)) OR ...:
    the same matches as the OR of every pair, with each word's list read fewer times."""
    if len(terms) < 2:
        return either.join(terms)
    return either.join(
        f"({term} {both} ({either.join(terms[i + 1 :])}))" for i, term in enumerate(terms[:-1])
    )


def _sqlite_any_of(words: list[str]) -> str:
    # Words come from normalize(): letters, digits and dots only, so quoting is enough.
    return " OR ".join(f'"{w}"' for w in words)


def _sqlite_two_of(words: list[str]) -> str:
    return _two_of([f'"{w}"' for w in words], "AND", " OR ")


def _pg_any_of(words: list[str]) -> str:
    return " | ".join(_pg_lexeme(w) for w in words)


def _pg_two_of(words: list[str]) -> str:
    return _two_of([_pg_lexeme(w) for w in words], "&", " | ")


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
    # One round trip for all the words (an article has hundreds): each is still counted by its
    # own index scan, capped.
    statement = sa.text(
        "SELECT words.word, (SELECT count(*) FROM (SELECT 1 FROM claim WHERE "
        f"{PG_VECTOR} @@ to_tsquery('simple', words.lexeme) LIMIT :cap) AS found) "
        "FROM unnest(CAST(:words AS text[]), CAST(:lexemes AS text[])) AS words(word, lexeme)"
    )
    rows = session.execute(
        statement,
        {"words": unique, "lexemes": [_pg_lexeme(w) for w in unique], "cap": DOC_COUNT_CAP},
    )
    return {word: count for word, count in rows}


def archive_size(session: Session) -> int:
    """About how many claims there are: the highest id, which costs one index lookup."""
    return session.execute(sa.text("SELECT coalesce(max(id), 0) FROM claim")).scalar_one()
