"""Who made a claim, read from the sentence: precise rather than greedy."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.intake.claimants import find_claimant
from workbench.intake.preparing import prepare_article
from workbench.intake.reading import ArticleInput
from workbench.matching.normalize import DEFAULT_ALIAS_TABLE

SEED = Path("/work/shared/seed/000_2cb53fe733bcfbdb.txt")


@pytest.mark.parametrize(
    ("sentence", "claimant"),
    [
        # Sentences of a real wire story (the seed article).
        (
            "Kerry said that Assad’s removal has to be made in the context of the Geneva "
            "process and negotiation.",
            "Kerry",
        ),
        ("Cook says the two men agreed to talk more about how to deconflict.", "Cook"),
        (
            "Al Jazeera’s Nadim Baba, reporting from London, said that the demand for Assad to "
            "leave remains the key sticking-point.",
            "Al Jazeera’s Nadim Baba",
        ),
        (
            "The last time a United States defence chief spoke with Shoigu was in August 2014, "
            "the Pentagon said, adding high-level communications were halted.",
            "the Pentagon",
        ),
        (
            "Kremlin spokesman Dmitry Peskov said he was unaware of any such messages.",
            "Kremlin spokesman Dmitry Peskov",
        ),
        (
            "“It is vital to avoid misunderstandings, miscalculations [and] not to put "
            "ourselves in a predicament”, Kerry said.",
            "Kerry",
        ),
        (
            "The Foreign Secretary said Britain and the U.S. were “completely aligned”.",
            "the Foreign Secretary",
        ),
        # More shapes.
        ("The ministry said 40 people died in the floods.", "the ministry"),
        ("The bridge cost $12 million, according to the Pentagon.", "the Pentagon"),
        (
            "Unemployment fell to 4 percent, said Defence Minister Sergei Shoigu.",
            "Defence Minister Sergei Shoigu",
        ),
        ("On Friday Kerry told reporters the talks would go on.", "Kerry"),
        ("NASA announced that the probe had landed.", "NASA"),
        ("Kerry has claimed that Assad must go.", "Kerry"),
        # Nobody in particular, or not a claimant at all: nothing rather than a wrong name.
        ("Russian officials said their activities are anti-ISIS.", None),
        ("Any secret deployment of troops to Syria would be illegal, he said.", None),
        ("He said: “We keep that situation under continuous review”.", None),
        ("Officials said the bridge was safe.", None),
        ("The report said prices rose by a fifth.", None),
        ("Prices rose 5 percent, according to U.S. officials.", None),
        ("Military talks between the US and Russia began on Friday.", None),
        ("Kerry: U.S. plans military talks with Russian Federation over Syria", None),
    ],
)
def test_the_claimant_is_read_from_the_attribution(sentence: str, claimant: str | None) -> None:
    assert find_claimant(sentence) == claimant


def test_ingest_fills_in_the_claimant_of_each_claim() -> None:
    prepared = prepare_article(
        ArticleInput(body=SEED.read_text(), title="Seed"), DEFAULT_ALIAS_TABLE
    )
    by_text = {str(c["text"])[:20]: c["claimant"] for c in prepared.claims}
    assert by_text["Kerry said that Assa"] == "Kerry"
    assert by_text["Russian officials sa"] is None
    assert all("claimant" in claim for claim in prepared.claims)
