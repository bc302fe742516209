"""Reading the archive of articles and the claims split from them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.errors import NotFound
from workbench.models import Article, Claim
from workbench.review.paging import Page, paginate


class ArticleNotFound(NotFound):
    pass


@dataclass(frozen=True)
class ArticleRow:
    article: Article
    claims: int


def list_articles(session: Session, page: int = 1) -> Page[ArticleRow]:
    """Newest first, each with its number of claims."""
    claim_count = (
        sa.select(sa.func.count(Claim.id))
        .where(Claim.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )
    statement = sa.select(Article, claim_count).order_by(
        Article.ingested_at.desc(), Article.id.desc()
    )
    result = paginate(session, statement, page)
    rows = [ArticleRow(article=a, claims=n) for a, n in result.items]
    return Page(items=rows, number=result.number, per_page=result.per_page, total=result.total)


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise ArticleNotFound(article_id)
    return article


def article_claims(session: Session, article_id: int) -> list[Claim]:
    return list(
        session.exec(select(Claim).where(Claim.article_id == article_id).order_by(Claim.position))
    )


@dataclass(frozen=True)
class BodyPart:
    """A stretch of the article body, either plain text or the text of one claim."""

    text: str
    claim: Claim | None = None


def body_parts(article: Article, claims: list[Claim]) -> list[BodyPart]:
    """The body cut at claim offsets, so the page can mark claims without building HTML here."""
    parts: list[BodyPart] = []
    cursor = 0
    for claim in sorted(claims, key=lambda c: c.start_offset):
        if claim.start_offset > cursor:
            parts.append(BodyPart(article.body[cursor : claim.start_offset]))
        parts.append(BodyPart(article.body[claim.start_offset : claim.end_offset], claim))
        cursor = claim.end_offset
    if cursor < len(article.body):
        parts.append(BodyPart(article.body[cursor:]))
    return parts


@dataclass(frozen=True)
class ClaimContext:
    before: str
    text: str
    after: str


CONTEXT_CHARS = 360


def claim_context(article: Article, claim: Claim) -> ClaimContext:
    """The claim with the text around it, cut at whole words, so an editor reads it in place."""
    body = article.body
    start = max(0, claim.start_offset - CONTEXT_CHARS)
    end = min(len(body), claim.end_offset + CONTEXT_CHARS)
    before = body[start : claim.start_offset]
    after = body[claim.end_offset : end]
    if start > 0:
        before = "…" + before.split(" ", 1)[-1]
    if end < len(body):
        after = after.rsplit(" ", 1)[0] + "…"
    text = body[claim.start_offset : claim.end_offset]
    return ClaimContext(before=before, text=text, after=after)
