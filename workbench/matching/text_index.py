"""The database's own text index, asked for duplicate candidates and word counts.

Every worker asks the same database, so a claim stored by one process is a candidate for all the
others at once; there is no per-process copy of the archive to go stale. SQLite answers from FTS5
(BM25-ranked), PostgreSQL from a GIN-indexed `simple` tsvector (ts_rank-ranked).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

# Words shared by more claims than this count the same for weighting; counting them exactly on a
# large archive would cost more than the difference is worth. PostgreSQL counts such a word as
# DOC_COUNT_CAP + 1, so "more than the cap" is never read as "exactly the cap".
DOC_COUNT_CAP = 5_000
# PostgreSQL's tsvector of a claim ('simple' parse of its normalised text and title), stored with
# the row (migration 0016) so ranking a match reads it instead of parsing the text again.
PG_VECTOR = "search_vector"


# PostgreSQL ranks a match (ts_rank) from its stored vector, read from the table: at 1,000,000
# claims a search whose words were in 10,000 claims spent 46 ms there (p95 120 ms, 33,000 matches;
# benchmarks/matching.py --database). Past this many, it ranks only the claims sharing two of the
# words: 500 matches at the median, the same top 10 in 997 of 1,000 results. SQLite's BM25 reads
# only its index and ranks every match.
PG_RANKED_MATCHES = 5_000


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def candidate_ids(
    session: Session,
    words: list[str],
    limit: int,
    *,
    title_weight: float = 0.6,
    pairs: bool = False,
    matches: int = 0,
) -> list[int]:
    """Ids of the claims sharing the most (and rarest) of these words, best first (see
    `ranked_matches`)."""
    if not words:
        return []
    ranked = ranked_matches(
        session, words, limit, title_weight=title_weight, pairs=pairs, matches=matches
    )
    return list(session.scalars(sa.select(ranked.c.id).order_by(ranked.c.rank, ranked.c.id)))


def ranked_matches(
    session: Session,
    words: list[str],
    limit: int,
    *,
    title_weight: float = 0.6,
    pairs: bool = False,
    matches: int = 0,
    columns: Sequence[str] = (),
) -> sa.Subquery:
    """The `limit` claims sharing the most (and rarest) of these words, as a subquery of (id,
    rank, and the claim's `columns`, named in code), the lower rank the better; a word in a
    claim's title counts `title_weight` times a word in its text.

    With `pairs`, a candidate must share at least two of the words: the index then intersects
    short lists instead of ranking every claim that shares any one word, which is what a
    duplicate (sharing most of its rare words) needs at a fraction of the cost. PostgreSQL also
    asks for pairs when the words' claims (`matches`, the sum of their counts) are more than it
    ranks quickly (see PG_RANKED_MATCHES).
    """
    match = candidate_match(session, words, pairs=pairs, matches=matches)
    if is_sqlite(session):
        # FTS5 ranks from its own index; the claims' rows are read for the best only.
        best = (
            "SELECT rowid AS id, bm25(claim_fts, 1.0, :title_weight) AS rank FROM claim_fts "
            "WHERE claim_fts MATCH :match ORDER BY rank LIMIT :limit"
        )
        statement = sa.text(
            f"SELECT best.id, best.rank{''.join(f', claim.{n}' for n in columns)} "
            f"FROM ({best}) AS best JOIN claim ON claim.id = best.id"
            if columns
            else best
        ).bindparams(match=match, limit=limit, title_weight=title_weight)
    else:
        # Ranking reads each match's row already: the columns come with it, not from a second
        # look-up of each of the best (400 index look-ups, 6 ms at a million claims).
        statement = sa.text(
            f"SELECT id, -ts_rank({PG_VECTOR}, to_tsquery('simple', :match)) AS rank"
            f"{''.join(f', {n}' for n in columns)} "
            f"FROM claim WHERE {PG_VECTOR} @@ to_tsquery('simple', :match) "
            "ORDER BY rank, id LIMIT :limit"
        ).bindparams(match=match, limit=limit)
    return statement.columns(
        sa.column("id", sa.Integer), sa.column("rank", sa.Float), *map(sa.column, columns)
    ).subquery()


def candidate_match(session: Session, words: list[str], *, pairs: bool, matches: int) -> str:
    """The index's query `candidate_ids` ranks the matches of (see there for `pairs`)."""
    if is_sqlite(session):
        return _sqlite_two_of(words) if pairs else _sqlite_any_of(words)
    if pairs or (matches > PG_RANKED_MATCHES and len(words) > 2):
        return _pg_two_of(words)
    return _pg_any_of(words)


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


def document_counts(session: Session, words: list[str], total: int | None = None) -> dict[str, int]:
    """How many claims contain each word; on PostgreSQL a word in more than DOC_COUNT_CAP claims
    is counted as DOC_COUNT_CAP + 1, and a common word is counted from ANALYZE's sample (its
    share of `total` claims, the archive's size when the caller has it already)."""
    unique = sorted(set(words))
    if not unique:
        return {}
    if is_sqlite(session):
        statement = sa.text("SELECT term, doc FROM claim_fts_vocab WHERE term IN :terms")
        statement = statement.bindparams(sa.bindparam("terms", expanding=True))
        return {term: doc for term, doc in session.execute(statement, {"terms": unique})}
    counts = _counts_from_sample(session, unique, total)
    rest = [w for w in unique if w not in counts]
    if not rest:
        return counts
    # One round trip for all the other words (an article has hundreds): each is still counted by
    # its own index scan, capped; they are the rare ones, so each reads a short list.
    statement = sa.text(
        "SELECT words.word, (SELECT count(*) FROM (SELECT 1 FROM claim WHERE "
        f"{PG_VECTOR} @@ to_tsquery('simple', words.lexeme) LIMIT :cap) AS found) "
        "FROM unnest(CAST(:words AS text[]), CAST(:lexemes AS text[])) AS words(word, lexeme)"
    )
    rows = session.execute(
        statement,
        {"words": rest, "lexemes": [_pg_lexeme(w) for w in rest], "cap": DOC_COUNT_CAP + 1},
    )
    return counts | {word: count for word, count in rows}


# A word ANALYZE found in at least this many claims (its sampled share of the archive) is counted
# from that share: at this size a sample of 300,000 claims is off by a few percent, which moves
# an idf weight by less than its rounding, and counting it by the index would read every claim
# that holds it (at a million claims, 21 words of a search took 442 ms that way).
SAMPLED_COUNT_MIN = 500
# (database, table oid, when ANALYZE last ran) -> the sampled share of each common word.
_sampled_shares: dict[tuple[str, int, object], dict[str, float]] = {}


def _counts_from_sample(session: Session, words: list[str], total: int | None) -> dict[str, int]:
    """PostgreSQL: the counts of the common ones of these words, from the stored vector's most
    common elements and their shares (pg_stats, kept by ANALYZE and autovacuum, migration 0017);
    {} until the table has been analysed."""
    shares = _sampled_word_shares(session)
    if not shares:
        return {}
    total = archive_size(session) if total is None else total
    counts = {}
    for word in words:
        estimate = round(shares.get(word, 0.0) * total)
        if estimate >= SAMPLED_COUNT_MIN:
            counts[word] = min(estimate, DOC_COUNT_CAP + 1)
    return counts


def _sampled_word_shares(session: Session) -> dict[str, float]:
    """The shares ANALYZE last sampled, read once per ANALYZE: the check for a newer one is a
    row of the statistics views, the shares themselves are thousands of words."""
    analysed = session.execute(
        sa.text(
            "SELECT oid, greatest(pg_stat_get_last_analyze_time(oid), "
            "pg_stat_get_last_autoanalyze_time(oid)) FROM (SELECT CAST('claim' AS regclass) "
            "AS oid) AS claim_table"
        )
    ).one()
    if analysed[1] is None:
        return {}
    key = (str(session.get_bind().engine.url), analysed[0], analysed[1])
    found = _sampled_shares.get(key)
    if found is None:
        row = session.execute(
            sa.text(
                "SELECT CAST(CAST(most_common_elems AS text) AS text[]), most_common_elem_freqs "
                "FROM pg_stats WHERE tablename = 'claim' AND attname = :column "
                "AND schemaname = current_schema()"
            ),
            {"column": PG_VECTOR},
        ).one_or_none()
        words, shares = (row[0] or [], row[1] or []) if row else ([], [])
        found = dict(zip(words, shares, strict=False))
        # One database a process (or a test's): the newest sample only. Another thread may
        # clear it meanwhile; this one keeps its own reference.
        _sampled_shares.clear()
        _sampled_shares[key] = found
    return found


def archive_size(session: Session) -> int:
    """About how many claims there are: the highest id, which costs one index lookup."""
    return session.execute(sa.text("SELECT coalesce(max(id), 0) FROM claim")).scalar_one()
