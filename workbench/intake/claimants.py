"""Who made a claim, when the sentence says so: "Kerry said ..." -> Kerry, "..., the Pentagon
said" -> the Pentagon, "according to Reuters" -> Reuters.

Precise rather than greedy, because a wrong claimant is worse than none: the editor fills in what
this leaves empty, but a wrong name would be exported as the claim's author. A claimant is found
only in three shapes, and only as a proper-noun phrase (capitalised words, with "of", "for",
"and" and a few lowercase titles such as "spokesman" between them) or "the" with one (the
Pentagon) or with an institution's common name (the ministry):

- the subject of a verb of saying (said, says, told, announced, claimed, stated, added, warned,
  insisted, confirmed, declared, wrote), at the start of the sentence or of a clause (after a
  comma, semicolon, colon, dash or closing quote), maybe with an appositive between commas:
  "Al Jazeera's Nadim Baba, reporting from London, said ...";
- after "said" that follows a comma or a closing quote, ending the clause: "..., said Kerry.";
- after "according to", ending the clause: "according to the Pentagon, ...".

Pronouns, articles, conjunctions, days, months and words for groups of people ("He said",
"Officials said", "On Friday Kerry said" -> Kerry) are never a claimant. One compiled regular
expression, searched once a sentence: ingest pays for it on every claim.
"""

from __future__ import annotations

import re

__all__ = ["CLAIMANT_MAX", "find_claimant"]

CLAIMANT_MAX = 200  # Claim.claimant's length
_WORDS_MAX = 8

# Possessive (*+): a word is never cut short to end a clause, so "according to U.S. officials"
# cannot read as "according to U.S" and a full stop.
_WORD = r"[A-Z][\w'’.&-]*+"
_LINK = r"(?:of\s+the|of|for|and|de|del|da|al|bin|van|von|der|la|le)"
# Lowercase words that sit inside a name's phrase: "Kremlin spokesman Dmitry Peskov".
_ROLE = (
    r"(?:spokesman|spokeswoman|spokesperson|minister|secretary|president|chief|leader"
    r"|ambassador|envoy|general|senator|governor|mayor|director|chairman|chairwoman|official)"
)
_PROPER = rf"{_WORD}(?:\s+(?:(?:{_LINK}|{_ROLE})\s+)?{_WORD}){{0,{_WORDS_MAX - 1}}}"
# "the ministry said": an institution named by its common noun, in the article's own context.
_INSTITUTION = (
    r"(?:ministry|government|military|army|police|department|agency|embassy|company|council"
    r"|commission|committee|court|party|administration)\b"
)


def _who(name: str) -> str:
    return rf"(?P<{name}>[Tt]he\s+(?:{_INSTITUTION}|{_PROPER})|{_PROPER})"


_SAYS = (
    r"(?:said|says|told|tells|announced|announces|claimed|claims|stated|states|added|warned"
    r"|warns|insisted|insists|confirmed|confirms|declared|wrote)\b"
)
_CLAUSE_START = r"(?:^|(?<=[,;:—–]\s)|(?<=[”\"]\s))"
_CLAUSE_END = r"(?=\s*(?:[,.;:!?\"”)]|$))"
_CLAIMANT = re.compile(
    # The subject of a verb of saying, maybe with an appositive: "Kerry, in London, said".
    rf"{_CLAUSE_START}{_who('subject')}(?:,\s[^,]{{1,60}},)?"
    rf"\s+(?:has\s+|had\s+|also\s+|later\s+|previously\s+)?{_SAYS}"
    # "..., said Kerry."
    rf"|(?<=[,”\"])\s+(?:said|says|added|wrote)\s+{_who('inverted')}{_CLAUSE_END}"
    # "according to the Pentagon"
    rf"|\b[Aa]ccording\s+to\s+{_who('source')}{_CLAUSE_END}"
)

# Words that are capitalised by grammar or name no one in particular; leading ones are dropped
# ("On Friday Kerry" -> Kerry), and a phrase left empty is no claimant.
_NOT_NAMES = frozenset(
    {
        *("I", "He", "She", "It", "We", "They", "You", "One", "Who", "What", "Which"),
        *("This", "That", "These", "Those", "There", "Here", "A", "An"),
        *("But", "And", "Or", "So", "Yet", "However", "Meanwhile", "Still", "Also", "Then"),
        *("Now", "Earlier", "Later", "Previously", "Separately", "Instead", "Asked", "When"),
        *("While", "As", "If", "After", "Before", "Since", "Until", "On", "In", "At", "By"),
        *("For", "From", "With", "To", "Today", "Yesterday", "Tonight", "Tomorrow", "Last"),
        *("Some", "Many", "Most", "Several", "Both", "All", "Each", "Every", "Other", "Others"),
        *("Another", "No", "Neither", "Either", "Few", "Such", "His", "Her", "Its", "Their"),
        *("Our", "My", "Your", "Someone", "Somebody", "Everyone", "Nobody", "Anyone"),
        *("Officials", "Experts", "Analysts", "Critics", "Sources", "Reports", "Residents"),
        *("Witnesses", "Researchers", "Scientists", "Doctors", "Authorities", "Observers"),
        *("Diplomats", "Investigators", "Prosecutors", "Protesters", "Activists", "Lawmakers"),
        *("Officers", "People", "Campaigners", "Opponents", "Supporters", "Lawyers", "Police"),
        *("Economists", "Studies", "Data", "Figures", "Polls", "Surveys", "Documents"),
        *("Records", "Statistics", "Leaders", "Members", "Voters", "Users", "Parents"),
        *("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        *("January", "February", "March", "April", "May", "June", "July", "August"),
        *("September", "October", "November", "December"),
    }
)
_INITIALISM = re.compile(r"(?:[A-Z]\.)+\Z")


def find_claimant(sentence: str) -> str | None:
    """Who the sentence says made its claim, as the sentence names them, or None when it does
    not say so plainly (see the module docstring for the shapes read)."""
    for found in _CLAIMANT.finditer(sentence):
        name = _clean(found.group(found.lastgroup or "subject"))
        if name:
            return name
    return None


def _clean(phrase: str) -> str | None:
    words = phrase.split()
    the = words[0] in ("The", "the")
    if the:
        words = words[1:]
    while words and words[0].rstrip(".,") in _NOT_NAMES:
        words = words[1:]
        the = False  # "The Monday ..." is not an institution's name
    if not words or words[0][0].islower() and not the:
        return None
    last = words[-1]
    if last.endswith(".") and not _INITIALISM.search(last):
        words[-1] = last.rstrip(".")  # the sentence's full stop, not "U.S."'s
    name = " ".join(words)
    if the:
        name = "the " + name
    return name[:CLAIMANT_MAX] if len(name) > 1 else None
