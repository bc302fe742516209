"""What keeps a similar-claims search fast at a million claims, and the same as without it: the
bound that skips scoring candidates, and on PostgreSQL the word counts read from ANALYZE's sample
and the two-word index query once the words are common."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from claim_data import TALKS, TALKS_AGAIN, add_article, add_claim
from conftest import ON_POSTGRES, REPO
from sqlmodel import Session

from workbench.matching import similar, text_index
from workbench.matching.normalize import (
    content_words,
    idf_from_counts,
    normalize,
    similarity_bound,
    similarity_score,
)

postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's own statistics")


def seed_sentences() -> list[str]:
    """Real news sentences on one story (the seed, and the demo's articles), and a true repeat."""
    seed = [
        line
        for path in sorted((REPO / "fixtures" / "seed").glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    demo = (REPO / "fixtures" / "demo" / "articles.jsonl").read_text(encoding="utf-8")
    articles = [json.loads(line)["text"] for line in demo.splitlines() if line.strip()]
    sentences = [s for text in [*seed, *articles] for s in text.replace("\n", " ").split(". ")]
    return [*dict.fromkeys(s for s in sentences if len(s.split()) > 5), TALKS, TALKS_AGAIN]


def test_the_bound_is_never_below_the_score() -> None:
    sentences = [normalize(s) for s in seed_sentences()]
    idf = idf_from_counts({w: 3 for s in sentences for w in content_words(s)}, 500)
    days = (None, date(2015, 9, 18), date(2016, 1, 2))
    pairs = 0
    for (query, candidate), title, day in zip(
        itertools.permutations(sentences, 2),
        itertools.cycle([None, sentences[-1], ""]),
        itertools.cycle(days),
        strict=False,
    ):
        score = similarity_score(query, candidate, title, idf, date(2015, 9, 20), day)
        assert similarity_bound(query, candidate, title, idf, date(2015, 9, 20), day) >= score
        pairs += 1
    assert pairs > 800


def test_skipping_candidates_by_their_bound_keeps_the_exact_top_results(session: Session) -> None:
    article = add_article(session, "Seed")
    claims = [add_claim(session, article, text) for text in seed_sentences()]
    candidates = [
        similar.Candidate(c.id or 0, None, c.normalized_text, title, None)
        for c, title in zip(
            claims, itertools.cycle([None, None, "russia syria talk"]), strict=False
        )
    ]
    assert len(candidates) > 30
    for text in (TALKS_AGAIN, claims[3].text, "Shoigu", "Russian tanks at the airbase in Latakia"):
        query = similar._prepare(session, normalize(text))
        keywords = similar.query_keywords(query.normalized)
        everything = sorted(
            (
                similar.ranking_score(
                    query.normalized, c.normalized_text, c.normalized_title, query.idf, keywords
                ),
                c.id,
            )
            for c in candidates
        )
        everything.sort(key=lambda row: (-row[0], row[1]))
        for limit in (1, 5, 10):
            assert similar.best_ranked(query, candidates, limit) == everything[:limit]


@pytest.fixture
def statements(session: Session) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []
    engine = session.get_bind().engine

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def analyse(session: Session) -> None:
    session.commit()
    session.execute(sa.text("ANALYZE claim"))
    session.commit()


@postgres_only
def test_postgresql_reads_a_common_words_count_from_analyzes_sample(
    session: Session, statements: list[tuple[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting a common word by the index reads every claim that holds it; ANALYZE has already
    sampled it (at a million claims, a search's counts went from 442 to 4 ms)."""
    monkeypatch.setattr(text_index, "SAMPLED_COUNT_MIN", 10)
    article = add_article(session, "Ceasefire reports")
    for n in range(40):
        where = "ceasefire held" if n < 30 else "shelling resumed"
        add_claim(session, article, f"The {where} in district {n} overnight.")
    add_claim(session, article, "Observers counted craters near Jableh.")
    assert text_index.document_counts(session, ["ceasefir", "jableh"]) == {
        "ceasefir": 30,
        "jableh": 1,
    }  # before any ANALYZE: both counted by the index
    analyse(session)
    statements.clear()
    counts = text_index.document_counts(session, ["ceasefir", "jableh", "crater"])
    assert counts == {"ceasefir": 30, "jableh": 1, "crater": 1}
    counted = [params for statement, params in statements if "unnest" in statement]
    assert counted and all("ceasefir" not in params["words"] for params in counted)  # type: ignore[index]
    assert all("jableh" in params["words"] for params in counted)  # type: ignore[index]

    # A newer ANALYZE is read: the cache is per sample, not per process.
    for n in range(40, 80):
        add_claim(session, article, f"The ceasefire held in district {n} overnight.")
    analyse(session)
    assert text_index.document_counts(session, ["ceasefir"]) == {"ceasefir": 70}


@postgres_only
def test_postgresql_ranks_only_claims_sharing_two_words_once_the_words_are_common(
    session: Session,
) -> None:
    article = add_article(session, "Latakia")
    both = add_claim(session, article, "Tanks arrived at the Latakia airbase.")
    one = add_claim(session, article, "Tanks paraded in Moscow.")
    words = content_words(normalize("Tanks at the Latakia airbase near Jableh"))
    assert len(words) > 2
    few = text_index.candidate_ids(session, words, 10, matches=text_index.PG_RANKED_MATCHES)
    assert set(few) == {both.id, one.id}
    many = text_index.candidate_ids(session, words, 10, matches=text_index.PG_RANKED_MATCHES + 1)
    assert many == [both.id]
