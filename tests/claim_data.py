"""Claims made directly in the database, with exactly the text a test needs.

Ingest would split and clean the text; export and API tests need claims whose text holds quotes,
line breaks or formula starters as they are, so they are stored here without the splitter.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session

from workbench.matching.normalize import normalize
from workbench.models import Article, Claim, DuplicateSuggestion, VerdictState, utcnow

# One report, from the seed, in two outlets' words ("US"/"United States", "Shoygu"/"Shoigu"): a
# true repeat, confirmed as a duplicate wherever a test needs a checked claim to come back.
TALKS = (
    "Military talks between the US and Russia on the Syrian crisis began Friday with a telephone "
    "call between Defense Secretary Ash Carter and Russian Minister of Defense Sergei Shoygu."
)
TALKS_AGAIN = (
    "Military talks between the United States and Russia on the Syrian crisis began on Friday "
    "with a phone call between Defense Secretary Ash Carter and Russia's defense minister, "
    "Sergei Shoigu."
)


def add_article(
    session: Session,
    title: str = "An article",
    *,
    url: str | None = None,
    outlet: str | None = None,
    published_at: datetime | None = None,
    body: str | None = None,
) -> Article:
    body = body or f"{title} body"
    article = Article(
        title=title,
        url=url,
        outlet=outlet,
        published_at=published_at,
        body=body,
        content_hash=hashlib.sha256(f"{title}|{url}|{body}".encode()).hexdigest(),
    )
    session.add(article)
    session.commit()
    session.refresh(article)
    return article


def add_claim(session: Session, article: Article, text: str, **values: object) -> Claim:
    position = values.pop("position", None)
    if position is None:
        position = len(session.exec(_claims_of(article.id)).all())
    claim = Claim(
        article_id=article.id,
        position=position,
        start_offset=0,
        end_offset=max(1, len(text)),
        text=text,
        normalized_text=normalize(text),
        **values,
    )
    session.add(claim)
    session.commit()
    session.refresh(claim)
    return claim


def _claims_of(article_id: int):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    return select(Claim.id).where(Claim.article_id == article_id)


def suggest(session: Session, claim: Claim, candidate: Claim, score: float = 90.0) -> int:
    """A pending duplicate suggestion: `claim` (newer) repeats `candidate` (archived)."""
    suggestion = DuplicateSuggestion(
        claim_id=claim.id, candidate_id=candidate.id, score=score, method="test"
    )
    session.add(suggestion)
    session.commit()
    session.refresh(suggestion)
    assert suggestion.id is not None
    return suggestion.id


def approve(session: Session, claim_id: int, at: datetime | None = None) -> Claim:
    """The claim's verdict approved (published), as sign-off, or saving with sign-off off, leaves
    it: what ClaimReview exports. A verdict approved already keeps its approval."""
    claim = session.get(Claim, claim_id)
    assert claim is not None and claim.verdict is not None
    if claim.verdict_state != VerdictState.APPROVED or at is not None:
        claim.verdict_state = VerdictState.APPROVED
        claim.approved_at = at or utcnow()
        session.add(claim)
        session.commit()
        session.refresh(claim)
    return claim
