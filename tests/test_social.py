"""A pasted post is searched as the claim it makes (workbench/social.py)."""

from __future__ import annotations

import pytest

from workbench.matching import normalize
from workbench.social import clean_post, split_words


@pytest.mark.parametrize(
    ("post", "claim"),
    [
        (
            "Hunter Biden has flipped? pic.twitter.com/SeJ6IG66VW — Chromosome-8 🧬 "
            "(@chromosome_8) October 29, 2020",
            "Hunter Biden has flipped? Chromosome-8 October 2020",
        ),
        (
            "Do NOT attack Syria,fix U.S.A. — Donald J. Trump (@realDonaldTrump) September 5, 2013",
            "Do NOT attack Syria,fix U.S.A. Donald J. Trump September 2013",
        ),
        ("RT @someone: Talks began in Geneva https://t.co/AbC123", "Talks began in Geneva"),
        (
            "You should get one! #PizzaVendingMachine #COVID19Vaccine",
            "You should get one! Pizza Vending Machine COVID 19 Vaccine",
        ),
        ("Never again @SpiritAirlines &amp; @united 😭🎤", "Never again Spirit Airlines & united"),
        ("Arrest them #fercdoesntworkpic.twitter.com/TfnWtSocAF", "Arrest them fercdoesntwork"),
    ],
)
def test_a_post_is_read_as_its_claim(post: str, claim: str) -> None:
    assert clean_post(post) == claim


@pytest.mark.parametrize(
    "sentence",
    [
        "Talks began on Friday in Geneva.",
        "The song was the #1 hit in 2015, write to tips@example.com - or call us.",
        "Prices rose 25% last year - the fastest rise since 1990.",
    ],
)
def test_an_ordinary_sentence_is_left_alone(sentence: str) -> None:
    assert clean_post(sentence) == sentence


def test_hashtag_words_meet_the_claim_they_name() -> None:
    assert normalize(split_words("PizzaVendingMachine")) == normalize("pizza vending machine")
