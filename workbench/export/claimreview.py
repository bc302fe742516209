"""schema.org ClaimReview: the published form of a fact check, shaped for Google's fact-check
markup and safe to paste into a page's `<script type="application/ld+json">` block."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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

    def refusal(self) -> str | None:
        """Why ClaimReview cannot be published from here, or None. A review's `url` must be the
        public fact-check page a search engine can read: not unset, not this workbench on a
        loopback or private address (its claim pages are behind the log-in anyway)."""
        why = _not_public(self.public_url)
        if why is None:
            return None
        return (
            f"ClaimReview names each fact check's public page, but WORKBENCH_PUBLIC_URL {why}. "
            "Set WORKBENCH_PUBLIC_URL to where your published fact checks live (for example "
            "https://news.example/fact-checks/{id}), then export again. CSV and JSON Lines "
            "exports do not need it."
        )


def _not_public(url: str) -> str | None:
    """What keeps an address from being a public web page's, or None."""
    if not url.strip():
        return "is not set"
    shown = f"is {url!r}"
    parts = urlsplit(url.replace("{id}", "1"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{shown}, not an http(s) address"
    host = parts.hostname.rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return f"{shown}, a local address search engines cannot reach"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            return f"{shown}, a name only the local network knows"
        return None
    if not address.is_global:
        kind = "a loopback" if address.is_loopback else "a private or reserved"
        return f"{shown}, {kind} address search engines cannot reach"
    return None


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


# Our verdicts on the 1 (false) to 5 (true) scale Google's fact-check markup reads (README,
# "ClaimReview"): alternateName is what a reader sees, the number places it on the scale.
RATINGS: dict[Verdict, tuple[str, int | None]] = {
    Verdict.REFUTED: ("False", 1),
    Verdict.MIXED: ("Mixed", 3),
    Verdict.SUPPORTED: ("True", 5),
    # Not a degree of truth: any number would read as one (3 would say "half true"). Named
    # only; Google asks for ratingValue only with a numeric rating, alternateName always.
    Verdict.UNVERIFIABLE: ("Unverifiable", None),
}
WORST_RATING, BEST_RATING = 1, 5

# A claimant is an Organization when its name says so: "the ..." (the Pentagon, the ministry),
# an acronym (NASA), or a word for a body, unless a title names a person (the Foreign Secretary,
# Kremlin spokesman Dmitry Peskov: whoever they speak for); anyone else is a Person (Kerry).
_PERSON_WORDS = re.compile(
    r"\b(?i:spokes(?:man|woman|person)|minister|secretary|president|senator|governor|mayor"
    r"|ambassador|envoy|chairman|chairwoman|director|mr|mrs|ms|dr|sir|lady|lord)\b\.?"
)
_ORGANIZATION_WORDS = re.compile(
    r"\b(?i:ministry|department|government|office|agency|council|committee|commission"
    r"|party|bank|court|police|army|navy|military|pentagon|kremlin|white\s+house|parliament"
    r"|congress|senate|administration|authority|bureau|institute|university|foundation"
    r"|association|union|organi[sz]ation|company|corporation|inc|ltd|llc|group|news|times"
    r"|post|press|reuters|agency|embassy|service|board|centre|center|network)\b"
)
_ACRONYM = re.compile(r"^[A-Z][A-Z.&]+$")


def claimant_type(claimant: str) -> str:
    """ "Person" or "Organization", for the claim's `author` (the rule above)."""
    if _PERSON_WORDS.search(claimant):
        return "Person"
    if (
        claimant.lower().startswith("the ")
        or _ACRONYM.match(claimant)
        or _ORGANIZATION_WORDS.search(claimant)
    ):
        return "Organization"
    return "Person"


def claim_review(row: ExportRow, publisher: Publisher) -> dict[str, Any]:
    """A schema.org ClaimReview for a claim with its own approved verdict, shaped for Google's
    fact-check markup (the README maps each field to where it comes from)."""
    assert row.verdict is not None and row.approved_at is not None
    name, value = RATINGS[Verdict(row.verdict)]
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": name}
    if value is not None:
        rating.update(ratingValue=value, bestRating=BEST_RATING, worstRating=WORST_RATING)
    if row.verdict_summary:
        rating["ratingExplanation"] = row.verdict_summary
    claim: dict[str, Any] = {"@type": "Claim"}
    if row.claimant:
        claim["author"] = {"@type": claimant_type(row.claimant), "name": row.claimant}
    appearances = [_creative_work(a) for a in row.appearances]
    if appearances:
        claim["appearance"] = appearances
        claim["firstAppearance"] = appearances[0]
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.review_url(row.id),
        "claimReviewed": row.text,
        "datePublished": row.approved_at[:10],
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

    Only claims with their own approved verdict are reviews (see ExportRow.is_published_review):
    a draft or a dismissed claim is not published, and a duplicate that inherits a verdict is
    listed as an appearance in its canonical claim's review instead of as a second review.
    """
    first = True
    yield "["
    for rows in batches:
        parts = []
        for row in rows:
            if not row.is_published_review():
                continue
            review = dumps_for_html(claim_review(row, publisher))
            parts.append(("\n" if first else ",\n") + review)
            first = False
        if parts:
            yield "".join(parts)
    yield "\n]\n" if not first else "]\n"
