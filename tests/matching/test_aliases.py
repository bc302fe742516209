"""Admins edit the alias list; matching reads names through it, for new claims at once and for
the archive once the aliases are re-applied."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import AuthActions, committed, csrf_token
from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, select

from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.matching import aliases
from workbench.matching.similar import find_similar
from workbench.models import Alias, AuditEvent, Claim

KREMLIN = "The Kremlin denied the report about troops in Latakia on Friday."


def _post(client: FlaskClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/aliases")})


def _normalized(engine: sa.Engine, text: str) -> str:
    with read_session(engine) as db:
        return db.exec(select(Claim.normalized_text).where(Claim.text == text)).one()


def test_shipped_defaults_are_in_the_table(session: Session) -> None:
    phrases = {alias.phrase: alias.canonical for alias in aliases.list_aliases(session)}
    assert phrases["Shoygu"] == "Shoigu"
    assert phrases["USA"] == "United States"


def test_an_added_alias_applies_to_new_claims_and_after_re_applying_to_old_ones(
    auth: AuthActions, client: FlaskClient, engine: sa.Engine, users: dict[str, int]
) -> None:
    with committed(engine) as db:
        ingest_article(db, ArticleInput(body=KREMLIN, title="Denial"))
    assert "kremlin" in _normalized(engine, KREMLIN).split()

    auth.login("admin")
    response = _post(client, "/admin/aliases", {"phrase": "Kremlin", "canonical": "Moscow"})
    assert response.status_code == 302
    follow_up = "The Kremlin denied sending troops to Tartus on Saturday."
    with committed(engine) as db:
        ingest_article(db, ArticleInput(body=follow_up, title="Follow-up"))
    assert "moscow" in _normalized(engine, follow_up).split()
    assert "kremlin" in _normalized(engine, KREMLIN).split()  # the archive is not touched yet

    response = _post(client, "/admin/aliases/apply", {})
    assert response.status_code == 302
    assert "moscow" in _normalized(engine, KREMLIN).split()
    with read_session(engine) as db:
        # The text index follows the new key: "Moscow" now finds the old claim.
        found = find_similar(db, "Moscow denied the report about troops in Latakia")
        assert found and found[0].claim.text == KREMLIN
        actions = db.exec(select(AuditEvent.action)).all()
    assert "alias.add" in actions


@pytest.mark.parametrize(
    ("phrase", "canonical", "message"),
    [
        ("", "Moscow", "Give both"),
        ("Kremlin", "   ", "Give both"),
        ("Shoygu", "Shoigu", "already an alias"),
        ("Moscow", "Moscow", "must differ"),
        ("x" * 201, "Moscow", "at most 200"),
    ],
)
def test_bad_aliases_are_refused_and_the_form_keeps_what_was_typed(
    auth: AuthActions,
    client: FlaskClient,
    engine: sa.Engine,
    phrase: str,
    canonical: str,
    message: str,
) -> None:
    auth.login("admin")
    with read_session(engine) as db:
        before = len(aliases.list_aliases(db))
    response = _post(client, "/admin/aliases", {"phrase": phrase, "canonical": canonical})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if phrase.strip():
        assert f'value="{phrase}"' in page
    with read_session(engine) as db:
        assert len(aliases.list_aliases(db)) == before


def test_deleting_an_alias(auth: AuthActions, client: FlaskClient, engine: sa.Engine) -> None:
    auth.login("admin")
    with read_session(engine) as db:
        shoygu = db.exec(select(Alias).where(Alias.phrase == "Shoygu")).one()
    assert _post(client, f"/admin/aliases/{shoygu.id}/delete", {}).status_code == 302
    with read_session(engine) as db:
        assert db.get(Alias, shoygu.id) is None
        assert aliases.claim_count(db) == 0
    again = _post(client, f"/admin/aliases/{shoygu.id}/delete", {})
    assert "no longer exists" in client.get(again.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_edit_aliases(
    auth: AuthActions, client: FlaskClient, engine: sa.Engine, role: str
) -> None:
    auth.login(role)
    assert client.get("/admin/aliases").status_code == 403
    token = csrf_token(client, "/claims/")
    response = client.post(
        "/admin/aliases", data={"phrase": "Kremlin", "canonical": "Moscow", "csrf_token": token}
    )
    assert response.status_code == 403
    with read_session(engine) as db:
        assert db.exec(select(Alias).where(Alias.phrase == "Kremlin")).first() is None


def test_cli_renormalize_reports_what_changed(
    app,
    runner: FlaskCliRunner,
    engine: sa.Engine,  # type: ignore[no-untyped-def]
) -> None:
    with committed(engine) as db:
        ingest_article(db, ArticleInput(body=KREMLIN, title="Denial"))
        aliases.add_alias(db, "Kremlin", "Moscow", None)
    with app.app_context():
        result = runner.invoke(args=["claims", "renormalize"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 claim(s) now match differently." in result.output
    assert "moscow" in _normalized(engine, KREMLIN).split()
