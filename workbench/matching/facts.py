"""The checkable facts of a claim, and whether two claims state the same ones.

Word overlap cannot tell "unemployment rose 3.2 percent" from "unemployment rose 2.3 percent": the
words are the same, the claim is not. A mutated copy of a checked claim is one of the commonest
ways misinformation spreads, so before two claims are called duplicates their facts are compared:

- quantities in any spelling ("$3.1bn" = "3.1 billion dollars", "fifty-two" = "52", "7m",
  "25%" = "25 per cent"), with the precision they were written in ("3.1bn" = "3.14bn");
- dates in either order ("4 June" = "June 4"), weekdays, months, years, and relative times
  ("last year" is kept as words: it cannot be turned into a year without the article's date);
- names: capitalised spans, read through the alias list, so "IMF" and "International Monetary
  Fund" are one name once the list says so ("Ash Carter" = "Carter", "Russia" = "Russian");
- polarity: negation, and opposite directions (rose/fell, higher/lower, won/lost, cost/save ...),
  from the word lists in `fact_words.json`.

A fact of one kind that differs on both sides is a *conflict*: the pair is a *variant* (same
wording, different facts), never a duplicate. A fact found in only one claim (an added clause,
"the Pentagon said") is not a conflict. Names conflict only when the differing names stand in the
same place of both sentences, so that a name added elsewhere does not turn a paraphrase into a
variant.

Facts are computed at match time, not stored: extraction costs tens of microseconds per claim and
only the few candidates that reach the duplicate threshold are compared (measured in
`benchmarks/fact_pairs.py --timing`), while a stored copy would go stale whenever the aliases or
word lists change.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from workbench.matching.normalize import (
    DEFAULT_ALIAS_TABLE,
    NUMBER_TENS,
    NUMBER_UNITS,
    AliasTable,
    is_number_word,
    number_value,
    shared_word_spans,
    stem,
)

WORDS_FILE = Path(__file__).with_name("fact_words.json")


@dataclass(frozen=True, eq=False)  # hashed by identity, like the alias table
class FactWords:
    """The word lists polarity and names are read with (see fact_words.json for the defaults)."""

    negation: frozenset[str]
    opposites: dict[str, tuple[frozenset[str], frozenset[str]]]
    titles: frozenset[str]
    sentence_starters: frozenset[str]

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> FactWords:
        data = json.loads(path.read_text(encoding="utf-8"))

        def stems(words: list[str]) -> frozenset[str]:
            return frozenset(stem(w.casefold()) for w in words)

        return cls(
            negation=stems(data["negation"]),
            opposites={
                name: (stems(up), stems(down)) for name, (up, down) in data["opposites"].items()
            },
            titles=frozenset(w.casefold() for w in data["titles"]),
            sentence_starters=frozenset(w.casefold() for w in data["sentence_starters"]),
        )


@functools.cache
def default_words() -> FactWords:
    return FactWords.load()


@dataclass(frozen=True)
class Fact:
    """One checkable fact: its kind, a key two spellings share, and where it is written."""

    kind: str  # number, percent, money, year, date, month, weekday, ordinal, relative, name
    key: str
    text: str  # as written, for the editor
    start: int  # offsets into the claim's text, to mark it
    end: int
    value: float | None = None  # quantities: the value, compared within its precision
    unit: float | None = None  # quantities: half the last significant digit, when >= 2 digits


@dataclass(frozen=True)
class ClaimFacts:
    facts: tuple[Fact, ...]
    negations: int
    # opposite pair -> how many words of each side the claim has ("rose ... gained": 2 up)
    directions: dict[str, tuple[int, int]]
    tokens: tuple[str, ...]  # lower-case words, for aligning names
    token_spans: tuple[tuple[int, int], ...]
    written: tuple[str, ...] = ()  # the same words as written, for the editor


@dataclass(frozen=True)
class Difference:
    """A fact the two claims state differently: "3.2 percent" here, "2.3 percent" there."""

    kind: str
    ours: str
    theirs: str
    ours_span: tuple[int, int] | None = None
    theirs_span: tuple[int, int] | None = None

    def describe(self) -> str:
        if self.kind == "negation":
            return f"“{self.theirs or self.ours}” {'added' if self.theirs else 'removed'}"
        return f"{self.ours} ≠ {self.theirs}"


@dataclass(frozen=True)
class FactComparison:
    same: list[tuple[Fact, Fact]] = field(default_factory=list)
    conflicts: list[Difference] = field(default_factory=list)
    only_ours: list[Fact] = field(default_factory=list)
    only_theirs: list[Fact] = field(default_factory=list)

    @property
    def conflicting(self) -> bool:
        return bool(self.conflicts)

    def summary(self) -> str:
        return "; ".join(d.describe() for d in self.conflicts)


# --- Quantities ----------------------------------------------------------------------------------

_UNIT_WORDS = NUMBER_UNITS
_TENS_WORDS = NUMBER_TENS
_SCALE_WORDS = {
    "hundred": 100,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
}
_MAGNITUDES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "tn": 1e12,
    "trillion": 1e12,
}
_ORDINAL_WORDS = {
    w: i + 1
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
    )
}
_CURRENCY_SIGNS = {"$": "usd", "us$": "usd", "£": "gbp", "€": "eur", "¥": "jpy", "₹": "inr"}
_CURRENCY_WORDS = {
    "dollar": "usd",
    "dollars": "usd",
    "usd": "usd",
    "euro": "eur",
    "euros": "eur",
    "eur": "eur",
    "pound": "gbp",
    "pounds": "gbp",
    "sterling": "gbp",
    "gbp": "gbp",
    "yen": "jpy",
    "yuan": "cny",
    "renminbi": "cny",
    "rupee": "inr",
    "rupees": "inr",
    "rouble": "rub",
    "roubles": "rub",
    "ruble": "rub",
    "rubles": "rub",
}
_PERCENT_WORDS = ("percent", "per cent", "pct", "%")
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november "
        "december".split()
    )
}
_MONTH_ABBREVIATIONS = {
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_RELATIVE = re.compile(
    r"\b(?:(?:last|this|next|earlier this|later this|past)\s+(?:year|month|week|weekend|"
    r"decade|century|quarter|spring|summer|autumn|fall|winter)|yesterday|today|tomorrow|"
    r"tonight|last night)\b",
    re.IGNORECASE,
)

_NUMBER_WORD = "|".join([*_UNIT_WORDS, *_TENS_WORDS, *_SCALE_WORDS])
_SCALE = "|".join(_SCALE_WORDS)
# A claim without a digit, a currency sign or a number word has no quantity: most claims skip the
# token scan below.
_MAY_HAVE_QUANTITY = re.compile(
    rf"[\d$£€¥₹]|\b(?:{_NUMBER_WORD}|{'|'.join(_ORDINAL_WORDS)})\b", re.IGNORECASE
)
# One token of a quantity: a currency sign, digits (with separators, decimals and an attached
# magnitude or ordinal suffix), or a number word (hyphenated tens-units included).
_TOKEN = re.compile(
    r"(?P<sign>US\$|[$£€¥₹])"
    r"|(?P<digits>(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?)"
    r"(?P<suffix>st|nd|rd|th|k|m|mn|bn|b|tn)?(?![\w])"
    rf"|(?P<word>\b(?:{'|'.join(_TENS_WORDS)})-(?:{'|'.join(list(_UNIT_WORDS)[1:10])})\b"
    rf"|\b(?:{_NUMBER_WORD}|an?(?=\s+(?:{_SCALE}))|and(?=\s+(?:{_NUMBER_WORD})))\b)"
    r"|(?P<percent>%|\bper\s*cent\b|\bpercent\b|\bpct\b|\bpercentage points?\b)"
    r"|(?P<magnitude>\b(?:thousand|millions?|billions?|trillion|bn|mn|mln)\b)"
    r"|(?P<currency>\b(?:" + "|".join(sorted(_CURRENCY_WORDS, key=len, reverse=True)) + r")\b)"
    r"|(?P<ordinal>\b(?:" + "|".join(_ORDINAL_WORDS) + r")\b)",
    re.IGNORECASE,
)
_GAP = re.compile(r"[\s-]*")


def _word_value(words: list[str]) -> float | None:
    """The value of a run of number words: "two hundred and fifty thousand" -> 250000, "a
    million" -> 1000000, "fifty-two" -> 52; read as the matching key reads them."""
    parts = [
        "one" if part in ("a", "an") else part
        for word in words
        for part in word.casefold().split("-")
        if part != "and"
    ]
    if not parts or not all(is_number_word(part) for part in parts):
        return None
    return float(number_value(parts))


def _precision(digits: str, magnitude: float) -> float | None:
    """Half the last significant digit's unit, for numbers written with two or more significant
    digits ("3.1bn" stands for 3.05-3.15bn); None for one digit ("2 million" is exactly two)."""
    plain = digits.replace(",", "")
    if "." in plain:
        whole, decimals = plain.split(".")
        significant = len((whole + decimals).lstrip("0"))
        unit = 10 ** -len(decimals)
    else:
        stripped = plain.rstrip("0")
        significant = len(stripped.lstrip("0"))
        unit = 10 ** (len(plain) - len(stripped))
    if significant < 2:
        return None
    return unit * magnitude / 2


def _quantities(text: str) -> list[Fact]:
    """Numbers, money, percentages, years, ordinals and dates, in the order they are written."""
    if not _MAY_HAVE_QUANTITY.search(text):
        return _with_dates(text, [])
    tokens = list(_TOKEN.finditer(text))
    facts: list[Fact] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        start = token.start()
        currency: str | None = None
        if _kind(token) == "sign":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if (
                nxt is None
                or _kind(nxt) not in ("digits", "word")
                or not _adjacent(text, token, nxt)
            ):
                i += 1
                continue
            currency = _CURRENCY_SIGNS[token.group().casefold()]
            i += 1
            token = tokens[i]
        if _kind(token) == "ordinal":
            value = _ORDINAL_WORDS[token.group().casefold()]
            facts.append(
                Fact("ordinal", str(value), token.group(), token.start(), token.end(), value)
            )
            i += 1
            continue
        if _kind(token) not in ("digits", "word"):
            i += 1
            continue
        # The number itself: digits, or a run of number words.
        unit: float | None
        if _kind(token) == "digits":
            digits = token.group("digits")
            suffix = (token.group("suffix") or "").casefold()
            value = float(digits.replace(",", ""))
            end = token.end()
            i += 1
            if suffix in ("st", "nd", "rd", "th"):
                facts.append(Fact("ordinal", _fmt(value), text[start:end], start, end, value))
                continue
            magnitude = _MAGNITUDES.get(suffix, 1.0)
            unit = _precision(digits, magnitude)
            value *= magnitude
        else:
            words: list[str] = []
            end = token.end()
            j = i
            while j < len(tokens) and _kind(tokens[j]) in ("word", "magnitude"):
                if j > i and not _adjacent(text, tokens[j - 1], tokens[j]):
                    break
                words.append(tokens[j].group())
                end = tokens[j].end()
                j += 1
            # "and" joins number words, "a" stands for one before a scale ("a million"):
            # neither starts or ends a number ("and a one million dollar fine").
            lead = 0
            while lead < len(words) and (
                words[lead].casefold() == "and"
                or words[lead].casefold() in ("a", "an")
                and (lead + 1 == len(words) or words[lead + 1].casefold() not in _SCALE_WORDS)
            ):
                lead += 1
            words = words[lead:]
            while words and words[-1].casefold() in ("a", "an", "and"):
                words.pop()
                j -= 1
            parsed = _word_value(words) if words else None
            if parsed is None:
                i += 1  # no number starts here; the next token may start one
                continue
            start, end = tokens[i + lead].start(), tokens[j - 1].end()
            i = j
            value, unit, magnitude = parsed, None, 1.0
            # "a million", "one hundred" say a round number: exact.
        # What follows: a magnitude word, then a percent sign or a currency word.
        kind = "number"
        while i < len(tokens) and _adjacent_end(text, end, tokens[i]):
            follower = tokens[i]
            group = _kind(follower)
            word = follower.group().casefold()
            if group == "word" and word in _MAGNITUDES and magnitude == 1.0:
                group = "magnitude"  # "2.5 million": the scale word of a number in digits
            if group == "magnitude" and magnitude == 1.0:
                magnitude = _MAGNITUDES[word]
                value *= magnitude
                unit = unit * magnitude if unit is not None else None
            elif group == "percent" and currency is None:
                kind = "percent"
            elif group == "currency" and currency is None:
                currency = _CURRENCY_WORDS[follower.group().casefold()]
            else:
                break
            end = follower.end()
            i += 1
        if currency is not None:
            kind = "money"
        elif kind == "number" and _looks_like_year(text, start, end, value):
            kind, unit = "year", None  # 1950 is not 1951, however many digits are round
        key = f"{currency}:{_fmt(value)}" if currency else _fmt(value)
        facts.append(Fact(kind, key, text[start:end], start, end, value, unit))
    return _with_dates(text, facts)


def _kind(token: re.Match[str]) -> str | None:
    """Which part of _TOKEN matched ("7m" ends in its suffix group, but is digits)."""
    return "digits" if token.group("digits") else token.lastgroup


def _adjacent(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    return _GAP.fullmatch(text, left.end(), right.start()) is not None


def _adjacent_end(text: str, end: int, right: re.Match[str]) -> bool:
    return _GAP.fullmatch(text, end, right.start()) is not None


def _looks_like_year(text: str, start: int, end: int, value: float) -> bool:
    written = text[start:end]
    return written.isdigit() and len(written) == 4 and 1800 <= value <= 2100


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


_MONTH_WORD = re.compile(
    r"\b(?:" + "|".join(MONTHS) + "|" + "|".join(_MONTH_ABBREVIATIONS) + r")\b\.?",
    re.IGNORECASE,
)
_WEEKDAY_WORD = re.compile(r"\b(?:" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)


def _month_of(word: str) -> str | None:
    folded = word.rstrip(".").casefold()
    return folded if folded in MONTHS else _MONTH_ABBREVIATIONS.get(folded)


def _with_dates(text: str, quantities: list[Fact]) -> list[Fact]:
    """Months, weekdays and relative times; a day number next to a month becomes one date."""
    facts = list(quantities)
    for match in _MONTH_WORD.finditer(text):
        word = match.group()
        month = _month_of(word)
        if month is None:
            continue
        # "May" and "March" are also words: a month only when capitalised, and "may" in its
        # abbreviation-free form only next to a number or after "in"/"of"/"last".
        if not word[0].isupper():
            continue
        if month == "may" and not _month_context(text, match.start(), match.end()):
            continue
        start, end = match.start(), match.end()
        day = _day_next_to(facts, text, start, end)
        if day is not None:
            facts.remove(day)
            start, end = min(start, day.start), max(end, day.end)
            facts.append(
                Fact("date", f"{month} {_fmt(day.value or 0)}", text[start:end], start, end)
            )
        else:
            facts.append(Fact("month", month, text[start:end], start, end))
    for match in _WEEKDAY_WORD.finditer(text):
        facts.append(
            Fact("weekday", match.group().casefold(), match.group(), match.start(), match.end())
        )
    for match in _RELATIVE.finditer(text):
        key = " ".join(match.group().casefold().split())
        facts.append(Fact("relative", key, match.group(), match.start(), match.end()))
    return sorted(facts, key=lambda f: f.start)


def _month_context(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 6) : start].casefold().split()
    after = text[end : end + 6].strip()
    return bool(
        (before and before[-1] in ("in", "of", "last", "since", "until", "early", "late", "mid"))
        or (after[:1].isdigit())
        or re.search(r"\d\s*(?:st|nd|rd|th)?\s*(?:of\s+)?$", text[max(0, start - 8) : start])
    )


def _day_next_to(facts: list[Fact], text: str, start: int, end: int) -> Fact | None:
    for fact in facts:
        if fact.kind not in ("number", "ordinal") or fact.value is None:
            continue
        if not (1 <= fact.value <= 31 and fact.value == int(fact.value)):
            continue
        after = re.fullmatch(r"[\s,]*", text[end : fact.start]) if fact.start >= end else None
        before = (
            re.fullmatch(r"\s*(?:of\s+)?", text[fact.end : start]) if fact.end <= start else None
        )
        if after or before:
            return fact
    return None


# --- Names ---------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_](?:[\w.'’&-]*\w)?\.?", re.UNICODE)
_CONNECTORS = frozenset({"of", "the", "de", "al", "bin", "von", "van", "da", "del", "la", "le"})
_POSSESSIVE = re.compile(r"['’]s?$")


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _names(text: str, tokens: list[re.Match[str]], words: FactWords) -> list[Fact]:
    """Capitalised spans ("Defense Secretary Ash Carter", "Bank of England"), without the months,
    weekdays and sentence-opening words that are capitalised for another reason."""
    names: list[Fact] = []
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        if not _is_capitalised(word) or _not_a_name(word, i, words):
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and not tokens[j - 1].group().endswith(("'s", "’s")):
            # "Syria's Latakia" is two names: a possessive ends one.
            nxt = tokens[j].group()
            gap = text[tokens[j - 1].end() : tokens[j].start()]
            if gap.strip() not in ("", "-"):
                break
            if _is_capitalised(nxt) and not _not_a_name(nxt, j, words):
                j += 1
            elif (
                nxt.casefold() in _CONNECTORS
                and j + 1 < len(tokens)
                and _is_capitalised(tokens[j + 1].group())
                and text[tokens[j].end() : tokens[j + 1].start()].strip() == ""
            ):
                j += 2
            else:
                break
        start, end = tokens[i].start(), tokens[j - 1].end()
        written = text[start:end]
        if written.endswith(".") and "." not in tokens[j - 1].group()[:-1]:
            written = written[:-1]  # the sentence's full stop, not "U.S."
        written = _POSSESSIVE.sub("", written) if written.endswith(("'s", "’s")) else written
        names.append(Fact("name", "", written, start, start + len(written)))
        i = j
    return names


def _not_a_name(word: str, index: int, words: FactWords) -> bool:
    folded = word.rstrip(".").casefold()
    if folded in MONTHS or folded in WEEKDAYS or folded in _MONTH_ABBREVIATIONS:
        return True
    if folded[:1].isdigit():
        return True
    return index == 0 and folded in words.sentence_starters


@functools.lru_cache(maxsize=50_000)
def _name_words(written: str, aliases: AliasTable, words: FactWords) -> frozenset[str]:
    """The words that identify a name, through the aliases, without titles ("Mr", "Minister")."""
    through = written
    # "U.S" (a dot lost) and "US" read as "U.S." does, when the alias list knows one of them.
    for spelling in (written, written + ".", written.replace(".", "")):
        if aliases.apply(spelling) != spelling:
            through = aliases.apply(spelling)
            break
    folded = unicodedata.normalize("NFKD", through)
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    parts = re.findall(r"\w+", plain.replace("'s", "").replace("’s", ""))
    kept = [p for p in parts if p not in words.titles]
    return frozenset(kept or parts)


def _same_word(a: str, b: str) -> bool:
    """One word of a name: "Russia" = "Russian", "Syria" = "Syrian", "Britain" = "British",
    "Ron" = "Ronald"."""
    if a == b:
        return True
    if len(a) >= 2 and len(b) >= 2 and (a.startswith(b) or b.startswith(a)):
        return True  # "Ron" is "Ronald", "Va." is "Virginia"
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared >= 4 and len(a) - shared <= 3 and len(b) - shared <= 3


def _same_name(a: frozenset[str], b: frozenset[str]) -> bool:
    """Carter is Ash Carter; Russian Defense Minister Sergei Shoigu is Shoigu; Ronald L. Kuby is
    Ron Kuby (initials left out); VisualBasic is Visual Basic."""
    a = frozenset(w for w in a if len(w) > 1) or a
    b = frozenset(w for w in b if len(w) > 1) or b
    if _joined(a, b) or _joined(b, a):
        return True
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return bool(small) and all(any(_same_word(w, x) for x in large) for w in small)


def _joined(one: frozenset[str], parts: frozenset[str]) -> bool:
    """A name written as one word and as several ("VisualBasic", "Visual Basic")."""
    if len(one) != 1 or len(parts) < 2:
        return False
    word = next(iter(one))
    return len(word) == sum(len(p) for p in parts) and all(p in word for p in parts)


# --- Extraction and comparison -------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # a claim that many repeat is compared again and again
def extract(
    text: str,
    normalized: str,
    aliases: AliasTable = DEFAULT_ALIAS_TABLE,
    words: FactWords | None = None,
) -> ClaimFacts:
    """The facts of a claim: quantities and dates from its text, names through the aliases,
    polarity from its normalised (stemmed, synonym-mapped) words."""
    words = words or default_words()
    tokens = _tokens(text)
    facts = _quantities(text)
    taken = [(f.start, f.end) for f in facts]
    for name in _names(text, tokens, words):
        if any(s < name.end and name.start < e for s, e in taken):
            continue
        key_words = _name_words(name.text, aliases, words)
        facts.append(Fact("name", " ".join(sorted(key_words)), name.text, name.start, name.end))
    counts = Counter(normalized.split())
    negations = sum(n for w, n in counts.items() if w in words.negation)
    directions: dict[str, tuple[int, int]] = {}
    for pair, (up, down) in words.opposites.items():
        ups = sum(n for w, n in counts.items() if w in up)
        downs = sum(n for w, n in counts.items() if w in down)
        if ups or downs:
            directions[pair] = (ups, downs)
    # A fact said twice ("the U.S." ... "United States officials") is one fact.
    unique = {(f.kind, f.key): f for f in sorted(facts, key=lambda f: -f.start)}
    return ClaimFacts(
        facts=tuple(sorted(unique.values(), key=lambda f: f.start)),
        negations=negations,
        directions=directions,
        tokens=tuple(t.group().rstrip(".").casefold() for t in tokens),
        token_spans=tuple((t.start(), t.end()) for t in tokens),
        written=tuple(t.group().rstrip(".") for t in tokens),
    )


@functools.cache
def _fact_word_stems(words: FactWords) -> frozenset[str]:
    """Every normalised word that can carry a fact other than a number or a name: polarity and
    direction words, months, weekdays, relative times, ordinals, currencies, percent."""
    plain = [
        *MONTHS,
        *_MONTH_ABBREVIATIONS,
        *WEEKDAYS,
        *_ORDINAL_WORDS,
        *_CURRENCY_WORDS,
        *"percent pct per cent point last this next past earlier later year month week".split(),
        *"weekend decade century quarter spring summer autumn fall winter yesterday".split(),
        *"today tomorrow tonight night".split(),
    ]
    stems = {stem(w) for w in plain}
    for up, down in words.opposites.values():
        stems |= up | down
    return frozenset(stems | words.negation)


def may_conflict(ours: str, ours_normalized: str, theirs: str, theirs_normalized: str) -> bool:
    """Whether the facts of two claims can conflict at all, without extracting them: only if
    the words one has and the other lacks, as written, include a number, a capitalised word or a
    word that carries a fact. Most repeats differ in a few plain words, and skip the full
    comparison. (The normalised texts are not enough: they drop who said it.)"""
    if ours == theirs:
        return False
    ours_words = Counter(_RAW_WORD.findall(_NOT.sub(" not", ours)))
    theirs_words = Counter(_RAW_WORD.findall(_NOT.sub(" not", theirs)))
    differing = (ours_words - theirs_words) + (theirs_words - ours_words)
    fact_words = _fact_word_stems(default_words())
    return any(
        not word.isalpha()
        or word[0].isupper()
        or word.casefold() in _NUMBER_WORDS
        or stem(word.casefold()) in fact_words
        for word in differing
    )


_RAW_WORD = re.compile(r"\d+(?:[.,:/]\d+)*|[^\W_]+|[$£€¥₹%]")  # "3.2" is not "2.3"
_NOT = re.compile(r"n['’]t\b")  # "isn't": its negation is a word of its own
_NUMBER_WORDS = frozenset([*NUMBER_UNITS, *NUMBER_TENS, "hundred", "thousand", "million"])


# Kinds compared with each other: a quantity with a quantity (money with a bare number of the same
# value is the same fact, "$650 million" and "650 million"), a date with a date, and so on.
_GROUPS = {
    "number": "quantity",
    "money": "quantity",
    "percent": "percent",
    "year": "year",
    "ordinal": "ordinal",
    "date": "date",
    "month": "date",
    "weekday": "weekday",
    "relative": "relative",
    "name": "name",
}


def _same_fact(a: Fact, b: Fact) -> bool:
    if a.kind == "name" or b.kind == "name":
        return a.kind == b.kind and _same_name(frozenset(a.key.split()), frozenset(b.key.split()))
    if a.kind == "money" and b.kind == "money" and a.key.split(":")[0] != b.key.split(":")[0]:
        return False
    if a.kind in ("date", "month") and b.kind in ("date", "month"):
        # "in June" and "on June 4": the month agrees, the day is only in one.
        return a.key.split()[0] == b.key.split()[0] and (a.kind != b.kind or a.key == b.key)
    if a.value is not None and b.value is not None:
        if a.value == b.value:
            return True
        units = [u for u in (a.unit, b.unit) if u is not None]
        return bool(units) and abs(a.value - b.value) <= max(units) + 1e-9
    return a.key == b.key


def compare(ours: ClaimFacts, theirs: ClaimFacts) -> FactComparison:
    """Which facts the claims share, which conflict (the pair is then a variant), which only one
    of them states."""
    comparison = FactComparison()
    left = list(ours.facts)
    right = list(theirs.facts)
    # Facts written the same way pair first, so that "Syrian" does not take the place of the
    # "Syria" a longer name needs.
    for exact in (True, False):
        for a in list(left):
            match = next(
                (
                    b
                    for b in right
                    if _GROUPS[a.kind] == _GROUPS[b.kind]
                    and (a.key == b.key if exact else _same_fact(a, b))
                ),
                None,
            )
            if match is not None:
                comparison.same.append((a, match))
                left.remove(a)
                right.remove(match)
    aligned = _aligned_replacements(ours, theirs)
    for group in dict.fromkeys(_GROUPS.values()):
        mine = [f for f in left if _GROUPS[f.kind] == group]
        other = [f for f in right if _GROUPS[f.kind] == group]
        if group == "name":
            # Names in the same changed stretch of both sentences, nearest in place first.
            pairs = sorted(
                (
                    (abs(_place(a, span_a) - _place(b, span_b)), index, a, b)
                    for index, (a, b, span_a, span_b) in enumerate(
                        (a, b, span_a, span_b)
                        for a in mine
                        for b in other
                        for span_a, span_b in aligned
                        if _overlaps(a, span_a) and _overlaps(b, span_b)
                    )
                ),
                key=lambda row: row[:2],
            )
            used_a: set[int] = set()
            used_b: set[int] = set()
            for _distance, _index, a, b in pairs:
                if id(a) in used_a or id(b) in used_b:
                    continue
                used_a.add(id(a))
                used_b.add(id(b))
                comparison.conflicts.append(
                    Difference("name", a.text, b.text, (a.start, a.end), (b.start, b.end))
                )
            mine = [a for a in mine if id(a) not in used_a]
            other = [b for b in other if id(b) not in used_b]
        else:
            while mine and other:
                a, b = mine.pop(0), other.pop(0)
                comparison.conflicts.append(
                    Difference(a.kind, a.text, b.text, (a.start, a.end), (b.start, b.end))
                )
        comparison.only_ours.extend(mine)
        comparison.only_theirs.extend(other)
    words = default_words()
    if ours.negations != theirs.negations:
        added = theirs.negations > ours.negations
        word, span = _word_in(theirs if added else ours, words.negation, "not")
        comparison.conflicts.append(
            Difference(
                "negation",
                "" if added else word,
                word if added else "",
                None if added else span,
                span if added else None,
            )
        )
    for pair, (my_ups, my_downs) in ours.directions.items():
        their_ups, their_downs = theirs.directions.get(pair, (0, 0))
        # One says "up" where the other says "down"; a direction only one of them adds (a
        # clause more) is not a conflict.
        if my_ups > their_ups and their_downs > my_downs:
            side, other_side = "up", "down"
        elif my_downs > their_downs and their_ups > my_ups:
            side, other_side = "down", "up"
        else:
            continue
        up, down = words.opposites[pair]
        mine, my_span = _word_in(ours, up if side == "up" else down, pair)
        their, their_span = _word_in(theirs, up if other_side == "up" else down, pair)
        comparison.conflicts.append(Difference("direction", mine, their, my_span, their_span))
    return comparison


def _word_in(
    facts: ClaimFacts, stems: frozenset[str], fallback: str
) -> tuple[str, tuple[int, int] | None]:
    """The first word of the claim in a word list (as written), and where it is."""
    for token, written, span in zip(facts.tokens, facts.written, facts.token_spans, strict=True):
        if stem(token) in stems or token.endswith(("n't", "n’t")) and "nt" in stems:
            return written, span
    return fallback, None


def _place(fact: Fact, span: tuple[int, int]) -> float:
    """Where a fact ends within a changed stretch, from 0 (its start) to 1 (its end)."""
    return (min(fact.end, span[1]) - span[0]) / max(1, span[1] - span[0])


def _overlaps(fact: Fact, span: tuple[int, int]) -> bool:
    return fact.start < span[1] and span[0] < fact.end


def _aligned_replacements(
    ours: ClaimFacts, theirs: ClaimFacts
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Character spans that stand in the same place of both sentences but differ: where a
    changed name sits in a copied sentence."""
    if not ours.tokens or not theirs.tokens:
        return []
    matcher = SequenceMatcher(None, ours.tokens, theirs.tokens, autojunk=False)
    spans = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        spans.append(
            (
                (ours.token_spans[i1][0], ours.token_spans[i2 - 1][1]),
                (theirs.token_spans[j1][0], theirs.token_spans[j2 - 1][1]),
            )
        )
    return spans


def compare_texts(
    ours: str,
    ours_normalized: str,
    theirs: str,
    theirs_normalized: str,
    aliases: AliasTable = DEFAULT_ALIAS_TABLE,
) -> FactComparison:
    return compare(
        extract(ours, ours_normalized, aliases), extract(theirs, theirs_normalized, aliases)
    )


def mark_changes(
    pieces: list[tuple[str, bool]], changed: list[tuple[int, int]]
) -> list[tuple[str, str]]:
    """Pieces of a text marked "shared" (a word the other claim has), "changed" (a fact the other
    claim states differently) or "" (neither), for the side-by-side view of a variant."""
    marked: list[tuple[str, str]] = []
    offset = 0
    for text, shared in pieces:
        cuts = sorted(
            {0, len(text)}
            | {
                min(max(edge - offset, 0), len(text))
                for span in changed
                for edge in span
                if offset < edge < offset + len(text)
            }
        )
        for start, end in zip(cuts, cuts[1:], strict=False):
            middle = offset + start
            inside = any(a <= middle < b for a, b in changed)
            state = "changed" if inside else ("shared" if shared else "")
            if marked and marked[-1][1] == state:
                marked[-1] = (marked[-1][0] + text[start:end], state)
            else:
                marked.append((text[start:end], state))
        offset += len(text)
    return marked


def marked_pair(
    ours: str,
    theirs: str,
    comparison: FactComparison,
    aliases: AliasTable = DEFAULT_ALIAS_TABLE,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Both claims cut into pieces for display: shared words, changed facts, the rest."""
    return (
        mark_changes(
            shared_word_spans(ours, theirs, aliases),
            [d.ours_span for d in comparison.conflicts if d.ours_span],
        ),
        mark_changes(
            shared_word_spans(theirs, ours, aliases),
            [d.theirs_span for d in comparison.conflicts if d.theirs_span],
        ),
    )
