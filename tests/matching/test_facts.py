"""The facts of a claim: the same fact in any spelling is the same, one changed fact conflicts,
and a fact only one claim states (an added clause) does not."""

from __future__ import annotations

import pytest

from workbench.matching.facts import compare_texts, extract, mark_changes, may_conflict
from workbench.matching.normalize import DEFAULT_ALIAS_TABLE, AliasTable, normalize


def _compare(ours: str, theirs: str, aliases: AliasTable | None = None):  # type: ignore[no-untyped-def]
    table = aliases or AliasTable.build([])
    return compare_texts(
        ours, normalize(ours, table), theirs, normalize(theirs, table), aliases=table
    )


SAME = [
    ("The deal was worth $3.1bn.", "The deal was worth 3.1 billion dollars."),
    ("The city paid $650 million for it.", "The city paid 650 million dollars for it."),
    ("It had fifty-two members.", "It had 52 members."),
    ("The fund raised 7m last year.", "The fund raised 7 million last year."),
    ("Prices rose 25% in May.", "Prices rose 25 per cent in May."),
    ("About 2.5 million people voted.", "About 2,500,000 people voted."),
    ("The firm lost $3.14 billion.", "The firm lost $3.1bn."),
    ("Talks began on 4 June.", "Talks began on June 4."),
    ("Talks began on the 4th of June.", "Talks began on June 4."),
    ("Defense Secretary Ash Carter spoke to Shoigu.", "Carter spoke to Shoigu."),
    ("Russia sent jets to Syria.", "Russian jets were sent to Syria."),
    ("Officials said he was not aware of it.", "Officials said he was unaware of it."),
    ("Sales rose in March.", "Sales climbed in March."),
    ("They face a $1 million fine.", "They face a one million dollar fine."),
    ("The diocese paid $15 million.", "The diocese paid a 15 million dollar sum."),
    ("Cambone said U.S forces found it.", "US forces found it, Cambone said."),
    ("Ron Kuby said so.", "Ronald L. Kuby said so."),
    ("It is written in VisualBasic.", "It is written in Visual Basic."),
    ("Schools turned away 5,000 applicants.", "Schools rejected 5,000 applicants."),
]


@pytest.mark.parametrize(("ours", "theirs"), SAME)
def test_the_same_fact_written_another_way_does_not_conflict(ours: str, theirs: str) -> None:
    comparison = _compare(ours, theirs, DEFAULT_ALIAS_TABLE)
    assert not comparison.conflicting, comparison.summary()


CHANGED = [
    ("Unemployment rose 3.2 percent.", "Unemployment rose 2.3 percent.", "3.2 percent", "2.3"),
    ("About 2 million people voted.", "About 2.5 million people voted.", "2 million", "2.5"),
    ("The city paid $650 million.", "The city paid $560 million.", "$650 million", "$560"),
    ("Talks began on Friday.", "Talks began on Monday.", "Friday", "Monday"),
    ("They last spoke in August 2014.", "They last spoke in August 2013.", "2014", "2013"),
    ("They last spoke in August 2014.", "They last spoke in September 2014.", "August", "Sep"),
    ("Talks began on June 4.", "Talks began on June 14.", "June 4", "June 14"),
    ("Sales fell last year.", "Sales fell this year.", "last year", "this year"),
    ("Peskov said Russia sent jets.", "Zakharova said Russia sent jets.", "Peskov", "Zakh"),
    ("Russia's base at Latakia grew.", "Russia's base at Tartus grew.", "Latakia", "Tartus"),
    ("The plan was approved.", "The plan was not approved.", "", "not"),
    ("Prices rose in May.", "Prices fell in May.", "rose", "fell"),
    ("Turnout was higher than in 2010.", "Turnout was lower than in 2010.", "higher", "lower"),
    ("The Labour party won the seat.", "The Labour party lost the seat.", "won", "lost"),
    ("The scheme will cost $5 million.", "The scheme will save $5 million.", "cost", "save"),
    ("Most voters backed the plan.", "Few voters backed the plan.", "Most", "Few"),
    ("It came third in the race.", "It came second in the race.", "third", "second"),
    ("A total of 114 soldiers died.", "A total of 141 soldiers died.", "114", "141"),
    ("He was first chosen in 1950.", "He was first chosen in 1951.", "1950", "1951"),
    (
        "Shares rose $2.28 and have gained 53 percent this year.",
        "Shares fell $2.28 and have gained 53 percent this year.",
        "rose",
        "fell",
    ),
    (
        "Aspirin can cost less than $10, ticlopidine more than $100.",
        "Aspirin can cost more than $10, ticlopidine more than $100.",
        "less",
        "more",
    ),
    (
        "The airline expects to save $100 million.",
        "The airline expects to lose $100 million.",
        "save",
        "lose",
    ),
    (
        "The Department of Homeland Security chose three firms.",
        "The Department of Defense chose three firms.",
        "Homeland Security",
        "Defense",
    ),
]


@pytest.mark.parametrize(("ours", "theirs", "was", "now"), CHANGED)
def test_one_changed_fact_conflicts_and_is_named(
    ours: str, theirs: str, was: str, now: str
) -> None:
    comparison = _compare(ours, theirs)
    assert comparison.conflicting
    summary = comparison.summary()
    assert now in summary and (was in summary or not was), summary


def test_a_fact_only_one_claim_states_is_not_a_conflict() -> None:
    comparison = _compare(
        "Unemployment fell to 4.1 percent in March.",
        "Unemployment fell to 4.1 percent in March, the lowest level since 2001, Reuters said.",
    )
    assert not comparison.conflicting
    assert {f.text for f in comparison.only_theirs} >= {"2001", "Reuters"}


def test_a_name_added_elsewhere_is_not_a_changed_name() -> None:
    # The differing names do not stand in the same place: one claim just says more.
    comparison = _compare(
        "Carter spoke with Shoigu by phone.",
        "In Washington, Carter spoke with Shoigu by phone.",
    )
    assert not comparison.conflicting


def test_names_are_read_through_the_alias_list() -> None:
    ours = "The IMF cut its forecast for Greece."
    theirs = "The International Monetary Fund cut its forecast for Greece."
    assert _compare(ours, theirs).conflicting
    aliases = AliasTable.build([("IMF", "International Monetary Fund")])
    assert not _compare(ours, theirs, aliases).conflicting


def test_may_the_verb_is_not_a_month() -> None:
    facts = extract("Officials may meet again soon.", normalize("Officials may meet again soon."))
    assert not [f for f in facts.facts if f.kind in ("month", "date")]
    facts = extract("They met in May.", normalize("They met in May."))
    assert [f.key for f in facts.facts if f.kind == "month"] == ["may"]


def test_changed_facts_are_marked_apart_from_shared_words() -> None:
    pieces = [("Unemployment ", True), ("rose 3.2 percent", False), (".", False)]
    assert mark_changes(pieces, [(18, 29)]) == [
        ("Unemployment ", "shared"),
        ("rose ", ""),
        ("3.2 percent", "changed"),
        (".", ""),
    ]


@pytest.mark.parametrize(("ours", "theirs"), [(c[0], c[1]) for c in CHANGED] + SAME)
def test_the_quick_check_never_skips_a_pair_whose_facts_conflict(ours: str, theirs: str) -> None:
    table = DEFAULT_ALIAS_TABLE
    conflicting = _compare(ours, theirs, table).conflicting
    assert may_conflict(ours, normalize(ours, table), theirs, normalize(theirs, table)) or (
        not conflicting
    )


@pytest.mark.parametrize(
    ("ours", "theirs", "possible"),
    [
        ("Kerry said the talks would go on.", "Hammond said the talks would go on.", True),
        ("The talks would go on, he said.", "The talks would go on, he added.", False),
        ("Prices rose sharply in the city.", "Prices rose steeply in the city.", False),
        ("The plan was approved.", "The plan wasn't approved.", True),
        ("It cost 5 dollars.", "It cost 6 dollars.", True),
    ],
)
def test_plain_rewording_skips_the_full_comparison(ours: str, theirs: str, possible: bool) -> None:
    assert may_conflict(ours, normalize(ours), theirs, normalize(theirs)) is possible
