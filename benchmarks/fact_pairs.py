"""Changed fact or paraphrase: what an editor is told about a mutated claim, through the real CLI.

What it measures, and why
=========================

The worst answer a fact-checker's duplicate matcher can give is "previously checked" for a claim
that differs from the checked one in a single fact (another number, date, name, polarity or
direction): the editor trusts an old verdict about something else. The next worst is missing a
claim that is the same one written another way. `benchmarks/data/fact_pairs.jsonl` holds real
news sentences (MSRP train and the seed article), each with a copy that has exactly one fact
changed and/or a paraphrase that keeps every fact (see benchmarks/data/README.md). The figures
are what an editor or a script gets from the command line, so the data goes through the real
commands, each one a separate process, as in claim_matching.py:

1. Every original is checked to be, word for word, in the source its pair names
   (../shared/data/paraphrase/msrp-train.tsv or ../shared/seed/); without ../shared/data the
   script stops, since figures on sentences nobody can trace are not worth printing.
2. In a temporary instance folder (WORKBENCH_INSTANCE, and DATABASE_URL pointing at a SQLite file
   there, so a DATABASE_URL in the caller's environment is never touched):
   ``python -m flask --app app init-db``, then ``... claims import`` of every distinct original
   once, as the archive (id "msrp-<sentence id>" or "seed-<line>").
3. Every variant is a query: ``... claims similar --input FILE --limit 5``. For each pair, the
   result whose claim_id is its original gives `duplicate`, and, when the output has them,
   `kind` ("duplicate" or "variant") and `duplicate_score`. An original not among the five
   results counts as not duplicate.
4. Figures, per label and per kind of fact or rewording:
   - changed pairs marked ``"duplicate": true`` (target at most 5%);
   - paraphrases found: the original among the results and ``"duplicate": true`` (target at
     least 80%);
   - changed pairs reported with kind "variant", and paraphrases wrongly reported so, when the
     output has `kind`.
5. In the same run, a baseline judged on the same pairs: ``duplicate_score >= 70`` (the shipped
   threshold alone, without any fact check) when the output has `duplicate_score`; otherwise
   plain rapidfuzz ``token_sort_ratio`` of the raw sentences (rapidfuzz's own pre-processing:
   lower case, non-alphanumerics removed) at 85 or above.

Run from the repository root: ``python benchmarks/fact_pairs.py`` (``--show-misses`` lists every
pair that misses its target, with its scores). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from claim_matching import flask  # noqa: E402  (this script's folder is on sys.path)
from datasets import msrp_train, seed_article  # noqa: E402
from rapidfuzz import fuzz, utils  # noqa: E402

from workbench.matching.normalize import DUPLICATE_THRESHOLD  # noqa: E402

PAIRS = REPO / "benchmarks" / "data" / "fact_pairs.jsonl"
K = 5
MAX_CHANGED_DUPLICATE = 0.05  # a false "previously checked" is the costliest mistake
MIN_PARAPHRASE_FOUND = 0.80
RAPIDFUZZ_THRESHOLD = 85.0


@dataclass(frozen=True)
class Pair:
    id: str
    original: str
    variant: str
    label: str
    fact: str
    source: str
    note: str

    @property
    def changed(self) -> bool:
        return self.label == "changed"

    @property
    def archive_id(self) -> str:
        """The original's id in the archive: one per source sentence, shared by its pairs."""
        return self.source.replace(":", "-")


@dataclass(frozen=True)
class Outcome:
    """What `claims similar` said about a pair's original, and the baseline's call on it."""

    pair: Pair
    rank: int | None  # 1-based place of the original among the results; None: not shown
    result: dict[str, Any]  # the original's result as printed ({} when not shown)
    baseline_score: float
    baseline: bool

    @property
    def duplicate(self) -> bool:
        return self.result.get("duplicate") is True

    @property
    def kind(self) -> str | None:
        return self.result.get("kind")

    @property
    def found(self) -> bool:
        """A paraphrase is found when its original is shown and marked a duplicate."""
        return self.rank is not None and self.duplicate

    @property
    def missed(self) -> bool:
        """Misses its target: a changed pair marked duplicate, a paraphrase not found."""
        return self.duplicate if self.pair.changed else not self.found


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    return [
        Pair(**json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def source_sentences() -> dict[str, str]:
    """Every sentence a pair may cite, by its source key ("msrp:<id>", "seed:<line>"). Reading
    them stops the script when the shared data is missing: figures on sentences nobody can trace
    are not worth printing."""
    sentences: dict[str, str] = {}
    for pair in msrp_train():
        sentences.setdefault(f"msrp:{pair.first_id}", pair.first)
        sentences.setdefault(f"msrp:{pair.second_id}", pair.second)
    for number, line in enumerate(seed_article().lines, start=1):
        sentences[f"seed:{number}"] = line
    return sentences


def check_provenance(pairs: Iterable[Pair], sentences: dict[str, str]) -> None:
    """Every original is verbatim in its source: the set's claim to be real news."""
    wrong = [p.id for p in pairs if sentences.get(p.source) != p.original]
    if wrong:
        raise SystemExit(
            f"{len(wrong)} original(s) are not word for word in the source they name, e.g. "
            f"{wrong[0]}; fix {PAIRS.name} before trusting any figure."
        )


def write_jsonl(path: Path, records: Iterable[dict[str, str]]) -> None:
    """One JSON object a line: what `claims import` and `claims similar --input` read."""
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


def through_the_cli(pairs: Sequence[Pair]) -> dict[str, list[dict[str, Any]]]:
    """Each pair's `claims similar` results, as printed, after importing the originals."""
    archive = {p.archive_id: p.original for p in pairs}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "WORKBENCH_INSTANCE": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'fact-pairs.db'}",
        }
        flask(env, "init-db")
        write_jsonl(folder / "archive.jsonl", ({"id": i, "text": t} for i, t in archive.items()))
        imported = flask(env, "claims", "import", str(folder / "archive.jsonl"))
        print(f"claims import: {imported.stdout.strip()}")
        write_jsonl(folder / "queries.jsonl", ({"id": p.id, "text": p.variant} for p in pairs))
        answer = flask(
            env, "claims", "similar", "--input", str(folder / "queries.jsonl"), "--limit", str(K)
        )
    results: dict[str, list[dict[str, Any]]] = {}
    for line in answer.stdout.splitlines():
        if line.strip():
            record = json.loads(line)
            results[str(record["query_id"])] = record["results"]
    if len(results) != len(pairs):
        raise SystemExit(f"claims similar answered {len(results)} of {len(pairs)} queries")
    return results


def judge(
    pairs: Sequence[Pair], results: dict[str, list[dict[str, Any]]]
) -> tuple[list[Outcome], str]:
    """Each pair's outcome, and the name of the baseline used: the duplicate score alone when the
    CLI prints it, else plain rapidfuzz (the output of today's CLI has no score to judge by)."""
    has_score = any("duplicate_score" in r for found in results.values() for r in found)
    outcomes = []
    for pair in pairs:
        shown = results[pair.id]
        rank, result = next(
            ((n, r) for n, r in enumerate(shown, start=1) if str(r["claim_id"]) == pair.archive_id),
            (None, {}),
        )
        if has_score:
            score = float(result.get("duplicate_score", 0.0))
            baseline = rank is not None and score >= DUPLICATE_THRESHOLD
        else:
            score = fuzz.token_sort_ratio(
                pair.original, pair.variant, processor=utils.default_process
            )
            baseline = score >= RAPIDFUZZ_THRESHOLD
        outcomes.append(Outcome(pair, rank, result, score, baseline))
    name = (
        f"duplicate_score >= {DUPLICATE_THRESHOLD:g}"
        if has_score
        else f"rapidfuzz token_sort_ratio >= {RAPIDFUZZ_THRESHOLD:g} (no duplicate_score printed)"
    )
    return outcomes, name


def share(outcomes: Sequence[Outcome], test: Callable[[Outcome], bool]) -> str:
    """ "hits/total (percent)": the count is printed too, since a kind has only a few pairs."""
    hits = sum(1 for o in outcomes if test(o))
    return f"{hits}/{len(outcomes)} ({100 * hits / len(outcomes):.1f}%)" if outcomes else "-"


def rate(outcomes: Sequence[Outcome], test: Callable[[Outcome], bool]) -> float:
    """The share as a fraction, for the targets; an empty group meets no target."""
    if not outcomes:
        return float("nan")
    return sum(1 for o in outcomes if test(o)) / len(outcomes)


def by_kind(outcomes: Sequence[Outcome], ours: Callable[[Outcome], bool]) -> None:
    """One line per kind of fact or rewording: ours, then the baseline."""
    kinds = Counter(o.pair.fact for o in outcomes)
    width = max(map(len, kinds))
    print(f"    {'kind':<{width}}  {'n':>3}  {'ours':>14}  {'baseline':>14}")
    for kind in sorted(kinds):
        group = [o for o in outcomes if o.pair.fact == kind]
        theirs = share(group, lambda o: o.baseline)
        print(f"    {kind:<{width}}  {len(group):>3}  {share(group, ours):>14}  {theirs:>14}")


def show_misses(outcomes: Sequence[Outcome]) -> None:
    missed = [o for o in outcomes if o.missed]
    print(f"\nMisses ({len(missed)}):")
    for o in missed:
        where = f"rank {o.rank}" if o.rank else f"not in the top {K}"
        scores = ", ".join(
            f"{key} {o.result[key]}"
            for key in ("score", "duplicate_score", "kind")
            if key in o.result
        )
        print(
            f"  {o.pair.id} {o.pair.label} [{o.pair.fact}] {where}"
            f"{'; ' + scores if scores else ''}; duplicate {o.duplicate}; "
            f"baseline {o.baseline_score:.1f}\n"
            f"    original: {o.pair.original}\n"
            f"    variant:  {o.pair.variant}\n"
            f"    note:     {o.pair.note}"
        )


def report(outcomes: Sequence[Outcome], baseline_name: str) -> bool:
    """Print the figures, ours against the baseline; True when every target is met."""
    changed = [o for o in outcomes if o.pair.changed]
    paraphrases = [o for o in outcomes if not o.pair.changed]
    print(f"Baseline: {baseline_name}\n")

    print(f"Changed-fact pairs marked duplicate (target <= {MAX_CHANGED_DUPLICATE:.0%}):")
    print(
        f"  ours {share(changed, lambda o: o.duplicate)}, "
        f"baseline {share(changed, lambda o: o.baseline)}"
    )
    print(
        f"  (original not among the top {K}: {share(changed, lambda o: o.rank is None)}; "
        "those count as not duplicate)"
    )
    by_kind(changed, lambda o: o.duplicate)
    if any("kind" in o.result for o in outcomes):
        print(f'  reported as kind "variant": {share(changed, lambda o: o.kind == "variant")}')
        inconsistent = [o.pair.id for o in outcomes if o.duplicate and o.kind == "variant"]
        if inconsistent:
            print(f'  NOTE: duplicate true with kind "variant": {", ".join(inconsistent)}')
    else:
        print('  reported as kind "variant": the output has no "kind" field')

    print(
        f"\nParaphrases found (original in the top {K} and duplicate; "
        f"target >= {MIN_PARAPHRASE_FOUND:.0%}):"
    )
    print(
        f"  ours {share(paraphrases, lambda o: o.found)}, "
        f"baseline {share(paraphrases, lambda o: o.baseline)}"
    )
    print(f"  (original among the top {K}: {share(paraphrases, lambda o: o.rank is not None)})")
    by_kind(paraphrases, lambda o: o.found)
    if any("kind" in o.result for o in outcomes):
        print(
            f'  wrongly reported as kind "variant": '
            f"{share(paraphrases, lambda o: o.kind == 'variant')}"
        )

    changed_rate = rate(changed, lambda o: o.duplicate)
    found_rate = rate(paraphrases, lambda o: o.found)
    print()
    ok = True
    if changed_rate <= MAX_CHANGED_DUPLICATE:
        print(f"PASS: {changed_rate:.1%} of changed-fact pairs marked duplicate")
    else:
        print(
            f"FAIL: {changed_rate:.1%} of changed-fact pairs marked duplicate "
            f"(target <= {MAX_CHANGED_DUPLICATE:.0%})"
        )
        ok = False
    if found_rate >= MIN_PARAPHRASE_FOUND:
        print(f"PASS: {found_rate:.1%} of paraphrases found")
    else:
        print(f"FAIL: {found_rate:.1%} of paraphrases found (target >= {MIN_PARAPHRASE_FOUND:.0%})")
        ok = False
    return ok


def timing(pairs: Sequence[Pair], rounds: int = 5) -> None:
    """Stored per claim, or computed at match time? Both, measured on the pairs' sentences.

    Computed: extract both claims' facts and compare them (what a match costs today). Stored:
    facts kept as JSON with the claim (paid at ingest for every claim, matched or not), then
    read back and compared. The alias table and word lists are the defaults for both.
    """
    import dataclasses
    import time

    from workbench.matching.facts import ClaimFacts, Fact, compare, extract
    from workbench.matching.normalize import normalize

    texts = [(p.original, normalize(p.original)) for p in pairs]
    texts += [(p.variant, normalize(p.variant)) for p in pairs]
    half = len(pairs)

    def best(run: Callable[[], object]) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times)

    def computed() -> None:
        for i in range(half):
            compare(extract(*texts[i]), extract(*texts[half + i]))

    def to_json(facts: ClaimFacts) -> str:
        return json.dumps(dataclasses.asdict(facts))

    def from_json(data: str) -> ClaimFacts:
        raw = json.loads(data)
        return ClaimFacts(
            facts=tuple(Fact(**f) for f in raw["facts"]),
            negations=raw["negations"],
            directions={k: tuple(v) for k, v in raw["directions"].items()},  # type: ignore[misc]
            tokens=tuple(raw["tokens"]),
            token_spans=tuple(tuple(s) for s in raw["token_spans"]),  # type: ignore[misc]
            written=tuple(raw["written"]),
        )

    stored = [to_json(extract(*t)) for t in texts]
    at_ingest = best(lambda: [to_json(extract(*t)) for t in texts]) / len(texts)
    match_computed = best(computed) / half
    match_stored = (
        best(
            lambda: [
                compare(from_json(stored[i]), from_json(stored[half + i])) for i in range(half)
            ]
        )
        / half
    )
    size = sum(len(s) for s in stored) / len(stored)
    print("\nFacts stored per claim or computed at match time (per pair / per claim, best of 5):")
    print(f"  computed at match time: {1e6 * match_computed:.0f} us a compared pair")
    print(
        f"  stored: {1e6 * match_stored:.0f} us a compared pair "
        f"({match_computed / match_stored:.2f}x faster), plus {1e6 * at_ingest:.0f} us and "
        f"{size:.0f} bytes of JSON for every claim ingested"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--show-misses", action="store_true", help="list every pair that misses its target"
    )
    parser.add_argument(
        "--timing", action="store_true", help="also time stored against computed facts"
    )
    args = parser.parse_args(argv)

    sources = source_sentences()
    pairs = load_pairs()
    check_provenance(pairs, sources)
    labels = Counter(p.label for p in pairs)
    print(
        f"{PAIRS.name}: {len(pairs)} pairs ({labels['changed']} changed, "
        f"{labels['paraphrase']} paraphrase), {len({p.archive_id for p in pairs})} originals, "
        "every one verbatim in its source"
    )
    outcomes, baseline_name = judge(pairs, through_the_cli(pairs))
    ok = report(outcomes, baseline_name)
    if args.show_misses:
        show_misses(outcomes)
    if args.timing:
        timing(pairs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
