"""An article made ready to store: its text cleaned, its title chosen, its sentences split and
scored, its claims normalised; everything but the database work, so that a batch import can do it
in worker processes while another process stores.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from workbench.intake.claim_spotting import TOO_LONG, find_claims
from workbench.intake.claimants import find_claimant
from workbench.intake.errors import IngestError, TooManySentences
from workbench.intake.reading import ArticleInput, clean_text, one_line, refusal
from workbench.matching.normalize import AliasTable, normalize
from workbench.models import Article, ClaimStatus
from workbench.review.priority import priority

TITLE_MAX = 500
OUTLET_MAX = 200
BYLINE_MAX = 300


def content_hash(body: str) -> str:
    """Identity of an article's text: the same words with different spacing are the same article."""
    return hashlib.sha256(" ".join(body.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PreparedArticle:
    """An article cleaned, split and normalised: everything but the database work.

    Pure, so a batch import can prepare articles in other processes while this one stores.
    """

    record: Article
    # Every sentence, in order: the claims, and the sentences the splitter judged not to be
    # claims, which start dismissed with its reason (counted in `skipped`) so none is lost; only
    # a piece too long to be any claim stays in the article's text alone.
    claims: list[dict[str, object]]
    skipped: Counter[str]

    @property
    def sentences(self) -> int:
        return len(self.claims) + self.skipped[TOO_LONG]

    @property
    def open_claims(self) -> list[dict[str, object]]:
        """The claims that go to the queue and to duplicate matching, in order."""
        return [claim for claim in self.claims if claim["status"] == ClaimStatus.NEW]


def prepare_article(
    article: ArticleInput, aliases: AliasTable, *, max_sentences: int | None = None
) -> PreparedArticle:
    """Raises IngestError for an article that cannot be stored (see `refusal`), TooManySentences
    for one of more than `max_sentences` (found without splitting the rest)."""
    reason = refusal(article)
    if reason is not None:
        raise IngestError(reason)
    body = clean_text(article.body)
    url = one_line(article.url or "") or None
    record = Article(
        title=_title_for(one_line(article.title), body),
        url=url,
        outlet=one_line(article.outlet or "")[:OUTLET_MAX] or None,
        byline=one_line(article.byline or "")[:BYLINE_MAX] or None,
        published_at=article.published_at,
        feed_id=article.feed_id,
        body=body,
        content_hash=content_hash(body),
        origin=article.origin,
    )
    skipped: Counter[str] = Counter()
    claims: list[dict[str, object]] = []
    candidates = find_claims(body, max_sentences)
    if max_sentences is not None and len(candidates) > max_sentences:
        raise TooManySentences(max_sentences)
    for candidate in candidates:
        reason = candidate.skip_reason
        if reason is not None:
            skipped[reason] += 1
            if reason == TOO_LONG:
                continue
        sentence = candidate.sentence
        claims.append(
            {
                "position": len(claims),
                "start_offset": sentence.start,
                "end_offset": sentence.end,
                "text": sentence.text,
                "claimant": find_claimant(sentence.text),
                "normalized_text": normalize(sentence.text, aliases),
                "check_worthiness": candidate.check_worthiness,
                "priority": priority(candidate.check_worthiness, 0),
                "repeat_count": 0,
                "status": ClaimStatus.NEW if reason is None else ClaimStatus.DISMISSED,
                "dismiss_reason": reason,
                "version": 1,
            }
        )
    return PreparedArticle(record=record, claims=claims, skipped=skipped)


def _title_for(given: str, body: str) -> str:
    title = given
    if not title:
        title = body.split("\n", 1)[0].strip()
    if len(title) > 120 and not given:
        title = title[:117].rstrip() + "…"
    return title[:TITLE_MAX]
