"""Search: which mode a text gets, keyword search (ranking, normalisation, the queue's filters,
paging, very common words) and snippets."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim, ClaimStatus, Verdict
from workbench.review import search as search_module
from workbench.review.queue import ClaimFilters
from workbench.review.search import (
    ModeError,
    PageError,
    SearchMode,
    choose_mode,
    keyword_search,
    parse_mode,
    parse_page,
    search,
)

BOTH = "The ministry said wheat exports to Egypt rose 12 percent in March."
WHEAT = "Wheat prices fell 3 percent in Kansas on Monday after heavy rain."
EGYPT = "Egypt raised bread subsidies by 5 percent last year to calm protests."
OTHER = "The council spent 4 million dollars on road repairs in district 9."


def _ingest(
    session: Session, sentences: list[str], title: str, outlet: str | None = None
) -> list[int]:
    result = ingest_article(
        session, ArticleInput(body="\n".join(sentences), title=title, outlet=outlet), match=False
    )
    ids = list(
        session.exec(
            select(Claim.id).where(Claim.article_id == result.article.id).order_by(Claim.position)
        ).all()
    )
    assert len(ids) == len(sentences), "every sentence should be a claim"
    return ids  # type: ignore[return-value]


def _marked(pieces: list[tuple[str, bool]]) -> list[str]:
    return [text for text, marked in pieces if marked]


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("Shoigu", SearchMode.KEYWORD),
        ("wheat Egypt", SearchMode.KEYWORD),
        ("U.S. wheat exports", SearchMode.KEYWORD),
        ("Shoigu met Kerry.", SearchMode.SIMILAR),
        ("Did Shoigu lie?", SearchMode.SIMILAR),
        ("wheat exports to Egypt rose sharply", SearchMode.SIMILAR),
        ('Kerry said "Assad must go."', SearchMode.SIMILAR),
    ],
)
def test_a_few_words_are_keywords_and_a_sentence_is_similar(text: str, mode: SearchMode) -> None:
    assert choose_mode(text) == mode
    # Asked for, a mode is used whatever the text looks like.
    assert choose_mode(text, SearchMode.KEYWORD) == SearchMode.KEYWORD
    assert choose_mode(text, SearchMode.SIMILAR) == SearchMode.SIMILAR


def test_modes_and_pages_are_read_or_refused_with_a_sentence() -> None:
    assert parse_mode(None) == parse_mode("") == SearchMode.AUTO
    assert parse_mode("similar") == SearchMode.SIMILAR
    with pytest.raises(ModeError, match="mode must be one of: auto, keyword, similar"):
        parse_mode("fuzzy")
    assert parse_page(None) == parse_page(" ") == 1
    assert parse_page("3") == 3
    for bad in ("0", "-1", "²", "1" * 40, "x"):
        with pytest.raises(PageError, match="page must be a whole number"):
            parse_page(bad)


def test_a_claim_with_both_words_ranks_above_claims_with_one(session: Session) -> None:
    wheat, both, egypt, _ = _ingest(session, [WHEAT, BOTH, EGYPT, OTHER], "Grain")
    found = keyword_search(session, "wheat Egypt")
    assert [hit.claim.id for hit in found.hits][0] == both
    assert {hit.claim.id for hit in found.hits} == {both, wheat, egypt}
    assert [hit.matched for hit in found.hits] == [2, 1, 1]
    assert found.hits[0].score == 100.0 and found.hits[1].score < 100.0
    assert found.words == ["wheat", "egypt"]
    assert _marked(found.hits[0].snippet) == ["wheat", "Egypt"]
    assert "".join(text for text, _ in found.hits[0].snippet) == BOTH
    assert not found.has_next and not found.newest_only


def test_words_are_normalised_as_claims_are(session: Session) -> None:
    shoigu, us = _ingest(
        session,
        [
            "Defense minister Sergei Shoigu said 40 tanks crossed the border on Friday.",
            "The United States imposed sanctions on 12 Russian banks on Tuesday.",
        ],
        "Aliases",
    )
    found = keyword_search(session, "Shoygu tank")  # another spelling, another number
    assert [hit.claim.id for hit in found.hits] == [shoigu]
    assert _marked(found.hits[0].snippet) == ["Shoigu", "tanks"]
    found = keyword_search(session, "US sanctions")
    assert [hit.claim.id for hit in found.hits] == [us]
    assert _marked(found.hits[0].snippet) == ["United", "States", "sanctions"]


def test_the_queues_filters_apply(session: Session) -> None:
    (first,) = _ingest(session, [BOTH], "One", outlet="Daily Grain")
    (second,) = _ingest(session, [BOTH.replace("12", "14")], "Two", outlet="Farm Weekly")
    assert {h.claim.id for h in keyword_search(session, "wheat Egypt").hits} == {first, second}
    by_outlet = keyword_search(session, "wheat Egypt", ClaimFilters(outlet="Farm Weekly"))
    assert [hit.claim.id for hit in by_outlet.hits] == [second]
    session.execute(
        sa.update(Claim)
        .where(Claim.id == first)
        .values(status=ClaimStatus.VERDICT, verdict=Verdict.REFUTED)
    )
    by_verdict = keyword_search(session, "wheat Egypt", ClaimFilters(verdict=Verdict.REFUTED))
    assert [hit.claim.id for hit in by_verdict.hits] == [first]
    assert keyword_search(session, "wheat", ClaimFilters(status=ClaimStatus.DISMISSED)).hits == []


def test_results_come_a_page_at_a_time(session: Session) -> None:
    ids = _ingest(session, [BOTH, WHEAT, EGYPT], "Grain")
    first = keyword_search(session, "wheat Egypt", per_page=2)
    second = keyword_search(session, "wheat Egypt", page=2, per_page=2)
    assert first.has_next and not second.has_next
    seen = [hit.claim.id for hit in first.hits + second.hits]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 3
    assert keyword_search(session, "wheat Egypt", page=3, per_page=2).hits == []


def test_very_common_words_rank_only_the_newest_matches_but_every_word_still_comes_first(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "RANKED_MAX", 2)
    (both,) = _ingest(session, [BOTH], "Oldest")
    wheat = [
        _ingest(session, [f"Wheat prices fell {n} percent in Kansas on day {n}."], f"W{n}")[0]
        for n in range(4)
    ]
    found = keyword_search(session, "wheat Egypt")
    assert found.newest_only
    # The one claim with both words is the oldest, and still first; of the claims with one
    # word, only the newest two were ranked.
    assert [hit.claim.id for hit in found.hits][0] == both
    assert {hit.claim.id for hit in found.hits[1:]} == set(wheat[-2:])


def test_a_text_without_words_finds_nothing(session: Session) -> None:
    _ingest(session, [BOTH], "Grain")
    found = keyword_search(session, "!!! …")
    assert found.hits == [] and found.words == []


def test_stopwords_alone_are_searched_for(session: Session) -> None:
    (claim_id,) = _ingest(session, [BOTH], "Grain")
    assert [hit.claim.id for hit in keyword_search(session, "to the").hits] == [claim_id]


def test_a_long_claim_is_cut_around_its_first_marked_word(session: Session) -> None:
    filler = " ".join(f"word{n}" for n in range(80))
    (claim_id,) = _ingest(
        session, [f"The minister said {filler} and Shoigu agreed on 3 points."], "L"
    )
    (hit,) = keyword_search(session, "Shoigu").hits
    text = "".join(piece for piece, _ in hit.snippet)
    assert text.startswith("…") and "word0 " not in text  # from shortly before "Shoigu"
    assert "Shoigu" in _marked(hit.snippet)
    assert len(text) <= search_module.SNIPPET_CHARS + 2


def test_search_says_which_mode_it_used(session: Session) -> None:
    both, wheat = _ingest(session, [BOTH, WHEAT], "Grain")
    words = search(session, "wheat Egypt")
    assert words.mode == SearchMode.KEYWORD and words.automatic
    assert words.hits[0].claim.id == both
    sentence = search(session, "Wheat exports to Egypt rose 12 percent in March.")
    assert sentence.mode == SearchMode.SIMILAR and sentence.automatic
    assert sentence.hits[0].claim.id == both
    assert sentence.hits[0].similar is not None and sentence.hits[0].similar.kind == "duplicate"
    assert "Egypt" in _marked(sentence.hits[0].snippet)
    asked = search(session, "wheat Egypt", SearchMode.SIMILAR)
    assert asked.mode == SearchMode.SIMILAR and not asked.automatic
    # Filters narrow similar claims too.
    session.execute(sa.update(Claim).where(Claim.id == wheat).values(status=ClaimStatus.DISMISSED))
    kept = search(
        session,
        "Wheat prices fell 3 percent in Kansas.",
        filters=ClaimFilters(status=ClaimStatus.DISMISSED),
    )
    assert [hit.claim.id for hit in kept.hits] == [wheat]
