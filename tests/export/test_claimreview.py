"""ClaimReview that can be published: every exported record is checked against Google's rules
for fact-check markup as the README maps them, and an export whose fact-check pages would live
on a loopback or unset address is refused (CSV and JSON Lines are not)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from claim_data import add_article, add_claim, approve, suggest
from conftest import AuthActions, committed
from flask import Flask
from sqlmodel import Session, select

from workbench import export
from workbench.accounts import tokens
from workbench.export.claimreview import BEST_RATING, RATINGS, WORST_RATING, claimant_type
from workbench.intake.archive import ArchivedClaim, import_archive
from workbench.models import Article, Claim, ClaimStatus, Verdict, VerdictState
from workbench.review import duplicates
from workbench.review import verdicts as review
from workbench.review.queue import ClaimFilters

PUBLISHER = export.Publisher("Example Checks", "https://checks.example/", "https://checks.example")
DAY = datetime(2024, 3, 1, tzinfo=UTC)


def _reviews(session: Session, publisher: export.Publisher = PUBLISHER) -> list[dict[str, Any]]:
    return json.loads("".join(export.export(session, "claimreview", ClaimFilters(), publisher)))


def _verdict(
    session: Session, claim: Claim, editor: int, verdict: str, approved: datetime | None
) -> None:
    review.set_verdict(session, claim.id, editor, claim.version, verdict, f"Because {verdict}.")
    session.commit()
    if approved is not None:
        approve(session, claim.id, approved)
    else:  # saved, awaiting sign-off
        claim = session.get(Claim, claim.id)
        claim.verdict_state, claim.approved_at = VerdictState.DRAFT, None
        session.commit()


@pytest.fixture
def newsroom(session: Session, users: dict[str, int]) -> dict[str, int]:
    """Claims in every state a review can be in: approved ones with and without claimants, a
    cluster whose original has no date, drafts, one sent back, a dismissed one, an archive."""
    editor = users["editor"]
    undated = add_article(session, "Undated original", url="https://zero.example/a", outlet="Zero")
    dated_late = add_article(
        session, "Late", url="https://two.example/b", outlet="Two", published_at=DAY + timedelta(4)
    )
    dated_early = add_article(
        session, "Early", url="https://one.example/c", outlet="One", published_at=DAY
    )
    undated_later = add_article(session, "Undated later", outlet="Three")
    canonical = add_claim(
        session, dated_late, "The river rose ten metres", claimant="the Environment Agency"
    )
    repeats = [
        add_claim(session, article, text)
        for article, text in (
            (undated, "The river rose 10 metres"),
            (dated_early, "The river rose by ten metres"),
            (undated_later, "River rose ten metres"),
        )
    ]
    for repeat in repeats:
        duplicates.confirm(session, suggest(session, repeat, canonical), editor)
        session.commit()
    session.refresh(canonical)
    _verdict(session, canonical, editor, "refuted", DAY + timedelta(10))

    other = add_article(session, "Other", url="https://four.example/d", outlet="Four")
    ids = {"canonical": canonical.id, "repeats": [r.id for r in repeats]}
    for n, (verdict, claimant) in enumerate(
        [
            ("supported", "Kerry"),
            ("mixed", "NASA"),
            ("unverifiable", None),
            ("refuted", "Kremlin spokesman Dmitry Peskov"),
        ]
    ):
        claim = add_claim(session, other, f"Approved claim {n}", claimant=claimant)
        _verdict(session, claim, editor, verdict, DAY + timedelta(20 + n))
    draft = add_claim(session, other, "A draft awaiting sign-off", claimant="Kerry")
    _verdict(session, draft, editor, "refuted", None)
    sent_back = add_claim(session, other, "A verdict sent back")
    _verdict(session, sent_back, editor, "supported", None)
    sent_back = session.get(Claim, sent_back.id)
    sent_back.verdict_state = VerdictState.SENT_BACK
    dismissed = add_claim(session, other, "Set aside after an approved verdict")
    _verdict(session, dismissed, editor, "refuted", DAY)
    dismissed = session.get(Claim, dismissed.id)
    dismissed.status = ClaimStatus.DISMISSED
    add_claim(session, other, "Never checked")
    session.commit()
    import_archive(
        session,
        [
            ArchivedClaim(
                external_id="arch-1",
                text="The bridge opened in 2021",
                verdict=Verdict.SUPPORTED,
                url="https://archive.example/1",
                date=DAY - timedelta(100),
            ),
            ArchivedClaim(external_id="arch-2", text="An archived claim without a verdict"),
        ],
    )
    session.commit()
    ids["draft"], ids["sent_back"], ids["dismissed"] = draft.id, sent_back.id, dismissed.id
    return ids


def _published(session: Session) -> dict[int, Claim]:
    """The claims that should be reviews: their own approved verdict, not set aside."""
    claims = session.exec(
        select(Claim).where(
            Claim.verdict.is_not(None),
            Claim.verdict_state == VerdictState.APPROVED,
            Claim.status != ClaimStatus.DISMISSED,
        )
    ).all()
    return {claim.id: claim for claim in claims}


def _appearances(session: Session, claim: Claim) -> list[Article]:
    """The articles carrying the claim or a confirmed repeat, in the order the rules ask for:
    the earliest publication first, then the undated ones by ingest time."""
    ids = {claim.article_id}
    if claim.cluster_id is not None:
        ids |= set(
            session.exec(select(Claim.article_id).where(Claim.cluster_id == claim.cluster_id))
        )
    articles = session.exec(select(Article).where(Article.id.in_(ids))).all()
    return sorted(
        articles,
        key=lambda a: (a.published_at is None, a.published_at or a.ingested_at, a.id),
    )


def _check_record(record: dict[str, Any], claim: Claim, session: Session) -> None:
    """One exported record against the rules (README, "ClaimReview": each field's source)."""
    assert record["@context"] == "https://schema.org"
    assert record["@type"] == "ClaimReview"
    # url: the public fact-check page.
    url = urlsplit(record["url"])
    assert url.scheme == "https" and url.hostname == "checks.example"
    assert record["url"] == f"https://checks.example/claims/{claim.id}"
    # claimReviewed: the claim's text.
    assert record["claimReviewed"] == claim.text
    # datePublished: the approval date, nothing else.
    assert record["datePublished"] == claim.approved_at.date().isoformat()
    # author: the publisher.
    assert record["author"] == {
        "@type": "Organization",
        "name": "Example Checks",
        "url": "https://checks.example/",
    }
    # reviewRating: alternateName always; the 1-5 numbers where the verdict has a place on it.
    rating = record["reviewRating"]
    assert rating["@type"] == "Rating"
    name, value = RATINGS[Verdict(claim.verdict)]
    assert isinstance(rating["alternateName"], str) and rating["alternateName"] == name
    if value is None:
        assert claim.verdict == Verdict.UNVERIFIABLE
        assert not {"ratingValue", "bestRating", "worstRating"} & rating.keys()
    else:
        assert all(isinstance(rating[k], int) for k in ("ratingValue", "bestRating", "worstRating"))
        assert (rating["worstRating"], rating["bestRating"]) == (WORST_RATING, BEST_RATING)
        assert WORST_RATING <= rating["ratingValue"] == value <= BEST_RATING
    assert rating.get("ratingExplanation") == claim.verdict_summary
    # itemReviewed: a Claim by the claimant (never the outlet), where it appeared.
    item = record["itemReviewed"]
    assert item["@type"] == "Claim"
    if claim.claimant:
        assert item["author"] == {"@type": claimant_type(claim.claimant), "name": claim.claimant}
    else:
        assert "author" not in item
    expected = _appearances(session, claim)
    assert [a["headline"] for a in item["appearance"]] == [a.title for a in expected]
    for work, article in zip(item["appearance"], expected, strict=True):
        assert work["@type"] == "CreativeWork"
        assert work.get("url") == article.url
        if article.outlet:
            assert work["publisher"] == {"@type": "Organization", "name": article.outlet}
    assert item["firstAppearance"] == item["appearance"][0]
    if claim.external_id:
        assert record["identifier"] == claim.external_id


def test_every_exported_record_follows_the_rules(
    session: Session, newsroom: dict[str, Any]
) -> None:
    records = _reviews(session)
    published = _published(session)
    by_id = {int(r["url"].rsplit("/", 1)[1]): r for r in records}
    assert len(by_id) == len(records)
    # Exactly the approved, not dismissed, verdicts: no draft, nothing sent back or set aside,
    # no repeat that only inherits its verdict, nothing unchecked.
    assert set(by_id) == set(published)
    assert not {newsroom["draft"], newsroom["sent_back"], newsroom["dismissed"]} & set(by_id)
    assert not set(newsroom["repeats"]) & set(by_id)
    assert len(records) == 6  # the cluster's, four more, the archive's
    for claim_id, record in by_id.items():
        _check_record(record, published[claim_id], session)


def test_the_first_appearance_is_the_earliest_dated_article(
    session: Session, newsroom: dict[str, Any]
) -> None:
    (record,) = [r for r in _reviews(session) if r["claimReviewed"] == "The river rose ten metres"]
    item = record["itemReviewed"]
    # The undated original came in first, but nobody knows when it was published: the earliest
    # dated article is the first appearance, and the undated ones come last, by ingest time.
    assert [a["headline"] for a in item["appearance"]] == [
        "Early",
        "Late",
        "Undated original",
        "Undated later",
    ]
    assert item["firstAppearance"]["url"] == "https://one.example/c"
    assert item["author"] == {"@type": "Organization", "name": "the Environment Agency"}
    assert record["datePublished"] == "2024-03-11"


@pytest.mark.parametrize(
    ("claimant", "kind"),
    [
        ("Kerry", "Person"),
        ("Kremlin spokesman Dmitry Peskov", "Person"),
        ("the Foreign Secretary", "Person"),
        ("the Pentagon", "Organization"),
        ("the ministry", "Organization"),
        ("NASA", "Organization"),
        ("Bank of England", "Organization"),
    ],
)
def test_a_claimant_is_a_person_unless_the_name_says_organisation(claimant: str, kind: str) -> None:
    assert claimant_type(claimant) == kind


@pytest.mark.parametrize(
    "public_url",
    [
        "",
        "http://127.0.0.1:5000",
        "http://localhost:5000/{id}",
        "https://10.1.2.3/checks",
        "http://[::1]/",
        "https://workbench/claims",
    ],
)
def test_claimreview_for_an_address_nobody_can_reach_is_refused(
    session: Session, public_url: str
) -> None:
    publisher = export.Publisher("Desk", "https://desk.example/", public_url)
    with pytest.raises(export.ExportError, match="WORKBENCH_PUBLIC_URL") as refused:
        export.export(session, "claimreview", ClaimFilters(), publisher)
    assert refused.value.code == "not_publishable"
    add_claim(session, add_article(session), "A claim")
    for other in ("csv", "jsonl"):  # not affected
        assert "A claim" in "".join(export.export(session, other, ClaimFilters(), publisher))


@pytest.fixture
def loopback_app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(public_url="http://127.0.0.1:5000")


def test_the_page_the_api_and_the_cli_say_why_claimreview_is_refused(
    loopback_app: Flask, engine: sa.Engine, users: dict[str, int]
) -> None:
    client = loopback_app.test_client()
    AuthActions(client).login("viewer")
    page = client.get("/export/download?format=claimreview")
    assert page.status_code == 400
    assert "WORKBENCH_PUBLIC_URL" in page.get_data(as_text=True)
    assert client.get("/export/download?format=csv").status_code == 200

    with committed(loopback_app.extensions["workbench.engine"]) as db:
        token = tokens.create_token(db, users["viewer"], "script")[1]
    answer = client.get(
        "/api/export?format=claimreview", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"]["code"] == "not_publishable"
    assert "WORKBENCH_PUBLIC_URL" in body["error"]["message"]

    runner = loopback_app.test_cli_runner()
    with loopback_app.app_context():
        result = runner.invoke(args=["export", "--format", "claimreview"])
    assert result.exit_code == 1
    assert "WORKBENCH_PUBLIC_URL" in result.output
    with loopback_app.app_context():
        assert runner.invoke(args=["export", "--format", "jsonl"]).exit_code == 0


def test_the_claimant_is_in_every_format(session: Session, users: dict[str, int]) -> None:
    claim = add_claim(session, add_article(session), "Jets landed", claimant="=the ministry")
    add_claim(session, add_article(session, "B"), "Nobody said so")
    review.set_verdict(session, claim.id, users["editor"], 1, "refuted", "No.")
    approve(session, claim.id)
    rows = list(
        csv.DictReader(
            io.StringIO("".join(export.export(session, "csv", ClaimFilters(), PUBLISHER)))
        )
    )
    assert [r["claimant"] for r in rows] == ["'=the ministry", ""]  # a formula stays text
    lines = "".join(export.export(session, "jsonl", ClaimFilters(), PUBLISHER)).splitlines()
    assert [json.loads(line)["claimant"] for line in lines] == ["=the ministry", None]
    (record,) = _reviews(session)
    assert record["itemReviewed"]["author"]["name"] == "=the ministry"
    only = ClaimFilters(claimant="=the ministry")
    assert len("".join(export.export(session, "jsonl", only, PUBLISHER)).splitlines()) == 1
