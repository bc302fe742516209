"""Sentence splitting for pasted or uploaded news text.

Everything downstream (claim review, evidence links, highlighting in the article) points back into
the article by character offsets, so every :class:`Sentence` carries ``start``/``end`` such that
``text[start:end] == sentence.text`` and the text is stripped of surrounding white space.

How text is split
=================

1. **Lines first.** News text pasted from a CMS or a wire feed often has one headline or sentence
   per line with no final full stop (a headline is never punctuated), and a sentence segmenter
   happily glues such a headline onto the next sentence. So line structure is decided before
   pysbd sees anything:

   * a blank line (only white space) is always a boundary;
   * a single line break is a boundary too, *unless the line is clearly hard-wrapped
     mid-sentence*: the line does not end in sentence-final punctuation (``. ! ? …``, optionally
     followed by closing quotes or brackets) **and** either

     - the next line starts with an all-lowercase word (``"the"`` yes, ``"iPhone"`` no: a
       sentence or headline may start with a brand name, but almost never with a plain lowercase
       word), or
     - the line ends with a comma, semicolon, ampersand, a word-break hyphen (``well-``), a dash,
       or a word that cannot end an English sentence (``and or but nor because although whereas
       the a an of``, lowercase only, so ``Plan A`` and ``Vitamin A`` still end a line).

   Joined lines form one *block*; the line breaks inside it are replaced by spaces (one for one,
   so offsets are unchanged) because pysbd itself treats every newline as a boundary.

2. **pysbd per block.** Each block goes to ``pysbd.Segmenter(language="en", clean=False)``. Per
   block, not per text, because pysbd's cost grows faster than linearly with its input, and empty
   or white-space-only blocks never reach it. A block with no possible inner boundary (no
   ``. ! ? ( ) • ⁃ …`` except in its final punctuation run, and none of the other patterns pysbd
   splits on) is one sentence by construction and skips pysbd altogether. Most plain news
   sentences qualify, so one-sentence-a-line copy splits about three times faster than with
   pysbd alone (``benchmarks/splitting_quality.py``). A test checks that the shortcut agrees
   with pysbd.

   We call the segmenter's processor directly rather than ``Segmenter.segment``: ``segment``
   re-finds every sentence in the text with a fresh regex (quadratic on long texts) and stores the
   text on the shared segmenter object (a race between request threads). Instead each segment is
   located by a forward ``str.find`` from the end of the previous one, which is linear and exact
   because segments come in order and ``clean=False`` keeps the text. If pysbd ever alters a
   segment so that it cannot be found, the unmatched stretch of the original text is still
   emitted as a sentence: no text is ever dropped.

3. **Post-pass for known pysbd mistakes** (one linear pass per block, within the block only):

   * *Leading time/abbreviation fragment.* pysbd splits ``"At 5 a.m. Mr. Smith went..."`` after
     ``a.m.`` (Golden Rule 18). A segment that is only a preposition, optionally numbers or an
     article, and then an abbreviation (a dotted initialism such as ``a.m.``/``U.S.`` or one of
     a few time/approximation abbreviations such as ``approx.``/``Jan.``) has no room for a verb,
     so it cannot be a sentence: it is merged with the segment that follows. Exception: right
     after a question (``"When? At 5 p.m."``) such a fragment is an answer and stays alone.
   * *Leading comma.* pysbd splits ``"Sen. John Smith, D-Mass., said..."`` before ``", said"``.
     No sentence starts with a comma, semicolon or colon, so such a segment is merged with the
     one before it.
   * *Stray punctuation.* pysbd sometimes splits off the last mark of a sentence: ``"It rose
     5..."`` gives ``"It rose 5.."`` + ``"."``, and an unbalanced closing quote becomes a
     "sentence" of its own. A segment with no letter or digit is merged with the one before it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pysbd
from pysbd.lang.english import English

__all__ = ["Sentence", "iter_sentences", "split_sentences"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an article; ``text`` is always ``article[start:end]``."""

    text: str
    start: int
    end: int


# --------------------------------------------------------------------------------------------
# Segmenter
# --------------------------------------------------------------------------------------------


@cache
def _segmenter() -> pysbd.Segmenter:
    """One segmenter per process, shared by all threads.

    Sharing is safe only because we never call ``segment`` on it (see :func:`_pysbd_pieces`);
    ``processor()`` builds a fresh Processor for every call. Built lazily so that importing this
    module (e.g. for the dataclasses) does not pay for pysbd's set-up.
    """
    return pysbd.Segmenter(language="en", clean=False)


def _pysbd_pieces(block: str) -> list[str]:
    """Raw pysbd segments of a block.

    ``Segmenter.segment`` would store the text on the shared segmenter (a race between request
    threads) and re-find each sentence with a regex over the whole text (quadratic); the
    processor gives the same segments without either.
    """
    return _segmenter().processor(block).process()


# --------------------------------------------------------------------------------------------
# Line structure
# --------------------------------------------------------------------------------------------

# "\r\n" first so that it counts as one break. Form feed, vertical tab, NEL and the Unicode line
# and paragraph separators are line breaks for str.splitlines() too, so treat them alike.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# Same length replacement keeps offsets valid while hiding joins from pysbd.
_BREAK_TO_SPACE = str.maketrans(dict.fromkeys("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029", " "))
_ENDS_SENTENCE = re.compile(r"[.!?…‽。．！？][\"'”’»)\]]*\Z")
_CONTINUES = re.compile(
    r"(?:[,;&]|\w-|[\w,]\s*[–—]|\s-"
    r"|(?<![\w'’-])(?:and|or|but|nor|because|although|whereas|the|a|an|of))\Z"
)
_FIRST_WORD = re.compile(r"[^\W\d_]+")


def _is_wrapped(line: str, next_line: str) -> bool:
    """True when ``line`` (rstripped) continues on ``next_line`` (lstripped) mid-sentence."""
    if _ENDS_SENTENCE.search(line):
        return False
    if _CONTINUES.search(line):
        return True
    word = _FIRST_WORD.match(next_line)
    return word is not None and word.group().islower()


def _blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each block of lines that pysbd should see as one piece of prose."""
    if not _LINE_BREAK.search(text):
        return [(0, len(text))]
    blocks: list[tuple[int, int]] = []
    block_start = -1  # start of the open block, -1 when none is open
    prev_end = 0  # end of the last non-blank line
    prev_line = ""
    line_start = 0
    for brk in (*_LINE_BREAK.finditer(text), None):
        line_end = brk.start() if brk else len(text)
        line = text[line_start:line_end].strip()
        if not line:
            if block_start >= 0:
                blocks.append((block_start, prev_end))
                block_start = -1
        elif block_start < 0:
            block_start = line_start
        elif not _is_wrapped(prev_line, line):
            blocks.append((block_start, prev_end))
            block_start = line_start
        if line:
            prev_line, prev_end = line, line_end
        if brk:
            line_start = brk.end()
    if block_start >= 0:
        blocks.append((block_start, prev_end))
    return blocks


# --------------------------------------------------------------------------------------------
# Splitting one block
# --------------------------------------------------------------------------------------------

# Fast path: characters at which pysbd may split (or which it uses as internal markers and would
# act on), when they occur before the block's final punctuation run.
_INNER_BOUNDARY = re.compile(r"[.!?。．！？…()•⁃♨☝]")
_FINAL_RUN = re.compile(r"[.!?。．！？…]+[\"'”’»]*\Z")
_QUOTE_DASH_SPLIT = re.compile(r"-[\"'“”]\s[A-Z]")  # pysbd splits 'said -" They'
# pysbd makes a leading quotation followed by a capital its own segment ('"Fake news" Trump said.')
_LEADING_QUOTE_SPLIT = re.compile(
    r"(?:'[^']*[^,]'|\"[^\"]*[^,]\"|“[^”]*[^,]”|「[^」]*」|（[^）]*）)(?=\s[A-Z])"
)

_TIME_FRAGMENT = re.compile(
    r"(?i:at|by|from|until|till|before|after|around|about|since|on|in|circa|near|to|for)\s+"
    r"(?:\d[\d:.,]*\s*|(?:the|an?|approx\.|ca\.)\s+){0,3}"
    r"(?:(?:[A-Za-z]\.){2,}"
    r"|(?i:approx|ca|est|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.)"
)
_ALNUM = re.compile(r"[^\W_]")
_QUESTION = re.compile(r"[?‽？][?!‽？！]*[\"'”’»)\]}]*\Z")


def _is_one_sentence(block: str) -> bool:
    """True when pysbd could not split ``block`` (stripped): no inner boundary character."""
    final = _FINAL_RUN.search(block)
    body = block[: final.start()] if final else block
    return not (
        _INNER_BOUNDARY.search(body)
        or _QUOTE_DASH_SPLIT.search(block)
        or _LEADING_QUOTE_SPLIT.match(block)
    )


def _strip_span(block: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink [start, end) to exclude surrounding white space; None if nothing is left."""
    piece = block[start:end]
    stripped = piece.lstrip()
    if not stripped:
        return None
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


def _locate(block: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Offsets of pysbd's pieces in ``block`` by forward search; unmatched text is kept."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for raw in pieces:
        piece = raw.strip()
        if not piece:
            continue
        idx = block.find(piece, pos)
        if idx < 0:
            continue  # altered by pysbd: its original text is emitted as a gap below
        if idx > pos and (gap := _strip_span(block, pos, idx)):
            spans.append(gap)
        spans.append((idx, idx + len(piece)))
        pos = idx + len(piece)
    if gap := _strip_span(block, pos, len(block)):
        spans.append(gap)
    return spans


def _post_pass(block: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Repair pysbd's known mistakes (see module docstring, step 3) in one linear pass."""
    out: list[tuple[int, int]] = []
    carry = -1  # start of a fragment waiting to be merged into the next span
    last = len(spans) - 1
    for i, (start, end) in enumerate(spans):
        if carry >= 0:
            start, carry = carry, -1
        if out and (block[start] in ",;:" or not _ALNUM.search(block, start, end)):
            out[-1] = (out[-1][0], end)
            continue
        if (
            i < last
            and _TIME_FRAGMENT.fullmatch(block, start, end)
            and not (out and _QUESTION.search(block, out[-1][0], out[-1][1]))
        ):
            carry = start
            continue
        out.append((start, end))
    return out


def _split_block(block: str) -> list[tuple[int, int]]:
    """Sentence spans, relative to ``block``, of one block with line breaks already blanked."""
    span = _strip_span(block, 0, len(block))
    if span is None:
        return []
    start, end = span
    if _is_one_sentence(block[start:end]):
        return [span]
    sure = _split_at_sure_ends(block, start, end)
    if sure is not None:
        return _post_pass(block, sure)
    if end - start <= PYSBD_WINDOW:
        return _post_pass(block, _locate(block, _pysbd_pieces(block)))
    spans: list[tuple[int, int]] = []
    for window_start, window_end in _windows(block, start, end):
        window = block[window_start:window_end]
        spans.extend(
            (window_start + a, window_start + b) for a, b in _locate(window, _pysbd_pieces(window))
        )
    return _post_pass(block, spans)


# pysbd's cost grows with the square of its input (its abbreviation pass scans the whole block
# again for every abbreviation it finds: a 10,000-sentence paragraph took minutes), so a longer
# block is given to it in windows of at most this many characters, cut at sure sentence ends.
PYSBD_WINDOW = 2_000
# A sure end: a word of two letters or more that is not an abbreviation pysbd knows ("Dr.",
# "Calif.", "Sept."), or a number, then . ! or ?, closing quotes, space, and a capital (maybe
# after an opening quote).
_SENTENCE_END = re.compile(r"\b([^\W\d_]{2,}|\d+)[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z])")
_ABBREVIATIONS = frozenset(English.Abbreviation.ABBREVIATIONS)
_SPACE = re.compile(r"\s+")


# The fast path's sentence end: a word of two letters or more that is not an abbreviation, then
# . or ? (not !, which ends "Yahoo!"), space and a capital. What keeps a block from it: marks
# pysbd has rules of its own for (guillemets, single quotes, an apostrophe that is not inside a
# word, double dashes).
_PLAIN_SENTENCE_END = re.compile(r"\b([^\W\d_]{2,})[.?]\s+(?=[A-Z])")
_DECIMAL_POINT = re.compile(r"(?<=\d)[.,](?=\d)")  # "3.5" and "1,000" never end a sentence
_NOT_PLAIN = re.compile(r"[«»„‟‹›]|(?<![^\W\d_])['‘’]|['‘’](?![^\W\d_])|--")


def _split_at_sure_ends(block: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """The sentences of [start, end) when it is plain prose: cut only at sure sentence ends, and
    no piece holding anything else pysbd could split at or an unclosed quotation. pysbd gives
    the same pieces for such a block (benchmarks/splitting_quality.py compares the two on real
    text) and is most of what ingest costs, while most paragraphs of news are plain sentences.
    None for any other block.
    """
    if _NOT_PLAIN.search(block, start, end):
        return None
    cuts = [start]
    for found in _PLAIN_SENTENCE_END.finditer(block, start, end):
        if found.group(1).lower() not in _ABBREVIATIONS:
            cuts.append(found.end())
    cuts.append(end)
    spans: list[tuple[int, int]] = []
    for cut_start, cut_end in zip(cuts, cuts[1:], strict=False):
        span = _strip_span(block, cut_start, cut_end)
        if span is None:
            return None
        sentence = block[span[0] : span[1]]
        if not (_is_one_sentence(_DECIMAL_POINT.sub("0", sentence)) and _quotes_closed(sentence)):
            return None
        spans.append(span)
    return spans


def _quotes_closed(sentence: str) -> bool:
    """Every quotation opened in the sentence is closed in it (pysbd reads on past an open one)."""
    return sentence.count('"') % 2 == 0 and sentence.count("“") == sentence.count("”")


def _windows(block: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) of ``block`` cut into windows of at most PYSBD_WINDOW characters: at the last
    sure sentence end in the second half of each, else at the last space (an over-long sentence,
    cut again at its clauses later), else anywhere. Linear: each character is looked at once or
    twice."""
    windows: list[tuple[int, int]] = []
    while end - start > PYSBD_WINDOW:
        limit = start + PYSBD_WINDOW
        cut = None
        for found in _SENTENCE_END.finditer(block, start + PYSBD_WINDOW // 2, limit):
            if found.group(1).lower() not in _ABBREVIATIONS:
                cut = found.end()
        if cut is None:
            for found in _SPACE.finditer(block, start + PYSBD_WINDOW // 2, limit):
                cut = found.end()
        cut = cut or limit
        windows.append((start, cut))
        start = cut
    windows.append((start, end))
    return windows


def split_sentences(text: str) -> list[Sentence]:
    """Split an article into sentences with exact offsets (rules in the module docstring)."""
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[Sentence]:
    """split_sentences, a block at a time, so a caller can stop early."""
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        if _LINE_BREAK.search(block):
            block = block.translate(_BREAK_TO_SPACE)
        for start, end in _split_block(block):
            start += block_start
            end += block_start
            if end - start > MAX_CLAIM_CHARS:
                for piece_start, piece_end in _clauses(text, start, end):
                    yield Sentence(text[piece_start:piece_end], piece_start, piece_end)
            else:
                yield Sentence(text[start:end], start, end)


# The longest sentence taken as a claim: a longer one is cut at its clauses, and a stretch with no
# clause boundary that is still longer (a megabyte without punctuation) is kept in the article but
# skipped as "too long", never put in the queue as one claim.
MAX_CLAIM_CHARS = 1_000
_CLAUSE_END = re.compile(r"[;:,)\]]\s+|\s+(?=[–—]\s|-\s|(?:and|but|or|while|whereas)\s)")


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut at clause boundaries into pieces of at most MAX_CLAIM_CHARS where the
    boundaries allow it: each piece ends at the last boundary within reach, or, when there is none,
    at the next one (that piece stays over-long and is skipped)."""
    bounds = [found.end() for found in _CLAUSE_END.finditer(text, start, end)] + [end]
    pieces: list[tuple[int, int]] = []
    here = start
    while here < end:
        reach = bisect.bisect_right(bounds, here + MAX_CLAIM_CHARS) - 1
        if reach < 0 or bounds[reach] <= here:
            reach = bisect.bisect_right(bounds, here)  # none within reach: the next one
        cut = bounds[reach]
        if span := _strip_span(text, here, cut):
            pieces.append(span)
        here = cut
    return pieces
