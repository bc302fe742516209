"""The claim page over HTTP: the banner on top says what changes the work (a repeat of a checked
claim and its verdict, a variant and its changed fact, unread alerts) with the decisions in it,
and the next claim is prefetched."""

from __future__ import annotations

import html
import re

import pytest
from conftest import AuthActions, csrf_token
from flask.testing import FlaskClient
from sqlmodel import Session, select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Alert, AlertState, Claim, DuplicateSuggestion, Verdict
from workbench.review import verdicts as review

CHECKED = "Unemployment in Spain rose to 26.3 percent in March, the statistics office said."
OTHER = "The central bank kept its main interest rate at 1.5 percent on Thursday."
REPEAT = "The statistics office said unemployment in Spain rose to 26.3 per cent in March."
VARIANT = "Unemployment in Spain rose to 23.6 percent in March, the statistics office said."


def _ingest(db: Session, text: str, title: str) -> list[int]:
    article = ingest_article(db, ArticleInput(body=text, title=title)).article
    found = db.exec(
        select(Claim.id).where(Claim.article_id == article.id).order_by(Claim.position)
    ).all()
    db.commit()
    return [i for i in found if i is not None]


def _suggestion(db: Session, claim_id: int, candidate_id: int) -> int:
    found = db.exec(
        select(DuplicateSuggestion.id).where(
            DuplicateSuggestion.claim_id == claim_id,
            DuplicateSuggestion.candidate_id == candidate_id,
        )
    ).one()
    db.commit()  # the test's session writes: end its transaction before the app writes
    assert found is not None
    return found


def _checked(db: Session, users: dict[str, int], *, draft: bool = False) -> int:
    """The wire story's unemployment claim with a verdict: approved, or a draft to sign off."""
    checked = _ingest(db, f"{CHECKED}\n{OTHER}", "Spain jobs")[0]
    claim = db.get(Claim, checked)
    assert claim is not None
    review.set_verdict(
        db,
        checked,
        users["editor"],
        claim.version,
        Verdict.SUPPORTED,
        "So says the office.",
        sign_off=draft,
    )
    db.commit()
    return checked


def _banner(page: str) -> str:
    """The banner's HTML, or '' when the page has none."""
    found = re.search(r'<section class="decision-banner".*?</section>', page, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


def test_a_repeat_of_a_checked_claim_is_on_top_with_its_verdict_and_the_decision(
    editor: FlaskClient, session: Session, users: dict[str, int]
) -> None:
    checked = _checked(session, users)
    [repeat] = _ingest(session, REPEAT, "Spanish unemployment up")
    suggestion = _suggestion(session, repeat, checked)

    page = editor.get(f"/claims/{repeat}").get_data(as_text=True)
    banner = _banner(page)
    assert page.index("decision-banner") < page.index('id="evidence"')
    assert "Repeats a checked claim:" in banner
    assert f'href="/claims/{checked}">#{checked}</a>' in banner
    assert '<span class="badge verdict-supported">supported</span>' in banner
    # The same forms as the suggestion's card, and the keys, since it is the first suggestion.
    assert f'action="/claims/suggestions/{suggestion}/confirm"' in banner
    assert f'action="/claims/suggestions/{suggestion}/reject"' in banner
    assert 'data-shortcut="c"' in banner and 'data-shortcut="x"' in banner
    assert 'name="csrf_token"' in banner
    # Its alert too, with the way to acknowledge it here.
    alert = session.exec(select(Alert).where(Alert.claim_id == repeat)).one()
    assert "previously checked" in banner and f"#alert-{alert.id}" in banner
    assert f'action="/alerts/{alert.id}/acknowledge"' in banner


def test_a_draft_verdict_does_not_make_a_repeat_of_a_checked_claim(
    app, editor: FlaskClient, session: Session, users: dict[str, int]
) -> None:
    checked = _checked(session, users, draft=True)
    [repeat] = _ingest(session, REPEAT, "Spanish unemployment up")
    suggestion = _suggestion(session, repeat, checked)

    page = editor.get(f"/claims/{repeat}").get_data(as_text=True)
    banner = _banner(page)
    assert "Repeats a checked claim" not in banner
    assert f"/claims/suggestions/{suggestion}/confirm" not in banner
    assert "verdict-supported" not in banner
    # The suggestion itself is still listed, further down, as any other.
    assert f'id="suggestion-{suggestion}"' in page

    # Once a second editor approves the verdict, the repeat is one of a checked claim.
    claim = session.get(Claim, checked)
    assert claim is not None
    review.approve(session, checked, users["admin"], claim.version)
    session.commit()
    banner = _banner(editor.get(f"/claims/{repeat}").get_data(as_text=True))
    assert "Repeats a checked claim:" in banner
    assert '<span class="badge verdict-supported">supported</span>' in banner


def test_a_variant_shows_the_fact_that_differs_and_is_rejected_from_the_banner(
    editor: FlaskClient, session: Session, users: dict[str, int]
) -> None:
    checked = _checked(session, users)
    [variant] = _ingest(session, VARIANT, "Spain's jobless rate")
    suggestion = _suggestion(session, variant, checked)

    banner = _banner(editor.get(f"/claims/{variant}").get_data(as_text=True))
    assert "A variant of" in banner and "Repeats a checked claim" not in banner
    assert '<span class="fact-change">23.6 percent ≠ 26.3 percent</span>' in html.unescape(banner)
    assert '<span class="badge verdict-supported">supported</span>' in banner
    # Rejecting is the variant's usual answer; confirming needs the override, next to the card.
    assert f'action="/claims/suggestions/{suggestion}/reject"' in banner
    assert f"/claims/suggestions/{suggestion}/confirm" not in banner
    assert f'href="#suggestion-{suggestion}"' in banner

    rejected = editor.post(
        f"/claims/suggestions/{suggestion}/reject",
        data={"csrf_token": csrf_token(editor, "/claims/"), "claim_id": variant},
    )
    assert rejected.status_code == 302
    banner = _banner(editor.get(f"/claims/{variant}").get_data(as_text=True))
    assert "A variant of" not in banner


def test_an_alert_is_acknowledged_from_the_banner_and_the_page_comes_back(
    editor: FlaskClient, session: Session, users: dict[str, int]
) -> None:
    _checked(session, users)
    [repeat] = _ingest(session, REPEAT, "Spanish unemployment up")
    alert = session.exec(select(Alert).where(Alert.claim_id == repeat)).one()
    session.commit()

    answer = editor.post(
        f"/alerts/{alert.id}/acknowledge",
        data={"csrf_token": csrf_token(editor, "/claims/"), "claim_id": repeat},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == f"/claims/{repeat}"
    with Session(session.get_bind()) as reader:
        handled = reader.get(Alert, alert.id)
        assert handled is not None and handled.state == AlertState.ACKNOWLEDGED
    page = editor.get(f"/claims/{repeat}").get_data(as_text=True)
    assert f"Alert #{alert.id} acknowledged." in page
    assert f"decision-alert-{alert.id}" not in page


def test_a_viewer_sees_the_banner_without_its_forms(
    client: FlaskClient, auth: AuthActions, session: Session, users: dict[str, int]
) -> None:
    _checked(session, users)
    [repeat] = _ingest(session, REPEAT, "Spanish unemployment up")
    assert auth.login("viewer").status_code == 302
    banner = _banner(client.get(f"/claims/{repeat}").get_data(as_text=True))
    assert "Repeats a checked claim:" in banner
    assert "<form" not in banner


def test_a_claim_without_news_has_no_banner_and_prefetches_the_next(
    editor: FlaskClient, session: Session
) -> None:
    first, second = _ingest(session, f"{CHECKED}\n{OTHER}", "Spain jobs")
    answer = editor.get(f"/claims/{first}?status=new")
    page = answer.get_data(as_text=True)
    assert _banner(page) == ""
    # The rules, in a header (the CSP allows no inline script), fetch the link that j follows.
    assert answer.headers["Speculation-Rules"] == '"/claims/speculation-rules.json"'
    assert f'href="/claims/{second}?status=new" data-shortcut="j" rel="next"' in page
    rules = editor.get("/claims/speculation-rules.json")
    assert rules.mimetype == "application/speculationrules+json"
    [prefetch] = rules.get_json(force=True)["prefetch"]
    assert prefetch["where"] == {"selector_matches": "nav.crumbs a[rel~='next']"}
    assert prefetch["eagerness"] == "immediate"
    assert "prerender" not in rules.get_json(force=True)
