"""Check-worthiness learned from sentences fact-checkers labelled: the score that orders the queue.

A logistic regression over a sentence's words, word pairs and a few signals a fact-checker looks
for (a figure, a quantity, a comparison, a named source, the tense), fitted offline by
``benchmarks/fit_worthiness.py`` and shipped as ``worthiness_model.json`` beside this module: the
weights of the features that carry any, the intercept, and where they came from. Scoring is plain
Python (find the features, add their weights, take the sigmoid), so ingest needs no numerical
library and the score of a sentence is the same wherever it is computed.

:func:`sentence_features` is the one definition of the features: the fitting script vectorises
what it returns, so the model and the scorer cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import repeat
from typing import Any

__all__ = [
    "MODEL_FILE",
    "WorthinessModel",
    "feature_value",
    "load_model",
    "score",
    "sentence_features",
]

MODEL_FILE = "worthiness_model.json"
_ZEROS = repeat(0.0)  # the weight of a feature the model has none for

# Words, and numbers as one token each: "700,000", "3.5", "1975".
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+(?:[.,]\d+)*")
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_QUANTITY = re.compile(
    r"\b(?:million|billion|trillion|thousand|hundred|dozens?|percent|percentage|half|twice"
    r"|double[ds]?|tripled?|quarter|times|rate|average|majority|minority)\b"
)
_UNIT = re.compile(r"\d\s*(?:%|m\b|bn\b|tn\b|k\b|km|kg|mph|miles|tons|acres|degrees)")
_MONEY = re.compile(r"[$€£¥₹]\s*\d|\b(?:dollars?|euros?|pounds?|taxes|tax|budget|deficit|debt)\b")
_COMPARATIVE = re.compile(
    r"\b(?:\w+er|more|less|fewer)\s+than\b"
    r"|\b(?:increased?|decreased?|rose|fell|risen|fallen|doubled|cut|grew|grown|dropped)\b"
)
_SUPERLATIVE = re.compile(
    r"\b(?:most|least|largest|biggest|highest|lowest|smallest|fastest|worst|best|first|last"
    r"|record|only|ever|never|every|all|no\s+one|nobody)\b|\b\w+est\b"
)
_PAST = re.compile(r"\b(?:was|were|had|did|been|\w+ed)\b")
_MODAL = re.compile(r"\b(?:will|would|should|could|might|must|may|can|going\s+to|gonna)\b")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'll|me|my|we|we're|we've|we'll|us|our)\b")
_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|you've)\b")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|according\s+to|claimed|claims|reported|reports|announced"
    r"|estimated|estimates|stated|confirmed|revealed|insisted|warned|shows?|showed|found)\b"
)
_STATE_VERB = re.compile(r"\b(?:is|are|was|were|has|have|had)\b")
_QUOTE_MARK = re.compile(r"[\"“”«»„]")
_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")
_LENGTH_BUCKETS = ((5, "1-5"), (12, "6-12"), (25, "13-25"), (45, "26-45"))
# Words capitalised by grammar, not because they are names.
_NOT_NAMES = frozenset(
    {
        *("I", "A", "An", "The", "This", "That", "These", "Those", "It", "He", "She", "We"),
        *("They", "You", "His", "Her", "Its", "Our", "Their", "My", "Your", "OK", "Mr", "Mrs"),
        *("But", "And", "Or", "So", "If", "In", "On", "At", "As", "Well", "Now", "Yes", "No"),
    }
)


def _tokens(lowered: str) -> list[str]:
    """Lower-cased words; a number becomes ``<year>`` or ``<num>``: the figure matters to a
    fact-checker, not which figure it is."""
    tokens = []
    for token in _TOKEN.findall(lowered):
        if token[0].isdigit():
            token = "<year>" if _YEAR.fullmatch(token) else "<num>"
        tokens.append(token.replace("’", "'"))
    return tokens


def sentence_features(text: str) -> set[str]:
    """The features of one sentence, each present or not: ``w:`` words, ``b:`` word pairs,
    ``f:`` the first word, ``x:`` word endings, ``s:`` signals (a figure, a quantity, money, a
    comparison, a superlative, names, tense, person, shape). Fitting and scoring both use it."""
    lowered = text.lower()
    words = _tokens(lowered)
    found = {f"w:{word}" for word in words}
    found.update(f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False))
    found.update(f"x:{word[-3:]}" for word in words if len(word) > 4 and word[0] != "<")
    if words:
        found.add(f"f:{words[0]}")
    signals = {
        "digit": _DIGIT.search(text) is not None,
        "year": "<year>" in words,
        "number": "<num>" in words,
        "quantity": _QUANTITY.search(lowered) is not None,
        "unit": _UNIT.search(lowered) is not None or "%" in text,
        "money": _MONEY.search(lowered) is not None,
        "comparative": _COMPARATIVE.search(lowered) is not None,
        "superlative": _SUPERLATIVE.search(lowered) is not None,
        "past": _PAST.search(lowered) is not None,
        "modal": _MODAL.search(lowered) is not None,
        "first_person": _FIRST_PERSON.search(lowered) is not None,
        "second_person": _SECOND_PERSON.search(lowered) is not None,
        "attribution": _ATTRIBUTION.search(lowered) is not None,
        "state_verb": _STATE_VERB.search(lowered) is not None,
        "quotation": _QUOTE_MARK.search(text) is not None,
        "question": text.rstrip().rstrip("\"'”’)]").endswith("?"),
    }
    found.update(f"s:{name}" for name, present in signals.items() if present)
    # Names after the first word (capitalised by grammar): one, or several.
    names = sum(1 for m in _NAME.finditer(text) if m.start() > 0 and m.group() not in _NOT_NAMES)
    found.add(f"s:names_{min(names, 3)}")
    length = len(words)
    bucket = next((label for top, label in _LENGTH_BUCKETS if length <= top), "46+")
    found.add(f"s:words_{bucket}")
    return found


def feature_value(found: set[str]) -> float:
    """The value of each present feature: 1/sqrt(how many), so that every sentence's features
    have length 1 and a long sentence does not outscore a short one by its word count alone.
    Features the model has no weight for still count, so pruning the model changes no value."""
    return 1.0 / math.sqrt(len(found)) if found else 0.0


@dataclass(frozen=True)
class WorthinessModel:
    """The shipped model: an intercept and a weight for each feature that has one."""

    intercept: float
    weights: dict[str, float]
    about: dict[str, Any]

    def score(self, text: str) -> float:
        """The model's probability that a fact-checker would check this sentence, in [0, 1]."""
        weights = self.weights
        found = sentence_features(text)
        total = self.intercept + feature_value(found) * sum(map(weights.get, found, _ZEROS))
        if total < -30:  # exp overflows long before the probability differs from 0
            return 0.0
        return 1.0 / (1.0 + math.exp(-total))


@cache
def load_model() -> WorthinessModel:
    """The model shipped in the package, read once per process."""
    data = json.loads(resources.files(__package__).joinpath(MODEL_FILE).read_text("utf-8"))
    return WorthinessModel(
        intercept=float(data["intercept"]),
        weights={name: float(weight) for name, weight in data["weights"].items()},
        about={key: value for key, value in data.items() if key not in ("intercept", "weights")},
    )


def score(text: str) -> float:
    """The shipped model's check-worthiness of a sentence, in [0, 1], rounded to 3 places."""
    return round(load_model().score(text.strip()), 3)
