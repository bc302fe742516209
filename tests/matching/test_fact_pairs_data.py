"""The changed-fact / paraphrase pairs keep the shape benchmarks/fact_pairs.py relies on, so a hand
edit that breaks a line, unbalances the labels or drops a fact kind is caught before a benchmark
run reports figures on a skewed set. Reads only the file in the repository."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

PAIRS = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "fact_pairs.jsonl"
FIELDS = ("id", "original", "variant", "label", "fact", "source", "note")
LABELS = ("changed", "paraphrase")
MIN_PER_LABEL = 80
MIN_PER_KIND = 4
MIN_ORIGINALS = 100
# Every kind of fact a mutating copy changes that the fact extraction has to catch.
FACT_KINDS = (
    "number",
    "percentage",
    "year",
    "weekday",
    "month",
    "date",
    "person",
    "place",
    "country",
    "organisation",
    "money",
    "negation",
    "rose/fell",
    "higher/lower",
    "more/less",
    "won/lost",
    "cost/save",
    "most/few",
)
SOURCE = re.compile(r"^(?:msrp:\d+|seed:\d+)$")


def _load() -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, Any]]:
    return _load()


def test_every_line_is_a_json_object_with_every_field_a_non_empty_string(
    pairs: list[dict[str, Any]],
) -> None:
    for number, pair in enumerate(pairs, start=1):
        assert isinstance(pair, dict), f"line {number} is not an object"
        for field in FIELDS:
            value = pair.get(field)
            assert isinstance(value, str) and value.strip(), f"line {number}: bad {field!r}"


def test_labels_and_sources_are_known(pairs: list[dict[str, Any]]) -> None:
    assert {p["label"] for p in pairs} <= set(LABELS)
    assert all(SOURCE.match(p["source"]) for p in pairs)


def test_ids_are_unique(pairs: list[dict[str, Any]]) -> None:
    repeated = [i for i, n in Counter(p["id"] for p in pairs).items() if n > 1]
    assert not repeated


def test_a_variant_differs_from_its_original(pairs: list[dict[str, Any]]) -> None:
    assert not [p["id"] for p in pairs if p["original"].strip() == p["variant"].strip()]


def test_each_label_has_enough_pairs_from_many_originals(pairs: list[dict[str, Any]]) -> None:
    counts = Counter(p["label"] for p in pairs)
    assert all(counts[label] >= MIN_PER_LABEL for label in LABELS), counts
    assert len({p["original"] for p in pairs}) >= MIN_ORIGINALS


def test_a_changed_pair_names_one_of_the_fact_kinds(pairs: list[dict[str, Any]]) -> None:
    assert {p["fact"] for p in pairs if p["label"] == "changed"} <= set(FACT_KINDS)


@pytest.mark.parametrize("kind", FACT_KINDS)
def test_every_fact_kind_is_changed_often_enough(pairs: list[dict[str, Any]], kind: str) -> None:
    changed = sum(1 for p in pairs if p["label"] == "changed" and p["fact"] == kind)
    assert changed >= MIN_PER_KIND, f"{kind}: {changed} changed pairs"
