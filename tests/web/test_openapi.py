"""The OpenAPI document matches the API's routes, and schemathesis finds no server error in it.

Schemathesis reads /api/openapi.json from the app (through WSGI, no sockets) and sends at least
200 generated requests per operation, valid and invalid (wrong types, missing fields, odd
strings, NUL bytes), as an admin so every write runs; the only check is that no answer is a 5xx.
One database serves all operations, seeded with claims, a verdict, a cluster and an alert, so
generated ids hit real records as well as missing ones.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter

import pytest
import schemathesis
import sqlalchemy as sa
from claim_data import add_article, add_claim, suggest
from conftest import committed
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from workbench.accounts import tokens
from workbench.models import Alert, AlertKind
from workbench.review import verdicts as review
from workbench.web.api.openapi import document

CASES_PER_OPERATION = 200
NEGATIVE_CASES = 50
# Operations without inputs have one possible request: hypothesis (rightly) stops after it.
WITHOUT_INPUTS = {"GET /api/openapi.json", "GET /api/dashboard"}


def _documented_paths() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in document()["paths"].items()
        for method in operations
    }


def _routed_paths(app: Flask) -> set[tuple[str, str]]:
    """API routes as OpenAPI paths: <id:claim_id> and <any(a, b):x> are {claim_id} and {x}."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, path))
    return found


def test_every_api_route_is_documented_and_every_documented_path_is_a_route(app: Flask) -> None:
    assert _routed_paths(app) == _documented_paths()


def test_path_parameters_are_described_as_the_routes_take_them() -> None:
    paths = document()["paths"]
    claim_id = paths["/api/claims/{claim_id}"]["get"]["parameters"][0]
    assert claim_id["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    decide = paths["/api/suggestions/{suggestion_id}/{decision}"]["post"]["parameters"]
    decision = next(p for p in decide if p["name"] == "decision")
    assert sorted(decision["schema"]["enum"]) == ["confirm", "reject"]


def test_request_bodies_and_answers_are_the_shared_models() -> None:
    """The document is generated from the models that validate requests and shape answers."""
    generated = document()
    verdict = generated["paths"]["/api/claims/{claim_id}/verdict"]["post"]
    body = verdict["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/VerdictBody"}
    answer = verdict["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/ClaimDetail"}
    schemas = generated["components"]["schemas"]
    assert set(schemas["VerdictBody"]["required"]) == {"version", "verdict", "summary"}
    claim_fields = set(schemas["Claim"]["properties"])
    assert claim_fields <= set(schemas["ClaimDetail"]["properties"])


def test_the_document_is_served_without_credentials(app: Flask) -> None:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")
    assert response.get_json() == document()


@pytest.fixture
def seeded_app(app: Flask, users: dict[str, int]) -> Flask:
    engine: sa.Engine = app.extensions["workbench.engine"]
    with committed(engine) as db:
        first = add_article(db, "First", url="https://a.example/1", outlet="Daily")
        second = add_article(db, "Second", outlet="Weekly")
        checked = add_claim(db, first, "Prices rose by twenty percent")
        repeat = add_claim(db, second, "Prices rose 20 percent")
        for n in range(3):
            add_claim(db, second, f"Another claim number {n}")
        suggest(db, repeat, checked)
        review.set_verdict(db, checked.id, users["editor"], 1, "refuted", "No.")
        review.add_source(db, users["editor"], review.SourceInput("Stats office", "https://s.ex"))
        db.add(
            Alert(
                kind=AlertKind.PREVIOUSLY_CHECKED,
                claim_id=repeat.id,
                matched_claim_id=checked.id,
                match_key="test:by-hand",
                score=90.0,
            )
        )
        db.commit()
        app.config["TEST_API_TOKEN"] = tokens.create_token(db, users["admin"], "fuzzer")[1]
    return app


OPERATIONS = sorted(_documented_paths())


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_is_a_server_error(seeded_app: Flask, method: str, path: str) -> None:
    """Valid requests, then invalid ones, against one operation; every answer must be < 500.

    Schemathesis' pytest plugin does not run under pytest 9 here (it reads a node attribute
    pytest removed), so the operation's hypothesis strategies are driven directly.
    """
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", seeded_app)
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {seeded_app.config['TEST_API_TOKEN']}"}
    calls: Counter[str] = Counter()

    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        calls[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    for mode, examples in (
        (GenerationMode.POSITIVE, CASES_PER_OPERATION),
        (GenerationMode.NEGATIVE, NEGATIVE_CASES),
    ):
        run = settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )(given(case=operation.as_strategy(generation_mode=mode))(check))
        # Unsatisfiable: nothing in this operation's inputs can be made invalid.
        with contextlib.suppress(Unsatisfiable):
            run()
    if f"{method} {path}" not in WITHOUT_INPUTS:
        assert sum(calls.values()) >= CASES_PER_OPERATION, calls
    print(method, path, dict(sorted(calls.items())))
