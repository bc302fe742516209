"""Social-media posts as claims: what a tweet says, without the noise of where it was posted.

A tweet pasted into the similar-claims search carries noise no checked claim has: links, a
"pic.twitter.com/..." address, "RT @someone:", @handles, #hashtags written without spaces, emoji,
and the signature line an embedded tweet ends with ("— Name (@handle) May 3, 2020"). Left in, the
handles and link words dilute the scores and the hashtags ("#PizzaVendingMachine") match nothing.
Only queries are cleaned this way; the archive's claims are stored as written.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date, datetime

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
# "— Donald J. Trump (@realDonaldTrump) September 5, 2013" at the end of an embedded tweet. The
# dash, the handle and the day go; who posted and the month stay, since a fact-check so often
# names them ("Donald Trump tweeted ...", "In December 2020, ..."): on CheckThat! 2022 (model
# refitted each way) keeping them scored MAP@5 0.904 / 0.891 on dev / devtest, dropping the
# whole line 0.888 / 0.845.
_SIGNATURE = re.compile(
    rf"\s*(?:[—–]|\s-)\s*(?P<name>[^—–\n]{{0,80}}?)\s*\(@\w+\)\s*"
    rf"(?:(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{2,4}}))?\W*$"
)
_RETWEET = re.compile(r"^\s*RT\s+@\w+\s*:\s*")
# A link glued to the word before it ("#fercdoesntworkpic.twitter.com/x") is cut off too.
_LINK = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@(\w+)")
_HASHTAG = re.compile(r"(?<![\w#&])#([^\W\d_]\w*)")
# "FakeNews" -> "Fake News", "COVID19Vaccine" -> "COVID 19 Vaccine", "real_donald" -> "real donald".
_CAMEL = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])"
)
_SPACES = re.compile(r"\s+")


def split_words(tag: str) -> str:
    """A hashtag or handle as the words it is made of, as far as its capitals tell them."""
    return _CAMEL.sub(" ", tag.replace("_", " "))


def _signature(match: re.Match[str]) -> str:
    month, year = match.group("month"), match.group("year")
    when = f" {month} {year}" if month and len(year) == 4 else ""  # "October 04, 19" is cut off
    return f" {match.group('name')}{when}"


def _is_emoji(ch: str) -> bool:
    # Symbols ("So": emoji, pictographs) and the joiners and variation selectors between them.
    return unicodedata.category(ch) == "So" or ch in "\u200d\ufe0f\ufe0e"


def clean_post(text: str) -> str:
    """The claim a post makes: links, "RT @x:", emoji, and the handle and day of its signature
    line dropped; handles and hashtags read as words. Ordinary sentences come back as they were
    (spaces aside)."""
    text = html.unescape(text)
    text = _SIGNATURE.sub(_signature, _LINK.sub(" ", text))
    text = _RETWEET.sub("", text)
    text = _HASHTAG.sub(lambda m: " " + split_words(m.group(1)) + " ", text)
    text = _HANDLE.sub(lambda m: " " + split_words(m.group(1)) + " ", text)
    text = "".join(" " if _is_emoji(ch) else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


def posted_on(text: str) -> date | None:
    """The day a post says it was posted, from its signature line ("— Name (@handle) May 3,
    2020"), or None. A claim is usually checked soon after it circulates, so the day helps rank
    the fact-checks of that time first."""
    match = _SIGNATURE.search(html.unescape(text).strip())
    if match is None or not match.group("month") or len(match.group("year") or "") != 4:
        return None
    month = match.group("month").rstrip(".")[:3]
    try:
        return datetime.strptime(
            f"{month} {match.group('day')} {match.group('year')}", "%b %d %Y"
        ).date()
    except ValueError:
        return None
