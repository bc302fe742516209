"""Big articles: no step's work grows with the square of the article, and no claim is longer than
MAX_CLAIM_CHARS. Checked by what each step is given, not by timing it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

import workbench.similar
import workbench.splitting
from workbench.ingest import ArticleInput, ingest_article
from workbench.models import Claim
from workbench.splitting import MAX_CLAIM_CHARS, PYSBD_WINDOW, find_claims, split_sentences

SENTENCES = [
    f"Item {n} on the council's list was approved by Dr. Smith on Monday." for n in range(400)
]
PARAGRAPH = " ".join(SENTENCES)  # one block of about 27,000 characters


def test_pysbd_never_sees_more_than_a_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # pysbd's abbreviation pass rescans its whole input per abbreviation found: given a
    # 10,000-sentence paragraph at once it took minutes.
    seen: list[int] = []
    real = workbench.splitting._pysbd_pieces

    def pieces(block: str) -> list[str]:
        seen.append(len(block))
        return real(block)

    monkeypatch.setattr(workbench.splitting, "_pysbd_pieces", pieces)
    sentences = split_sentences(PARAGRAPH)
    assert seen and max(seen) <= PYSBD_WINDOW
    assert [s.text for s in sentences] == SENTENCES


def test_windows_cut_only_at_sure_sentence_ends() -> None:
    # Abbreviations ("Dr.", "U.S.", "a.m.") near every window edge must not become sentence ends.
    sentence = "At 5 a.m. Dr. Jones of the U.S. Navy told Mr. Smith that the ships sailed."
    text = " ".join([sentence] * 200)
    assert [s.text for s in split_sentences(text)] == [sentence] * 200


def test_every_sentence_keeps_its_offsets_in_a_long_paragraph() -> None:
    for sentence in split_sentences(PARAGRAPH):
        assert PARAGRAPH[sentence.start : sentence.end] == sentence.text


def test_an_over_long_sentence_is_cut_at_its_clauses() -> None:
    clause = "the council approved the harbour budget after a long debate about the ferry line"
    sentence = ", ".join([clause] * 40) + "."  # about 3,300 characters, commas only
    claims = find_claims(sentence)
    assert len(claims) > 1
    assert all(len(c.sentence.text) <= MAX_CLAIM_CHARS for c in claims)
    assert all(c.skip_reason is None for c in claims)
    assert all(sentence[c.sentence.start : c.sentence.end] == c.sentence.text for c in claims)
    # Nothing is lost: the pieces cover the sentence but for the white space between them.
    assert "".join(c.sentence.text for c in claims).replace(" ", "") == sentence.replace(" ", "")


def test_a_megabyte_without_punctuation_is_never_a_claim() -> None:
    text = "word " * 200_000 + "and then the harbour council approved the budget."
    claims = find_claims(text)
    assert all(len(c.sentence.text) <= MAX_CLAIM_CHARS for c in claims if c.skip_reason is None)
    assert any(c.skip_reason == "too long" for c in claims) or all(
        len(c.sentence.text) <= MAX_CLAIM_CHARS for c in claims
    )


def test_a_megabyte_without_spaces_is_kept_in_the_article_but_not_a_claim(
    session: Session,
) -> None:
    body = "The harbour budget was approved.\n\n" + "x" * 1_000_000
    result = ingest_article(session, ArticleInput(body=body))
    texts = session.exec(select(Claim.text).where(Claim.article_id == result.article.id)).all()
    assert texts == ["The harbour budget was approved."]
    assert result.skipped["too long"] >= 1
    assert "too long" in result.summary()
    assert len(result.article.body) == len(body)


def test_storing_a_big_article_does_not_search_the_archive_again(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The candidates were read before the write transaction; the article's own claims, stored
    # in it, once counted as "claims stored by others since" and made it search again, claim by
    # claim, each search matching every other claim of the same article.
    monkeypatch.setattr(workbench.similar, "LATER_CLAIMS_READ", 10)
    calls: list[Any] = []
    real = workbench.similar.find_candidates

    def find_candidates(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("stored_in"))
        return real(*args, **kwargs)

    monkeypatch.setattr(workbench.similar, "find_candidates", find_candidates)
    body = "\n".join(SENTENCES[:40])
    ingest_article(session, ArticleInput(body=body))
    assert calls == []  # read once before storing (by ingest), never again while storing
