"""Articles from links: fetched from a loopback news site through the guarded fetcher, their
article extracted from the page around it, and never imported twice."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from news_site import article_page, stories
from sqlmodel import Session, select

from workbench.intake.errors import DuplicateArticle, IngestError
from workbench.intake.links import Reach, ingest_link, is_link
from workbench.models import Article, Claim
from workbench.net.egress import Allowance
from workbench.net.fetch import FetchLimits

LOOPBACK = Reach(Allowance.parse(["127.0.0.0/8"]), FetchLimits(total_timeout_s=5))
PUBLIC_ONLY = Reach(Allowance(), FetchLimits(total_timeout_s=5))


@pytest.fixture
def site(origin):  # type: ignore[no-untyped-def]
    """Two article pages; the first also reachable under a tracking address whose canonical
    address is the first's."""
    first, second = stories(2)
    for story in (first, second):
        page = article_page(
            story, site=origin.url("").rstrip("/"), canonical=origin.url(f"/{story.slug}")
        )
        origin.route(f"/{story.slug}", body=page, headers={"Content-Type": "text/html"})
    tracked = article_page(
        first, site=origin.url("").rstrip("/"), canonical=origin.url(f"/{first.slug}")
    )
    origin.route("/shared/abc", body=tracked, headers={"Content-Type": "text/html"})
    return origin


def test_a_link_becomes_its_article_without_the_page_around_it(
    session: Session, site, users: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    story = stories(1)[0]
    result = ingest_link(session, site.url(f"/{story.slug}"), LOOPBACK, user_id=users["editor"])
    article = result.article
    assert article.origin == "link" and article.url == site.url(f"/{story.slug}")
    assert article.title == story.title
    assert article.outlet == "The Daily Example" and article.byline == story.author
    assert (
        article.published_at is not None and article.published_at.date() == story.published.date()
    )
    for sentence in story.sentences:
        assert sentence in article.body
    for chrome in ("cookies", "mattress", "fake news", "Subscribe", "All rights reserved"):
        assert chrome not in article.body, chrome
    claims = session.exec(select(Claim.text).where(Claim.article_id == article.id)).all()
    assert story.sentences[0] in claims


def test_the_same_page_is_never_imported_twice(session: Session, site) -> None:  # type: ignore[no-untyped-def]
    story = stories(1)[0]
    first = ingest_link(session, site.url(f"/{story.slug}"), LOOPBACK).article
    hits = site.hits(f"/{story.slug}")

    with pytest.raises(DuplicateArticle, match=f"#{first.id}.*same address") as again:
        ingest_link(session, site.url(f"/{story.slug}"), LOOPBACK)
    assert again.value.existing.id == first.id
    assert site.hits(f"/{story.slug}") == hits, "an address already stored is not fetched again"

    # Another address whose page names the first as its canonical one.
    with pytest.raises(DuplicateArticle, match="same address"):
        ingest_link(session, site.url("/shared/abc"), LOOPBACK)
    assert session.exec(select(sa.func.count()).select_from(Article)).one() == 1


def test_the_same_text_under_another_address_is_the_same_article(session: Session, origin) -> None:  # type: ignore[no-untyped-def]
    text = (
        "The ministry said 4,000 homes were built in 2025. The mayor said the bridge opens in May."
    )
    origin.route("/a.txt", body=text.encode(), headers={"Content-Type": "text/plain"})
    origin.route("/b.txt", body=text.encode(), headers={"Content-Type": "text/plain"})
    first = ingest_link(session, origin.url("/a.txt"), LOOPBACK).article
    assert first.body == text
    with pytest.raises(DuplicateArticle, match=f"#{first.id}.*same text"):
        ingest_link(session, origin.url("/b.txt"), LOOPBACK)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [("application/pdf", "PDF"), ("image/png", "image")],
)
def test_a_pdf_or_an_image_is_refused_clearly(
    session: Session, origin, content_type: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    origin.route("/file", body=b"%PDF-1.7 ...", headers={"Content-Type": content_type})
    with pytest.raises(IngestError, match=expected):
        ingest_link(session, origin.url("/file"), LOOPBACK)
    assert session.exec(select(sa.func.count()).select_from(Article)).one() == 0


def test_a_loopback_link_is_refused_unless_allowed(session: Session, site) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IngestError, match="loopback"):
        ingest_link(session, site.url("/story-0"), PUBLIC_ONLY)
    assert site.hits("/story-0") == 0


def test_a_page_without_an_article_says_so(session: Session, origin) -> None:  # type: ignore[no-untyped-def]
    origin.route("/empty", body=b"<html><body><nav>Home</nav></body></html>")
    with pytest.raises(IngestError, match="no article text"):
        ingest_link(session, origin.url("/empty"), LOOPBACK)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://news.example/a", True),
        ("  http://news.example/a?b=1  ", True),
        ("See https://news.example/a", False),
        ("https://news.example/a and more", False),
        ("ftp://news.example/a", False),
        ("The minister said so.", False),
    ],
)
def test_only_an_address_alone_is_a_link(text: str, expected: bool) -> None:
    assert is_link(text) is expected
