"""The database's own text index, asked for duplicate candidates and word counts.

Every worker asks the same database, so a claim stored by one process is a candidate for all the
others at once; there is no per-process copy of the archive to go stale. SQLite answers from FTS5
(BM25-ranked), PostgreSQL from a GIN-indexed `simple` tsvector (ts_rank-ranked).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

# Words shared by more claims than this count the same for weighting; counting them exactly on a
# large archive would cost more than the difference is worth. PostgreSQL counts such a word as
# DOC_COUNT_CAP + 1, so "more than the cap" is never read as "exactly the cap".
DOC_COUNT_CAP = 5_000
# PostgreSQL's tsvector of a claim ('simple' parse of its normalised text and title), stored with
# the row (migration 0016) so ranking a match reads it instead of parsing the text again.
PG_VECTOR = "search_vector"


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


# SQLite allows 500 terms in one compound SELECT.
QUERIES_PER_STATEMENT = 200


def claims_sharing(
    session: Session, queries: dict[int, list[str]]
) -> list[tuple[int, int, int, str, str]]:
    """For each query (by key), every claim holding two of its words (any word of a query of
    one or two words), unranked and unlimited: (key, id, article_id, normalized_text, text).

    Each query is its own branch of one UNION ALL, so the database says which query a claim
    answers and nothing has to sort the rows out afterwards; the caller keeps it to rare words
    (whose matches are few), and ranks with `candidate_ids` where they are not.
    """
    keyed = [(key, words) for key, words in queries.items() if words]
    rows: list[tuple[int, int, int, str, str]] = []
    for start in range(0, len(keyed), QUERIES_PER_STATEMENT):
        chunk = keyed[start : start + QUERIES_PER_STATEMENT]
        params: dict[str, object] = {}
        branches = []
        for n, (key, words) in enumerate(chunk):
            params[f"q{n}"] = _match_two_of(session, words)
            branches.append(f"SELECT {int(key)} AS query, {_match_branch(session, f'q{n}')}")
        statement = sa.text(
            "SELECT m.query, c.id, c.article_id, c.normalized_text, c.text "
            f"FROM ({' UNION ALL '.join(branches)}) AS m JOIN claim AS c ON c.id = m.id"
        )
        rows.extend(tuple(row) for row in session.execute(statement, params).all())  # type: ignore[misc]
    return rows


def _match_two_of(session: Session, words: list[str]) -> str:
    if is_sqlite(session):
        return _sqlite_two_of(words) if len(words) > 2 else _sqlite_any_of(words)
    return _pg_two_of(words) if len(words) > 2 else _pg_any_of(words)


def _match_branch(session: Session, param: str) -> str:
    if is_sqlite(session):
        return f"rowid AS id FROM claim_fts WHERE claim_fts MATCH :{param}"
    return f"id FROM claim WHERE {PG_VECTOR} @@ to_tsquery('simple', :{param})"


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


def holds_all_words(words: list[str]) -> sa.ColumnElement[bool]:
    """PostgreSQL: the claim row being filtered holds every one of these (normalised) words, read
    from its stored vector through the GIN index, with no second pass over `claim`."""
    query = sa.bindparam(None, " & ".join(_pg_lexeme(w) for w in words))
    tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), query)
    return sa.literal_column(PG_VECTOR).op("@@")(tsquery)


def match_text(session: Session, words: list[str], *, every: bool) -> str:
    """The index's own query for claims holding every one (or any one) of these normalised
    words: an FTS5 MATCH expression on SQLite, `to_tsquery('simple', ...)` text on PostgreSQL."""
    if is_sqlite(session):
        return (" AND " if every else " OR ").join('"' + w.replace('"', '""') + '"' for w in words)
    return (" & " if every else " | ").join(_pg_lexeme(w) for w in words)


def _pg_lexeme(word: str) -> str:
    return "'" + word.replace("'", "''") + "'"


def document_counts(session: Session, words: list[str]) -> dict[str, int]:
    """How many claims contain each word; on PostgreSQL a word in more than DOC_COUNT_CAP claims
    is counted as DOC_COUNT_CAP + 1."""
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
        {"words": unique, "lexemes": [_pg_lexeme(w) for w in unique], "cap": DOC_COUNT_CAP + 1},
    )
    return {word: count for word, count in rows}


def archive_size(session: Session) -> int:
    """About how many claims there are: the highest id, which costs one index lookup."""
    return session.execute(sa.text("SELECT coalesce(max(id), 0) FROM claim")).scalar_one()
