"""The search page and GET /api/claims/search: one box, two modes, the queue's filters, marked
snippets that stay escaped."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import AuthActions, committed
from flask.testing import FlaskClient
from markupsafe import escape
from sqlmodel import select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim

BOTH = "The ministry said wheat exports to Egypt rose 12 percent in March."
WHEAT = "Wheat prices fell 3 percent in Kansas on Monday after heavy rain."
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def claims(engine: sa.Engine) -> dict[str, int]:
    with committed(engine) as db:
        article = ingest_article(
            db, ArticleInput(body=f"{WHEAT}\n{BOTH}", title="Grain", outlet="Daily Grain")
        ).article
        ids = db.exec(
            select(Claim.id).where(Claim.article_id == article.id).order_by(Claim.position)
        ).all()
    return {"wheat": ids[0], "both": ids[1]}


@pytest.fixture
def viewer(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("viewer").status_code == 302
    return client


def _page(viewer: FlaskClient, **args: str) -> str:
    response = viewer.get("/search", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _result_ids(page: str) -> list[int]:
    results = re.search(r'<ol class="search-results".*?</ol>', page, re.S)
    assert results, "no results"
    return [int(i) for i in re.findall(r'class="search-snippet"><a href="/claims/(\d+)"', page)]


def test_a_few_words_are_a_keyword_search_with_the_words_marked(
    viewer: FlaskClient, claims: dict[str, int]
) -> None:
    page = _page(viewer, q="wheat Egypt")
    assert _result_ids(page) == [claims["both"], claims["wheat"]]
    assert 'data-search-mode="keyword"' in page
    assert "Searching for these words" in page and "(a few words, so a keyword search)" in page
    assert "<mark>wheat</mark> exports to <mark>Egypt</mark>" in page
    assert "2 of 2 words" in page and "1 of 2 words" in page
    # The other mode is one click away, with the same text.
    assert "/search?q=wheat+Egypt&amp;mode=similar" in page
    # The header's box keeps the text and still answers to "/".
    assert re.search(r'id="site-search"[^>]*value="wheat Egypt"[^>]*data-shortcut="/"', page, re.S)


def test_a_sentence_finds_similar_claims_and_links_to_keyword_search(
    viewer: FlaskClient, claims: dict[str, int]
) -> None:
    page = _page(viewer, q="Wheat exports to Egypt rose 12 percent in March.")
    assert 'data-search-mode="similar"' in page
    assert "Finding claims similar to this sentence" in page
    assert _result_ids(page)[0] == claims["both"]
    assert 'class="badge dup">duplicate' in page
    assert "mode=keyword" in page and "Search for these words instead" in page
    # Asked for, the other mode runs on the same text.
    page = _page(viewer, q="Wheat exports to Egypt rose 12 percent in March.", mode="keyword")
    assert 'data-search-mode="keyword"' in page and "so a keyword search" not in page
    assert re.search(r'value="keyword" checked', page)


def test_filters_narrow_the_results_and_are_kept_in_the_links(
    viewer: FlaskClient, engine: sa.Engine, claims: dict[str, int]
) -> None:
    with committed(engine) as db:
        ingest_article(
            db, ArticleInput(body=BOTH.replace("12", "14"), title="Two", outlet="Farm Weekly")
        )
    page = _page(viewer, q="wheat Egypt", outlet="Daily Grain")
    assert _result_ids(page) == [claims["both"], claims["wheat"]]
    assert "outlet=Daily+Grain" in page  # in the link to the other mode
    assert _page(viewer, q="wheat Egypt", outlet="Nowhere").count("No claim holds") == 1


def test_results_come_a_page_at_a_time(viewer: FlaskClient, engine: sa.Engine) -> None:
    with committed(engine) as db:
        ingest_article(
            db,
            ArticleInput(
                body="\n".join(
                    f"Wheat prices fell {n} percent in Kansas on day {n}." for n in range(25)
                ),
                title="Many",
            ),
        )
    first = _page(viewer, q="wheat")
    assert len(_result_ids(first)) == 20 and 'rel="next"' in first
    second = _page(viewer, q="wheat", page="2")
    assert len(_result_ids(second)) == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    assert not set(_result_ids(first)) & set(_result_ids(second))
    assert 'start="21"' in second


def test_hostile_text_in_claims_and_queries_is_escaped(
    viewer: FlaskClient, engine: sa.Engine
) -> None:
    with committed(engine) as db:
        ingest_article(
            db,
            ArticleInput(
                body=f"Russia and Syria held talks on {SCRIPT} with Shoigu {IMG} present.",
                title="X",
            ),
        )
    response = viewer.get("/search", query_string={"q": f"Shoigu {SCRIPT}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SCRIPT not in page and "<img" not in page
    assert str(escape(SCRIPT)) in page
    assert "<mark>Shoigu</mark>" in page
    # The query's words are marked inside the hostile text, which stays text.
    assert "&#34;&gt;&lt;img src=x onerror=<mark>alert</mark>(<mark>1</mark>)&gt;" in page


def test_without_a_text_the_page_shows_the_form(viewer: FlaskClient) -> None:
    page = _page(viewer)
    assert 'id="s-q"' in page and "search-results" not in page and "search-said" not in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"q": "x", "mode": "fuzzy"}, "mode must be one of"),
        ({"q": "x", "page": "0"}, "page must be a whole number"),
        ({"q": "x", "status": "lost"}, "status must be one of"),
    ],
)
def test_bad_arguments_are_the_400_page(
    viewer: FlaskClient, args: dict[str, str], message: str
) -> None:
    response = viewer.get("/search", query_string=args)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_search_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "wheat"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert client.get("/api/claims/search?q=wheat").status_code == 401


# --- The API --------------------------------------------------------------------------------------


def test_the_api_answers_keyword_results_with_snippets(
    viewer: FlaskClient, claims: dict[str, int]
) -> None:
    response = viewer.get("/api/claims/search", query_string={"q": "wheat Egypt", "limit": "1"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["mode"] == "keyword" and body["automatic"] is True
    assert body["words"] == ["wheat", "egypt"] and body["page"] == 1 and body["next_page"] == 2
    (hit,) = body["results"]
    assert hit["id"] == claims["both"] and hit["text"] == BOTH
    assert hit["matched_words"] == 2 and hit["score"] == 100.0 and hit["kind"] is None
    assert "version" in hit and hit["article"]["outlet"] == "Daily Grain"  # the claim's shape
    assert [p["text"] for p in hit["snippet"] if p["match"]] == ["wheat", "Egypt"]
    assert "".join(p["text"] for p in hit["snippet"]) == BOTH
    second = viewer.get("/api/claims/search?q=wheat+Egypt&limit=1&page=2").get_json()
    assert [r["id"] for r in second["results"]] == [claims["wheat"]] and second["next_page"] is None


def test_the_api_answers_similar_results_and_takes_the_filters(
    viewer: FlaskClient, claims: dict[str, int]
) -> None:
    body = viewer.get(
        "/api/claims/search", query_string={"q": "wheat Egypt", "mode": "similar"}
    ).get_json()
    assert body["mode"] == "similar" and body["automatic"] is False and body["words"] == []
    assert body["results"][0]["id"] == claims["both"] and body["results"][0]["kind"]
    body = viewer.get(
        "/api/claims/search", query_string={"q": "wheat", "status": "dismissed"}
    ).get_json()
    assert body["results"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "missing_query"),
        ("q=x&mode=fuzzy", "bad_mode"),
        ("q=x&page=0", "bad_page"),
        ("q=x&limit=0", "bad_limit"),
        ("q=x&verdict=maybe", "bad_filter"),
    ],
)
def test_the_api_refuses_what_it_cannot_read(viewer: FlaskClient, query: str, code: str) -> None:
    response = viewer.get(f"/api/claims/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
