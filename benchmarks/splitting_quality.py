"""Quality and speed of ``workbench.intake.splitting`` against raw pysbd (and syntok, if installed).

Run from the repository root::

    python benchmarks/splitting_quality.py

Quality is measured on the 48 English "Golden Rules" (a case counts only when the whole split
matches exactly after stripping each sentence). Speed is measured on a news-like text built from
the seed article, repeated to about 2,000 sentences, laid out two ways: the headline on its own
line followed by paragraphs of three sentences, and the seed file's own one-sentence-a-line
layout. Raw pysbd gets the same text through ``Segmenter.segment``.

The paragraph fast path (plain paragraphs cut at sure sentence ends without pysbd) must answer as
pysbd does: it is compared with pysbd on every paragraph built from the real text in
``../shared/data`` (MSRP news sentences, debate and ClaimBuster sentences, checked claims, tweets:
runs of 2-5 sentences), and the benchmark fails when one differs.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pysbd  # noqa: E402
from datasets import (  # noqa: E402
    CheckworthinessSet,
    GoldenRule,
    checkthat_archive,
    checkthat_train_dev_tweets,
    checkworthiness,
    golden_rules,
    msrp_train,
    seed_article,
)

from workbench.intake import splitting  # noqa: E402
from workbench.intake.splitting import split_sentences  # noqa: E402

TARGET_SENTENCES = 2_000
ROUNDS = 3

Splitter = Callable[[str], list[str]]


def ours(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def raw_pysbd_splitter() -> Splitter:
    seg = pysbd.Segmenter(language="en", clean=False)
    return lambda text: [s.strip() for s in seg.segment(text) if s.strip()]


def syntok_splitter() -> Splitter | None:
    """syntok is optional: report on it when it is installed, skip it quietly otherwise."""
    try:
        from syntok import segmenter
    except ImportError:
        return None

    def split(text: str) -> list[str]:
        sentences = []
        for paragraph in segmenter.analyze(text):
            for sentence in paragraph:
                start = sentence[0].offset
                end = sentence[-1].offset + len(sentence[-1].value)
                sentences.append(text[start:end].strip())
        return [s for s in sentences if s]

    return split


def golden_report(name: str, split: Splitter, cases: list[GoldenRule]) -> None:
    wrong = [c.id for c in cases if split(c.text) != [s.strip() for s in c.sentences]]
    right = len(cases) - len(wrong)
    print(
        f"  {name:<10} {right:>2}/{len(cases)}  {100 * right / len(cases):5.1f}%"
        f"  wrong: {', '.join(map(str, wrong)) or '-'}"
    )


def seed_lines() -> list[str]:
    return [line.strip() for line in seed_article().lines if line.strip()]


def news_text(lines: list[str]) -> str:
    """Headline line + blank line + 3-sentence paragraphs, repeated to ~2,000 sentences."""
    headline, body = lines[0], lines[1:]
    paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
    article = "\n\n".join([headline, *paragraphs])
    copies = max(1, round(TARGET_SENTENCES / len(lines)))
    return "\n\n".join([article] * copies) + "\n"


def line_per_sentence_text(lines: list[str]) -> str:
    """The seed file's own layout (one sentence or headline a line), ~2,000 sentences."""
    copies = max(1, round(TARGET_SENTENCES / len(lines)))
    return "\n".join(lines * copies) + "\n"


def speed(name: str, split: Splitter, text: str) -> float:
    best = float("inf")
    count = 0
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        count = len(split(text))
        best = min(best, time.perf_counter() - t0)
    rate = count / best
    print(f"  {name:<10} {count:>5} sentences in {best:6.3f} s = {rate:8,.0f} sentences/s")
    return rate


def real_paragraphs(seed: int = 1) -> list[str]:
    """Runs of 2-5 real sentences (and single tweets), from every corpus in ../shared/data."""
    rng = random.Random(seed)

    def runs(sentences: list[str], step: int) -> list[str]:
        return [
            " ".join(sentences[i : i + rng.randint(2, 5)])
            for i in range(0, max(0, len(sentences) - 5), step)
        ]

    msrp = [text for pair in msrp_train() for text in (pair.first, pair.second)]
    rng.shuffle(msrp)
    paragraphs = runs(msrp, 2)
    sets: tuple[CheckworthinessSet, ...] = ("ct19t1_train", "ct20t5_train", "claimbuster_2.5xNCS")
    for name in sets:
        paragraphs += runs([sentence.text for sentence in checkworthiness(name)], 3)
    paragraphs += runs([claim.text for claim in checkthat_archive().claims], 2)
    paragraphs += [tweet.text for tweet in checkthat_train_dev_tweets()]
    return [" ".join(p.split()) for p in paragraphs if p.strip()]


def fast_path_report(paragraphs: list[str]) -> int:
    """How many paragraphs the fast path splits otherwise than pysbd (printed with examples)."""
    taken = differ = 0
    for paragraph in paragraphs:
        sure = splitting._split_at_sure_ends(paragraph, 0, len(paragraph))
        if sure is None:
            continue
        taken += 1
        pieces = splitting._locate(paragraph, splitting._pysbd_pieces(paragraph))
        if splitting._post_pass(paragraph, sure) != splitting._post_pass(paragraph, pieces):
            differ += 1
            if differ <= 5:
                print(f"  differs: {paragraph[:160]!r}")
    print(
        f"  {len(paragraphs):,} real paragraphs, {taken:,} ({100 * taken / len(paragraphs):.0f}%)"
        f" split without pysbd, {differ} differently from pysbd"
    )
    return differ


def main() -> None:
    cases = golden_rules()
    raw = raw_pysbd_splitter()
    print(f"Golden Rules ({len(cases)} cases, exact split):")
    golden_report("ours", ours, cases)
    golden_report("pysbd", raw, cases)
    syntok = syntok_splitter()
    if syntok is None:
        print("  syntok     not installed, skipped")
    else:
        golden_report("syntok", syntok, cases)

    print("\nParagraph fast path against pysbd:")
    differ = fast_path_report(real_paragraphs())

    lines = seed_lines()
    ours("Warm up. Load the pysbd rules.")
    for title, text in (
        ("paragraphs of three sentences", news_text(lines)),
        ("one sentence a line", line_per_sentence_text(lines)),
    ):
        print(f"\nSpeed, {title} ({len(text):,} chars, best of {ROUNDS}, one core):")
        ours_rate = speed("ours", ours, text)
        raw_rate = speed("pysbd", raw, text)
        print(f"  ours / raw pysbd = {ours_rate / raw_rate:.1f}x")
    if differ:
        raise SystemExit(f"FAIL: the fast path splits {differ} paragraph(s) otherwise than pysbd")


if __name__ == "__main__":
    main()
