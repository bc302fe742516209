"""Domain errors on pages, mapped once (web/errors.py): not found is the 404 page, a request that
cannot be read the 400 page, and a refusal or conflict keeps nothing and goes back to where the
view said, with the reason shown there. (The API's JSON for the same errors: test_api.py.)"""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from workbench.db import get_session, read_session
from workbench.matching import aliases
from workbench.models import Alias
from workbench.review.duplicates import SuggestionAlreadyDecided
from workbench.review.filter_args import FilterError
from workbench.review.verdicts import ClaimNotFound
from workbench.web.access import allow_anyone
from workbench.web.errors import back_to


@allow_anyone
def _not_found() -> str:
    raise ClaimNotFound(5)


@allow_anyone
def _invalid() -> str:
    raise FilterError("status must be one of new, in_review, verdict.")


@allow_anyone
def _refused_after_a_write() -> str:
    back_to("/auth/login")
    aliases.add_alias(get_session(), "Zorblat", "Zorblatt", None)
    raise aliases.AliasError("Nothing of this is kept.")


@allow_anyone
def _conflict_with_nowhere_to_go_back_to() -> str:
    raise SuggestionAlreadyDecided("Someone decided this first; reload the page.")


@pytest.fixture
def client(make_app) -> FlaskClient:  # type: ignore[no-untyped-def]
    app: Flask = make_app()
    for view in (
        _not_found,
        _invalid,
        _refused_after_a_write,
        _conflict_with_nowhere_to_go_back_to,
    ):
        name = view.__name__.strip("_")
        app.add_url_rule(f"/{name}", name, view, methods=["GET", "POST"])
    return app.test_client()


def _flashes(page: str) -> list[str]:
    return re.findall(r'<li class="flash (\w+)">([^<]*)</li>', page)


def test_not_found_is_the_404_page(client: FlaskClient) -> None:
    response = client.get("/not_found")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)


def test_a_request_that_cannot_be_read_is_the_400_page_with_the_reason(
    client: FlaskClient,
) -> None:
    response = client.get("/invalid")
    assert response.status_code == 400
    assert "status must be one of new, in_review, verdict." in response.get_data(as_text=True)


def test_a_refusal_keeps_nothing_and_goes_back_with_the_reason(client: FlaskClient) -> None:
    response = client.post("/refused_after_a_write", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("error", "Nothing of this is kept.") in _flashes(shown)
    engine = client.application.extensions["workbench.engine"]
    with read_session(engine) as db:
        assert db.exec(select(Alias).where(Alias.phrase == "Zorblat")).first() is None


def test_a_conflict_with_nowhere_to_go_back_to_is_a_page_with_the_reason(
    client: FlaskClient,
) -> None:
    response = client.post(
        "/conflict_with_nowhere_to_go_back_to", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 409
    assert "Someone decided this first; reload the page." in response.get_data(as_text=True)
