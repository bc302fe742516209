"""The review queue: priority order, the shared filters, keyset pages, counts, and the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import AuthActions
from flask.testing import FlaskClient
from sqlmodel import Session, select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim, ClaimStatus, DuplicateSuggestion, SuggestionState, Verdict
from workbench.review import verdicts as review
from workbench.review.filter_args import FilterError, filters_from_args
from workbench.review.priority import REPEAT_CAP, REPEAT_WEIGHT, priority, recount_repeats
from workbench.review.queue import (
    UNASSIGNED,
    ClaimFilters,
    claims_query,
    count_claims,
    list_claims,
    neighbours,
    status_counts,
)


def _ingest(
    session: Session, sentences: list[str], title: str, outlet: str | None = None
) -> list[int]:
    result = ingest_article(
        session, ArticleInput(body="\n".join(sentences), title=title, outlet=outlet)
    )
    return list(
        session.exec(
            select(Claim.id).where(Claim.article_id == result.article.id).order_by(Claim.position)
        ).all()
    )


def _ids(session: Session, filters: ClaimFilters) -> list[int]:
    return [claim.id for claim, _ in session.execute(claims_query(session, filters)).all()]


ROADS = [
    f"The council spent {i + 3} million dollars on road repairs in district {i}." for i in range(60)
]


def test_priority_adds_a_capped_bonus_for_each_repeat() -> None:
    assert priority(0.5, 0) == 0.5
    assert priority(0.5, 2) == pytest.approx(0.5 + 2 * REPEAT_WEIGHT)
    assert priority(0.5, 50) == priority(0.5, REPEAT_CAP)


def test_claims_come_by_priority_then_newest_and_repeats_lift_a_claim(session: Session) -> None:
    ids = _ingest(session, ROADS[:3], "Roads")
    session.execute(sa.update(Claim).values(check_worthiness=0.4, priority=0.4))
    session.commit()
    assert _ids(session, ClaimFilters()) == sorted(ids, reverse=True)  # equal: newest first

    # The oldest claim is repeated by two others elsewhere: it moves to the top.
    other = _ingest(session, ["An unrelated sentence about the weather in May was printed."], "W")
    pairs = ((other[0], SuggestionState.PENDING), (ids[1], SuggestionState.REJECTED))
    session.add_all(
        [
            DuplicateSuggestion(
                claim_id=claim, candidate_id=ids[0], score=80, method="test", state=state
            )
            for claim, state in pairs
        ]
    )
    session.flush()
    recount_repeats(session, [ids[0], ids[1], other[0]])
    session.commit()
    top = session.get(Claim, ids[0])
    assert top.repeat_count == 1  # the rejected pair does not count
    assert top.priority == pytest.approx(0.4 + REPEAT_WEIGHT)
    assert _ids(session, ClaimFilters())[0] == ids[0]


def test_keyset_pages_walk_the_whole_queue_both_ways(session: Session) -> None:
    _ingest(session, ROADS, "Roads")
    everything = _ids(session, ClaimFilters())
    first = list_claims(session, per_page=25)
    assert first.previous_cursor is None and first.next_cursor
    second = list_claims(session, after=first.next_cursor, per_page=25)
    third = list_claims(session, after=second.next_cursor, per_page=25)
    walked = [c.id for page in (first, second, third) for c, _ in page.items]
    assert walked == everything and len(third.items) == 10 and third.next_cursor is None
    back = list_claims(session, before=third.previous_cursor, per_page=25)
    assert [c.id for c, _ in back.items] == [c.id for c, _ in second.items]
    assert back.next_cursor and back.previous_cursor
    # A cursor that is not ours starts from the top instead of failing.
    assert [c.id for c, _ in list_claims(session, after="garbage", per_page=25).items] == [
        c.id for c, _ in first.items
    ]


def test_each_filter_narrows_the_queue(session: Session, users: dict[str, int]) -> None:
    wire = _ingest(
        session,
        [
            "Defense minister Sergei Shoigu met the delegation in Moscow on Friday.",
            "The ministry said 40 aircraft were moved to the base last week.",
        ],
        "Talks",
        outlet="Wire One",
    )
    daily = _ingest(session, ROADS[:2], "Roads", outlet="Daily Two")
    review.take(session, wire[1], users["editor"], 1)
    review.set_verdict(session, daily[0], users["admin"], 1, Verdict.REFUTED, "No such spending.")

    assert set(_ids(session, ClaimFilters(outlet="Wire One"))) == set(wire)
    assert _ids(session, ClaimFilters(status=ClaimStatus.IN_REVIEW)) == [wire[1]]
    assert _ids(session, ClaimFilters(verdict=Verdict.REFUTED)) == [daily[0]]
    assert _ids(session, ClaimFilters(assignee=users["editor"])) == [wire[1]]
    # Saving the verdict took daily[0] for the admin (issue 14: a verdict is its holder's).
    assert _ids(session, ClaimFilters(assignee=users["admin"])) == [daily[0]]
    assert set(_ids(session, ClaimFilters(assignee=UNASSIGNED))) == {wire[0], daily[1]}
    assert set(
        _ids(session, ClaimFilters(article_id=session.get(Claim, daily[0]).article_id))
    ) == set(daily)
    # Text search reads through aliases, like matching: "Shoygu" finds "Shoigu".
    assert _ids(session, ClaimFilters(text="Shoygu Moscow")) == [wire[0]]
    assert _ids(session, ClaimFilters(text="shoigu aircraft")) == []
    later = datetime.now(UTC) + timedelta(days=1)
    assert _ids(session, ClaimFilters(ingested_from=later)) == []
    changed = _ids(session, ClaimFilters(changed_from=datetime.now(UTC) - timedelta(minutes=5)))
    assert len(changed) == 4
    assert _ids(session, ClaimFilters(outlet="Wire One", status=ClaimStatus.VERDICT)) == []


def test_counts_are_capped_and_split_by_status(session: Session, users: dict[str, int]) -> None:
    ids = _ingest(session, ROADS[:12], "Roads")
    review.take(session, ids[0], users["editor"], 1)
    assert count_claims(session, ClaimFilters()) == 12
    assert count_claims(session, ClaimFilters(), cap=5) == 6  # "more than 5"
    counts = status_counts(session, ClaimFilters())
    assert counts == {
        ClaimStatus.NEW: 11,
        ClaimStatus.IN_REVIEW: 1,
        ClaimStatus.VERDICT: 0,
        ClaimStatus.DISMISSED: 0,
        ClaimStatus.RESOLVED: 0,
    }


def test_neighbours_follow_the_filtered_queue(session: Session) -> None:
    ids = _ingest(session, ROADS[:4], "Roads")
    order = _ids(session, ClaimFilters())
    middle = session.get(Claim, order[1])
    assert neighbours(session, middle, ClaimFilters()) == (order[0], order[2])
    first = session.get(Claim, order[0])
    assert neighbours(session, first, ClaimFilters())[0] is None
    assert neighbours(session, middle, ClaimFilters(text="nothing-like-this")) == (None, None)
    assert set(order) == set(ids)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"status": "done"}, "status must be one of"),
        ({"verdict": "true"}, "verdict must be one of"),
        ({"article_id": "x1"}, "whole number"),
        ({"assignee": "²"}, "whole number"),
        ({"ingested_from": "yesterday"}, "date"),
    ],
)
def test_bad_filter_values_name_the_filter(args: dict[str, str], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        filters_from_args(args)


def test_filters_round_trip_through_the_url() -> None:
    filters = filters_from_args(
        {
            "status": "in_review",
            "outlet": " Wire One ",
            "assignee": "none",
            "text": "bridge",
            "changed_from": "2026-11-01",
            "unknown": "ignored",
        }
    )
    assert filters.status == ClaimStatus.IN_REVIEW and filters.outlet == "Wire One"
    assert filters.assignee == UNASSIGNED and filters.changed_from.tzinfo is not None
    assert filters_from_args(filters.as_query()) == filters
    assert filters_from_args({}).is_empty()


# --- The page ---------------------------------------------------------------------------------


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


def _rows(html: str) -> list[str]:
    return re.findall(r'<a href="/claims/\d+[^"]*" data-open>([^<]*)</a>', html)


def test_queue_page_pages_through_more_than_fifty_claims(
    editor: FlaskClient, session: Session
) -> None:
    _ingest(session, ROADS, "Roads")
    first = editor.get("/claims/").get_data(as_text=True)
    assert "60 claims" in first
    following = re.search(r'rel="next" href="([^"]+)"', first)
    assert following and 'rel="prev"' not in first
    second = editor.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'rel="prev"' in second and 'rel="next"' not in second
    on_first, on_second = _rows(first), _rows(second)
    assert len(on_first) == 50 and len(on_second) == 10
    assert set(on_first) | set(on_second) == set(ROADS)


def test_queue_page_filters_and_keeps_them_in_claim_links(
    editor: FlaskClient, session: Session
) -> None:
    _ingest(session, ROADS[:3], "Roads", outlet="Daily Two")
    _ingest(
        session,
        ["The mayor said the bridge opened in 2019 after two years of work."],
        "Bridge",
        outlet="Wire One",
    )
    page = editor.get("/claims/?outlet=Wire+One&status=new").get_data(as_text=True)
    assert _rows(page) == ["The mayor said the bridge opened in 2019 after two years of work."]
    assert "outlet=Wire+One" in re.search(r'href="(/claims/\d+[^"]*)" data-open', page).group(1)
    assert editor.get("/claims/?status=finished").status_code == 400
    assert "No claims match these filters." in editor.get("/claims/?text=zebra").get_data(
        as_text=True
    )


def test_an_article_links_to_its_claims_in_the_queue(editor: FlaskClient, session: Session) -> None:
    ids = _ingest(session, ROADS[:2], "Roads")
    _ingest(session, ["The mayor said the bridge opened in 2019 after two years of work."], "B")
    article_id = session.get(Claim, ids[0]).article_id
    session.rollback()
    page = editor.get(f"/articles/{article_id}").get_data(as_text=True)
    link = re.search(r'href="(/claims/\?article_id=\d+)">review them in the queue', page)
    assert link
    assert set(_rows(editor.get(link.group(1)).get_data(as_text=True))) == set(ROADS[:2])


def test_a_common_word_filter_gives_the_same_page_by_either_plan(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.review.queue as queue

    _ingest(session, ROADS[:8], "Roads")
    _ingest(session, ["The mayor said the bridge opened in 2019 after two years of work."], "B")
    by_matches = _ids(session, ClaimFilters(text="district repairs"))
    monkeypatch.setattr(queue, "COMMON_TEXT_MATCHES", 0)  # every word counts as common
    assert _ids(session, ClaimFilters(text="district repairs")) == by_matches
    assert len(by_matches) == 8
    assert status_counts(session, ClaimFilters(text="district")) == {
        ClaimStatus.NEW: 8,
        ClaimStatus.IN_REVIEW: 0,
        ClaimStatus.VERDICT: 0,
        ClaimStatus.DISMISSED: 0,
        ClaimStatus.RESOLVED: 0,
    }


def test_big_outlets_and_verdict_filters_give_the_same_claims_by_either_plan(
    session: Session, users: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.review.queue as queue

    wire = _ingest(session, ROADS[:5], "Roads", outlet="Wire One")
    _ingest(session, ROADS[5:8], "More roads", outlet="Daily Two")
    review.set_verdict(session, wire[2], users["editor"], 1, Verdict.MIXED, "Partly.")
    small = _ids(session, ClaimFilters(outlet="Wire One"))
    monkeypatch.setattr(queue, "BIG_OUTLET_ARTICLES", 0)
    assert _ids(session, ClaimFilters(outlet="Wire One")) == small and len(small) == 5
    assert _ids(session, ClaimFilters(status=ClaimStatus.VERDICT, verdict=Verdict.MIXED)) == [
        wire[2]
    ]
    assert _ids(session, ClaimFilters(status=ClaimStatus.NEW, verdict=Verdict.MIXED)) == []


def test_a_broad_text_search_leaves_the_status_split_unknown(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.review.queue as queue

    _ingest(session, ROADS[:6], "Roads")
    monkeypatch.setattr(queue, "COUNT_CAP", 5)
    assert status_counts(session, ClaimFilters(text="district")) == dict.fromkeys(ClaimStatus)
    assert status_counts(session, ClaimFilters(text="district 3"))[ClaimStatus.NEW] is not None


def test_the_filtered_queue_offers_an_export_of_the_same_claims(
    editor: FlaskClient, session: Session
) -> None:
    _ingest(session, ROADS[:3], "Roads", outlet="Daily Two")
    page = editor.get("/claims/?outlet=Daily+Two&status=new").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Export these claims', page)
    assert link and "outlet=Daily+Two" in link.group(1) and "status=new" in link.group(1)
    assert editor.get(link.group(1).replace("&amp;", "&")).status_code == 200


def test_ingest_counts_repeats_and_a_rejection_takes_them_back(
    session: Session, users: dict[str, int]
) -> None:
    from workbench.models import DuplicateSuggestion
    from workbench.review import duplicates

    (first,) = _ingest(
        session, ["Defense minister Sergei Shoigu met the delegation in Moscow on Friday."], "One"
    )
    (second,) = _ingest(
        session,
        ["Russian defense minister Sergei Shoygu met the delegation in Moscow on Friday."],
        "Two",
    )
    suggestion = session.exec(select(DuplicateSuggestion)).one()
    for claim_id in (first, second):
        claim = session.get(Claim, claim_id)
        assert claim.repeat_count == 1
        assert claim.priority == pytest.approx(priority(claim.check_worthiness, 1))
    duplicates.reject(session, suggestion.id, users["editor"])
    session.expire_all()
    assert [session.get(Claim, i).repeat_count for i in (first, second)] == [0, 0]
    assert session.get(Claim, first).priority == pytest.approx(
        priority(session.get(Claim, first).check_worthiness, 0)
    )
