"""Claim spotting: which sentences of an article are claims to check, and how check-worthy each is.

:func:`find_claims` classifies every sentence (:func:`skip_reason`) and gives it the learned
:func:`check_worthiness` score. A sentence with a skip reason is not thrown away: ingest stores it
as a claim that starts dismissed with that reason, so an editor can restore it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.intake import worthiness
from workbench.intake.splitting import (
    _QUESTION,
    MAX_CLAIM_CHARS,
    Sentence,
    iter_sentences,
)

__all__ = [
    "SKIP_REASONS",
    "TOO_LONG",
    "ClaimCandidate",
    "check_worthiness",
    "find_claims",
    "judge_sentence",
    "skip_reason",
]

# Why the splitter judges a sentence not to be a claim; stored as the claim's dismiss_reason.
SKIP_REASONS = ("question", "byline", "stage_direction", "fragment")
# A piece still over MAX_CLAIM_CHARS after cutting at its clauses (a megabyte without a full
# stop): no claim an editor could check, so it stays in the article's text only, unscored.
TOO_LONG = "too long"


@dataclass(frozen=True, slots=True)
class ClaimCandidate:
    """A sentence with the verdict of the claim spotter.

    ``skip_reason`` is None for a claim, else one of :data:`SKIP_REASONS`;
    ``check_worthiness`` is in [0, 1], rounded to 3 places, for every sentence but a
    :data:`TOO_LONG` one (0).
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
# Whole-line notes of what happened in the room, in transcripts: "(APPLAUSE)", "[CROSSTALK]",
# "(LAUGHTER) (APPLAUSE)", "(BEGIN VIDEO CLIP)". A dateline such as "(Reuters)" stays a byline.
_STAGE_WORDS = (
    r"applause|laughter|laugh(?:s|ing)?|crosstalk|cross-talk|cheer(?:s|ing)?|boo(?:s|ing)"
    r"|inaudible|unintelligible|indiscernible|music|silence|pause|chuckles?|sighs?|groans?"
    r"|commercial\s+break|(?:begin|end|start)\s+(?:video|audio)(?:\s+clip)?|video\s+clip"
    r"|audio\s+clip|off[\s-]mic(?:rophone)?|bell\s+rings|gavel|technical\s+difficulties"
)
_STAGE_DIRECTION = re.compile(
    # One way only to cut a run of them: each starts at its bracket, after the run of spaces and
    # punctuation that ended the one before (a second optional space run here would make a
    # hostile "(applause) (applause) ... x" backtrack exponentially).
    rf"(?:[(\[]\s*(?:[\w'’-]+\s+){{0,3}}?(?i:{_STAGE_WORDS})\b[^()\[\]]{{0,40}}[)\]][\s.,;:]*)+"
)
_WORD = re.compile(r"(?<!\S)\S*?[^\W_]\S*")
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")

# What makes a question or a few words a checkable statement: a figure, a comparison, or a named
# subject with a verb of state ("Murders are up.", "Unemployment is the lowest it's been in the
# history of our country, OK?").
_DIGIT = re.compile(r"\d|\b(?i:percent|hundred|thousand|million|billion|trillion)\b")
_COMPARISON = re.compile(
    r"\b(?i:more|less|fewer|greater|higher|lower|bigger|smaller|worse|better)\s+than\b"
    r"|\b(?i:largest|biggest|highest|lowest|smallest|fastest|worst|best|most|least"
    r"|record|unprecedented)\b"
)
# A question asked as one ("Why...?", "Is it...?", "So did she...?") states nothing, whatever it
# holds; one in a statement's word order ("Crime is up 40%, right?") is a statement.
_ASKING = re.compile(
    r"\W*(?:(?i:and|but|so|or|then|well|now|okay|ok)\W+)*"
    r"(?i:what|who|whom|whose|why|how|when|where|which|whether|is|are|was|were|am|do|does|did"
    r"|can|could|will|would|should|shall|may|might|must|have|has|had|isn't|aren't|wasn't"
    r"|weren't|don't|doesn't|didn't|can't|won't|wouldn't|shouldn't|haven't|hasn't)\b"
)
_NAMED_STATE = re.compile(
    r"\W*(?!(?i:it|this|that|there|here|he|she|they|we|i|you|yes|no|so|all|which|what)\b)"
    r"[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*){0,3}"
    r"\s+(?i:is|are|was|were|has|have|had|isn't|aren't|wasn't|weren't)\s+[\w$£€]"
)


def _states_something(text: str) -> bool:
    """Whether a question or a short sentence carries a statement a fact-checker could check."""
    return bool(_DIGIT.search(text) or _COMPARISON.search(text) or _NAMED_STATE.match(text))


def skip_reason(sentence: str) -> str | None:
    """Why a sentence is not a claim to check, or None when it is one.

    Checked in this order, so that "By Jane Smith" (three words) is a byline, not a fragment:
    ``"question"`` (ends in ``?``, maybe followed by closing quotes/brackets), ``"stage_direction"``
    ("(APPLAUSE)", "[CROSSTALK]": what happened in the room), ``"byline"`` (credits, datelines and
    social boilerplate, which state nothing about the world), and ``"fragment"`` (fewer than 4
    words, or no alphabetic word of 2+ letters, e.g. list numbers).
    Before all of them, ``"too long"`` (:data:`TOO_LONG`): over MAX_CLAIM_CHARS even after
    cutting at its clauses.
    A question in a statement's word order, or three words, that carries a checkable statement
    (a figure, a comparison, a named subject with a verb of state) is a claim: "Murders are up.",
    "Unemployment is the lowest it's been in the history of our country, OK?".
    A headline such as "Kerry: U.S. plans military talks with Russia" is a claim.
    """
    text = sentence.strip()
    if len(text) > MAX_CLAIM_CHARS:
        return TOO_LONG
    if _QUESTION.search(text):
        if _ASKING.match(text) or not _states_something(text):
            return "question"
        return None
    if _STAGE_DIRECTION.fullmatch(text):
        return "stage_direction"
    if _BYLINE.fullmatch(text):
        return "byline"
    words = len(_WORD.findall(text))
    if not _ALPHA_WORD.search(text) or words < 3 or (words < 4 and not _states_something(text)):
        return "fragment"
    return None


# --------------------------------------------------------------------------------------------
# Check-worthiness
# --------------------------------------------------------------------------------------------


def check_worthiness(sentence: str) -> float:
    """How much a sentence deserves a fact-checker's time, in [0, 1], rounded to 3 places.

    The probability the shipped model (:mod:`workbench.intake.worthiness`) gives that a
    fact-checker would check the sentence, learned from sentences fact-checkers labelled
    (ClaimBuster and the CheckThat! debates; the README's "Check-worthiness" says how it was
    fitted and measured). Every sentence has one, a sentence that is not a claim too, so that a
    claim an editor restores takes its place in the queue.
    """
    return worthiness.score(sentence)


def judge_sentence(sentence: Sentence) -> ClaimCandidate:
    """One sentence's verdict: whether it is a claim (and if not, why) and its check-worthiness.
    Ingest (through :func:`find_claims`) and ``flask claims worthiness`` both judge with it."""
    reason = skip_reason(sentence.text)
    score = 0.0 if reason == TOO_LONG else check_worthiness(sentence.text)
    return ClaimCandidate(sentence, reason, score)


def find_claims(text: str, limit: int | None = None) -> list[ClaimCandidate]:
    """Every sentence of ``text``, in order, with its skip reason and check-worthiness; with a
    ``limit``, at most ``limit + 1`` of them (enough to tell the text has too many), found
    without splitting the rest."""
    candidates: list[ClaimCandidate] = []
    for sentence in iter_sentences(text):
        candidates.append(judge_sentence(sentence))
        if limit is not None and len(candidates) > limit:
            break
    return candidates
