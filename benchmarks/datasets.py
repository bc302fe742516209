"""The real data sets the benchmarks measure on: found, read and typed in one place.

Every benchmark takes its data from these functions, so that two benchmarks that both say "MSRP"
or "the seed article" read the same records the same way, and so that a missing data set stops a
benchmark with one sentence (the path looked for, the README that describes the data set) rather
than a stack trace halfway through a run.

The data lives next to the repository, in ``../shared`` (``data/`` with one folder and README per
data set, ``seed/`` with the seed article); only ``SHARED`` below knows that. Nothing here reads a
split a benchmark does not measure on: MSRP is its training split, CheckThat! its train, dev and
devtest splits, and each function reads only the files of what it is asked for.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from workbench.intake.splitting import split_sentences  # noqa: E402

SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
SEED = SHARED / "seed"

MSRP_TRAIN = DATA / "paraphrase" / "msrp-train.tsv"
GOLDEN_RULES = DATA / "sentences" / "golden-rules-en.jsonl"
CHECKWORTHINESS = DATA / "checkworthiness"
CLAIM_MATCHING = DATA / "claim-matching"

CheckworthinessSet = Literal["claimbuster_2.5xNCS", "ct19t1_train", "ct20t5_train"]
CheckThatSplitName = Literal["train", "dev", "devtest"]

# Each split's gold pairs, and the tweets file its queries are in (train and dev share one).
_CHECKTHAT_FILES: dict[str, tuple[str, str]] = {
    "train": ("qrels-train.tsv", "queries-train-dev.jsonl"),
    "dev": ("qrels-dev.tsv", "queries-train-dev.jsonl"),
    "devtest": ("qrels-devtest.tsv", "queries-devtest.jsonl"),
}


# --- Records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MsrpPair:
    """One MSRP pair; `row` counts from 1 after the header, the number msrp.py's ids carry."""

    row: int
    paraphrase: bool  # Quality 1: the two sentences are the same claim
    first_id: str
    second_id: str
    first: str
    second: str


@dataclass(frozen=True)
class SeedArticle:
    """The seed article as its file holds it: fact_pairs.py cites its lines by number."""

    path: Path
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass(frozen=True)
class GoldenRule:
    """A Golden Rules case: right only when a split gives exactly `sentences`, each stripped."""

    id: int
    text: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class CheckworthySentence:
    """A labelled sentence; the CheckThat! debate sets also say where it was spoken."""

    id: str
    text: str
    label: int  # 1: a fact-checker would check it
    debate: str | None = None
    line: int | None = None
    speaker: str | None = None


@dataclass(frozen=True)
class VerifiedClaim:
    """A claim Snopes checked: one entry of the archive a tweet is matched against."""

    id: str
    text: str
    title: str
    url: str
    date: str


@dataclass(frozen=True)
class CheckThatArchive:
    """The verified claims, and their file: `claims import` is measured on the file itself."""

    path: Path
    claims: list[VerifiedClaim]


@dataclass(frozen=True)
class Tweet:
    id: str
    text: str


@dataclass(frozen=True)
class Qrel:
    """One line of a qrels file: this claim checks this tweet."""

    query_id: str
    claim_id: str


@dataclass(frozen=True)
class CheckThatSplit:
    """A split's gold pairs, one per qrels line as the file has them (claim_matching.py counts
    the lines and the distinct pairs), and each of its tweets once, in qrels order."""

    name: str
    qrels: list[Qrel]
    tweets: list[Tweet]

    @property
    def gold(self) -> dict[str, set[str]]:
        """The claims that check each tweet, tweets in qrels order."""
        gold: dict[str, set[str]] = {}
        for qrel in self.qrels:
            gold.setdefault(qrel.query_id, set()).add(qrel.claim_id)
        return gold


@dataclass(frozen=True)
class SentencePool:
    """Real news sentences to build articles or claims from, and how to name them in a report."""

    sentences: list[str]
    source: str


@dataclass(frozen=True)
class MatchingCorpus:
    """The similar-search benchmark's sentences: `bases` are archived (and perturbed into more
    claims), `paraphrases` never are, so a query is never an archive row."""

    bases: list[str]
    paraphrases: list[str]
    source: str


# --- Finding and reading ------------------------------------------------------------------------


def _require(path: Path, what: str, readme: Path | None) -> Path:
    """`path`, or stop with what was looked for where, and where the data set is described."""
    if path.exists():
        return path
    described = f"; {readme} describes it" if readme is not None else ""
    raise SystemExit(
        f"{what} not found at {path}{described}. The benchmarks read the shared data from "
        f"{SHARED}, next to the repository: put it there and run again."
    )


def _data_file(path: Path, what: str) -> Path:
    return _require(path, what, path.parent / "README.md")


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(f"{path}, line {number}: not JSON ({error})") from None


def _collapsed(text: str) -> str:
    """One space between words: the pools compare sentences, not their spacing."""
    return " ".join(text.split())


# --- The data sets ------------------------------------------------------------------------------


def msrp_train() -> list[MsrpPair]:
    """In file order: msrp.py names its archive claims by row, and fit_matching.py's folds are
    drawn over these positions."""
    path = _data_file(MSRP_TRAIN, "The MSRP paraphrase corpus (training split)")
    # QUOTE_NONE: the sentences hold unbalanced quotation marks, which are text, not quoting.
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    pairs = []
    for row, cells in enumerate(rows[1:], start=1):
        if len(cells) != 5:
            raise SystemExit(f"{path}: row {row} has {len(cells)} columns, not 5")
        quality, first_id, second_id, first, second = cells
        pairs.append(MsrpPair(row, quality == "1", first_id, second_id, first, second))
    if not pairs:
        raise SystemExit(f"{path} holds no pairs")
    return pairs


def seed_article() -> SeedArticle:
    """Exactly one article, or a stop: fact_pairs.py's "seed:<line>" sources name no file."""
    folder = _require(SEED, "The seed article", None)
    found = sorted(folder.glob("*.txt"))
    if len(found) != 1:
        raise SystemExit(f"Expected one seed article in {folder}, found {len(found)}.")
    return SeedArticle(found[0], found[0].read_text(encoding="utf-8"))


def golden_rules() -> list[GoldenRule]:
    """The cases the pySBD paper reports segmenters' accuracy on, so ours compares with it."""
    path = _data_file(GOLDEN_RULES, "The Golden Rules sentence-boundary cases")
    return [
        GoldenRule(record["id"], record["text"], tuple(record["sentences"]))
        for record in _jsonl(path)
    ]


def checkworthiness(name: CheckworthinessSet) -> list[CheckworthySentence]:
    """In file order: the debate sets keep each debate's lines in the order they were spoken."""
    path = _data_file(CHECKWORTHINESS / f"{name}.jsonl", f"The check-worthiness set {name}")
    return [
        CheckworthySentence(
            id=record["id"],
            text=record["text"],
            label=record["label"],
            debate=record.get("debate"),
            line=record.get("line"),
            speaker=record.get("speaker"),
        )
        for record in _jsonl(path)
    ]


def checkthat_archive() -> CheckThatArchive:
    """In file order, which is the order `claims import` stores them in."""
    path = _data_file(CLAIM_MATCHING / "vclaims.jsonl", "The CheckThat! verified claims")
    claims = [
        VerifiedClaim(r["id"], r["text"], r["title"], r["url"], r["date"]) for r in _jsonl(path)
    ]
    return CheckThatArchive(path, claims)


def checkthat_train_dev_tweets() -> list[Tweet]:
    """Every tweet of the train and dev splits, gold pairs or not: real text to split, not
    queries to score (which checkthat_split gives, split by split)."""
    path = _data_file(
        CLAIM_MATCHING / "queries-train-dev.jsonl", "The CheckThat! train and dev tweets"
    )
    return [Tweet(record["id"], record["text"]) for record in _jsonl(path)]


def checkthat_split(name: CheckThatSplitName) -> CheckThatSplit:
    """Only the files of the split asked for are read: fitting on train never opens devtest."""
    qrels_name, tweets_name = _CHECKTHAT_FILES[name]
    qrels_path = _data_file(CLAIM_MATCHING / qrels_name, f"The CheckThat! {name} gold pairs")
    tweets_path = _data_file(CLAIM_MATCHING / tweets_name, f"The CheckThat! {name} tweets")
    qrels = []
    for line in qrels_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            query_id, claim_id = line.split("\t")[:2]
            qrels.append(Qrel(query_id.strip(), claim_id.strip()))
    texts = {record["id"]: record["text"] for record in _jsonl(tweets_path)}
    wanted = list(dict.fromkeys(qrel.query_id for qrel in qrels))
    missing = [query_id for query_id in wanted if query_id not in texts]
    if missing:
        raise SystemExit(
            f"{tweets_path.name}: no text for {len(missing)} {qrels_name} queries, "
            f"e.g. {missing[0]}"
        )
    return CheckThatSplit(name, qrels, [Tweet(q, texts[q]) for q in wanted])


# --- Sentence pools -----------------------------------------------------------------------------


def _seed_sentences() -> set[str]:
    """The seed article as the workbench splits it: its headline and its sentences."""
    return {_collapsed(sentence.text) for sentence in split_sentences(seed_article().text)}


def article_sentences() -> SentencePool:
    """What ingest.py (and ingest_under_load.py) build articles from: every distinct MSRP
    sentence of four words or more (a shorter one the splitter drops as a fragment, and an
    article's claim count would depend on the draw). MSRP only, as the README's ingest figures
    were measured."""
    sentences = {
        _collapsed(text)
        for pair in msrp_train()
        for text in (pair.first, pair.second)
        if len(text.split()) >= 4
    }
    return SentencePool(sorted(sentences), f"MSRP news sentences ({MSRP_TRAIN})")


def matching_corpus() -> MatchingCorpus:
    """What matching.py builds its archive and queries from: MSRP first sentences and the seed
    sentences (four words or more) to archive, and the MSRP second sentences that are not among
    them as queries, the way a paraphrase of an archived claim reaches an editor."""
    pairs = msrp_train()
    firsts = {_collapsed(pair.first) for pair in pairs}
    seconds = {_collapsed(pair.second) for pair in pairs}
    firsts = {s for s in firsts if len(s.split()) >= 4}
    seed = {s for s in _seed_sentences() if len(s.split()) >= 4}
    bases = sorted(firsts | seed)
    paraphrases = sorted({s for s in seconds if len(s.split()) >= 4} - set(bases))
    source = (
        f"{len(firsts):,} MSRP first sentences + {len(seed - firsts):,} seed-fixture sentences; "
        f"{len(paraphrases):,} MSRP second sentences kept out of the archive for queries"
    )
    return MatchingCorpus(bases, paraphrases, source)


def queue_sentences() -> list[str]:
    """What review_queue.py splices claims from: every distinct MSRP and seed sentence of six
    words or more, so that the head of one and the tail of another still read as a claim."""
    found = {_collapsed(text) for pair in msrp_train() for text in (pair.first, pair.second)}
    found |= _seed_sentences()
    sentences = sorted(s for s in found if len(s.split()) >= 6)
    if len(sentences) < 100:
        # The seed's sentences alone would build an archive of near-copies whose figures mean
        # nothing; better no figures than wrong ones.
        raise SystemExit(f"too few sentences ({len(sentences)}); is {MSRP_TRAIN} complete?")
    return sentences
