"""Similar-claims search and duplicate suggestions: the index finds candidates, rapidfuzz-based
scores rank them.

The index (see text_index.py) is asked for the claims sharing the query's words, BM25-ranked;
only those candidates are scored, so a query never scans the archive.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from sqlmodel import Session, select

from workbench.matching import text_index
from workbench.matching.aliases import load_aliases
from workbench.matching.facts import (
    ClaimFacts,
    FactComparison,
    compare,
    compare_texts,
    extract,
    may_conflict,
)
from workbench.matching.normalize import (
    DUPLICATE_THRESHOLD,
    IDENTICAL_SCORE,
    AliasTable,
    Idf,
    content_words,
    duplicate_score,
    idf_from_counts,
    normalize,
    similarity_bound,
    similarity_score,
)
from workbench.matching.social import clean_post, posted_on
from workbench.models import (
    Article,
    Claim,
    DuplicateSuggestion,
    SuggestionKind,
)

CANDIDATES = 400  # claims scored per query; enough for the brute-force top 10 (benchmarks)
TITLE_WEIGHT = 5.0  # a checked claim's own title says what it is about (BM25 column weight)
SEARCH_COMMON_SHARE = 0.005  # words in more than 0.5% of the claims are left out of the query...
SEARCH_COMMON_MIN_DOCS = 200  # ...unless the archive is small...
SEARCH_MIN_WORDS = 4  # ...or too few words would be left...
SEARCH_POSTINGS = 5_000  # ...or all the query's words appear in fewer claims than this together
SUGGESTION_CANDIDATES = 20  # a duplicate shares most rare words, so it ranks high in the index
QUERY_WORDS = 32  # a long text is searched with its rarest words
# A query of at most this many words is also read as keywords: a claim containing all of them
# scores 100 (see _keyword_score).
KEYWORD_WORDS = 6
SUGGESTION_METHOD = "index+fuzzy"
# An editor reads the best few; a claim repeated in dozens of articles should not bury the page
# (once confirmed, the cluster links the rest).
SUGGESTIONS_PER_CLAIM = 5
SCORED_PER_CLAIM = 10  # candidates given the full score, best token-sort ratio first
SUGGESTION_WORDS = 4  # a repeat shares its rarest words: any two of these four find it
COMMON_WORD_SHARE = 50  # a word in more than 1/50 of the claims is left out of the query...
COMMON_WORD_MIN_DOCS = 200  # ...unless the archive is small
# Below this token-sort ratio no MSRP pair reaches the threshold (lowest seen: 37.3 with the
# alignment features; checked by benchmarks/msrp.py), so such candidates skip the full scoring.
CUT_OFF = 35
# A claim whose word groups can match at most this many claims (the sum of each group's rarest
# word's count) is answered by its article's one shared index query, and all its candidates (up
# to SHARED_CANDIDATES_MAX) are weighed; claims with commoner words ask the index one by one for
# its BM25-best SUGGESTION_CANDIDATES, so no query reads a large share of the archive.
SHARED_QUERY_MATCHES = 2_000
SHARED_CANDIDATES_MAX = 300
# More claims than this stored by others since an article's candidates were read (ids are handed
# out in order, so the highest id tells): read the candidates again instead.
LATER_CLAIMS_READ = 5_000


class Suggested(NamedTuple):
    """A suggestion as stored: the new claim, the archived one it repeats (or varies), the score,
    and for a variant the facts that differ ("3.2 percent ≠ 2.3 percent")."""

    claim_id: int
    candidate_id: int
    score: float
    kind: SuggestionKind = SuggestionKind.DUPLICATE
    changed: str = ""


@dataclass(frozen=True)
class SimilarClaim:
    claim: Claim
    article: Article
    score: float  # 0-100, ranks the results
    duplicate_score: float  # 0-100, with the facts decides "duplicate"
    facts: FactComparison  # the query's facts against the claim's (compared when worded alike)

    @property
    def duplicate(self) -> bool:
        """The same claim: worded alike (at or above the threshold) and no fact differs."""
        return self.duplicate_score >= DUPLICATE_THRESHOLD and not self.facts.conflicting

    @property
    def kind(self) -> str:
        """duplicate, variant (worded alike, a fact differs) or related (only alike)."""
        if self.duplicate_score >= DUPLICATE_THRESHOLD:
            return "variant" if self.facts.conflicting else "duplicate"
        return "related"

    def score_fields(self) -> dict[str, object]:
        """The score contract, in one place for the API and `claims similar` (see the README)."""
        return {
            "score": self.score,
            "duplicate_score": self.duplicate_score,
            "duplicate": self.duplicate,
            "kind": self.kind,
            "changed": self.facts.summary() or None,
        }


def judge(
    claim_text: str,
    claim_normalized: str,
    candidate_text: str,
    candidate_normalized: str,
    aliases: AliasTable,
) -> tuple[SuggestionKind, str]:
    """A pair at or above the duplicate threshold is a duplicate unless a fact differs: then it
    is a variant, and the differences are said in words for the editor."""
    if not may_conflict(claim_text, claim_normalized, candidate_text, candidate_normalized):
        return SuggestionKind.DUPLICATE, ""
    comparison = compare_texts(
        claim_text, claim_normalized, candidate_text, candidate_normalized, aliases
    )
    if comparison.conflicting:
        return SuggestionKind.VARIANT, comparison.summary()
    return SuggestionKind.DUPLICATE, ""


@dataclass(frozen=True)
class _Query:
    normalized: str
    words: list[str]
    idf: Idf
    matches: int  # about how many claims hold one of the words (the sum of their counts)


def _prepare(session: Session, normalized: str) -> _Query:
    words = list(dict.fromkeys(content_words(normalized)))
    total = text_index.archive_size(session)
    counts = text_index.document_counts(session, words, total)
    counts = {w: counts.get(w, 0) for w in words}
    idf = idf_from_counts(counts, total)
    rarest = sorted(words, key=lambda w: (counts[w], w))
    # A word in many claims matches a large share of the archive, and ranking every match is
    # what a search costs; such words still weigh in the scores, just not in the index query...
    # A count past the index's cap says only "more than the cap" (PostgreSQL): a word past it is
    # common whatever the archive's size. Without this bound, a million claims put the bar at
    # the cap itself and every capped word, "said" and "percent" too, searched as a telling one.
    common = min(
        max(SEARCH_COMMON_MIN_DOCS, int(total * SEARCH_COMMON_SHARE)), text_index.DOC_COUNT_CAP
    )
    telling = [w for w in rarest if counts[w] <= common]
    chosen = telling if len(telling) >= SEARCH_MIN_WORDS else rarest[:SEARCH_MIN_WORDS]
    # ...unless the index can afford them: on a small archive a "common" word ("Hillary",
    # "campaign") is often what a short post and its fact-check share, and BM25 weighs it
    # lightly anyway. The cost of the query is the number of index entries it reads.
    postings = sum(counts[w] for w in chosen)
    for word in rarest:
        if word not in chosen and postings + counts[word] <= SEARCH_POSTINGS:
            chosen.append(word)
            postings += counts[word]
    chosen = chosen[:QUERY_WORDS]
    matches = sum(counts[w] for w in chosen)
    return _Query(normalized=normalized, words=chosen, idf=idf, matches=matches)


class Candidate(NamedTuple):
    id: int
    external_id: str | None
    normalized_text: str
    normalized_title: str | None
    published: datetime | None  # its article's (or fact-check's) date

    @property
    def day(self) -> date | None:
        return self.published.date() if self.published else None


def candidates_for(
    session: Session, text: str, limit: int = CANDIDATES, *, aliases: AliasTable | None = None
) -> tuple[_Query, list[Candidate]]:
    """The normalised query and the claims the index offers for it, unscored, in the index's
    (BM25) order; a post's social noise (links, handles, hashtags) is dropped first."""
    aliases = aliases or load_aliases(session)
    query = _prepare(session, normalize(clean_post(text), aliases))
    return query, _candidates(session, query, limit)


def _candidates(session: Session, query: _Query, limit: int) -> list[Candidate]:
    if not query.words:
        return []
    ranked = text_index.ranked_matches(
        session,
        query.words,
        limit,
        title_weight=TITLE_WEIGHT,
        matches=query.matches,
        columns=("article_id", "external_id", "normalized_text", "normalized_title"),
    )
    rows = session.execute(
        sa.select(
            ranked.c.id,
            ranked.c.external_id,
            ranked.c.normalized_text,
            ranked.c.normalized_title,
            Article.published_at,
        )
        .join(Article, ranked.c.article_id == Article.id)
        .order_by(ranked.c.rank, ranked.c.id)
    )
    return [Candidate(*row) for row in rows]


def find_similar(
    session: Session,
    text: str,
    limit: int = 10,
    *,
    aliases: AliasTable | None = None,
    when: date | None = None,
) -> list[SimilarClaim]:
    """The archived claims closest to any text, best first, scored 0-100.

    `when` is the day the text was published (a post's signature line gives it when it is not
    given): claims of that time rank higher, as a claim is checked while it circulates."""
    aliases = aliases or load_aliases(session)
    when = when or posted_on(text)
    # A pasted post is read as the claim it makes, for the scores and the facts alike.
    text = clean_post(text)
    query = _prepare(session, normalize(text, aliases))
    candidates = _candidates(session, query, max(CANDIDATES, limit))
    ranked = best_ranked(query, candidates, limit, when)
    # Only the results shown are loaded whole, and only they get the duplicate decision (an
    # alignment and a fact comparison each).
    statement = select(Claim, Article).join(Article, Claim.article_id == Article.id)
    loaded = {
        claim.id: (claim, article)
        for claim, article in session.exec(
            statement.where(Claim.id.in_([claim_id for _, claim_id in ranked]))
        ).all()
    }
    results: list[tuple[float, int, SimilarClaim]] = []
    query_facts: ClaimFacts | None = None
    for rank, (score, claim_id) in enumerate(ranked):
        if claim_id not in loaded:
            continue
        claim, article = loaded[claim_id]
        alike = duplicate_score(query.normalized, claim.normalized_text, query.idf)
        # Facts decide between duplicate and variant, so only pairs worded alike need them.
        facts = FactComparison()
        if alike >= DUPLICATE_THRESHOLD and may_conflict(
            text, query.normalized, claim.text, claim.normalized_text
        ):
            query_facts = query_facts or extract(text, query.normalized, aliases)
            facts = compare(query_facts, extract(claim.text, claim.normalized_text, aliases))
        result = SimilarClaim(
            claim, article, score=round(score, 1), duplicate_score=alike, facts=facts
        )
        if result.duplicate and result.duplicate_score > score:
            # The same claim ranks at least as high as its duplicate score says.
            score = result.duplicate_score
            result = replace(result, score=score)
        results.append((score, rank, result))
    # Ranked on the unrounded scores, so a claim worded exactly as the query comes before a
    # paraphrase that also rounds to 100, whatever the limit.
    results.sort(key=lambda row: (-row[0], row[1]))
    return [result for _, _, result in results]


def query_keywords(normalized: str) -> set[str]:
    """The words of a query short enough to be read as keywords too (see _keyword_score)."""
    keywords = set(content_words(normalized))
    return keywords if len(keywords) <= KEYWORD_WORDS else set()


def best_ranked(
    query: _Query, candidates: Iterable[Candidate], limit: int, when: date | None = None
) -> list[tuple[float, int]]:
    """The `limit` best candidates by ranking score, as (score, id), best first; ties by id.

    Scoring a candidate is mostly its fuzz ratios. A bound without them (similarity_bound) says
    which cannot reach the last place found so far, so candidates are scored in the order of
    their bounds and the rest skipped: the same results, for a fraction of the scoring (at a
    million claims most of the 400 candidates share only a word or two with the query)."""
    if limit < 1:
        return []
    keywords = query_keywords(query.normalized)
    idf = query.idf
    bounded = sorted(
        (
            (
                max(
                    similarity_bound(
                        query.normalized, c.normalized_text, c.normalized_title, idf, when, c.day
                    ),
                    _keyword_score(keywords, c.normalized_text, c.normalized_title, idf),
                ),
                c,
            )
            for c in candidates
        ),
        key=lambda row: (-row[0], row[1].id),
    )
    # The best so far as a heap of (score, -id), its worst on top: the lower score, then the
    # higher id.
    best: list[tuple[float, int]] = []
    for bound, c in bounded:
        if len(best) == limit and bound < best[0][0]:
            break
        score = ranking_score(
            query.normalized, c.normalized_text, c.normalized_title, idf, keywords, when, c.day
        )
        if len(best) < limit:
            heapq.heappush(best, (score, -c.id))
        else:
            heapq.heappushpop(best, (score, -c.id))
    return sorted(((score, -negated) for score, negated in best), key=lambda r: (-r[0], r[1]))


def ranking_score(
    normalized: str,
    text: str,
    title: str | None,
    idf: Idf,
    keywords: set[str],
    query_date: date | None = None,
    claim_date: date | None = None,
) -> float:
    """What the similar-claims search ranks on (unrounded): the similarity score, or for a query
    of a few words the keyword score when that is higher."""
    return max(
        similarity_score(normalized, text, title, idf, query_date, claim_date),
        _keyword_score(keywords, text, title, idf),
    )


def _keyword_score(keywords: set[str], text: str, title: str | None, idf: Idf) -> float:
    """0-100 for a query of a few words: how much of it (weighted by how rare each word is) the
    claim or its title contains. "Shoigu" scores 100 on every claim that names him; the
    similarity model, made for sentences, would give such a claim almost nothing."""
    if not keywords:
        return 0.0
    words = set(text.split())
    if title:
        words.update(title.split())
    found = sum(idf(w) for w in keywords & words)
    return round(100 * found / sum(idf(w) for w in keywords), 1)


# id -> (normalized_text, text): what the duplicate decision reads of each candidate.
CandidateTexts = dict[int, tuple[str, str]]


@dataclass(frozen=True)
class ArchiveCandidates:
    """The archived claims an article's claims might repeat, read before the article is stored.

    Reading them is most of what matching costs, so it is done outside the write transaction: in
    a worker process's read-only snapshot during a batch import, or before the request takes the
    write lock. The storing transaction then only looks at claims stored after `watermark` (the
    highest claim id the snapshot held), so nothing committed in between is missed.
    """

    watermark: int
    counts: dict[str, int]  # claims holding each word, this article's own claims included
    per_claim: list[CandidateTexts]  # one per claim, in the article's order
    # Once weighed (decide_candidates): each claim's suggestions by its position in the article,
    # their claim_id being that position until the claims are stored.
    decided: list[list[Suggested]] | None = None


def find_candidates(
    session: Session,
    normalized: Sequence[str],
    *,
    stored_in: Collection[int] = (),
    word_counts: dict[str, int] | None = None,
) -> ArchiveCandidates:
    """The candidates for each of an article's normalised claims (reads only).

    A candidate shares two of the claim's four rarest words (any one when it has two or fewer).
    Claims whose rare words are rare enough share one index query for the whole article, which
    says which claim each row answers; a claim with more than `SHARED_CANDIDATES_MAX` of them, or
    with only common words, asks the index for its best-ranked ones on its own. `stored_in`
    names the articles of claims already stored (they are in the counts and never candidates).
    A batch import passes one `word_counts` memo for all its articles: counts only weigh words,
    so a batch-old count is good enough and saves most index look-ups.
    """
    watermark = text_index.archive_size(session)
    words_of = [set(content_words(text)) for text in normalized]
    words = set().union(*words_of)
    memo = {} if word_counts is None else word_counts
    missing = [w for w in words if w not in memo]
    if missing:
        found = text_index.document_counts(session, missing, watermark)
        memo.update({w: found.get(w, 0) for w in missing})
    counts = {w: memo[w] for w in words}
    total = watermark
    if not stored_in:
        # The article's own claims count as if stored, as they will be when the suggestions are.
        own = Counter(w for mine in words_of for w in mine)
        counts = {w: n + own[w] for w, n in counts.items()}
        total += len(normalized)
    common = max(COMMON_WORD_MIN_DOCS, total // COMMON_WORD_SHARE)
    queries = [_query_words(text, counts, common) for text in normalized]
    # Claims whose word groups can match only a few claims share one index query, which says
    # which claim each row answers; the others are ranked by the index one by one.
    together = {
        i: query
        for i, query in enumerate(queries)
        if query
        and sum(min(counts[w] for w in group) for group in _groups(query)) <= SHARED_QUERY_MATCHES
    }
    shared: dict[int, CandidateTexts] = {i: {} for i in together}
    for i, claim_id, article_id, normalized_text, text in text_index.claims_sharing(
        session, together
    ):
        if article_id not in stored_in:
            shared[i][claim_id] = (normalized_text, text)
    per_claim: list[CandidateTexts] = []
    ranked: dict[int, list[int]] = {}
    for i, query in enumerate(queries):
        offered = shared.get(i)
        if offered is None or len(offered) > SHARED_CANDIDATES_MAX:
            # Too many to read: the index ranks them (BM25) and hands over the best.
            ranked[i] = text_index.candidate_ids(
                session, query, SUGGESTION_CANDIDATES, pairs=len(query) > 2
            )
            offered = {}
        per_claim.append(dict(sorted(offered.items())))
    if ranked:
        texts = _claim_texts(session, {i for ids in ranked.values() for i in ids}, set(stored_in))
        for i, ids in ranked.items():
            per_claim[i] = {other: texts[other] for other in ids if other in texts}
    return ArchiveCandidates(watermark=watermark, counts=counts, per_claim=per_claim)


def decide_candidates(
    found: ArchiveCandidates, claims: Sequence[tuple[str, str]], aliases: AliasTable
) -> ArchiveCandidates:
    """The decisions on the candidates read, made before storing as the reading was: `claims`
    are (normalised text, text) in the article's order. The candidates' texts are dropped once
    weighed, so a worker process hands back only the suggestions."""
    idf = idf_from_counts(found.counts, found.watermark + len(claims))
    decided = [
        decide_duplicates(position, normalized, text, offered, idf, aliases)
        for position, ((normalized, text), offered) in enumerate(
            zip(claims, found.per_claim, strict=True)
        )
    ]
    return replace(found, per_claim=[], decided=decided)


def _query_words(normalized: str, counts: dict[str, int], common: int) -> list[str]:
    """The claim's rarest words, which a repeat shares: words in a large share of the archive
    find everything and tell nothing apart, and a word counted once is only in this claim."""
    mine = sorted(set(content_words(normalized)), key=lambda w: (counts[w], w))
    rare = [w for w in mine if 1 < counts[w] <= common] or mine[:3]
    return rare[:SUGGESTION_WORDS]


def _groups(query: list[str]) -> list[tuple[str, ...]]:
    """The word groups a candidate must hold one of: any two of three or four words, else any."""
    if len(query) > 2:
        return [(a, b) for i, a in enumerate(query) for b in query[i + 1 :]]
    return [(w,) for w in query]


class _WordIndex:
    """Claims read from the database, looked up by word in memory, to pick out each claim's
    candidates from one shared query (the same test the index applies: every word of a group).
    Only the `wanted` words are indexed."""

    def __init__(self, rows: Iterable[Sequence[Any]], wanted: set[str]) -> None:
        self.texts: CandidateTexts = {}
        self.holding: dict[str, set[int]] = {}
        for claim_id, _article_id, normalized_text, normalized_title, text in rows:
            self.texts[claim_id] = (normalized_text, text)
            words = wanted.intersection(normalized_text.split())
            if normalized_title:
                words.update(wanted.intersection(normalized_title.split()))
            for word in words:
                self.holding.setdefault(word, set()).add(claim_id)

    def sharing(self, groups: list[tuple[str, ...]]) -> CandidateTexts:
        ids: set[int] = set()
        for group in groups:
            ids |= set.intersection(*(self.holding.get(w, set()) for w in group))
        return {i: self.texts[i] for i in sorted(ids)}


def decide_duplicates(
    claim_id: int,
    normalized: str,
    text: str,
    candidates: Mapping[int, tuple[str, str]],
    idf: Idf,
    aliases: AliasTable,
) -> list[Suggested]:
    """The suggestions for one claim among its candidates (id -> (normalized_text, text)), best
    first, at most SUGGESTIONS_PER_CLAIM: the one place that decides whether a pair repeats (a
    duplicate) or is worded alike with a fact changed (a variant).

    A cheap token-sort pass (rapidfuzz, in C++) picks the few worth the full score; candidates
    that cannot reach the threshold skip it.
    """
    closest = process.extract(
        normalized,
        {other: texts[0] for other, texts in candidates.items()},
        scorer=fuzz.token_sort_ratio,
        score_cutoff=CUT_OFF,
        limit=SCORED_PER_CLAIM,
    )
    scored: list[tuple[float, int, str]] = []
    for other_text, _quick, other in closest:
        if other_text == normalized:  # the same words: no need to weigh them
            score = IDENTICAL_SCORE
        else:
            score = duplicate_score(normalized, other_text, idf)
        if score >= DUPLICATE_THRESHOLD:
            scored.append((score, other, other_text))
    # The kind does not decide which are kept, so only the kept pairs have their facts compared.
    scored.sort(key=lambda row: (-row[0], row[1]))
    found: list[Suggested] = []
    for score, other, other_text in scored[:SUGGESTIONS_PER_CLAIM]:
        kind, changed = judge(text, normalized, candidates[other][1], other_text, aliases)
        found.append(Suggested(claim_id, other, score, kind, changed))
    return found


class StoredClaim(Protocol):
    """What suggesting duplicates reads of a stored claim: a Claim, or the row its insert
    returned (ingest does not load the claims it has just written)."""

    @property
    def id(self) -> int | None: ...
    @property
    def article_id(self) -> int: ...
    @property
    def normalized_text(self) -> str: ...
    @property
    def text(self) -> str: ...


def find_suggestions(
    session: Session,
    claims: Sequence[StoredClaim],
    *,
    fresh: bool = True,
    word_counts: dict[str, int] | None = None,
    found: ArchiveCandidates | None = None,
    aliases: AliasTable | None = None,
) -> list[Suggested]:
    """For each stored claim, the archived claims it repeats or varies: reads only, in the
    caller's transaction (the caller writes them, see intake.storing.store_article).

    Claims of the same article are not suggested (an article restating itself is not news), nor is
    a pair already suggested or rejected, in either direction (`fresh` claims, just stored, cannot
    have any). `found` holds the candidates read before the claims were stored (in the same
    order); the claims stored since are read here and picked out in memory, so two articles of
    one batch that repeat each other are still suggested. Without it, the candidates are read
    now.
    """
    if not claims:
        return []
    aliases = aliases or load_aliases(session)
    articles = {claim.article_id for claim in claims}
    others_since = text_index.archive_size(session) - found.watermark - len(claims) if found else 0
    if found is None or others_since > LATER_CLAIMS_READ:
        found = find_candidates(
            session,
            [claim.normalized_text for claim in claims],
            stored_in=articles,
            word_counts=word_counts,
        )
    later = _WordIndex(
        session.execute(
            sa.select(
                Claim.id,
                Claim.article_id,
                Claim.normalized_text,
                Claim.normalized_title,
                Claim.text,
            ).where(Claim.id > found.watermark, Claim.article_id.not_in(articles))
        ),
        set(found.counts),
    )
    counts = found.counts
    if later.texts:
        counts = {w: n + len(later.holding.get(w, ())) for w, n in counts.items()}
    total = text_index.archive_size(session)
    idf = idf_from_counts(counts, total)
    common = max(COMMON_WORD_MIN_DOCS, total // COMMON_WORD_SHARE)

    suggestions: list[Suggested] = []
    for position, claim in enumerate(claims):
        candidates: CandidateTexts = {}
        if later.texts:
            query = _query_words(claim.normalized_text, counts, common)
            candidates = later.sharing(_groups(query))
        if found.decided is not None and fresh:
            # Weighed before the write transaction; only the claims stored since are weighed
            # here, and the best of both kept.
            made = [s._replace(claim_id=claim.id) for s in found.decided[position]]
            if candidates:
                made += decide_duplicates(
                    claim.id, claim.normalized_text, claim.text, candidates, idf, aliases
                )
                made.sort(key=lambda s: (-s.score, s.candidate_id))
            suggestions.extend(made[:SUGGESTIONS_PER_CLAIM])
            continue
        candidates = {**found.per_claim[position], **candidates}
        if not fresh:
            known = _suggested_partners(session, claim.id, list(candidates))
            candidates = {i: t for i, t in candidates.items() if i not in known}
        suggestions.extend(
            decide_duplicates(claim.id, claim.normalized_text, claim.text, candidates, idf, aliases)
        )
    return suggestions


def _claim_texts(session: Session, ids: set[int], skip_articles: set[int]) -> CandidateTexts:
    """id -> (normalised text, text), for candidates outside the given articles."""
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Claim.id, Claim.normalized_text, Claim.text).where(
            Claim.id.in_(ids), Claim.article_id.not_in(skip_articles)
        )
    )
    return {claim_id: (normalized, text) for claim_id, normalized, text in rows}


def _suggested_partners(session: Session, claim_id: int, others: list[int]) -> set[int]:
    """Claims already paired with this one, in either direction and in any state: a pending pair
    stays one row, and a rejected pair is never suggested again."""
    pairs = session.exec(
        select(DuplicateSuggestion.claim_id, DuplicateSuggestion.candidate_id).where(
            sa.or_(
                sa.and_(
                    DuplicateSuggestion.claim_id == claim_id,
                    DuplicateSuggestion.candidate_id.in_(others),
                ),
                sa.and_(
                    DuplicateSuggestion.candidate_id == claim_id,
                    DuplicateSuggestion.claim_id.in_(others),
                ),
            ),
        )
    ).all()
    return {a if b == claim_id else b for a, b in pairs}
