"""Variants: a claim copied with one fact changed is suggested as a variant, never a duplicate;
it raises its own alert, inherits no verdict, and is confirmed only with an explicit override.
The CLI and the API report the same score contract; a few words search as keywords."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import AuthActions, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, select

from workbench.alerts import rules as alerts
from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.matching.normalize import DUPLICATE_THRESHOLD, normalize
from workbench.matching.similar import find_similar
from workbench.models import (
    Alert,
    AlertKind,
    AuditEvent,
    Claim,
    DuplicateSuggestion,
    SuggestionKind,
    SuggestionState,
    Verdict,
)
from workbench.review import duplicates
from workbench.review import verdicts as review

CHECKED = "Unemployment in Spain rose to 26.3 percent in March, the statistics office said."
VARIANT = "Unemployment in Spain rose to 23.6 percent in March, the statistics office said."
REPEAT = "The statistics office said unemployment in Spain rose to 26.3 per cent in March."
OTHER = "The central bank kept its main interest rate at 1.5 percent on Thursday."


@dataclass(frozen=True)
class Story:
    checked: int
    variant: int
    repeat: int


def _claim_of(db: Session, body: str, title: str) -> int:
    """The first claim of a new article."""
    result = ingest_article(db, ArticleInput(body=body, title=title))
    return db.exec(
        select(Claim.id).where(Claim.article_id == result.article.id).order_by(Claim.position)
    ).first()  # type: ignore[return-value]


@pytest.fixture
def story(engine: sa.Engine, users: dict[str, int]) -> Story:
    with committed(engine) as db:
        checked = _claim_of(db, CHECKED + "\n" + OTHER, "Wire")
        claim = db.get(Claim, checked)
        assert claim is not None
        review.set_verdict(db, checked, users["editor"], claim.version, Verdict.SUPPORTED, "Yes.")
        variant = _claim_of(db, VARIANT, "Mutated copy")
        repeat = _claim_of(db, REPEAT, "Honest repeat")
    return Story(checked, variant, repeat)


def _suggestion(db: Session, claim_id: int) -> DuplicateSuggestion:
    """The suggestion from a claim to the first (checked) claim of the archive."""
    return db.exec(
        select(DuplicateSuggestion)
        .where(DuplicateSuggestion.claim_id == claim_id)
        .order_by(DuplicateSuggestion.candidate_id)
    ).first()  # type: ignore[return-value]


def test_a_changed_fact_is_a_variant_and_an_honest_repeat_a_duplicate(
    engine: sa.Engine, story: Story
) -> None:
    with read_session(engine) as db:
        variant = _suggestion(db, story.variant)
        repeat = _suggestion(db, story.repeat)
        assert (variant.candidate_id, variant.kind) == (story.checked, SuggestionKind.VARIANT)
        assert (repeat.candidate_id, repeat.kind) == (story.checked, SuggestionKind.DUPLICATE)


def test_a_variant_of_a_checked_claim_raises_its_own_alert_never_previously_checked(
    engine: sa.Engine, story: Story
) -> None:
    with read_session(engine) as db:
        kinds = {
            a.claim_id: (a.kind, a.note)
            for a in db.exec(select(Alert).where(Alert.matched_claim_id == story.checked)).all()
        }
    kind, note = kinds[story.variant]
    assert kind == AlertKind.VARIANT_OF_CHECKED
    assert "26.3 percent" in note and "23.6 percent" in note
    assert kinds[story.repeat][0] == AlertKind.PREVIOUSLY_CHECKED


def test_a_variant_inherits_no_verdict_and_needs_an_override_to_be_confirmed(
    engine: sa.Engine, story: Story, users: dict[str, int]
) -> None:
    with committed(engine) as db:
        suggestion = _suggestion(db, story.variant)
        with pytest.raises(duplicates.VariantNeedsOverride, match="23.6 percent"):
            duplicates.confirm(db, suggestion.id, users["editor"])
        db.rollback()
        claim = db.get(Claim, story.variant)
        assert claim is not None
        assert duplicates.effective_verdict(db, claim).verdict is None
        assert _suggestion(db, story.variant).state == SuggestionState.PENDING

        duplicates.confirm(db, suggestion.id, users["editor"], override=True)
        event = db.exec(
            select(AuditEvent).where(
                AuditEvent.action == "duplicate.confirm", AuditEvent.entity_id == suggestion.id
            )
        ).one()
        assert event.after is not None and "23.6 percent" in event.after["override"]


def test_a_verdict_is_not_announced_across_a_pending_variant(
    engine: sa.Engine, users: dict[str, int]
) -> None:
    with committed(engine) as db:
        original = _claim_of(db, CHECKED, "Wire")
        variant = _claim_of(db, VARIANT, "Copy")
        assert _suggestion(db, variant).kind == SuggestionKind.VARIANT
        claim = db.get(Claim, original)
        assert claim is not None
        review.set_verdict(db, original, users["editor"], claim.version, Verdict.MIXED, "Partly.")
        told = db.exec(select(Alert.claim_id).where(Alert.kind == AlertKind.VERDICT_REACHED)).all()
        assert variant not in told


def test_the_claim_page_marks_the_changed_fact_and_asks_for_the_override(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, story: Story
) -> None:
    auth.login("editor")
    page = client.get(f"/claims/{story.variant}").get_data(as_text=True)
    assert "Same wording, different facts" in page
    assert '<mark class="changed"' in page
    assert "23.6 percent</mark>" in page and "26.3 percent</mark>" in page
    assert 'name="override"' in page

    with read_session(engine) as db:
        suggestion_id = _suggestion(db, story.variant).id
    token = csrf_token(client, f"/claims/{story.variant}")
    path = f"/claims/suggestions/{suggestion_id}/confirm"
    refused = client.post(path, data={"csrf_token": token, "claim_id": story.variant})
    assert refused.status_code == 302
    with read_session(engine) as db:
        assert _suggestion(db, story.variant).state == SuggestionState.PENDING
    assert "state different facts" in client.get(f"/claims/{story.variant}").get_data(as_text=True)

    client.post(path, data={"csrf_token": token, "claim_id": story.variant, "override": "1"})
    with read_session(engine) as db:
        assert _suggestion(db, story.variant).state == SuggestionState.CONFIRMED


def test_the_alert_inbox_marks_what_changed(
    client: FlaskClient, auth: AuthActions, story: Story
) -> None:
    auth.login("editor")
    page = client.get("/alerts/", query_string={"kind": "variant_of_checked"}).get_data(
        as_text=True
    )
    assert "variant of checked" in page
    assert '<mark class="changed"' in page and "23.6 percent</mark>" in page


def test_the_api_refuses_a_variant_without_the_override(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, story: Story
) -> None:
    auth.login("editor")
    with read_session(engine) as db:
        suggestion_id = _suggestion(db, story.variant).id
    headers = {"X-CSRFToken": csrf_token(client, f"/claims/{story.variant}")}
    path = f"/api/suggestions/{suggestion_id}/confirm"
    refused = client.post(path, json={}, headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "variant_needs_override"
    accepted = client.post(path, json={"override": True}, headers=headers)
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "confirmed"


def test_cli_and_api_report_one_score_contract(
    app: Flask,
    runner: FlaskCliRunner,
    client: FlaskClient,
    auth: AuthActions,
    story: Story,
    tmp_path: Path,
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "q", "text": VARIANT}) + "\n", encoding="utf-8")
    with app.app_context():
        result = runner.invoke(args=["claims", "similar", "--input", str(queries)])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)["results"]
    auth.login("viewer")
    api = client.get("/api/claims/similar", query_string={"q": VARIANT}).get_json()["results"]
    fields = ("score", "duplicate_score", "duplicate", "kind", "changed")
    assert [tuple(r[f] for f in fields) for r in cli] == [tuple(r[f] for f in fields) for r in api]
    by_id = {r["id"]: r for r in api}
    checked = by_id[story.checked]
    assert checked["kind"] == "variant" and checked["duplicate"] is False
    assert checked["duplicate_score"] >= DUPLICATE_THRESHOLD
    assert "23.6 percent" in checked["changed"]
    for row in api:
        conflict = row["kind"] == "variant"
        assert row["duplicate"] == (row["duplicate_score"] >= DUPLICATE_THRESHOLD and not conflict)
        if row["duplicate"]:
            assert row["score"] >= row["duplicate_score"]


def test_a_few_words_find_the_claims_that_contain_them_first(
    engine: sa.Engine, session: Session
) -> None:
    with committed(engine) as db:
        ingest_article(
            db,
            ArticleInput(
                body="Carter and Shoigu spoke by phone about Syria on Friday.\n"
                "Russia sent more jets to its base in Syria, officials said.\n"
                "Shoigu met Assad in Damascus to discuss the air campaign.\n"
                "The Pentagon said talks with Moscow would go on next week.",
                title="Talks",
            ),
        )
    found = find_similar(session, "Shoigu", limit=10)
    assert [h.score for h in found[:2]] == [100.0, 100.0]
    assert all("Shoigu" in h.claim.text for h in found[:2])
    assert all(h.score < 100 for h in found[2:])
    sentence = find_similar(session, "Carter and Shoigu spoke by phone about Syria", limit=5)
    assert sentence[0].claim.text.startswith("Carter and Shoigu spoke")
    assert sentence[0].score == 100.0


def test_admins_edit_synonyms_and_matching_reads_them(
    client: FlaskClient, auth: AuthActions, session: Session
) -> None:
    assert normalize("The mayor vowed to act.") != normalize("The mayor swore to act.")
    auth.login("admin")
    token = csrf_token(client, "/admin/aliases")
    response = client.post(
        "/admin/aliases",
        data={"csrf_token": token, "list": "synonym", "phrase": "swore", "canonical": "promised"},
    )
    assert response.status_code == 302
    page = client.get("/admin/aliases").get_data(as_text=True)
    assert "swore" in page
    from workbench.matching.aliases import load_aliases

    table = load_aliases(session)
    assert normalize("The mayor vowed to act.", table) == normalize(
        "The mayor swore to act.", table
    )
    assert alerts.unread_count(session) == 0


def test_a_claim_repeating_a_cluster_with_an_overridden_variant_hears_once(
    engine: sa.Engine, story: Story, users: dict[str, int]
) -> None:
    # The editor confirmed the variant into the checked claim's cluster with the override; a new
    # claim repeating the variant word for word repeats a member and varies another: one alert.
    with committed(engine) as db:
        duplicates.confirm(db, _suggestion(db, story.variant).id, users["editor"], override=True)
        result = ingest_article(db, ArticleInput(body="Another outlet.\n" + VARIANT, title="Again"))
        again = db.exec(
            select(Claim.id).where(Claim.article_id == result.article.id, Claim.text == VARIANT)
        ).one()
        kinds = db.exec(select(Alert.kind).where(Alert.claim_id == again)).all()
    assert kinds == [AlertKind.PREVIOUSLY_CHECKED]
