"""Duplicate-claim matching: normalisation, aliases, suggestions on ingest, search and the CLI.

The seed tests are the newsroom's own case: a wire story on US-Russia military talks over Syria is
in the archive, and another outlet's article on the same story arrives. Its paraphrases of the
wire's sentences must be suggested as duplicates; its sentences that share the names but state
other facts must not (an editor who trusts a wrong suggestion copies a verdict onto a claim
nobody checked). The paraphrases are written as another outlet would write them, not to suit the
scorer; those the matcher gets wrong are marked xfail(strict=True) with the reason, so the day the
matcher improves the marker has to go.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from conftest import REPO, committed
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlmodel import Session, delete, func, select

from workbench.config import Settings
from workbench.db import make_engine, read_session, write_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.matching import text_index
from workbench.matching.facts import compare_texts
from workbench.matching.normalize import (
    DUPLICATE_THRESHOLD,
    AliasTable,
    content_words,
    normalize,
    strip_attribution,
)
from workbench.matching.similar import (
    SUGGESTIONS_PER_CLAIM,
    find_similar,
    find_suggestions,
    load_aliases,
)
from workbench.models import (
    Alias,
    Article,
    Claim,
    ClaimStatus,
    DuplicateSuggestion,
    SuggestionKind,
    SuggestionState,
    Verdict,
)

SEED_FILE = REPO / "fixtures" / "seed" / "000_2cb53fe733bcfbdb.txt"
SEED_LINES = [line for line in SEED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]

# --- normalize() --------------------------------------------------------------------------------

# Each group: ways of writing one claim that must give one matching key.
SAME_KEY = {
    "case and punctuation": [
        "Russia sent jets to Syria.",
        "RUSSIA SENT JETS TO SYRIA!",
        "russia sent jets to syria",
    ],
    "curly and straight quotes": [
        "Britain and France were “completely aligned” on Syria.",
        'Britain and France were "completely aligned" on Syria.',
        "Britain and France were 'completely aligned' on Syria.",
    ],
    "dashes": [
        "Talks with Russia — which began Friday — will go on.",
        "Talks with Russia – which began Friday – will go on.",
        "Talks with Russia -- which began Friday -- will go on.",
        "Talks with Russia, which began Friday, will go on.",
    ],
    "hyphens, including the non-breaking one": [
        "Their activities are anti-ISIS.",
        "Their activities are anti\u2011ISIS.",
        "Their activities are anti ISIS.",
    ],
    "accents": [
        "The talks in Zürich were led by José Núñez.",
        "The talks in Zurich were led by Jose Nunez.",
    ],
    "United States": [
        "U.S. officials kept a wary eye on Russia.",
        "US officials kept a wary eye on Russia.",
        "USA officials kept a wary eye on Russia.",
        "U.S.A. officials kept a wary eye on Russia.",
        "United States officials kept a wary eye on Russia.",
        "United States of America officials kept a wary eye on Russia.",
    ],
    "Russian Federation": [
        "The White House may hope to enlist Russian Federation in the fight.",
        "The White House may hope to enlist Russia in the fight.",
    ],
    "Shoygu": [
        "Carter spoke with Sergei Shoygu by telephone.",
        "Carter spoke with Sergei Shoigu by telephone.",
    ],
    "Shoygu, possessive with a curly apostrophe": [
        "Shoygu’s call lasted an hour.",
        "Shoigu's call lasted an hour.",
    ],
    "millions": [
        "Russia sent two million dollars in aid.",
        "Russia sent 2 million dollars in aid.",
        "Russia sent 2,000,000 dollars in aid.",
    ],
    "compound number words": [
        "Twenty-five soldiers were killed in the attack.",
        "Twenty five soldiers were killed in the attack.",
        "25 soldiers were killed in the attack.",
    ],
    "percent": [
        "Prices rose 25% last year.",
        "Prices rose 25 percent last year.",
        "Prices rose 25 per cent last year.",
        "Prices rose twenty-five per cent last year.",
    ],
    "attribution before, after, or as 'according to'": [
        "Kerry said that Assad must leave office to end the war.",
        "Kerry said Assad must leave office to end the war.",
        "Assad must leave office to end the war, Kerry said.",
        "According to officials, Assad must leave office to end the war.",
        "Assad must leave office to end the war, according to officials.",
        "Kerry told reporters on Friday that Assad must leave office to end the war.",
        "Assad must leave office to end the war, the Pentagon said on Friday.",
        "“Assad must leave office to end the war,” Kerry said.",
    ],
    "links": [
        "Talks began on Friday in Geneva https://t.co/AbC123",
        "Talks began on Friday in Geneva pic.twitter.com/xyz",
        "Talks began on Friday in Geneva www.example.com/news?id=1",
        "Talks began on Friday in Geneva",
    ],
}

# Pairs that must stay apart: a normaliser that threw too much away would merge them.
DIFFERENT_KEY = [
    pytest.param(
        "Kerry asked Russia to join us in the fight against Islamic State.",
        "Kerry asked Russia to join US in the fight against Islamic State.",
        id="the pronoun us is not the United States",
    ),
    pytest.param(
        "Russia sent two million dollars in aid.",
        "Russia sent 3 million dollars in aid.",
        id="another number",
    ),
    pytest.param(
        "Prices rose 25% last year.", "Prices rose 35 per cent last year.", id="another percentage"
    ),
    pytest.param(
        "Talks began on Friday in Geneva.", "Talks began on Monday in Geneva.", id="another day"
    ),
    pytest.param(
        "Russia announced a ceasefire in Aleppo on Friday.",
        "Turkey announced a ceasefire in Aleppo on Friday.",
        id="who announced it",
    ),
    pytest.param(
        "The Pentagon reported 25 civilian deaths in Syria last week.",
        "Russia reported 25 civilian deaths in Syria last week.",
        id="who reported it",
    ),
    pytest.param(
        "Exxon added 500 jobs in Texas last year.",
        "Chevron added 500 jobs in Texas last year.",
        id="who added jobs",
    ),
]

# Sentences where the speaker comes first, set off by commas: the claim follows "said".
SPEAKER_FIRST = [
    pytest.param(
        "Kerry, speaking in London, said Assad must leave office.",
        {"assad", "leave", "office"},
        id="speaking-in-london",
    ),
    pytest.param(
        "Debra Mitchell, a member of the church, said Wilson had recently lost her job.",
        {"wilson", "lost", "job"},
        id="member-of-the-church",
    ),
    pytest.param(
        "The minister, who spoke in Moscow, said Russia would send more jets to Syria.",
        {"russia", "jets", "syria"},
        id="who-spoke-in-moscow",
    ),
]


@pytest.mark.parametrize("texts", SAME_KEY.values(), ids=SAME_KEY.keys())
def test_ways_of_writing_one_claim_share_a_key(texts: list[str]) -> None:
    keys = [normalize(text) for text in texts]
    assert keys[0], "an empty key would make everything equal"
    assert keys == [keys[0]] * len(texts), dict(zip(texts, keys, strict=True))


@pytest.mark.parametrize(("ours", "theirs"), DIFFERENT_KEY)
def test_different_claims_keep_different_keys(ours: str, theirs: str) -> None:
    assert normalize(ours) != normalize(theirs)


@pytest.mark.parametrize(("sentence", "claim_words"), SPEAKER_FIRST)
def test_the_claim_after_a_speaker_in_commas_is_kept(sentence: str, claim_words: set[str]) -> None:
    assert {normalize(w) for w in claim_words} <= set(normalize(sentence).split())


def test_the_pronoun_us_is_left_alone() -> None:
    words = normalize("Kerry asked Russia to join us in the fight against Islamic State.").split()
    assert "us" in words
    assert "united" not in words


def test_a_sentence_that_is_mostly_attribution_is_kept_whole() -> None:
    # Stripping "He said" would leave "so": one word, which would match anything with "so" in it.
    assert normalize("He said so.").split() == ["he", "said", "so"]


def test_attribution_is_dropped_and_the_claim_kept() -> None:
    key = normalize("Kerry said that Assad’s removal has to be made in the Geneva process.")
    assert "kerry" not in key.split()
    assert key.startswith("assad")


@pytest.mark.parametrize(
    "sentence",
    [
        # Everything before "told him" was taken for the speaker: only "not to do it" was left.
        "Colin Kaepernick keeps kneeling even after the NFL told him not to do it",
        # An order is not a claim, however short the speaker.
        "The NFL told him not to kneel during the anthem again.",
        # A clause, not a speaker, comes before "says".
        "As Trump says he will reverse gay marriage laws, here is where it is still illegal.",
        "Everyone should know that Trump told his base to drink bleach.",
    ],
)
def test_attribution_stripping_does_not_eat_the_claim(sentence: str) -> None:
    assert strip_attribution(sentence) == sentence


@pytest.mark.parametrize(
    ("sentence", "claim"),
    [
        ("Kerry told reporters Assad must go.", "Assad must go."),
        ("Kerry told CNN on Friday that Assad must go.", "Assad must go."),
        (
            "A spokesman for the Ministry of Defence said the talks would resume.",
            "the talks would resume.",
        ),
    ],
)
def test_a_speaker_and_whom_they_told_are_stripped(sentence: str, claim: str) -> None:
    assert strip_attribution(sentence) == claim


# --- Aliases ------------------------------------------------------------------------------------


def test_a_custom_alias_changes_the_key() -> None:
    table = AliasTable.build([("Moskva", "Moscow")])
    ours, theirs = "Talks were held in Moskva on Friday.", "Talks were held in Moscow on Friday."
    assert normalize(ours, table) == normalize(theirs, table)
    assert normalize(ours) != normalize(theirs)  # the default list does not know it
    # An alias in mixed case matches in any case.
    assert normalize("TALKS WERE HELD IN MOSKVA ON FRIDAY.", table) == normalize(theirs, table)


def test_an_all_capitals_alias_matches_only_in_capitals() -> None:
    table = AliasTable.build([("WHO", "World Health Organization")])
    assert normalize("WHO experts visited Wuhan in January.", table) == (
        normalize("world health organization experts visited wuhan in january")
    )
    lower = normalize("Experts who visited Wuhan in January fell ill.", table).split()
    assert "who" in lower
    assert "world" not in lower


def test_the_longest_alias_wins() -> None:
    table = AliasTable.build([("Sergei", "Sergey"), ("Sergei Shoygu", "Sergei Shoigu")])
    assert normalize("Sergei Shoygu called.", table) == "sergei shoigu call"


def test_admins_edit_the_alias_list_and_matching_reads_it_at_once(session: Session) -> None:
    assert normalize("Moskva", load_aliases(session)) == "moskva"
    session.add(Alias(phrase="Moskva", canonical="Moscow"))
    session.exec(delete(Alias).where(Alias.phrase == "Shoygu"))
    session.commit()
    aliases = load_aliases(session)
    assert normalize("Moskva", aliases) == "moscow"
    assert normalize("Sergei Shoygu", aliases) == "sergei shoygu"  # that alias was removed

    # Claims stored from now on use the edited list, and so does a search.
    ingest_article(
        session,
        ArticleInput(body="Carter and Shoigu held talks in Moskva on Friday.", outlet="Wire"),
    )
    claim = session.exec(select(Claim)).one()
    assert "moscow" in claim.normalized_text.split()
    found = find_similar(session, "Carter and Shoigu held talks in Moscow on Friday.")
    assert [hit.claim.id for hit in found] == [claim.id]
    assert found[0].duplicate


# --- Seed: another outlet's article on the same story -------------------------------------------


@dataclass(frozen=True)
class Case:
    text: str
    seed_line: int  # index into SEED_LINES: the line it paraphrases, or the nearest one


PARAPHRASES = [
    pytest.param(
        Case("US plans military talks with Russia over Syria, Kerry says", 0),
        id="headline-attribution-moved",
    ),
    pytest.param(
        Case(
            "Assad's removal must happen in the context of the Geneva process and negotiations, "
            "Kerry said.",
            1,
        ),
        id="attribution-moved",
    ),
    pytest.param(
        Case(
            "US policy is that Assad, a close Russian ally, must leave office to stop the civil "
            "war in his country, and American officials have kept a wary eye on the military "
            "support Russia has been sending.",
            2,
        ),
        id="us-policy-condensed",
    ),
    pytest.param(
        Case(
            "With Western efforts against ISIS floundering and the moderate Syrian opposition "
            "losing ground to radical groups, the White House may hope to enlist Russia in the "
            "fight.",
            3,
        ),
        id="isis-russian-federation",
    ),
    pytest.param(
        Case(
            "Russia's military buildup at the Latakia air base in Syria raises the possibility of "
            "air combat missions in Syrian airspace.",
            5,
        ),
        id="latakia-reordered",
    ),
    pytest.param(
        Case(
            "The two men agreed to talk further about how to deconflict the U.S. and coalition "
            "military campaign against ISIS militants in Syria with Russia's recent moves to send "
            "equipment and personnel to Syrian President Bashar Assad's government, Cook said.",
            6,
        ),
        id="cook-attribution-moved",
    ),
    pytest.param(
        Case(
            "Military talks between the United States and Russia on the Syrian crisis began on "
            "Friday with a phone call between Defense Secretary Ash Carter and Russian Defense "
            "Minister Sergei Shoigu.",
            8,
        ),
        id="talks-began-friday-shoigu",
    ),
    pytest.param(
        Case("He said any covert deployment of troops to Syria would be illegal.", 9),
        id="deployment-illegal",
    ),
    pytest.param(
        Case(
            'Britain and the United States are "completely aligned" on the need for Assad to go, '
            "but the timing and manner of his departure still need to be discussed, the Foreign "
            "Secretary said.",
            10,
        ),
        id="completely-aligned",
    ),
    pytest.param(
        Case(
            "A U.S. defense chief last spoke with Shoygu in August 2014, according to the "
            "Pentagon, which said high-level contacts were suspended after Russia annexed Crimea "
            "and intervened in Ukraine.",
            13,
        ),
        id="last-spoke-august-2014",
    ),
    pytest.param(
        Case(
            "Dmitry Peskov, the Kremlin's spokesman, said he was not aware of any such messages "
            "about Syria being sent by Russian soldiers.",
            14,
        ),
        id="peskov-unaware",
    ),
]

DIFFERENT_CLAIMS = [
    pytest.param(
        Case(
            "Military talks between the USA and Russia on the Syrian crisis began Monday with a "
            "telephone call between Defense Secretary Ash Carter and Russian Defense Minister "
            "Sergei Shoigu.",
            8,
        ),
        id="talks-began-monday",
    ),
    pytest.param(
        Case(
            "Military talks between the US and Russia on the Syrian crisis began Friday with a "
            "telephone call between Secretary of State John Kerry and Russian Foreign Minister "
            "Sergei Lavrov.",
            8,
        ),
        id="talks-began-other-officials",
    ),
    pytest.param(
        Case(
            "The last time a U.S. defense chief spoke with Shoigu was in August 2013, the Pentagon "
            "said, adding high-level communications were halted after Russia's annexation of "
            "Crimea and its intervention in Ukraine.",
            13,
        ),
        id="last-spoke-other-year",
    ),
    pytest.param(
        Case(
            "Russian Foreign Ministry spokeswoman Maria Zakharova said she was unaware of any such "
            "messages about Syria having been sent by Russian soldiers.",
            14,
        ),
        id="other-spokesperson-unaware",
    ),
    pytest.param(
        Case(
            "Russia's buildup at Syria's Tartus naval base raises the possibility of air combat "
            "missions in Syrian airspace.",
            5,
        ),
        id="other-base",
    ),
    pytest.param(
        Case(
            "Kerry met Russian Foreign Minister Sergei Lavrov in New York on Sunday to discuss the "
            "conflict in Syria.",
            11,
        ),
        id="kerry-met-lavrov",
    ),
    pytest.param(
        Case("Carter and Shoigu spoke for about 50 minutes, the Pentagon said.", 8),
        id="call-length",
    ),
    pytest.param(
        Case(
            "Russian officials said their air strikes in Syria targeted Islamic State positions "
            "near Palmyra.",
            4,
        ),
        id="air-strikes-palmyra",
    ),
    pytest.param(
        Case(
            "Kerry said Assad could remain in office during a transition negotiated in Geneva.", 1
        ),
        id="assad-could-stay",
    ),
    pytest.param(
        Case("Cook said the two men agreed to meet in person next month to discuss Syria.", 6),
        id="meet-next-month",
    ),
]


def _case_texts(params: Sequence[Any]) -> list[str]:
    """The sentences of pytest.param(Case(...)) entries, to build the other outlet's article."""
    return [param.values[0].text for param in params]


OTHER_OUTLET = "\n".join(_case_texts(PARAPHRASES) + _case_texts(DIFFERENT_CLAIMS))


@dataclass
class Story:
    """The wire's article and the other outlet's, as stored, with the suggestions ingest made."""

    session: Session
    seed: dict[str, Claim]  # seed line -> its claim
    other: dict[str, Claim]  # sentence -> its claim

    def suggested_seed_lines(
        self, text: str, kind: SuggestionKind = SuggestionKind.DUPLICATE
    ) -> dict[str, float]:
        """Seed lines suggested as duplicates (or variants) of the other outlet's sentence, with
        scores."""
        claim = self.other[text]
        by_id = {c.id: line for line, c in self.seed.items()}
        rows = self.session.exec(
            select(DuplicateSuggestion).where(
                DuplicateSuggestion.claim_id == claim.id, DuplicateSuggestion.kind == kind
            )
        ).all()
        return {by_id[row.candidate_id]: row.score for row in rows if row.candidate_id in by_id}


def _ingest(session: Session, body: str, outlet: str) -> dict[str, Claim]:
    result = ingest_article(session, ArticleInput(body=body, title=outlet, outlet=outlet))
    claims = session.exec(select(Claim).where(Claim.article_id == result.article.id)).all()
    return {claim.text: claim for claim in claims}


@pytest.fixture
def story(session: Session) -> Story:
    seed = _ingest(session, SEED_FILE.read_text(encoding="utf-8"), "Wire service")
    assert set(SEED_LINES) <= set(seed), "every seed line should be a claim of its own"
    other = _ingest(session, OTHER_OUTLET, "Other outlet")
    assert set(_case_texts(PARAPHRASES) + _case_texts(DIFFERENT_CLAIMS)) <= set(other)
    return Story(session, seed, other)


@pytest.mark.parametrize("case", PARAPHRASES)
def test_another_outlets_paraphrase_is_suggested_as_a_duplicate(story: Story, case: Case) -> None:
    suggested = story.suggested_seed_lines(case.text)
    assert SEED_LINES[case.seed_line] in suggested, suggested
    assert all(DUPLICATE_THRESHOLD <= score <= 100 for score in suggested.values())


@pytest.mark.parametrize("case", DIFFERENT_CLAIMS)
def test_a_different_claim_on_the_same_story_is_not_suggested(story: Story, case: Case) -> None:
    assert story.suggested_seed_lines(case.text) == {}


@pytest.mark.parametrize(
    ("case", "changed"),
    [
        pytest.param(param.values[0], changed, id=param.id)
        for param, changed in zip(
            DIFFERENT_CLAIMS[:1] + DIFFERENT_CLAIMS[2:4] + DIFFERENT_CLAIMS[4:5],
            ["monday ≠ friday", "2013 ≠ 2014", "zakharova ≠ peskov", "tartus ≠ latakia"],
            strict=True,
        )
    ],
)
def test_the_same_words_with_one_fact_changed_are_a_variant(
    story: Story, case: Case, changed: str
) -> None:
    # Worded like the seed line but stating another fact: suggested as a variant, so the editor
    # sees the mutated copy and what changed, never as the same claim.
    assert SEED_LINES[case.seed_line] in story.suggested_seed_lines(
        case.text, SuggestionKind.VARIANT
    )
    claim, original = story.other[case.text], story.seed[SEED_LINES[case.seed_line]]
    summary = compare_texts(
        claim.text, claim.normalized_text, original.text, original.normalized_text
    ).summary()
    ours, theirs = changed.split(" ≠ ")
    assert ours in summary.casefold() and theirs in summary.casefold(), summary


def test_the_wire_article_gets_no_suggestions_of_its_own(story: Story) -> None:
    # Suggestions point from the newer claim to the archived one, never within one article.
    seed_ids = {claim.id for claim in story.seed.values()}
    rows = story.session.exec(
        select(DuplicateSuggestion).where(DuplicateSuggestion.claim_id.in_(seed_ids))
    ).all()
    assert rows == []


# --- find_suggestions -------------------------------------------------------------------------

REPEATED = "Any secret deployment of troops to Syria would be illegal, he said."
REPEATED_AGAIN = "He said any covert deployment of troops to Syria would be illegal."


def _suggestions(session: Session) -> list[DuplicateSuggestion]:
    return list(session.exec(select(DuplicateSuggestion)).all())


def test_no_suggestion_within_one_article(session: Session) -> None:
    # An article may restate its own lead; that is not news to anyone.
    claims = _ingest(session, f"{REPEATED}\nTalks began on Friday.\n{REPEATED_AGAIN}", "Wire")
    assert len(claims) == 3
    assert _suggestions(session) == []
    assert find_suggestions(session, list(claims.values()), fresh=False) == []
    # The control: the same sentence in another outlet's article is suggested.
    other = _ingest(session, REPEATED_AGAIN, "Other outlet")
    suggested = {(s.claim_id, s.candidate_id) for s in _suggestions(session)}
    assert (other[REPEATED_AGAIN].id, claims[REPEATED].id) in suggested


@pytest.fixture
def rejected(session: Session) -> tuple[Claim, Claim]:
    """A wire claim and another outlet's repeat of it, whose suggestion an editor rejected."""
    wire = _ingest(session, REPEATED, "Wire")[REPEATED]
    repeat = _ingest(session, REPEATED_AGAIN, "Other outlet")[REPEATED_AGAIN]
    suggestion = session.exec(select(DuplicateSuggestion)).one()
    assert (suggestion.claim_id, suggestion.candidate_id) == (repeat.id, wire.id)
    suggestion.state = SuggestionState.REJECTED
    session.add(suggestion)
    session.commit()
    return wire, repeat


def test_a_rejected_pair_is_not_suggested_again(
    session: Session, rejected: tuple[Claim, Claim]
) -> None:
    wire, repeat = rejected
    assert find_suggestions(session, [repeat], fresh=False) == []
    # Nor the other way round, when the archived claim is the one re-matched.
    assert find_suggestions(session, [wire], fresh=False) == []
    session.commit()
    assert [(s.claim_id, s.state) for s in _suggestions(session)] == [
        (repeat.id, SuggestionState.REJECTED)
    ]


def test_a_rejected_pair_does_not_hide_other_duplicates(
    session: Session, rejected: tuple[Claim, Claim]
) -> None:
    # A third outlet repeats it too: rejecting one pair must not silence the claim for good.
    third = "Any secret deployment of troops to Syria would be illegal, the minister said."
    claim = _ingest(session, third, "Third outlet")[third]
    pairs = {(s.claim_id, s.candidate_id) for s in _suggestions(session)}
    assert (claim.id, rejected[0].id) in pairs
    assert (claim.id, rejected[1].id) in pairs


def test_re_matching_keeps_a_pending_suggestion_once(session: Session) -> None:
    # Re-matching (after an alias edit, say) must neither insert the same pair again, which the
    # unique constraint would refuse, nor add the mirrored pair from the archived claim's side.
    wire = _ingest(session, REPEATED, "Wire")[REPEATED]
    repeat = _ingest(session, REPEATED_AGAIN, "Other outlet")[REPEATED_AGAIN]
    assert len(_suggestions(session)) == 1
    assert find_suggestions(session, [repeat], fresh=False) == []
    assert find_suggestions(session, [wire], fresh=False) == []
    session.commit()
    assert [(s.claim_id, s.candidate_id, s.state) for s in _suggestions(session)] == [
        (repeat.id, wire.id, SuggestionState.PENDING)
    ]


# --- find_similar -------------------------------------------------------------------------------

TALKS_QUERY = (
    "Military talks between the United States and Russia on the Syrian crisis began on Friday "
    "with a phone call between Defense Secretary Ash Carter and Russian Defense Minister Sergei "
    "Shoigu."
)


def test_find_similar_ranks_and_flags(session: Session) -> None:
    seed = _ingest(session, SEED_FILE.read_text(encoding="utf-8"), "Wire service")
    found = find_similar(session, TALKS_QUERY, limit=5)
    assert 1 < len(found) <= 5
    assert found[0].claim.id == seed[SEED_LINES[8]].id
    assert found[0].duplicate
    scores = [hit.score for hit in found]
    assert scores == sorted(scores, reverse=True)
    for hit in found:
        assert 0 <= hit.score <= 100
        assert 0 <= hit.duplicate_score <= 100
        assert hit.duplicate == (hit.duplicate_score >= DUPLICATE_THRESHOLD)
    # Another seed line on the same story is similar but not the same claim.
    assert not all(hit.duplicate for hit in found)
    assert find_similar(session, TALKS_QUERY, limit=1) == found[:1]

    # A fragment of a claim finds that claim first (it is what the text is about), but it is not
    # the same claim: ranking and the duplicate flag come from different scores.
    (fragment,) = find_similar(session, "Secret deployment of troops.", limit=1)
    assert fragment.claim.id == seed[SEED_LINES[9]].id
    assert fragment.duplicate_score < DUPLICATE_THRESHOLD
    assert not fragment.duplicate


def test_the_text_index_follows_a_corrected_claim(session: Session) -> None:
    """The index is kept by the database (FTS5 triggers; PostgreSQL's stored vector is generated
    from the row), so a claim whose text is corrected is found by its new words at once."""
    seed = _ingest(session, SEED_FILE.read_text(encoding="utf-8"), "Wire service")
    claim = seed[SEED_LINES[8]]

    def found(text: str) -> list[int]:
        return text_index.candidate_ids(session, content_words(normalize(text)), 10)

    assert claim.id in found("Shoigu Carter")
    claim.normalized_text = normalize("Ministers of the Zanzibar archipelago met in Quelimane.")
    claim.normalized_title = normalize("Xylophone diplomacy")
    session.add(claim)
    session.flush()
    assert claim.id not in found("Shoigu Carter")
    assert found("Zanzibar Quelimane") == [claim.id]
    assert found("xylophone") == [claim.id]


@pytest.mark.parametrize("query", ["", "   ", "!!! ...", "The of and it was to be."])
def test_a_query_without_content_words_finds_nothing(session: Session, query: str) -> None:
    _ingest(session, SEED_FILE.read_text(encoding="utf-8"), "Wire service")
    assert find_similar(session, query) == []


@pytest.fixture
def second_engine(settings: Settings) -> Iterator[sa.Engine]:
    """Another worker's engine on the same database, made the way every process makes it."""
    engine = make_engine(settings)
    yield engine
    engine.dispose()


def test_one_archive_for_every_worker(engine: sa.Engine, second_engine: sa.Engine) -> None:
    wire = "Military talks between the US and Russia on the Syrian crisis began Friday."
    with read_session(second_engine) as reader:
        assert find_similar(reader, TALKS_QUERY) == []  # this worker has looked already
    with committed(engine) as writer:
        stored = _ingest(writer, wire, "Wire")[wire].id
    with read_session(second_engine) as reader:
        assert [hit.claim.id for hit in find_similar(reader, TALKS_QUERY)] == [stored]

    # And the other way round: what the second worker stores, the first one finds.
    other = "Kremlin spokesman Dmitry Peskov said he was unaware of any such messages."
    with write_session(second_engine) as writer:
        stored = _ingest(writer, other, "Other outlet")[other].id
    with read_session(engine) as reader:
        found = find_similar(reader, "Dmitry Peskov said he was unaware of any such messages.")
    assert found[0].claim.id == stored


# --- CLI: claims import / claims similar --------------------------------------------------------

Invoke = Callable[..., Result]

ARCHIVE = [
    {
        "id": "snopes-talks-friday",
        "text": "Military talks between the US and Russia on Syria began Friday with a call "
        "between Ash Carter and Sergei Shoigu.",
        "title": "Did US-Russia Military Talks Begin on Friday?",
        "verdict": "True",
        "url": "https://example.org/fact-check/talks-friday",
        "date": "19 September 2015",
    },
    {
        "id": "snopes-troops-illegal",
        "text": "Any secret deployment of Russian troops to Syria would be illegal.",
        "verdict": "Mostly False",
        "url": "https://example.org/fact-check/troops",
        "date": "2015-09-20",
    },
    {
        "id": "snopes-latakia",
        "text": "Russia is building up an airbase at Latakia in Syria for air combat missions.",
        "title": "Is Russia Building Up a Syrian Airbase?",
    },
]


@pytest.fixture
def invoke(app: Flask, runner: FlaskCliRunner) -> Invoke:
    def run(*args: str) -> Result:
        # The commands reach the database through current_app.
        with app.app_context():
            return runner.invoke(args=list(args))

    return run


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _count(engine: sa.Engine, model: type) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_claims_import_stores_the_archive(
    invoke: Invoke, engine: sa.Engine, tmp_path: Path
) -> None:
    result = invoke("claims", "import", str(_jsonl(tmp_path / "archive.jsonl", ARCHIVE)))
    assert result.exit_code == 0, result.output
    assert "Imported 3 claim(s)" in result.stdout
    with read_session(engine) as session:
        rows = session.exec(select(Claim, Article).join(Article)).all()
    stored = {claim.external_id: (claim, article) for claim, article in rows}
    assert set(stored) == {r["id"] for r in ARCHIVE}

    claim, article = stored["snopes-talks-friday"]
    assert claim.text == ARCHIVE[0]["text"]
    assert claim.title == ARCHIVE[0]["title"]
    assert claim.verdict == Verdict.SUPPORTED
    assert claim.status == ClaimStatus.VERDICT
    assert "shoigu" in claim.normalized_text.split()
    assert claim.normalized_title
    assert article.url == ARCHIVE[0]["url"]
    assert article.published_at is not None
    assert (article.published_at.year, article.published_at.month) == (2015, 9)
    assert article.published_at.day == 19

    assert stored["snopes-troops-illegal"][0].verdict == Verdict.REFUTED
    assert stored["snopes-troops-illegal"][1].published_at.day == 20
    latakia, latakia_article = stored["snopes-latakia"]
    assert (latakia.verdict, latakia.status) == (None, ClaimStatus.NEW)
    assert latakia_article.url is None


def test_claims_import_twice_skips_what_is_in(
    invoke: Invoke, engine: sa.Engine, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "archive.jsonl", ARCHIVE)
    assert invoke("claims", "import", str(path)).exit_code == 0
    longer = _jsonl(
        tmp_path / "longer.jsonl", [*ARCHIVE, {"id": "snopes-new", "text": "Talks began."}]
    )
    again = invoke("claims", "import", str(longer))
    assert again.exit_code == 0, again.output
    assert "Imported 1 claim(s)" in again.stdout
    assert "3 already in the archive" in again.stdout
    assert _count(engine, Claim) == 4
    assert _count(engine, Article) == 4


def test_claims_import_reports_every_bad_line_and_stores_nothing(
    invoke: Invoke, engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(
        json.dumps(ARCHIVE[0])
        + "\n{not json\n"
        + json.dumps(ARCHIVE[1])
        + "\n"
        + json.dumps({"id": "no-text"})
        + "\n\n"
        + json.dumps({"id": "bad-url", "text": "Talks began.", "url": "ftp://x"})
        + "\n",
        encoding="utf-8",
    )
    result = invoke("claims", "import", str(path))
    assert result.exit_code != 0
    for number in (2, 4, 6):
        assert f"line {number}:" in result.output, result.output
    for number in (1, 3):
        assert f"line {number}:" not in result.output
    assert _count(engine, Claim) == 0
    assert _count(engine, Article) == 0


def test_claims_import_refuses_an_unknown_verdict(
    invoke: Invoke, engine: sa.Engine, tmp_path: Path
) -> None:
    records = [ARCHIVE[0], {"id": "odd", "text": "Talks began.", "verdict": "Four Pinocchios"}]
    result = invoke("claims", "import", str(_jsonl(tmp_path / "odd.jsonl", records)))
    assert result.exit_code != 0
    assert "line 2:" in result.output
    assert "Four Pinocchios" in result.output
    assert _count(engine, Claim) == 0


def _similar(invoke: Invoke, path: Path, limit: int) -> list[dict]:  # type: ignore[type-arg]
    result = invoke("claims", "similar", "--input", str(path), "--limit", str(limit))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


QUERIES = [
    {
        "id": "q-talks",
        "text": "US-Russia military talks on Syria started on Friday with a phone call between "
        "Carter and Shoygu, the Pentagon said.",
    },
    {"id": 7, "text": "Secret deployment of Russian troops to Syria would be illegal."},
    {"id": "q-nothing", "text": "The of and it was."},
]


def test_claims_similar_answers_each_query_ranked(
    invoke: Invoke, tmp_path: Path, engine: sa.Engine
) -> None:
    assert invoke("claims", "import", str(_jsonl(tmp_path / "a.jsonl", ARCHIVE))).exit_code == 0
    answers = _similar(invoke, _jsonl(tmp_path / "q.jsonl", QUERIES), limit=3)
    assert [a["query_id"] for a in answers] == ["q-talks", 7, "q-nothing"]
    talks, troops, nothing = (a["results"] for a in answers)
    assert talks[0]["claim_id"] == "snopes-talks-friday"
    assert troops[0]["claim_id"] == "snopes-troops-illegal"
    assert nothing == []
    for results in (talks, troops):
        assert 1 < len(results) <= 3
        scores = [r["score"] for r in results]
        assert scores == sorted(scores, reverse=True)
        assert all(0 <= s <= 100 for s in scores)
        assert all(isinstance(r["duplicate"], bool) for r in results)
        assert {r["claim_id"] for r in results} <= {r["id"] for r in ARCHIVE}
    assert talks[0]["duplicate"] is True
    assert troops[0]["duplicate"] is True
    # The CLI reports what find_similar decides.
    with read_session(engine) as session:
        direct = find_similar(session, QUERIES[0]["text"], limit=3)
    assert [(h.claim.external_id, h.score, h.duplicate) for h in direct] == [
        (r["claim_id"], r["score"], r["duplicate"]) for r in talks
    ]


def test_claims_similar_respects_the_limit(invoke: Invoke, tmp_path: Path) -> None:
    assert invoke("claims", "import", str(_jsonl(tmp_path / "a.jsonl", ARCHIVE))).exit_code == 0
    queries = _jsonl(tmp_path / "q.jsonl", QUERIES[:1])
    assert len(_similar(invoke, queries, limit=5)[0]["results"]) > 1
    (answer,) = _similar(invoke, queries, limit=1)
    assert [r["claim_id"] for r in answer["results"]] == ["snopes-talks-friday"]


def test_claims_similar_names_claims_without_external_id_by_number(
    invoke: Invoke, session: Session, tmp_path: Path
) -> None:
    seed = _ingest(session, SEED_FILE.read_text(encoding="utf-8"), "Wire service")
    (answer,) = _similar(
        invoke, _jsonl(tmp_path / "q.jsonl", [{"id": "q", "text": TALKS_QUERY}]), limit=3
    )
    results = answer["results"]
    assert len(results) == 3
    assert results[0]["claim_id"] == seed[SEED_LINES[8]].id
    assert all(isinstance(r["claim_id"], int) for r in results)
    assert {r["claim_id"] for r in results} <= {claim.id for claim in seed.values()}


def test_a_claim_repeated_in_many_articles_gets_only_its_best_suggestions(
    session: Session,
) -> None:
    """A line carried by many outlets should not bury the claim page under copies."""
    line = (
        "Russia sent 28 tanks and 600 marines to the Latakia airbase near Jableh in early "
        "September."
    )
    for copy in range(SUGGESTIONS_PER_CLAIM + 3):
        # Each outlet's article differs elsewhere, so none is refused as the same article.
        body = f"{line}\n\nThe outlet filed its story number {copy + 1} on the buildup that week."
        ingest_article(session, ArticleInput(body=body, title=f"Copy {copy}"))
    reworded = (
        "In early September Russia sent 28 tanks and 600 marines to the Latakia airbase near "
        "Jableh."
    )
    result = ingest_article(session, ArticleInput(body=reworded, title="Another outlet"))
    (claim,) = session.exec(select(Claim).where(Claim.article_id == result.article.id)).all()
    suggested = session.exec(
        select(DuplicateSuggestion).where(DuplicateSuggestion.claim_id == claim.id)
    ).all()
    assert len(suggested) == SUGGESTIONS_PER_CLAIM
    assert result.suggestions == SUGGESTIONS_PER_CLAIM
    assert all(s.score >= DUPLICATE_THRESHOLD for s in suggested)


def test_a_word_past_the_count_cap_is_never_searched_as_a_telling_word(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL counts a word only up to the cap; at a million claims the bar for a common word
    was the cap itself, so every capped word ("said", "percent") went into the index query and
    a search ranked most of the archive (3.5 s p95 in benchmarks/matching.py --database)."""
    from claim_data import add_article, add_claim

    from workbench.matching import similar

    monkeypatch.setattr(text_index, "DOC_COUNT_CAP", 3)
    monkeypatch.setattr(similar, "SEARCH_POSTINGS", 2)  # the budget must not take it back either
    article = add_article(session, "Ceasefire reports")
    for n in range(8):
        add_claim(session, article, f"The ceasefire held in district number {n} overnight.")
    counts = text_index.document_counts(session, ["ceasefir"])
    assert counts["ceasefir"] > text_index.DOC_COUNT_CAP  # exact, or "more than the cap"

    query = similar._prepare(session, normalize("ceasefire alpha bravo charlie delta echo"))
    assert "ceasefir" not in query.words
    assert len(query.words) >= similar.SEARCH_MIN_WORDS
