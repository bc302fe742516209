"""schema.org ClaimReview: the published form of a fact check, shaped for Google's fact-check
markup and safe to paste into a page's `<script type="application/ld+json">` block."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workbench.config import Settings
from workbench.export.rows import Appearance, ExportRow
from workbench.models import Verdict


@dataclass(frozen=True)
class Publisher:
    """Who publishes the fact checks, and where: the ClaimReview `author` and `url`."""

    name: str
    url: str
    public_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Publisher:
        return cls(settings.publisher_name, settings.publisher_url, settings.public_url)

    def review_url(self, claim_id: int) -> str:
        if "{id}" in self.public_url:
            return self.public_url.replace("{id}", str(claim_id))
        return f"{self.public_url.rstrip('/')}/claims/{claim_id}"


def _dumps(value: Any) -> str:
    # ensure_ascii=False keeps non-Latin scripts readable; json still escapes the line breaks
    # inside strings, so one object is always one line.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Characters that end or confuse a <script> block in HTML, or a JavaScript string in old
# engines, written as JSON escapes: `</script>` in a claim cannot close the JSON-LD block it is
# pasted into, `<!--` cannot open an HTML comment, `&` cannot start an entity. The JSON means the
# same to every reader.
_HTML_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def dumps_for_html(value: Any) -> str:
    """JSON that can be pasted into a `<script type="application/ld+json">` block as it is: the
    form ClaimReview is published in. Those characters only occur inside JSON strings, where an
    escape is the same character to every JSON reader."""
    return _dumps(value).translate(_HTML_SAFE)


# Our verdicts on the 1 (false) to 5 (true) scale Google's fact-check markup reads; see README.
RATINGS: dict[Verdict, tuple[str, int | None]] = {
    Verdict.REFUTED: ("False", 1),
    Verdict.MIXED: ("Mixed", 3),
    Verdict.SUPPORTED: ("True", 5),
    # No place on a true-false scale: named only, with no number.
    Verdict.UNVERIFIABLE: ("Unverifiable", None),
}
WORST_RATING, BEST_RATING = 1, 5


def claim_review(row: ExportRow, publisher: Publisher) -> dict[str, Any]:
    """A schema.org ClaimReview for a claim with its own verdict, shaped for Google's fact-check
    markup: claimReviewed, reviewRating.alternateName, url, author, datePublished, itemReviewed."""
    assert row.verdict is not None
    name, value = RATINGS[Verdict(row.verdict)]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": name}
    if value is not None:
        rating.update(ratingValue=value, bestRating=BEST_RATING, worstRating=WORST_RATING)
    if row.verdict_summary:
        rating["ratingExplanation"] = row.verdict_summary
    claim: dict[str, Any] = {"@type": "Claim"}
    appearances = [_creative_work(a) for a in row.appearances]
    if appearances:
        claim["appearance"] = appearances
        claim["firstAppearance"] = appearances[0]
        first = row.appearances[0]
        if first.outlet:
            claim["author"] = {"@type": "Organization", "name": first.outlet}
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.review_url(row.id),
        "claimReviewed": row.text,
        "datePublished": (row.verdict_at or row.updated_at)[:10],
        "author": {"@type": "Organization", "name": publisher.name, "url": publisher.url},
        "reviewRating": rating,
        "itemReviewed": claim,
    }
    if row.external_id:
        review["identifier"] = row.external_id
    return review


def _creative_work(appearance: Appearance) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "headline": appearance.title}
    if appearance.url:
        work["url"] = appearance.url
    if appearance.published_at:
        work["datePublished"] = appearance.published_at
    if appearance.outlet:
        work["publisher"] = {"@type": "Organization", "name": appearance.outlet}
    return work


def write_claimreview(batches: Iterable[list[ExportRow]], publisher: Publisher) -> Iterator[str]:
    """A JSON array of ClaimReview objects (a valid JSON-LD document), one object a line, safe
    to embed in a page's `<script type="application/ld+json">` block (see dumps_for_html).

    Only claims with their own verdict are reviews; a duplicate that inherits a verdict is listed
    as an appearance in its canonical claim's review instead of as a second review.
    """
    first = True
    yield "["
    for rows in batches:
        parts = []
        for row in rows:
            if row.verdict is None:
                continue
            review = dumps_for_html(claim_review(row, publisher))
            parts.append(("\n" if first else ",\n") + review)
            first = False
        if parts:
            yield "".join(parts)
    yield "\n]\n" if not first else "]\n"
