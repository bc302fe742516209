"""Search: one box, two modes.

A few words are a **keyword search**: the database's text index (`matching/text_index.py`) finds
the claims holding them, those with every word first, then those with some, each group in the
index's relevance order (FTS5 bm25 on SQLite, ts_rank on PostgreSQL), filtered as the queue is
(`ClaimFilters`), a page at a time, with the words marked in each claim's own text. A sentence is
a **similar-claims search** (`matching.similar.find_similar`): what the archive holds that says
the same thing in other words.

`choose_mode` decides which a text is when the person does not say: SENTENCE_WORDS words or
more, or a text of at least MIN_SENTENCE_WORDS words ending as a sentence ends (. ! ?), is a
sentence; anything shorter is keywords. The person can always ask for the other mode.

A search writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from workbench.errors import Invalid
from workbench.matching import text_index
from workbench.matching.aliases import load_aliases
from workbench.matching.normalize import (
    AliasTable,
    content_words,
    idf_from_counts,
    normalize,
    shared_word_spans,
)
from workbench.matching.similar import SimilarClaim, find_similar
from workbench.models import Article, Claim
from workbench.review.queue import ClaimFilters, claims_query

SENTENCE_WORDS = 6
MIN_SENTENCE_WORDS = 3
SENTENCE_ENDS = (".", "!", "?")
PER_PAGE = 20
# Two groups of at most RANKED_MAX matches each: no page lies beyond these.
MAX_PAGE = 200
# Each group (every word, some words) ranks at most this many matches by relevance. A word in
# more claims than this ("percent", "year") would have the index score and sort every claim that
# holds it; the newest RANKED_MAX matches are ranked instead (news ages), and the page says so.
RANKED_MAX = 2_000
# A similar-claims search with filters looks for this many similar claims, then keeps those the
# filters select (the similarity engine reads no filters).
SIMILAR_POOL = 100
SNIPPET_CHARS = 300  # longer claim texts are cut to a window around the first marked word
ELLIPSIS = "…"
NO_FILTERS = ClaimFilters()

Pieces = list[tuple[str, bool]]  # text in order, each piece marked True when it matches


class SearchMode(StrEnum):
    AUTO = "auto"  # keywords for a few words, similar claims for a sentence (choose_mode)
    KEYWORD = "keyword"
    SIMILAR = "similar"


class ModeError(Invalid):
    """A search mode we do not know; the message lists the ones we do."""

    code = "bad_mode"


def parse_mode(raw: str | None) -> SearchMode:
    """The mode a request asks for; none (or empty) is AUTO."""
    if raw is None or not raw.strip():
        return SearchMode.AUTO
    try:
        return SearchMode(raw.strip())
    except ValueError:
        choices = ", ".join(mode.value for mode in SearchMode)
        raise ModeError(f"mode must be one of: {choices}.") from None


class PageError(Invalid):
    code = "bad_page"


def parse_page(raw: str | None) -> int:
    """A results page asked for by number, from 1; none (or empty) is the first."""
    if raw is None or not raw.strip():
        return 1
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE))):
        raise PageError(f"page must be a whole number from 1 to {MAX_PAGE}.")
    if not 1 <= int(raw) <= MAX_PAGE:
        raise PageError(f"page must be a whole number from 1 to {MAX_PAGE}.")
    return int(raw)


def choose_mode(text: str, asked: SearchMode = SearchMode.AUTO) -> SearchMode:
    """The mode a search runs in: the one asked for, or for AUTO, what the text looks like."""
    if asked != SearchMode.AUTO:
        return asked
    words = text.split()
    ends_as_sentence = text.rstrip(" \"'”’)").endswith(SENTENCE_ENDS)
    if len(words) >= SENTENCE_WORDS or (len(words) >= MIN_SENTENCE_WORDS and ends_as_sentence):
        return SearchMode.SIMILAR
    return SearchMode.KEYWORD


@dataclass(frozen=True)
class SearchHit:
    claim: Claim
    article: Article
    snippet: Pieces  # the claim's text (or a window of it) with the query's words marked
    score: float  # keyword: share of the words it holds, by rarity; similar: similarity; 0-100
    matched: int | None = None  # keyword: how many of the query's words it holds
    similar: SimilarClaim | None = None  # similar: the whole result (kind, duplicate, facts)


@dataclass(frozen=True)
class SearchResults:
    query: str
    mode: SearchMode  # KEYWORD or SIMILAR: the mode the search ran in
    automatic: bool  # the mode was chosen from the text, not asked for
    words: list[str]  # keyword: the normalised words the index was asked for
    hits: list[SearchHit]
    page: int
    has_next: bool
    newest_only: bool = False  # keyword: a group had more matches than RANKED_MAX

    @property
    def other_mode(self) -> SearchMode:
        return SearchMode.SIMILAR if self.mode == SearchMode.KEYWORD else SearchMode.KEYWORD


def search(
    session: Session,
    text: str,
    mode: SearchMode = SearchMode.AUTO,
    filters: ClaimFilters = NO_FILTERS,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResults:
    """Claims for what a person typed, in the mode asked for (or the one the text suggests)."""
    used = choose_mode(text, mode)
    automatic = mode == SearchMode.AUTO
    aliases = load_aliases(session)
    if used == SearchMode.KEYWORD:
        return keyword_search(
            session, text, filters, page=page, per_page=per_page, aliases=aliases
        ).with_mode(automatic)
    return similar_search(session, text, filters, limit=per_page, aliases=aliases).with_mode(
        automatic
    )


# --- Keywords -------------------------------------------------------------------------------------


def query_words(text: str, aliases: AliasTable) -> list[str]:
    """The words the index is asked for: normalised as claims are ("Shoygu" is "shoigu", "tanks"
    is "tank"), without words such as "the", unless the text holds nothing else."""
    normalized = normalize(text, aliases)
    return list(dict.fromkeys(content_words(normalized) or normalized.split()))


@dataclass(frozen=True)
class KeywordResults:
    query: str
    words: list[str]
    hits: list[SearchHit]
    page: int
    has_next: bool
    newest_only: bool

    def with_mode(self, automatic: bool) -> SearchResults:
        return SearchResults(
            query=self.query,
            mode=SearchMode.KEYWORD,
            automatic=automatic,
            words=self.words,
            hits=self.hits,
            page=self.page,
            has_next=self.has_next,
            newest_only=self.newest_only,
        )


def keyword_search(
    session: Session,
    text: str,
    filters: ClaimFilters = NO_FILTERS,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    aliases: AliasTable | None = None,
) -> KeywordResults:
    """A page of the claims holding the text's words: every word first, then some, each group
    best first by the index's relevance; `filters` narrow them as they narrow the queue."""
    aliases = aliases or load_aliases(session)
    words = query_words(text, aliases)
    if not words:
        return KeywordResults(text, [], [], page, has_next=False, newest_only=False)
    found = text_index.document_counts(session, words)
    counts = {word: found.get(word, 0) for word in words}
    groups = [(text_index.match_text(session, words, every=True), min(counts.values()))]
    if len(words) > 1:
        # Some of the words but not all: those with all are in the first group already.
        some = (
            f"({text_index.match_text(session, words, every=False)}) NOT "
            f"({text_index.match_text(session, words, every=True)})"
            if text_index.is_sqlite(session)
            else f"({text_index.match_text(session, words, every=False)}) & "
            f"!({text_index.match_text(session, words, every=True)})"
        )
        groups.append((some, sum(counts.values())))
    branches = []
    newest_only = False
    for number, (match, most) in enumerate(groups):
        floor = _floor(session, filters, match, number) if most > RANKED_MAX else None
        newest_only = newest_only or floor is not None
        branches.append(_ranked(session, filters, match, number, floor))
    ranked = sa.union_all(*branches).subquery()
    statement = (
        sa.select(ranked.c.id)
        .order_by(ranked.c.tier, ranked.c.rank, ranked.c.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    ids = list(session.execute(statement).scalars())
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    idf = idf_from_counts(counts, text_index.archive_size(session))
    weight = sum(idf(word) for word in words)
    hits = []
    for claim, article in _load(session, ids):
        held = set(claim.normalized_text.split()) | set((claim.normalized_title or "").split())
        matched = [word for word in words if word in held]
        hits.append(
            SearchHit(
                claim,
                article,
                snippet=snippet(claim.text, text, aliases),
                score=round(100 * sum(idf(word) for word in matched) / weight, 1),
                matched=len(matched),
            )
        )
    return KeywordResults(text, words, hits, page, has_next=has_next, newest_only=newest_only)


@dataclass(frozen=True)
class _Group:
    """One group's matches as the index gives them: the filtered statement, its rank (lower is
    better) and the id the index hands matches over by (FTS5's rowid on SQLite)."""

    statement: sa.Select[Any]
    rank: sa.ColumnElement[Any]
    id: sa.ColumnElement[int]


def _group(session: Session, filters: ClaimFilters, match: str, number: int) -> _Group:
    """The claims the filters select that the index matches; the filters are the queue's, so a
    filter means the same here as there. `number` keeps each group's parameter apart."""
    statement = claims_query(session, filters).order_by(None)
    query = sa.bindparam(f"match{number}", match)
    if text_index.is_sqlite(session):
        fts = sa.table("claim_fts", sa.column("rowid"))
        return _Group(
            statement.join(fts, fts.c.rowid == Claim.id).where(
                sa.literal_column("claim_fts").op("MATCH")(query)
            ),
            sa.literal_column("bm25(claim_fts)"),
            fts.c.rowid,
        )
    # The stored vector the GIN index is built on, so the index answers.
    vector = sa.literal_column(text_index.PG_VECTOR)
    tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), query)
    return _Group(
        statement.where(vector.op("@@")(tsquery)), -sa.func.ts_rank(vector, tsquery), Claim.id
    )


def _ranked(
    session: Session, filters: ClaimFilters, match: str, number: int, floor: int | None
) -> sa.Select[Any]:
    """One group's matches with their rank, from `floor` (an id) on."""
    group = _group(session, filters, match, number)
    statement = group.statement.with_only_columns(
        Claim.id.label("id"), sa.literal_column(str(number)).label("tier"), group.rank.label("rank")
    )
    return statement if floor is None else statement.where(group.id >= floor)


def _floor(session: Session, filters: ClaimFilters, match: str, number: int) -> int | None:
    """The id of the RANKED_MAX-th newest claim of a group, None when it has fewer: the index
    hands its matches over in id order, so finding it scores and sorts nothing."""
    group = _group(session, filters, match, number)
    statement = (
        group.statement.with_only_columns(group.id)
        .order_by(group.id.desc())
        .offset(RANKED_MAX - 1)
        .limit(1)
    )
    return session.execute(statement).scalar()


def _load(session: Session, ids: list[int]) -> list[tuple[Claim, Article]]:
    """The claims with these ids and their articles, in the order of `ids`."""
    if not ids:
        return []
    rows = session.execute(
        sa.select(Claim, Article)
        .join(Article, Claim.article_id == Article.id)
        .where(Claim.id.in_(ids))
    ).all()
    by_id = {claim.id: (claim, article) for claim, article in rows}
    return [by_id[claim_id] for claim_id in ids if claim_id in by_id]


def snippet(text: str, query: str, aliases: AliasTable) -> Pieces:
    """The claim's own text with the query's words marked (each word normalised as claims are,
    so "Shoygu" marks "Shoigu" and "U.S." marks "United States"); a long text is cut to a window
    that starts shortly before the first marked word."""
    pieces = shared_word_spans(text, query, aliases)
    if len(text) <= SNIPPET_CHARS:
        return pieces
    first, offset = 0, 0
    for piece, marked in pieces:
        if marked:
            first = offset
            break
        offset += len(piece)
    start = max(0, first - SNIPPET_CHARS // 3)
    if start:
        start = text.find(" ", start) + 1 or start  # whole words only
    end = start + SNIPPET_CHARS
    if end < len(text):
        end = text.rfind(" ", start, end) if " " in text[start:end] else end
    window = shared_word_spans(text[start:end], query, aliases)
    head = [(ELLIPSIS, False)] if start else []
    tail = [(ELLIPSIS, False)] if end < len(text) else []
    return head + window + tail


# --- Similar claims -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarResults:
    query: str
    hits: list[SearchHit]

    def with_mode(self, automatic: bool) -> SearchResults:
        return SearchResults(
            query=self.query,
            mode=SearchMode.SIMILAR,
            automatic=automatic,
            words=[],
            hits=self.hits,
            page=1,
            has_next=False,
        )


def similar_search(
    session: Session,
    text: str,
    filters: ClaimFilters = NO_FILTERS,
    *,
    limit: int = PER_PAGE,
    aliases: AliasTable | None = None,
) -> SimilarResults:
    """The claims most similar to a sentence, best first (one page), with the words they share
    with it marked; with filters, those of the best SIMILAR_POOL the filters select."""
    aliases = aliases or load_aliases(session)
    filtered = not filters.is_empty()
    results = find_similar(session, text, SIMILAR_POOL if filtered else limit, aliases=aliases)
    if filtered and results:
        wanted = [result.claim.id for result in results]
        kept = set(
            session.execute(
                claims_query(session, filters)
                .order_by(None)
                .with_only_columns(Claim.id)
                .where(Claim.id.in_(wanted))
            ).scalars()
        )
        results = [result for result in results if result.claim.id in kept]
    hits = [
        SearchHit(
            result.claim,
            result.article,
            snippet=snippet(result.claim.text, text, aliases),
            score=result.score,
            similar=result,
        )
        for result in results[:limit]
    ]
    return SimilarResults(text, hits)
