"""Duplicate-claim matching: normalisation, features and the two scores built from them.

News text says the same thing many ways. Before two claims are compared both are normalised:
attribution wrappers ("Kerry said that ...", "..., the Pentagon said") are dropped, aliases are
mapped to one name ("U.S."/"USA"/"United States", "Shoigu"/"Shoygu"), accents, case, quotes and
punctuation go, and numbers written as words become digits ("two million" == "2 million").

Two scores (0-100) come from the same features (rapidfuzz ratios on the normalised texts, plus
overlap of rare words weighted by how rare each word is in the archive):

- `duplicate_score`: is this the same claim? A logistic model fitted on the MSRP news paraphrase
  pairs. `DUPLICATE_THRESHOLD` is where its precision on MSRP is at least 0.85 (a false alert
  costs an editor's time). Used for duplicate suggestions and the `duplicate` flag.
- similarity score (`scores`): how likely is this archived claim the one a text is about? A
  logistic model fitted on CheckThat! 2022 tweets against checked claims, so it also copes with
  a long, noisy text against a short claim, and it looks at a fact-check's own title too. Used to
  rank the similar-claims search.

Both models are refitted by `benchmarks/fit_matching.py`, which prints the coefficients below.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import NamedTuple

from rapidfuzz import fuzz

# --- Aliases ------------------------------------------------------------------------------------

# (phrase, canonical). An all-capitals phrase matches only in capitals ("US" but not "us");
# others match in any case. Admins edit the list in the app; these are the defaults.
DEFAULT_ALIASES: tuple[tuple[str, str], ...] = (
    ("United States of America", "United States"),
    ("U.S.A.", "United States"),
    ("U.S.", "United States"),
    ("USA", "United States"),
    ("US", "United States"),
    ("Russian Federation", "Russia"),
    ("Shoygu", "Shoigu"),
    ("United Kingdom", "Britain"),
    ("Great Britain", "Britain"),
    ("U.K.", "Britain"),
    ("UK", "Britain"),
    ("U.N.", "United Nations"),
    ("UN", "United Nations"),
    ("EU", "European Union"),
    ("E.U.", "European Union"),
    ("ISIS", "Islamic State"),
    ("ISIL", "Islamic State"),
    ("Daesh", "Islamic State"),
    ("WTO", "World Trade Organization"),
    ("World Trade Organisation", "World Trade Organization"),
    ("IAEA", "International Atomic Energy Agency"),
    ("FDA", "Food and Drug Administration"),
    ("CDC", "Centers for Disease Control and Prevention"),
    ("SEC", "Securities and Exchange Commission"),
    ("IMF", "International Monetary Fund"),
    ("WHO", "World Health Organization"),
    ("NATO", "North Atlantic Treaty Organization"),
    ("OPEC", "Organization of the Petroleum Exporting Countries"),
    ("FBI", "Federal Bureau of Investigation"),
    ("DHS", "Department of Homeland Security"),
    ("defence", "defense"),
    ("per cent", "percent"),
    ("%", " percent"),
)


# (phrase, the word it means). Synonyms are compared after stemming, so "vowed", "vows" and
# "vowing" all read as "promise"; admins edit the list next to the aliases.
DEFAULT_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("out of work", "unemployed"),
    ("jobless", "unemployed"),
    ("100 years", "century"),
    ("10 years", "decade"),
    ("vowed", "promised"),
    ("pledged", "promised"),
    ("slump", "fall"),
    ("drop", "fall"),
    ("decline", "fall"),
    ("plunge", "fall"),
    ("tumble", "fall"),
    ("dip", "fall"),
    ("fell", "fall"),
    ("climb", "rise"),
    ("rose", "rise"),
    ("increase", "rise"),
    ("jump", "rise"),
    ("surge", "rise"),
    ("soar", "rise"),
    ("not aware", "unaware"),
    ("covert", "secret"),
    ("telephone", "phone"),
    ("air base", "airbase"),
    ("purchase", "buy"),
    ("bought", "buy"),
    ("acquire", "buy"),
    ("began", "begin"),
    ("begun", "begin"),
    ("start", "begin"),
    ("suspend", "halt"),
    ("unlawful", "illegal"),
    ("kids", "children"),
    ("physician", "doctor"),
    ("legislator", "lawmaker"),
    ("firm", "company"),
    ("stock", "share"),
    ("chief executive officer", "ceo"),
    ("chief executive", "ceo"),
    ("approximately", "about"),
    ("roughly", "about"),
    ("around", "about"),
    ("govt", "government"),
    ("persons", "people"),
    ("assist", "help"),
)


@dataclass(frozen=True, eq=False)  # hashed by identity: a table is built once and read often
class AliasTable:
    """Compiled aliases (one regular expression for all phrases, longest first), and the
    synonyms that are read the same way once the words are stemmed."""

    pattern: re.Pattern[str] | None
    canonical: dict[str, str]
    synonyms: AliasTable | None = None

    @classmethod
    def build(
        cls,
        pairs: Iterable[tuple[str, str]],
        synonyms: Iterable[tuple[str, str]] = (),
    ) -> AliasTable:
        words = [
            (_stem_phrase(phrase), _stem_phrase(target))
            for phrase, target in synonyms
            if phrase.strip() and target.strip()
        ]
        synonym_table = (
            cls.build([(p, t) for p, t in words if p and t and p != t]) if words else None
        )
        canonical: dict[str, str] = {}
        # Phrases that start a word are tried only where a word starts: one look-behind fails
        # inside a word instead of every phrase failing in turn (normalising is on every claim's
        # path). Longest first in each group; no position can start phrases of both groups.
        at_word_start: list[str] = []
        anywhere: list[str] = []
        for phrase, target in sorted(pairs, key=lambda p: -len(p[0])):
            phrase = phrase.strip()
            if not phrase:
                continue
            case_sensitive = phrase.isupper() and phrase.replace(".", "").isalpha()
            key = phrase if case_sensitive else phrase.casefold()
            if key in canonical:
                continue
            canonical[key] = target
            body = re.escape(phrase) + (r"(?!\w)" if phrase[-1].isalnum() else "")
            alternative = body if case_sensitive else f"(?i:{body})"
            (at_word_start if phrase[0].isalnum() else anywhere).append(alternative)
        groups = [f"(?<!\\w)(?:{'|'.join(at_word_start)})"] if at_word_start else []
        groups += [f"(?:{'|'.join(anywhere)})"] if anywhere else []
        pattern = re.compile("|".join(groups)) if groups else None
        return cls(pattern=pattern, canonical=canonical, synonyms=synonym_table)

    def apply(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        found = match.group(0)
        return self.canonical.get(found) or self.canonical.get(found.casefold(), found)

    def apply_synonyms(self, stemmed: str) -> str:
        return self.synonyms.apply(stemmed) if self.synonyms is not None else stemmed


# --- Stemming -----------------------------------------------------------------------------------

_VOWELS = frozenset("aeiouy")
_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")


def _short_stem(word: str) -> bool:
    """A stem like "mak" or "ris", which takes its "e" back ("making" -> "make")."""
    return (
        len(word) >= 3
        and word[-1] not in _VOWELS | {"w", "x"}
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
        and not any(ch in _VOWELS for ch in word[:-2])
    ) or (len(word) == 2 and word[0] in _VOWELS and word[1] not in _VOWELS)


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Light stemming (plurals, -ed, -ing; the first steps of Porter's English stemmer, and a
    final silent "e"): "talks" = "talk", "dropped" = "drop", "promised" = "promise"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith(("ied", "ies")):
        word = word[:-2] if len(word) > 4 else word[:-1]
    elif word.endswith(("us", "ss")):
        pass
    elif word.endswith("s") and any(ch in _VOWELS for ch in word[:-2]):
        word = word[:-1]
    if word.endswith("eed"):
        if len(word) > 5:
            word = word[:-1]
    else:
        for suffix in ("ingly", "edly", "ing", "ed"):
            if word.endswith(suffix) and any(ch in _VOWELS for ch in word[: -len(suffix)]):
                word = word[: -len(suffix)]
                if word.endswith(("at", "bl", "iz")):
                    word += "e"
                elif word.endswith(_DOUBLES):
                    word = word[:-1]
                elif _short_stem(word):
                    word += "e"
                break
    if len(word) > 2 and word[-1] == "y" and word[-2] not in _VOWELS:
        word = word[:-1] + "i"
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


def _stem_phrase(phrase: str) -> str:
    tokens = _PUNCTUATION.sub(" ", _fold(phrase)).split()
    return " ".join(stem(t) for t in _numbers_as_digits(tokens))


# --- Attribution --------------------------------------------------------------------------------

# "told reporters", "told CNN on Friday": whom; never "told him not to ...", which is an order.
_TOLD = r"told\s+(?!(?:not|to)\b)\w+(?:\s+(?!(?:not|to)\b)\w+){0,4}?"
_SAY = (
    rf"(?:said|says|say|{_TOLD}|stated|states|claimed|claims|announced|announces|"
    r"added|adds|argued|argues|insisted|insists|warned|warns|noted|notes|reported|reports|"
    r"confirmed|confirms|estimated|estimates)"
)
# Only plain reporting verbs introduce a claim with no "that" or colon: in "Kerry said Assad must
# go" the claim follows, but in "Russia announced a ceasefire" the object is the claim.
_SAY_BARE = rf"(?:said|says|{_TOLD})"
# "... told him not to do it": an order, not a claim; "told reporters Assad must go" is one.
_NOT_A_CLAIM = r"(?!(?:not\s+)?to\s)"
# "Dmitry Peskov, the Kremlin's spokesman, said ...": a speaker with one appositive. A speaker is
# a short name, not a clause: in "Kaepernick kept kneeling even after the NFL told him not to do
# it" or "As Trump says he will ..." what precedes the verb is part of the claim.
# (Lower case or capitalised: "WHO" is the World Health Organization.)
_CLAUSE_WORDS = "(?:{})".format(
    "|".join(
        f"{word}|{word.capitalize()}"
        for word in "as if when whenever while because after before even although though since "
        "until unless once why how what where who whom whose which that everyone anyone nobody "
        "someone".split()
    )
)
_SPEAKER = (
    rf"(?!{_CLAUSE_WORDS}\b)[A-Z][^,;:\"“”\s]*"
    rf"(?:\s+(?!{_CLAUSE_WORDS}\b)[^,;:\"“”\s]+){{0,6}}?"
    r"(?:,[^,;:\"“”]{1,60},)?"
)
_WHEN = r"(?:\s+(?:on|in|at)\s+\w+)?"
_LEADING_ATTRIBUTION = re.compile(
    rf"^(?:According to [^,]{{1,80}},\s*"
    rf"|{_SPEAKER}\s{_SAY}{_WHEN}(?:\s*:\s*|\s+that\s+|,\s*)"
    rf"|{_SPEAKER}\s{_SAY_BARE}{_WHEN}\s+{_NOT_A_CLAIM}(?=\S))",
)
_NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4}"
_TRAILING_ATTRIBUTION = re.compile(
    rf"(?:,|(?<=[”\"]))\s*(?:according to [^,.;]{{1,80}}"
    rf"|(?:he|she|they|it|(?:the\s+)?[A-Z][^,.;:\"“”]{{0,60}}?)\s+{_SAY}{_WHEN}"
    rf"|{_SAY}\s+(?:the\s+)?{_NAME})\s*[.!]?\s*$",
)


def strip_attribution(text: str) -> str:
    """The claim without who made it: "Kerry said that X." and "X, Kerry said." both give X."""
    stripped = _LEADING_ATTRIBUTION.sub("", text.strip(), count=1)
    stripped = _TRAILING_ATTRIBUTION.sub("", stripped, count=1)
    # Too little left means the sentence was mostly attribution ("He said so."): keep it whole.
    return stripped if len(stripped.split()) >= 3 else text


# --- Numbers ------------------------------------------------------------------------------------

NUMBER_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
NUMBER_TENS = {
    w: 10 * i
    for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
    if w != "_"
}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def _numbers_as_digits(tokens: list[str]) -> list[str]:
    """Runs like "twenty five", "3.5 million" or "two hundred thousand" become one number."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(number_value(run))
            run.clear()

    for index, token in enumerate(tokens):
        # "two hundred and fifty": the "and" belongs to the number.
        if token == "and" and run and index + 1 < len(tokens) and is_number_word(tokens[index + 1]):
            continue
        is_word_number = token in NUMBER_UNITS or token in NUMBER_TENS
        is_digits = bool(_NUMBER.match(token))
        if token in _SCALES or token == "hundred":
            if run:
                run.append(token)
            else:
                out.append(token)
        elif is_digits or is_word_number:
            # Digits always start a new number ("in 2014 12 ships"); number words continue one
            # made of words ("two hundred fifty"), not one made of digits.
            if run and (is_digits or _NUMBER.match(run[-1])):
                flush()
            run.append(token)
        else:
            flush()
            out.append(token)
    flush()
    return out


def is_number_word(token: str) -> bool:
    return token in NUMBER_UNITS or token in NUMBER_TENS or token in _SCALES or token == "hundred"


def number_value(run: list[str]) -> str:
    total = 0.0
    current = 0.0
    for token in run:
        if token in NUMBER_UNITS:
            current += NUMBER_UNITS[token]
        elif token in NUMBER_TENS:
            current += NUMBER_TENS[token]
        elif token == "hundred":
            current = (current or 1) * 100
        elif token in _SCALES:
            total += (current or 1) * _SCALES[token]
            current = 0
        else:
            current += float(token)
    value = total + current
    return str(int(value)) if value == int(value) else f"{value:g}"


# --- Normalisation ------------------------------------------------------------------------------

# Links and handles are where a text was posted, not what it claims.
_LINKS = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]")
_PUNCTUATION = re.compile(r"(?:(?<!\d)\.|\.(?!\d)|[^\w\s.])+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_SPACES = re.compile(r"\s+")


_MAGNITUDE_WORDS = {
    "k": "thousand",
    "m": "million",
    "mn": "million",
    "mln": "million",
    "b": "billion",
    "bn": "billion",
    "tn": "trillion",
}
_CURRENCY_NAMES = {"$": "dollar", "us$": "dollar", "£": "pound", "€": "euro", "¥": "yen"}
# "$3.1bn" / "$ 3.1 billion" -> "3.1 billion dollar": written the way "650 million dollars" is.
_MONEY = re.compile(
    r"(us\$|[$£€¥])\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(k|mn|mln|m|bn|b|tn|thousand|million|billion|"
    r"trillion)\b)?"
)
_ATTACHED_MAGNITUDE = re.compile(r"\b(\d+(?:\.\d+)?)(k|mn|mln|m|bn|b|tn)\b")
_ORDINAL_SUFFIX = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_MONTH_NAMES = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
# "4 June" and "4th of June" -> "june 4", the order "June 4" is written in.
_DAY_FIRST = re.compile(rf"\b(\d{{1,2}})\s+(?:of\s+)?({_MONTH_NAMES})\b")
_NOT = re.compile(r"n['’]t\b")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _canonical_quantities(folded: str) -> str:
    """Money, magnitudes, ordinals and day-month dates written one way."""
    folded = _THOUSANDS.sub("", folded)
    folded = _MONEY.sub(
        lambda m: (
            f" {m.group(2)} {_MAGNITUDE_WORDS.get(m.group(3) or '', m.group(3) or '')} "
            f"{_CURRENCY_NAMES[m.group(1)]} "
        ),
        folded,
    )
    folded = _ATTACHED_MAGNITUDE.sub(
        lambda m: f"{m.group(1)} {_MAGNITUDE_WORDS[m.group(2)]}", folded
    )
    folded = _ORDINAL_SUFFIX.sub(r"\1", folded)
    return _DAY_FIRST.sub(r"\2 \1", folded)


DEFAULT_ALIAS_TABLE = AliasTable.build(DEFAULT_ALIASES, DEFAULT_SYNONYMS)


def normalize(text: str, aliases: AliasTable = DEFAULT_ALIAS_TABLE) -> str:
    """The matching key of a claim: what it says, without how it happens to be written.

    Stemmed and read through the synonyms, so the key (and the text index built on it) finds
    "slumped" for "dropped", "unemployed" for "out of work" and "$3.1bn" for "3.1 billion dollars".
    """
    text = aliases.apply(strip_attribution(_LINKS.sub(" ", text)))
    plain = _NOT.sub(" not", _fold(text))
    plain = _POSSESSIVE.sub("", _canonical_quantities(_DASHES.sub(" ", plain)))
    tokens = _PUNCTUATION.sub(" ", plain).replace("_", " ").split()
    stemmed = " ".join(stem(t) for t in _numbers_as_digits(tokens))
    return aliases.apply_synonyms(stemmed)


_WORD = re.compile(r"\w+(?:[.'’]\w+)*\.?", re.UNICODE)


def shared_word_spans(
    text: str, other: str, aliases: AliasTable = DEFAULT_ALIAS_TABLE
) -> list[tuple[str, bool]]:
    """`text` cut into pieces, each marked True when it is a content word the other text shares
    (after normalisation, so "USA" is shared with "United States"): for side-by-side display."""
    shared = set(content_words(normalize(other, aliases)))
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for match in _WORD.finditer(text):
        word_key = set(content_words(normalize(match.group(0), aliases)))
        if word_key and word_key <= shared:
            word = match.group(0)
            # A sentence's full stop is not part of its last word ("U.S." keeps its dots).
            if word.endswith(".") and "." not in word[:-1]:
                word = word[:-1]
            if match.start() > cursor:
                pieces.append((text[cursor : match.start()], False))
            pieces.append((word, True))
            cursor = match.start() + len(word)
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces


STOPWORDS = frozenset(
    stem(w)
    for w in (
        "a an the of to in on at for by with from and or but is are was were be been being it its "
        "this that these those as has have had he she they we i you his her their our not no will "
        "would can could should may might do does did than then there which who whom what when "
        "where while also just so if about into over after before up out said says"
    ).split()
)


def content_words(normalized: str) -> list[str]:
    """Words that carry the claim; the index is searched with these."""
    return [w for w in normalized.split() if w not in STOPWORDS]


# --- Features and scores ------------------------------------------------------------------------

Idf = Callable[[str], float]


def idf_from_counts(doc_counts: dict[str, int], total_docs: int) -> Idf:
    """Inverse document frequency: a word in few claims says more than a word in many.

    Counts are looked up for the query's words only (one index look-up per word); any other word
    weighs as much as the query's average word. The models are fitted with the same rule.
    """
    total = max(total_docs, 1)
    known = {w: math.log((total + 1) / (n + 1)) + 1.0 for w, n in doc_counts.items()}
    default = sum(known.values()) / len(known) if known else math.log(total + 1) + 1.0

    def idf(word: str) -> float:
        return known.get(word, default)

    return idf


def features(query: str, candidate: str, idf: Idf) -> list[float]:
    """Comparable numbers about two normalised texts, each between 0 and 1; the models weigh
    them."""
    if not query or not candidate:
        return [0.0] * FEATURE_COUNT
    q, c = _side(query, idf), _side(candidate, idf)
    shared = q.content & c.content
    shared_weight = sum(map(idf, shared))
    return [
        fuzz.token_sort_ratio(query, candidate) / 100,
        fuzz.token_set_ratio(query, candidate) / 100,
        fuzz.ratio(query, candidate) / 100,
        fuzz.partial_ratio(query, candidate) / 100,
        shared_weight / q.weight,  # how much of the query the candidate covers
        shared_weight / c.weight,  # how much of the candidate the query covers
        min(shared_weight / q.weight, shared_weight / c.weight),
        1.0 if q.numbers ^ c.numbers else 0.0,  # different numbers: rarely the same claim
        len(q.pairs & c.pairs) / max(1, min(len(q.pairs), len(c.pairs))),
        min(q.length, c.length) / max(q.length, c.length),
        len(shared) / max(1, len(q.content | c.content)),
    ]


# The features that say how much of each text the other covers (4-6 above): cheap, and what
# decides most of a score (see similarity_bound).
COVERAGE = slice(4, 7)


class _Side(NamedTuple):
    """What `features` reads of one text besides the text: a search compares its query with
    hundreds of candidates."""

    length: int  # words
    content: frozenset[str]
    weight: float  # of the content words, by rarity
    numbers: frozenset[str]
    pairs: frozenset[tuple[str, str]]  # neighbouring words


@functools.lru_cache(maxsize=1024)
def _side(text: str, idf: Idf) -> _Side:
    words = text.split()
    content, weight = _content(text, idf)
    return _Side(
        length=len(words),
        content=content,
        weight=weight,
        numbers=frozenset(w for w in words if w[0].isdigit()),
        pairs=frozenset(zip(words, words[1:], strict=False)),
    )


@functools.lru_cache(maxsize=1024)
def _content(text: str, idf: Idf) -> tuple[frozenset[str], float]:
    """The text's content words (see content_words) and their weight by rarity."""
    content = frozenset(text.split()) - STOPWORDS
    return content, sum(map(idf, content)) or 1e-9


FEATURE_COUNT = 11
LONGEST_RUN = 12  # a changed stretch this long is a clause of its own


def alignment_features(query: str, candidate: str, idf: Idf) -> list[float]:
    """How the two texts line up word by word: an added or dropped clause is one long stretch
    the other lacks, a paraphrase many short changes. These tell MSRP's "same claim, more said"
    pairs from its paraphrases better than any overlap ratio (benchmarks/fit_matching.py).

    Costs a sequence alignment, so only the duplicate decision (a few pairs a query) uses it.
    """
    q, c = query.split(), candidate.split()
    if not q or not c:
        return [0.0] * ALIGNMENT_FEATURE_COUNT
    run_q = run_c = 0
    weight_q = weight_c = 0.0
    aligned = SequenceMatcher(None, q, c, autojunk=False)
    for tag, i1, i2, j1, j2 in aligned.get_opcodes():
        if tag == "equal":
            continue
        run_q, run_c = max(run_q, i2 - i1), max(run_c, j2 - j1)
        weight_q += sum(idf(w) for w in content_words(" ".join(q[i1:i2])))
        weight_c += sum(idf(w) for w in content_words(" ".join(c[j1:j2])))
    total_q = sum(idf(w) for w in content_words(query)) or 1.0
    total_c = sum(idf(w) for w in content_words(candidate)) or 1.0
    return [
        min(run_q, LONGEST_RUN) / LONGEST_RUN,
        min(run_c, LONGEST_RUN) / LONGEST_RUN,
        max(run_q, run_c) / max(1, min(len(q), len(c))),
        weight_q / total_q,
        weight_c / total_c,
        max(weight_q / total_q, weight_c / total_c),
        aligned.ratio(),  # from the same alignment, computed once
    ]


ALIGNMENT_FEATURE_COUNT = 7


def duplicate_features(query: str, candidate: str, idf: Idf) -> list[float]:
    return features(query, candidate, idf) + alignment_features(query, candidate, idf)


@dataclass(frozen=True)
class LogisticModel:
    weights: tuple[float, ...]
    bias: float

    def probability(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


# Fitted by benchmarks/fit_matching.py on MSRP (all 3,676 pairs), over the 11 overlap features
# and the 7 alignment features; see the README for the figures.
DUPLICATE_MODEL = LogisticModel(
    weights=(
        *(1.927, 1.196, 2.684, -2.679, 1.853, 1.957, 1.155, -0.511, -0.816, 1.556, 0.425),
        *(-1.78, -1.604, 0.822, 0.683, 0.788, 1.402, 1.585),
    ),
    bias=-6.733,
)
# Cross-validated on MSRP, the app's decision (this score, and no conflicting fact) reaches
# precision 0.903 at 75 with recall 0.678 (a pair whose facts conflict is not the same claim).
DUPLICATE_THRESHOLD = 75.0

# Fitted by benchmarks/fit_matching.py on the CheckThat! 2022 training queries (cleaned of their
# social-media noise, candidates from the postings-budget index query); the first eleven weights
# apply to the claim's text, the next eleven to its title (zero when it has none), the last four
# to how near in time the post and the claim's check are (zero when a date is unknown).
SIMILARITY_MODEL = LogisticModel(
    weights=(
        *(1.708, 0.619, 0.072, 0.487, 5.619, 4.061, 5.006, 0.444, -0.738, -0.946, -0.01),
        *(2.746, 2.009, 1.159, 1.829, 3.356, 5.246, 3.298, 1.777, -1.625, -1.201, -0.258),
        *(-3.658, 4.66, 0.052, 2.624),
    ),
    bias=-15.081,
)


# Texts that normalise to the same words are the same claim, whatever the model would say.
IDENTICAL_SCORE = 100.0


def duplicate_score(query: str, candidate: str, idf: Idf) -> float:
    """0-100: how sure we are that two normalised sentences make the same claim (the facts are
    compared apart, see facts.py)."""
    if query == candidate:
        return IDENTICAL_SCORE
    return round(100 * DUPLICATE_MODEL.probability(duplicate_features(query, candidate, idf)), 1)


DATE_FEATURE_COUNT = 4


def date_features(query_date: date | None, claim_date: date | None) -> list[float]:
    """How close in time the query (a post's own date) and the archived claim (its article's or
    fact-check's date) are: a claim is checked while it circulates, so the check of that month
    is more likely the one a post is about. All zero when either date is unknown."""
    if query_date is None or claim_date is None:
        return [0.0] * DATE_FEATURE_COUNT
    days = abs((claim_date - query_date).days)
    return [
        1.0,
        math.exp(-days / 30),
        math.exp(-days / 365),
        1.0 if claim_date >= query_date else 0.0,  # checked after it was posted
    ]


def similarity_features(
    query: str,
    candidate: str,
    title: str | None,
    idf: Idf,
    query_date: date | None = None,
    claim_date: date | None = None,
) -> list[float]:
    title_features = features(query, title, idf) if title else [0.0] * FEATURE_COUNT
    return features(query, candidate, idf) + title_features + date_features(query_date, claim_date)


def similarity_bound(
    query: str,
    candidate: str,
    title: str | None,
    idf: Idf,
    query_date: date | None = None,
    claim_date: date | None = None,
) -> float:
    """At least `similarity_score` of the same pair, for a fraction of its cost.

    Only the coverage features are computed; every other feature of the text and the title
    (each between 0 and 1) is taken at whichever end the model prefers: 1 where it weighs the
    feature up, 0 where down. A candidate whose bound is below a score already found cannot
    beat it, so a search need not score it (similar.best_ranked)."""
    if query == candidate:
        return IDENTICAL_SCORE
    weights = SIMILARITY_MODEL.weights
    dates = date_features(query_date, claim_date)
    z = SIMILARITY_MODEL.bias + sum(
        w * v for w, v in zip(weights[2 * FEATURE_COUNT :], dates, strict=True)
    )
    for start, text in ((0, candidate), (FEATURE_COUNT, title)):
        if query and text:
            own = weights[start : start + FEATURE_COUNT]
            z += _BEST_OTHERS[start] + sum(
                w * v for w, v in zip(own[COVERAGE], _coverage(query, text, idf), strict=True)
            )
    return 100 / (1 + math.exp(-z))


def _coverage(query: str, text: str, idf: Idf) -> tuple[float, float, float]:
    """The coverage features of `features`, alone."""
    (q, q_weight), (c, c_weight) = _content(query, idf), _content(text, idf)
    shared = sum(map(idf, q & c))
    return shared / q_weight, shared / c_weight, min(shared / q_weight, shared / c_weight)


# The most the features besides the coverage can add, for the text (weights from 0) and the title
# (from FEATURE_COUNT): a weight's own value where it is positive (the feature at 1), else 0.
_BEST_OTHERS = {
    start: sum(
        max(w, 0.0)
        for i, w in enumerate(SIMILARITY_MODEL.weights[start : start + FEATURE_COUNT])
        if i not in range(FEATURE_COUNT)[COVERAGE]
    )
    for start in (0, FEATURE_COUNT)
}


def similarity_score(
    query: str,
    candidate: str,
    title: str | None,
    idf: Idf,
    query_date: date | None = None,
    claim_date: date | None = None,
) -> float:
    """0-100: how likely the archived claim (and its title) is what the query text is about.

    Not rounded: results are ranked on it, and shown rounded."""
    if query == candidate:
        return IDENTICAL_SCORE
    return 100 * SIMILARITY_MODEL.probability(
        similarity_features(query, candidate, title, idf, query_date, claim_date)
    )
