"""Normalisation of claim text, the first step of duplicate matching.

News text writes the same words many ways: curly and straight quotes, en and em dashes, accents,
case. Matching compares the normalised form so those differences never count against a pair.
"""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    without_punctuation = _PUNCTUATION.sub(" ", without_accents.casefold())
    return _SPACES.sub(" ", without_punctuation).strip()
