"""A pasted post is searched as the claim it makes (workbench/social.py)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from conftest import committed
from sqlmodel import Session

from workbench.intake.archive import ArchivedClaim, import_archive
from workbench.matching.normalize import normalize
from workbench.matching.similar import find_similar
from workbench.matching.social import clean_post, posted_on, split_words


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


@pytest.mark.parametrize(
    ("post", "day"),
    [
        ("Packs drop today! — OREO Cookie (@Oreo) January 28, 2021", date(2021, 1, 28)),
        (
            "Do NOT attack Syria — Donald J. Trump (@realDonaldTrump) Sept. 5, 2013",
            date(2013, 9, 5),
        ),
        ("Talks began in Geneva on May 3, 2020.", None),  # a date in the claim, not a signature
        ("Odd — Someone (@x) February 30, 2020", None),
    ],
)
def test_a_post_says_when_it_was_posted(post: str, day: date | None) -> None:
    assert posted_on(post) == day


def test_the_check_of_the_posts_time_ranks_first(engine: sa.Engine, session: Session) -> None:
    # Two checks worded alike, years apart: the one made when the post circulated comes first,
    # and without a date the order is the words' alone.
    text = "Video shows a shark swimming on a flooded highway after the hurricane."
    with committed(engine) as db:
        import_archive(
            db,
            [
                ArchivedClaim(external_id="old", text=text, date=_at(2012, 10, 30)),
                ArchivedClaim(external_id="new", text=text + " ", date=_at(2017, 8, 28)),
            ],
        )
    post = "A shark swimming on a flooded highway after the hurricane! — Jo (@jo) August 27, 2017"
    assert [h.claim.external_id for h in find_similar(session, post, 2)] == ["new", "old"]
    earlier = post.replace("August 27, 2017", "October 29, 2012")
    assert [h.claim.external_id for h in find_similar(session, earlier, 2)] == ["old", "new"]
    assert [
        h.claim.external_id for h in find_similar(session, post, 2, when=date(2012, 11, 1))
    ] == [
        "old",
        "new",
    ]


def _at(year: int, month: int, day: int):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(year, month, day, tzinfo=UTC)
