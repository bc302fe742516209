"""Claim spotting: which sentences of an article are claims to check, and how check-worthy each is.

:func:`find_claims` classifies every sentence (:func:`skip_reason`) and gives it a transparent
:func:`check_worthiness` score so that editors can see why one claim ranks above another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.intake.splitting import (
    _FIRST_WORD,
    _QUESTION,
    MAX_CLAIM_CHARS,
    Sentence,
    iter_sentences,
)

__all__ = ["ClaimCandidate", "check_worthiness", "find_claims", "skip_reason"]


@dataclass(frozen=True, slots=True)
class ClaimCandidate:
    """A sentence with the verdict of the claim spotter.

    ``skip_reason`` is None for a claim, else ``"question"``, ``"byline"`` or ``"fragment"``;
    ``check_worthiness`` is in [0, 1], rounded to 3 places, and 0 for every skipped sentence.
    """

    sentence: Sentence
    skip_reason: str | None
    check_worthiness: float


# --------------------------------------------------------------------------------------------
# Skip reasons
# --------------------------------------------------------------------------------------------

_NAME = r"[A-Z][\w.'’-]*"
_BYLINE = re.compile(
    "|".join(
        (
            # "By Jane Smith", "By JANE SMITH and JOHN DOE, Reuters", "By J. Doe for The Times".
            # Only capitalised words and a few linking words, so "By 2030, emissions..." and
            # "By contrast, ..." stay claims. A separator is required between words so that the
            # pattern cannot backtrack exponentially over a long capitalised run.
            rf"(?i:by)\s+{_NAME}"
            rf"(?:(?:\s*[,|/–—-]\s*|\s+)(?:{_NAME}|and|for|of|the|in|at|&)){{0,12}}\W*",
            # "Reporting by ...; Editing by ...", "Additional reporting by ...", "Writing by ..."
            r"(?i:(?:additional\s+)?(?:reporting|writing|editing|photographs?|photography"
            r"|graphics?|illustrations?)(?:\s+and\s+\w+)?\s+by)\b.*",
            # "Photo: ...", "Photo credit: ...", "Image copyright ...", "Copyright 2015 ...", "©"
            r"(?i:(?:photo(?:graph)?s?|pictures?|images?|video|illustration)(?:\s+credits?)?"
            r"|credits?)\s*:.*",
            r"(?i:(?:image|picture|media)\s+(?:copyright|caption|source)"
            r"|copyright\s*(?:©|\(c\)|\d{4})).*|©.*",
            # "Follow us on Twitter", "Follow @jsmith on Twitter @x", "Like us on Facebook"
            r"(?i:follow\s+(?:\S+\s+){1,3}?|like\s+us\s+)on\s+"
            r"(?i:twitter|facebook|instagram|x|linkedin|tiktok|youtube|threads|bluesky)\b.*",
            # a dateline left alone: "(Reuters) -", "WASHINGTON (AP) —"
            rf"(?:[A-Z][A-Z .,'-]*)?\({_NAME}(?:\s+{_NAME}){{0,3}}\)\s*[-–—:]?",
        )
    )
)
_WORD = re.compile(r"(?<!\S)\S*?[^\W_]\S*")
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")


def skip_reason(sentence: str) -> str | None:
    """Why a sentence is not a claim to check, or None when it is one.

    Checked in this order, so that "By Jane Smith" (three words) is a byline, not a fragment:
    ``"question"`` (ends in ``?``, maybe followed by closing quotes/brackets), ``"byline"``
    (credits, datelines and social boilerplate, which state nothing about the world), and
    ``"fragment"`` (fewer than 4 words, or no alphabetic word of 2+ letters, e.g. list numbers).
    Before all of them, ``"too long"``: over MAX_CLAIM_CHARS even after cutting at its clauses.
    A headline such as "Kerry: U.S. plans military talks with Russia" is a claim.
    """
    text = sentence.strip()
    if len(text) > MAX_CLAIM_CHARS:
        return "too long"
    if _QUESTION.search(text):
        return "question"
    if _BYLINE.fullmatch(text):
        return "byline"
    if len(_WORD.findall(text)) < 4 or not _ALPHA_WORD.search(text):
        return "fragment"
    return None


# --------------------------------------------------------------------------------------------
# Check-worthiness
# --------------------------------------------------------------------------------------------

# Weights of check_worthiness; its docstring is the editors' explanation, keep the two in sync.
BASE = 0.10
NUMBER = 0.25
QUANTITY = 0.15
ATTRIBUTION = 0.20
ENTITY_EACH = 0.05
ENTITY_MAX = 0.15
QUOTATION = 0.10
COMPARISON = 0.15
SHORT_WORDS = 6
LONG_WORDS = 45
LENGTH_FACTOR = 0.85

_DIGIT = re.compile(r"\d")
_QUANTITY = re.compile(
    r"[%$€£¥₹]|\b(?i:million|billion|trillion|thousand|hundred|dozens?|percent|per\s+cent"
    r"|percentage|half|twice|double[ds]?|tripled?|quarter)\b|\d(?:m|bn|tn|k)\b"
)
_ATTRIBUTION = re.compile(
    r"\b(?i:said|says|say|told|tells|according\s+to|claimed|claims|reported|reports"
    r"|announced|estimated|estimates|stated|confirmed|revealed|insisted|warned)\b"
)
_COMPARISON = re.compile(
    r"\b(?i:more|less|fewer|greater|higher|lower)\s+than\b"
    r"|\b(?i:largest|biggest|highest|lowest|smallest|fastest|worst|best|most|least"
    r"|record|records|unprecedented)\b"
)
_QUOTE_MARK = re.compile(r"[\"“”«»„]")
_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")
# Words capitalised by grammar (after a colon or an opening quote), not because they are names.
_NOT_ENTITIES = frozenset(
    {
        *("I", "A", "An", "The", "This", "That", "These", "Those", "It", "He", "She", "We"),
        *("They", "You", "His", "Her", "Its", "Our", "Their", "My", "Your"),
        *("But", "And", "Or", "So", "If", "In", "On", "At", "As"),
    }
)


def _score(text: str, reason: str | None) -> float:
    if reason is not None:
        return 0.0
    score = BASE
    if _DIGIT.search(text):
        score += NUMBER
    if _QUANTITY.search(text):
        score += QUANTITY
    if _ATTRIBUTION.search(text):
        score += ATTRIBUTION
    if _QUOTE_MARK.search(text):
        score += QUOTATION
    if _COMPARISON.search(text):
        score += COMPARISON
    # The first word is capitalised by grammar, so names are only counted after it.
    first = _FIRST_WORD.search(text)
    after_first = first.end() if first else 0
    entities = sum(
        1 for m in _CAPITALISED.finditer(text, after_first) if m.group() not in _NOT_ENTITIES
    )
    score += min(ENTITY_MAX, ENTITY_EACH * entities)
    words = _WORD.findall(text)
    if len(words) < SHORT_WORDS or len(words) > LONG_WORDS:
        score *= LENGTH_FACTOR
    return round(min(1.0, score), 3)


def check_worthiness(sentence: str) -> float:
    """How much a sentence deserves a fact-checker's time, in [0, 1]; deterministic.

    A plain sum, so that an editor can read off why one claim outranks another:

    ======================================================  =====================
    signal                                                  weight
    ======================================================  =====================
    any declarative sentence (base)                         0.10
    a digit (dates, figures, counts)                        +0.25
    a quantity: ``% $ € £``, million, billion, percent...   +0.15
    attribution: said, says, told, according to, claimed,  +0.20
    reported, announced, estimated...
    a named entity: capitalised word not at sentence start  +0.05 each, max +0.15
    (pronouns and articles capitalised after a colon or an
    opening quote do not count)
    a quotation mark                                        +0.10
    comparison: more/less/fewer than, largest, highest,     +0.15
    most, least, record, unprecedented...
    ======================================================  =====================

    The sum is capped at 1, then multiplied by 0.85 for very short (< 6 words) or very long
    (> 45 words) sentences, which are usually headlines or run-on text that needs splitting
    before it can be checked. Questions, bylines and fragments (see :func:`skip_reason`) are not
    claims and score 0.
    """
    text = sentence.strip()
    return _score(text, skip_reason(text))


def find_claims(text: str, limit: int | None = None) -> list[ClaimCandidate]:
    """Every sentence of ``text``, in order, with its skip reason and check-worthiness; with a
    ``limit``, at most ``limit + 1`` of them (enough to tell the text has too many), found
    without splitting the rest."""
    candidates: list[ClaimCandidate] = []
    for sentence in iter_sentences(text):
        reason = skip_reason(sentence.text)
        candidates.append(ClaimCandidate(sentence, reason, _score(sentence.text, reason)))
        if limit is not None and len(candidates) > limit:
            break
    return candidates
