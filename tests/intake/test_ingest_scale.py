"""Big articles: no step's work grows with the square of the article, and no claim is longer than
MAX_CLAIM_CHARS. Checked by what each step is given, not by timing it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import AuthActions, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

import workbench.intake.reading
import workbench.intake.splitting
import workbench.matching.similar
from workbench.accounts import tokens
from workbench.db import read_session, write_session
from workbench.intake.claim_spotting import TOO_LONG, find_claims
from workbench.intake.errors import IngestError
from workbench.intake.reading import MAX_HTML_TAGS, ArticleInput, read_article_file
from workbench.intake.splitting import MAX_CLAIM_CHARS, PYSBD_WINDOW, split_sentences
from workbench.intake.storing import ingest_article
from workbench.models import Article, Claim

SENTENCES = [
    f"Item {n} on the council's list was approved by Dr. Smith on Monday." for n in range(400)
]
PARAGRAPH = " ".join(SENTENCES)  # one block of about 27,000 characters


def test_pysbd_never_sees_more_than_a_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # pysbd's abbreviation pass rescans its whole input per abbreviation found: given a
    # 10,000-sentence paragraph at once it took minutes.
    seen: list[int] = []
    real = workbench.intake.splitting._pysbd_pieces

    def pieces(block: str) -> list[str]:
        seen.append(len(block))
        return real(block)

    monkeypatch.setattr(workbench.intake.splitting, "_pysbd_pieces", pieces)
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
    assert any(c.skip_reason == TOO_LONG for c in claims) or all(
        len(c.sentence.text) <= MAX_CLAIM_CHARS for c in claims
    )


def test_a_megabyte_without_spaces_is_kept_in_the_article_but_not_a_claim(
    session: Session,
) -> None:
    body = "The harbour budget was approved.\n\n" + "x" * 1_000_000
    result = ingest_article(session, ArticleInput(body=body))
    texts = session.exec(select(Claim.text).where(Claim.article_id == result.article.id)).all()
    assert texts == ["The harbour budget was approved."]
    assert result.skipped[TOO_LONG] >= 1
    assert "too long" in result.summary()
    assert len(result.article.body) == len(body)


def test_storing_a_big_article_does_not_search_the_archive_again(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The candidates were read before the write transaction; the article's own claims, stored
    # in it, once counted as "claims stored by others since" and made it search again, claim by
    # claim, each search matching every other claim of the same article.
    monkeypatch.setattr(workbench.matching.similar, "LATER_CLAIMS_READ", 10)
    calls: list[Any] = []
    real = workbench.matching.similar.find_candidates

    def find_candidates(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("stored_in"))
        return real(*args, **kwargs)

    monkeypatch.setattr(workbench.matching.similar, "find_candidates", find_candidates)
    body = "\n".join(SENTENCES[:40])
    ingest_article(session, ArticleInput(body=body))
    assert calls == []  # read once before storing (by ingest), never again while storing


# --- What one request may import ----------------------------------------------------------------

LIMIT = 50


@pytest.fixture
def limited(make_app, users: dict[str, int]):  # type: ignore[no-untyped-def]
    """A logged-in editor on an app that takes at most LIMIT sentences and 3 articles a request."""
    app = make_app(max_request_sentences=LIMIT, max_request_articles=3)
    client = app.test_client()
    assert AuthActions(client).login("editor").status_code == 302
    return app, client


def post_form(client: FlaskClient, **fields: Any) -> tuple[int, str]:
    data = {"csrf_token": csrf_token(client, "/articles/new"), **fields}
    response = client.post("/articles/new", data=data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def article_count(app: Flask) -> int:
    with read_session(app.extensions["workbench.engine"]) as db:
        return db.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one()


def sentences(count: int, tag: str = "") -> str:
    return " ".join(f"Harbour item {n}{tag} was approved by the council." for n in range(count))


def test_a_paste_of_more_sentences_than_a_request_may_hold_is_refused(limited) -> None:  # type: ignore[no-untyped-def]
    app, client = limited
    status, page = post_form(client, text=sentences(LIMIT + 1))
    assert status == 400
    assert f"more than {LIMIT:,} sentences" in page and "flask --app app ingest" in page
    assert article_count(app) == 0
    status, _ = post_form(client, text=sentences(LIMIT))
    assert status == 302 and article_count(app) == 1


def test_an_upload_is_refused_whole_when_its_articles_together_are_too_many_sentences(
    limited,  # type: ignore[no-untyped-def]
) -> None:
    app, client = limited
    lines = [json.dumps({"text": sentences(20, f"-{n}")}) for n in range(3)]  # 60 together
    status, page = post_form(client, file=(io.BytesIO("\n".join(lines).encode()), "b.jsonl"))
    assert status == 400 and f"more than {LIMIT:,} sentences" in page
    assert article_count(app) == 0


def test_an_upload_of_more_articles_than_a_request_may_hold_is_refused(limited) -> None:  # type: ignore[no-untyped-def]
    app, client = limited
    lines = [json.dumps({"text": f"The harbour council met on day {n} of May."}) for n in range(4)]
    status, page = post_form(client, file=(io.BytesIO("\n".join(lines).encode()), "b.jsonl"))
    assert status == 400 and "4 articles, more than the 3" in page
    assert article_count(app) == 0


def test_the_api_refuses_more_sentences_than_a_request_may_hold(
    make_app,  # type: ignore[no-untyped-def]
    users: dict[str, int],
) -> None:
    app = make_app(max_request_sentences=LIMIT)
    with write_session(app.extensions["workbench.engine"]) as db:
        token = tokens.create_token(db, users["editor"], "script")[1]
        db.commit()
    response = app.test_client().post(
        "/api/articles",
        json={"text": sentences(LIMIT + 1)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert f"more than {LIMIT:,} sentences" in response.get_json()["error"]["message"]
    assert article_count(app) == 0


def test_the_cli_has_no_request_limit(
    make_app,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    app = make_app(max_request_sentences=LIMIT)
    path = tmp_path / "long.txt"
    path.write_text(sentences(LIMIT * 2))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{LIMIT * 2} claim(s)" in result.output


def test_finding_claims_with_a_limit_stops_splitting(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks: list[str] = []
    real = workbench.intake.splitting._split_block

    def split_block(block: str) -> list[tuple[int, int]]:
        blocks.append(block)
        return real(block)

    monkeypatch.setattr(workbench.intake.splitting, "_split_block", split_block)
    text = "\n\n".join(f"Paragraph {n} says the council met again today." for n in range(1000))
    assert len(find_claims(text, limit=10)) == 11
    assert len(blocks) == 11


def test_an_html_page_with_too_many_tags_is_refused_unparsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []
    monkeypatch.setattr(
        workbench.intake.reading.trafilatura, "extract", lambda *a, **k: parsed.append(1)
    )
    page = "<html><body>" + "<p>Harbour news.</p>" * (MAX_HTML_TAGS // 2 + 1) + "</body></html>"
    with pytest.raises(IngestError, match="more than 60,000 HTML tags"):
        read_article_file("page.html", page.encode(), 5 * 1024 * 1024)
    assert parsed == []
