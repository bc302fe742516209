"""The demo newsroom (workbench/intake/demo.py): built from the seed story, loaded once, and showing
every feature a newcomer should see: suggestions, a cluster with an inherited verdict, a variant,
sources and evidence, unread alerts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO, committed
from sqlmodel import Session, func, select

from workbench.accounts import users as accounts
from workbench.db import read_session, write_session
from workbench.intake import demo
from workbench.models import (
    Alert,
    AlertKind,
    AlertState,
    Article,
    AuditEvent,
    Claim,
    ClaimStatus,
    Cluster,
    DuplicateSuggestion,
    Evidence,
    NewsroomSetting,
    Source,
    SuggestionKind,
    SuggestionState,
    User,
    Verdict,
    VerdictState,
)
from workbench.review.duplicates import effective_verdict

DEMO = REPO / "fixtures" / "demo"
SEED = REPO / "fixtures" / "seed" / "000_2cb53fe733bcfbdb.txt"
MAX_BYTES = 5 * 1024 * 1024
TABLES = (Article, Claim, DuplicateSuggestion, Cluster, Source, Evidence, Alert, User, AuditEvent)


def _newsroom() -> demo.DemoNewsroom:
    return demo.read_demo(DEMO, MAX_BYTES)


def _load(engine: sa.Engine, *, sign_off: bool = False) -> demo.DemoReport:
    with write_session(engine) as session:
        return demo.load_demo(session, _newsroom(), sign_off=sign_off)


def _counts(engine: sa.Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in TABLES
        }


def _alerts(session: Session, kind: AlertKind) -> list[Alert]:
    return list(session.exec(select(Alert).where(Alert.kind == kind)).all())


def test_every_seed_sentence_is_in_one_first_article_with_its_outlet_and_date() -> None:
    headline, *sentences = [line for line in SEED.read_text("utf-8").splitlines() if line]
    newsroom = _newsroom()
    first = newsroom.first
    assert [article.title for article in first].count(headline) == 1
    for sentence in sentences:
        assert sum(sentence in article.body for article in first) == 1, sentence
    articles = newsroom.articles
    assert len({article.outlet for article in articles}) == len(articles) >= 5
    assert all(article.url and article.published_at for article in articles)
    assert all(article.origin == "fixture" for article in articles)
    assert len(newsroom.later) == len(newsroom.plan.later_articles) >= 2
    # Written for the demo: none of the later articles copies a seed sentence.
    assert not any(sentence in article.body for article in newsroom.later for sentence in sentences)


def test_the_demo_shows_every_feature(engine: sa.Engine) -> None:
    report = _load(engine)
    assert report.articles.refused == [] and report.articles.duplicates == []
    assert (report.verdicts, report.in_review, report.confirmed) == (3, 1, 1)
    assert report.summary().startswith("Imported 7 article(s) with 21 claim(s); 3 claim(s)")

    with read_session(engine) as session:
        pending = session.exec(
            select(DuplicateSuggestion).where(DuplicateSuggestion.state == SuggestionState.PENDING)
        ).all()
        assert any(s.kind == SuggestionKind.DUPLICATE for s in pending)
        assert [s.kind for s in pending].count(SuggestionKind.VARIANT) == 1

        (cluster,) = session.exec(select(Cluster)).all()
        members = session.exec(select(Claim).where(Claim.cluster_id == cluster.id)).all()
        (resolved,) = [m for m in members if m.status == ClaimStatus.RESOLVED]
        shown = effective_verdict(session, resolved)
        assert shown.verdict == Verdict.SUPPORTED and shown.inherited_from is not None
        assert shown.inherited_from.id == cluster.canonical_claim_id
        assert shown.inherited_from.verdict_state == VerdictState.APPROVED

        alerts = session.exec(select(Alert)).all()
        assert all(alert.state == AlertState.UNREAD for alert in alerts)
        kinds = {alert.kind for alert in alerts}
        assert {
            AlertKind.PREVIOUSLY_CHECKED,
            AlertKind.VARIANT_OF_CHECKED,
            AlertKind.BEING_CHECKED,
            AlertKind.VERDICT_REACHED,
        } <= kinds
        (variant,) = _alerts(session, AlertKind.VARIANT_OF_CHECKED)
        assert "2013 ≠ 2014" in (variant.note or "")

        assert session.exec(select(func.count()).select_from(Source)).one() == 5
        assert session.exec(select(func.count()).select_from(Evidence)).one() == 6
        checked = session.exec(select(Claim).where(Claim.status == ClaimStatus.VERDICT)).all()
        assert {claim.verdict for claim in checked} == {Verdict.SUPPORTED, Verdict.UNVERIFIABLE}
        editor = session.exec(select(User).where(User.username == demo.EDITOR)).one()
        assert all(claim.verdict_by_id == claim.approved_by_id == editor.id for claim in checked)


def test_repeats_and_the_variant_are_what_the_matcher_finds(engine: sa.Engine) -> None:
    """Every claim of the later articles that repeats a checked claim is suggested as a duplicate
    of it; the variant changes one fact of one and nothing else."""
    _load(engine)
    later = [article.url for article in _newsroom().later]
    with read_session(engine) as session:
        rows = session.exec(
            select(DuplicateSuggestion, Claim)
            .join(Claim, Claim.id == DuplicateSuggestion.claim_id)
            .join(Article, Article.id == Claim.article_id)
            .where(Article.url.in_(later))  # type: ignore[union-attr]
        ).all()
        by_kind: dict[SuggestionKind, list[tuple[str, str]]] = {}
        for suggestion, claim in rows:
            other = session.get(Claim, suggestion.candidate_id)
            assert other is not None
            by_kind.setdefault(suggestion.kind, []).append((claim.text, other.text))
    (variant,) = by_kind[SuggestionKind.VARIANT]
    assert variant[0].replace("2013", "2014") == variant[1]
    repeats = by_kind[SuggestionKind.DUPLICATE]
    assert len(repeats) == 4
    # Reworded, not copied.
    assert all(new != old and new not in old for new, old in repeats)


def test_loaded_once(engine: sa.Engine) -> None:
    _load(engine)
    before = _counts(engine)
    again = _load(engine)
    assert again.work_done_before and again.articles.imported == []
    assert len(again.articles.duplicates) == 7
    assert again.summary().endswith("7 already in the archive; its editorial work was done before.")
    assert _counts(engine) == before
    with read_session(engine) as session:
        assert session.get(NewsroomSetting, demo.LOADED).value == demo.DONE  # type: ignore[union-attr]


def test_a_run_stopped_after_the_checks_finishes_the_rest(engine: sa.Engine) -> None:
    newsroom = _newsroom()
    stopped = replace(newsroom, articles=newsroom.first, plan=newsroom.plan.model_copy())
    stopped.plan.confirm = []
    with write_session(engine) as session:
        demo.load_demo(session, stopped, sign_off=False)
    with committed(engine) as session:
        session.get(NewsroomSetting, demo.LOADED).value = demo.CHECKED  # type: ignore[union-attr]
    report = _load(engine)
    assert (report.verdicts, report.confirmed, len(report.articles.imported)) == (0, 1, 2)
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Evidence)).one() == 6
        assert len(_alerts(session, AlertKind.VARIANT_OF_CHECKED)) == 1


def test_with_sign_off_a_second_demo_account_approves(engine: sa.Engine) -> None:
    _load(engine, sign_off=True)
    with read_session(engine) as session:
        chief = session.exec(select(User).where(User.username == demo.CHIEF)).one()
        checked = session.exec(select(Claim).where(Claim.status == ClaimStatus.VERDICT)).all()
        assert len(checked) == 3
        assert all(claim.approved_by_id == chief.id != claim.verdict_by_id for claim in checked)
        assert _alerts(session, AlertKind.PREVIOUSLY_CHECKED)


def test_nobody_can_log_in_as_the_demo_accounts(engine: sa.Engine) -> None:
    _load(engine, sign_off=True)
    with read_session(engine) as session:
        for name in (demo.EDITOR, demo.CHIEF):
            user = session.exec(select(User).where(User.username == name)).one()
            assert not user.is_active
            assert accounts.authenticate(session, name, "") is None


def _broken(tmp_path: Path, change: dict) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / demo.ARTICLES_FILE).write_bytes((DEMO / demo.ARTICLES_FILE).read_bytes())
    plan = json.loads((DEMO / demo.NEWSROOM_FILE).read_text("utf-8")) | change
    (folder / demo.NEWSROOM_FILE).write_text(json.dumps(plan), "utf-8")
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"later_articles": ["https://nowhere.example/"]}, "is not in articles.jsonl"),
        ({"checks": [{"claim": "x", "evidence": [{"source": "y", "stance": "supports"}]}]}, "'y'"),
        ({"checks": [{"claim": "x", "verdict": "probably"}]}, "does not describe"),
    ],
)
def test_files_that_do_not_fit_are_refused(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(demo.DemoError, match=message):
        demo.read_demo(_broken(tmp_path, change), MAX_BYTES)


def test_a_phrase_must_name_one_claim(engine: sa.Engine, tmp_path: Path) -> None:
    folder = _broken(tmp_path, {"checks": [{"claim": "Syria", "verdict": "supported"}]})
    with (
        write_session(engine) as session,
        pytest.raises(demo.DemoError, match=r"names \d+ demo claims"),
    ):
        demo.load_demo(session, demo.read_demo(folder, MAX_BYTES), sign_off=False)
