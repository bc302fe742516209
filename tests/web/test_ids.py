"""Ids the database cannot hold (above 2^31 - 1, PostgreSQL's INTEGER; above 2^63 - 1, SQLite's)
name no record: every route with an id in its URL answers 404, a page on the site and JSON under
/api/, never a 500 from the database driver. The walk reads the app's URL map, so a new route with
an id is covered the day it is added."""

from __future__ import annotations

import re

import pytest
from conftest import AuthActions, csrf_token
from flask import Flask
from flask.testing import FlaskClient

from workbench.review.filter_args import ID_MAX

TOO_BIG = [str(n) for n in (2**31, 2**32, 2**63, 2**64, 2**66, 10**30)] + ["9" * 5000]
ID_ARGUMENT = re.compile(r"<(int|id):(\w+)>")


def _routes_with_ids(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if ID_ARGUMENT.search(rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule))
    return sorted(found)


def _path(rule: str, number: str) -> str:
    path = re.sub(r"<any\(([a-z]+)[^)]*\):\w+>", r"\1", rule)
    return ID_ARGUMENT.sub(number, path)


def test_the_walk_covers_the_routes_with_ids(app: Flask) -> None:
    routes = _routes_with_ids(app)
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if ID_ARGUMENT.search(rule.rule)
    }
    assert {"claims.detail", "articles.detail", "api.claim", "alerts.handle"} <= endpoints
    assert len(routes) >= 20


@pytest.mark.parametrize("number", TOO_BIG, ids=lambda n: f"{len(n)}-digits")
def test_every_route_with_an_id_too_big_for_the_database_is_404(
    app: Flask, client: FlaskClient, auth: AuthActions, number: str
) -> None:
    auth.login("admin")  # every route is open to an admin: only the id can refuse
    token = csrf_token(client, "/claims/")
    for method, rule in _routes_with_ids(app):
        path = _path(rule, number)
        api = path.startswith("/api/")
        if method == "GET":
            response = client.get(path)
        elif api:
            response = client.open(
                path, method=method, json={"version": 1}, headers={"X-CSRFToken": token}
            )
        else:
            response = client.open(path, method=method, data={"csrf_token": token})
        where = f"{method} {path[:60]}"
        assert response.status_code == 404, where
        if api:
            assert response.get_json()["error"]["code"] == "not_found", where
        else:
            assert "text/html" in response.content_type, where


def test_the_largest_id_the_database_holds_is_an_ordinary_not_found(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("admin")
    assert client.get(f"/claims/{ID_MAX}").status_code == 404
    assert client.get(f"/api/claims/{ID_MAX}").get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("before", [str(2**66), "9" * 5000, "-1", "x"])
def test_an_id_in_the_query_that_the_database_cannot_hold_is_ignored(
    client: FlaskClient, auth: AuthActions, before: str
) -> None:
    auth.login("viewer")
    assert client.get(f"/alerts/?state=all&before={before}").status_code == 200
