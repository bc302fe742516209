"""CheckThat! 2022 Task 2A (English) MAP@5, measured through the workbench's own commands.

What it measures, and why
=========================

When a claim in a new article repeats one the newsroom has already checked, the editor should see
the old check among the first few results. The CheckThat! lab measures exactly that with tweets
against 14,231 Snopes fact-checks, scored by MAP@5; the organisers' BM25 baseline reached 0.8179.
What is measured here is what an editor or a script gets from the command line, so the data goes
through the real commands, each one a separate process, as in the README:

1. In a temporary instance folder (WORKBENCH_INSTANCE, and DATABASE_URL pointing at a SQLite file
   there, so a DATABASE_URL in the caller's environment is never touched):
   ``python -m flask --app app init-db`` then ``... claims import vclaims.jsonl``.
2. For the dev split (qrels-dev.tsv, queries taken from queries-train-dev.jsonl) and the devtest
   split (qrels-devtest.tsv, queries-devtest.jsonl): the queries are written to a JSON Lines file
   and ``... claims similar --input FILE --limit 5`` is run; its stdout is parsed.
3. MAP@5, the official definition: per query, the precision at each rank (1-5) that holds a
   relevant claim, summed and divided by min(number of relevant claims, 5); the mean over every
   query of the qrels (a query missing from the output scores 0).
4. Throughput: queries per second of the ``claims similar`` process, start-up included, and
   without it (the time of the same command on an empty input file taken off).
5. In the same run, the baseline that the data README warns about: plain rapidfuzz, i.e.
   ``token_sort_ratio`` of the normalised query against every normalised claim text stored by the
   import (the whole archive, no index), top 5.
6. Candidate recall: how often a gold claim is among the candidates the text index hands the
   scorer (``similar.candidates_for`` on the imported database, the call ``claims similar``
   makes), and the MAP@5 of the index's own (BM25) order of them: no scorer can rank a claim the
   index never offered, and the scorer should beat the order it was given.

The similarity model was fitted on the train split only (benchmarks/fit_matching.py), so dev and
devtest are out-of-sample here. Run from the repository root:
``python benchmarks/claim_matching.py``. Exit status 1 when either MAP@5 is not above the BM25
baseline.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from datasets import CheckThatSplitName, Tweet, checkthat_archive, checkthat_split  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, read_session  # noqa: E402
from workbench.matching.aliases import load_aliases  # noqa: E402
from workbench.matching.normalize import normalize  # noqa: E402
from workbench.matching.similar import CANDIDATES, candidates_for  # noqa: E402

BM25_BASELINE = 0.8179
K = 5
# Out of sample: fit_matching.py fits the similarity model on train only.
SPLITS: tuple[CheckThatSplitName, ...] = ("dev", "devtest")


def average_precision_at_k(ranked: Sequence[str], relevant: set[str], k: int = K) -> float:
    """Precision at each relevant hit among the top k, over min(#relevant, k) (CheckThat!)."""
    hits = 0
    total = 0.0
    for rank, claim_id in enumerate(ranked[:k], start=1):
        if claim_id in relevant:
            hits += 1
            total += hits / rank
    return total / min(len(relevant), k) if relevant else 0.0


def map_at_k(runs: Mapping[str, Sequence[str]], gold: Mapping[str, set[str]], k: int = K) -> float:
    """Mean over the queries of the qrels; a query with no answer counts as 0."""
    return sum(average_precision_at_k(runs.get(q, []), rel, k) for q, rel in gold.items()) / len(
        gold
    )


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """One `python -m flask --app app ...` process in the repository root; stops on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def similar_through_cli(
    env: dict[str, str], query_file: Path, queries: Sequence[Tweet]
) -> tuple[dict[str, list[str]], float]:
    """Each query's top-K external claim ids as `claims similar` prints them; and the seconds the
    process took."""
    query_file.write_text(
        "".join(
            json.dumps({"id": q.id, "text": q.text}, ensure_ascii=False) + "\n" for q in queries
        ),
        encoding="utf-8",
    )
    started = time.perf_counter()
    result = flask(env, "claims", "similar", "--input", str(query_file), "--limit", str(K))
    elapsed = time.perf_counter() - started
    runs: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if not line.strip():
            continue
        answer = json.loads(line)
        results = answer["results"]
        if len(results) > K:
            raise SystemExit(f"claims similar returned {len(results)} results for --limit {K}")
        runs[str(answer["query_id"])] = [str(r["claim_id"]) for r in results]
    if len(runs) != len(queries):
        raise SystemExit(f"claims similar answered {len(runs)} of {len(queries)} queries")
    return runs, elapsed


def stored_claims(database: Path) -> tuple[list[str], list[str]]:
    """External ids and normalised texts exactly as the import stored them."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT external_id, normalized_text FROM claim ORDER BY id"
        ).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def plain_rapidfuzz(
    queries: Sequence[Tweet], ids: list[str], texts: list[str]
) -> dict[str, list[str]]:
    """Top-K by token_sort_ratio of the normalised query against every claim: no index at all."""
    runs = {}
    for query in queries:
        best = process.extract(normalize(query.text), texts, scorer=fuzz.token_sort_ratio, limit=K)
        runs[query.id] = [ids[index] for _text, _score, index in best]
    return runs


def index_candidates(database: Path, queries: Sequence[Tweet]) -> dict[str, list[str]]:
    """Each query's candidates as the text index hands them to the scorer, best first."""
    engine = make_engine(Settings(database_url=f"sqlite:///{database}"))
    try:
        with read_session(engine) as session:
            aliases = load_aliases(session)
            return {
                query.id: [
                    str(c.external_id)
                    for c in candidates_for(session, query.text, aliases=aliases)[1]
                ]
                for query in queries
            }
    finally:
        engine.dispose()


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = folder / "claim-matching.db"
        env = {
            **os.environ,
            "WORKBENCH_INSTANCE": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{database}",
        }
        archive = checkthat_archive().path
        flask(env, "init-db")
        started = time.perf_counter()
        imported = flask(env, "claims", "import", str(archive))
        print(
            f"claims import: {imported.stdout.strip()} "
            f"({time.perf_counter() - started:.1f} s, start-up included)"
        )
        ids, texts = stored_claims(database)
        print(f"Archive: {len(ids)} claims. BM25 baseline (organisers): MAP@5 {BM25_BASELINE}")
        _, start_up = similar_through_cli(env, folder / "empty.jsonl", [])
        print(f"claims similar on an empty input (process start-up): {start_up:.2f} s\n")

        for split in map(checkthat_split, SPLITS):
            gold = split.gold
            queries = split.tweets
            runs, elapsed = similar_through_cli(
                env, folder / f"queries-{split.name}.jsonl", queries
            )
            qps = len(queries) / elapsed
            net_qps = len(queries) / max(elapsed - start_up, 1e-9)
            ours = map_at_k(runs, gold)
            started = time.perf_counter()
            baseline = map_at_k(plain_rapidfuzz(queries, ids, texts), gold)
            baseline_qps = len(queries) / (time.perf_counter() - started)
            lines = len(split.qrels)
            pairs = sum(map(len, gold.values()))
            print(
                f"{split.name}: {len(gold)} queries, {pairs} distinct gold pairs "
                f"({lines} qrels lines)"
            )
            print(
                f"  workbench (claims similar --limit {K}): MAP@5 {ours:.4f} = "
                f"{ours / BM25_BASELINE:.3f} x BM25; {qps:.1f} queries/s with start-up, "
                f"{net_qps:.1f} without"
            )
            print(
                f"  plain rapidfuzz token_sort_ratio over the whole archive: MAP@5 "
                f"{baseline:.4f} = {baseline / BM25_BASELINE:.3f} x BM25; {baseline_qps:.1f} "
                "queries/s"
            )
            offered = index_candidates(database, queries)
            found = sum(1 for q, rel in gold.items() if rel & set(offered.get(q, ())))
            print(
                f"  gold among the candidates (up to {CANDIDATES}) the index hands the scorer: "
                f"{found}/{len(gold)} = {found / len(gold):.3f}; MAP@5 of the index's own "
                f"order: {map_at_k(offered, gold):.4f}"
            )
            if ours <= BM25_BASELINE:
                print(f"  FAIL: MAP@5 {ours:.4f} is not above the BM25 baseline {BM25_BASELINE}")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
