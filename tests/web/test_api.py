"""The JSON API: tokens and sessions, the same permissions and stale-edit refusals as the web app,
JSON errors with stable codes, and the shared claim filters with keyset paging."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from claim_data import add_article, add_claim, approve, suggest
from conftest import AuthActions, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from workbench import export
from workbench.accounts import tokens
from workbench.accounts import users as accounts
from workbench.db import write_session
from workbench.models import Alert, AlertKind, Claim, Role, User
from workbench.review import verdicts as review
from workbench.review.filter_args import filters_from_args
from workbench.review.queue import ClaimFilters, list_claims
from workbench.web.api import ID_MAX


@pytest.fixture
def api_tokens(engine: sa.Engine, users: dict[str, int]) -> dict[str, str]:
    """A live token for each role."""
    made = {}
    with committed(engine) as db:
        for role, user_id in users.items():
            made[role] = tokens.create_token(db, user_id, f"{role} script")[1]
    return made


class Api:
    """A client that sends a role's token, as a script would (no cookies, no CSRF token)."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any):  # type: ignore[no-untyped-def]
        return self.client.get(path, query_string=params or None, headers=self.headers)

    def post(self, path: str, body: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.post(path, json=body, headers=self.headers, **kwargs)

    def send(self, method: str, path: str, body: Any = None):  # type: ignore[no-untyped-def]
        return self.client.open(path, method=method, json=body, headers=self.headers)


@pytest.fixture
def api(app: Flask, api_tokens: dict[str, str]):  # type: ignore[no-untyped-def]
    def as_role(role: str | None) -> Api:
        return Api(app.test_client(), api_tokens[role] if role else None)

    return as_role


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """Published fact checks on a public address: the API may export ClaimReview."""
    return replace(settings, public_url="https://checks.example")


@pytest.fixture
def data(session: Session, users: dict[str, int]) -> dict[str, int]:
    """Two articles, a checked claim, its pending duplicate (with one piece of evidence, so at
    version 2), a plain claim, a source."""
    first = add_article(session, "First", url="https://a.example/1", outlet="Daily")
    second = add_article(session, "Second", outlet="Weekly")
    checked = add_claim(session, first, "Prices rose by twenty percent", priority=0.9)
    repeat = add_claim(session, second, "Prices rose 20 percent", priority=0.5)
    plain = add_claim(session, second, "The mayor opened a bridge", priority=0.1)
    suggestion = suggest(session, repeat, checked)
    review.set_verdict(session, checked.id, users["editor"], checked.version, "refuted", "No.")
    approve(session, checked.id)
    source = review.add_source(session, users["editor"], review.SourceInput("Stats office"))
    session.commit()
    evidence = review.link_evidence(
        session, repeat.id, users["editor"], 1, stance="context", source_id=source.id
    )
    session.commit()
    # Two draft verdicts awaiting sign-off (issue 14), by an editor who is neither the API's
    # editor nor its admin, so either may approve one and send the other back.
    author = accounts.create_user(session, "author", "correct horse battery", Role.EDITOR).id
    drafts = []
    for text in ("Bread costs more than last year", "Rents doubled in ten years"):
        claim = add_claim(session, second, text, priority=0.05)
        review.set_verdict(
            session, claim.id, author, claim.version, "mixed", "Partly.", sign_off=True
        )
        drafts.append(claim.id)
    session.commit()
    ids = {
        "draft": drafts[0],
        "draft_back": drafts[1],
        "first": first.id,
        "second": second.id,
        "checked": checked.id,
        "repeat": repeat.id,
        "plain": plain.id,
        "suggestion": suggestion,
        "source": source.id,
        "evidence": evidence.id,
    }
    session.commit()
    session.close()  # hand SQLite's write lock back before the app writes
    return ids  # type: ignore[return-value]


def _version(engine: sa.Engine, claim_id: int) -> int:
    with committed(engine) as db:
        return db.get(Claim, claim_id).version


def _error(response) -> str:  # type: ignore[no-untyped-def]
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"]["message"]
    return body["error"]["code"]


# --- Who may call --------------------------------------------------------------------------------


def test_a_token_reads_the_api(api, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    response = api("viewer").get(f"/api/claims/{data['checked']}")
    assert response.status_code == 200
    assert response.get_json()["verdict"] == "refuted"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "unauthorized"),
        ("Bearer", "bad_authorization"),
        ("Basic dXNlcjpwYXNz", "bad_authorization"),
        ("Bearer wbt_not-a-real-token", "invalid_token"),
        ("Bearer " + "x" * 5000, "invalid_token"),
    ],
)
def test_without_a_valid_token_the_answer_is_401(
    client: FlaskClient, users: dict[str, int], header: str | None, code: str
) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/claims", headers=headers)
    assert response.status_code == 401
    assert _error(response) == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_tokens_and_disabled_accounts_get_401(
    api,
    engine: sa.Engine,
    users: dict[str, int],
    api_tokens: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    assert api("editor").get("/api/claims").status_code == 200
    with committed(engine) as db:
        token = db.exec(select(tokens.ApiToken).where(tokens.ApiToken.name == "editor script"))
        tokens.revoke_token(db, users["editor"], token.one().id)
    assert _error(api("editor").get("/api/claims")) == "invalid_token"

    assert api("viewer").get("/api/claims").status_code == 200
    with committed(engine) as db:
        viewer = db.get(User, users["viewer"])
        viewer.is_active = False
        db.add(viewer)
        db.commit()
    response = api("viewer").get("/api/claims")
    assert response.status_code == 401 and _error(response) == "invalid_token"


def test_a_token_wins_over_a_session_cookie(
    client: FlaskClient, auth: AuthActions, api_tokens: dict[str, str], data: dict[str, int]
) -> None:
    auth.login("admin")
    response = client.post(
        f"/api/claims/{data['plain']}/take",
        json={"version": 1},
        headers={"Authorization": f"Bearer {api_tokens['viewer']}"},
    )
    assert response.status_code == 403 and _error(response) == "forbidden"


WRITES = [
    ("POST", "/api/claims/{plain}/take", {"version": 1}),
    ("POST", "/api/claims/{plain}/verdict", {"version": 1, "verdict": "mixed", "summary": "H."}),
    ("POST", "/api/claims/{checked}/reopen", {"version": 2}),
    ("POST", "/api/claims/{draft}/approve", {"version": 2}),
    ("POST", "/api/claims/{draft_back}/send-back", {"version": 2, "note": "Name the survey."}),
    ("POST", "/api/claims/{plain}/evidence", {"version": 1, "stance": "supports", "source_id": 1}),
    ("PATCH", "/api/claims/{repeat}/evidence/{evidence}", {"version": 2, "stance": "supports"}),
    ("DELETE", "/api/claims/{repeat}/evidence/{evidence}?version=2", None),
    ("POST", "/api/suggestions/{suggestion}/confirm", None),
    ("POST", "/api/suggestions/{suggestion}/reject", None),
    ("POST", "/api/articles", {"text": "A new article says the river rose by two metres."}),
    ("POST", "/api/sources", {"title": "Met office", "url": "https://met.example/"}),
    ("POST", "/api/claims/{checked}/dismiss", {"version": 3, "reason": "opinion"}),
    ("POST", "/api/claims/{checked}/restore", {"version": 4}),
    # Answered 200 with what was done and what was refused, whatever the claim's version.
    ("POST", "/api/claims/bulk", {"action": "take", "claims": [{"id": 1, "version": 1}]}),
]
READS = [
    "/api/claims",
    "/api/claims/{checked}",
    "/api/claims/similar?q=prices",
    "/api/articles",
    "/api/articles/{first}",
    "/api/sources",
    "/api/sources/{source}",
    "/api/clusters",
    "/api/alerts",
    "/api/export?format=csv",
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_viewers_may_not_write(
    api, data: dict[str, int], method: str, path: str, body: Any
) -> None:  # type: ignore[no-untyped-def]
    response = api("viewer").send(method, path.format(**data), body)
    assert response.status_code == 403 and _error(response) == "forbidden"


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_every_route_needs_credentials(
    app: Flask, data: dict[str, int], method: str, path: str, body: Any
) -> None:
    client = app.test_client()
    assert client.open(path.format(**data), method=method, json=body).status_code == 401
    for read in READS:
        assert client.get(read.format(**data)).status_code == 401, read


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
@pytest.mark.parametrize("path", READS)
def test_every_role_reads(api, data: dict[str, int], role: str, path: str) -> None:  # type: ignore[no-untyped-def]
    assert api(role).get(path.format(**data)).status_code == 200


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_write(  # type: ignore[no-untyped-def]
    api, engine: sa.Engine, data: dict[str, int], role: str
) -> None:
    for method, path, body in WRITES:
        if path.endswith("/reject"):
            continue  # decided by the confirm before it
        url = path.format(**data)
        if url.startswith("/api/claims/") and url.split("/")[3].isdigit():
            version = _version(engine, int(url.split("/")[3]))
            url = url.replace("version=2", f"version={version}")
            body = {**body, "version": version} if body else None
        response = api(role).send(method, url, body)
        assert response.status_code in (200, 201), (method, path, response.get_json())


def test_every_write_route_is_covered_by_the_permission_tests(app: Flask) -> None:
    written = {(m, re.sub(r"\{\w+\}", "ID", p).split("?")[0]) for m, p, _ in WRITES}
    routes = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods & {"POST", "PATCH", "DELETE", "PUT"}:
            if rule.rule.startswith("/api/"):
                path = rule.rule.replace("<any(confirm, reject):decision>", "{decision}")
                path = re.sub(r"<[^>]+>", "ID", path)
                routes |= {(method, path.format(decision=d)) for d in ("confirm", "reject")}
    assert routes == written


# --- Browser sessions and CSRF -------------------------------------------------------------------


def test_a_session_reads_but_must_send_its_csrf_token_to_write(
    client: FlaskClient, auth: AuthActions, data: dict[str, int]
) -> None:
    auth.login("editor")
    assert client.get("/api/claims").status_code == 200
    path = f"/api/claims/{data['plain']}/take"
    refused = client.post(path, json={"version": 1})
    assert refused.status_code == 403 and _error(refused) == "csrf_required"
    forged = client.post(path, json={"version": 1}, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 403
    token = csrf_token(client, "/articles/")
    taken = client.post(path, json={"version": 1}, headers={"X-CSRFToken": token})
    assert taken.status_code == 200
    assert taken.get_json()["status"] == "in_review"


def test_token_requests_need_no_csrf_token(api, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    response = api("editor").post(f"/api/claims/{data['plain']}/take", {"version": 1})
    assert response.status_code == 200
    assert response.get_json()["assignee_id"] is not None


# --- Writes: the domain's rules ------------------------------------------------------------------


def test_a_stale_version_is_refused_with_409(api, engine: sa.Engine, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    editor = api("editor")
    path = f"/api/claims/{data['plain']}/verdict"
    body = {"version": 1, "verdict": "supported", "summary": "Yes."}
    assert editor.post(path, body).status_code == 200
    again = editor.post(path, {**body, "verdict": "refuted"})
    assert again.status_code == 409 and _error(again) == "stale_version"
    assert again.get_json()["error"]["current_version"] == _version(engine, data["plain"])
    with committed(engine) as db:
        assert db.get(Claim, data["plain"]).verdict.value == "supported"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"verdict": "refuted", "summary": "x"}, 400, "missing_field"),
        ({"version": "1", "verdict": "refuted", "summary": "x"}, 400, "bad_field"),
        ({"version": True, "verdict": "refuted", "summary": "x"}, 400, "bad_field"),
        ({"version": 10**30, "verdict": "refuted", "summary": "x"}, 400, "bad_field"),
        ({"version": 1, "verdict": 3, "summary": "x"}, 400, "bad_field"),
        ({"version": 1, "verdict": "true-ish", "summary": "x"}, 422, "invalid"),
        ({"version": 1, "verdict": "refuted", "summary": "   "}, 422, "invalid"),
        ({"version": 1, "verdict": "refuted", "summary": "x" * 1001}, 422, "invalid"),
        ([1, 2], 400, "bad_json"),
    ],
)
def test_bad_verdict_input(  # type: ignore[no-untyped-def]
    api, data: dict[str, int], body: Any, status: int, code: str
) -> None:
    response = api("editor").post(f"/api/claims/{data['plain']}/verdict", body)
    assert response.status_code == status and _error(response) == code


def test_malformed_json_is_a_400(api, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    editor = api("editor")
    response = editor.client.post(
        f"/api/claims/{data['plain']}/take",
        data="{not json",
        headers={**editor.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and _error(response) == "bad_json"


# Every route that reads a JSON body, with a body it would otherwise take.
BODY_ROUTES = [
    ("POST", "/api/claims/{plain}/take", {"version": 1}),
    ("POST", "/api/claims/{plain}/verdict", {"version": 1, "verdict": "mixed", "summary": "s"}),
    ("POST", "/api/claims/{plain}/reopen", {"version": 1}),
    (
        "POST",
        "/api/claims/{plain}/evidence",
        {"version": 1, "stance": "supports", "source": {"title": "t"}},
    ),
    ("PATCH", "/api/claims/{repeat}/evidence/{evidence}", {"version": 2, "note": "n"}),
    ("POST", "/api/articles", {"text": "The mayor said the bridge cost 12 million dollars."}),
    ("POST", "/api/sources", {"title": "A report"}),
]


def _route(path: str, data: dict[str, int]) -> str:
    return path.format(**data)


def _raw(api, method: str, path: str, text: str | bytes):  # type: ignore[no-untyped-def]
    editor = api("editor")
    return editor.client.open(
        path,
        method=method,
        data=text,
        headers={**editor.headers, "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    ("method", "path", "body"), BODY_ROUTES, ids=[p for _, p, _ in BODY_ROUTES]
)
@pytest.mark.parametrize("depth", [101, 1_000, 100_000])
def test_a_body_nested_too_deep_is_a_400_before_it_is_parsed(  # type: ignore[no-untyped-def]
    api, data: dict[str, int], method: str, path: str, body: dict, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    # Deep in a field of an otherwise good body, and as the whole body.
    inside = json.dumps(body)[:-1] + ', "extra": ' + nested + "}"
    for text in (inside, nested, "{" + '"a":{' * depth + "}" * (depth + 1)):
        response = _raw(api, method, _route(path, data), text)
        assert response.status_code == 400, text[:80]
        assert _error(response) == "too_deep"
    # Brackets inside strings are text, not nesting.
    deep_text = json.dumps({**body, "note": "[" * 5_000})
    assert _raw(api, method, _route(path, data), deep_text).status_code < 500


@pytest.mark.parametrize(
    ("method", "path", "body"), BODY_ROUTES, ids=[p for _, p, _ in BODY_ROUTES]
)
@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("\\ud800", "lone surrogate"),
        ("a\\udfffb", "lone surrogate"),
        ("\\u0000", "NUL"),
        ("x\\u0000y", "NUL"),
    ],
)
def test_text_no_database_can_hold_is_a_400_naming_the_field(  # type: ignore[no-untyped-def]
    api,
    engine: sa.Engine,
    data: dict[str, int],
    method: str,
    path: str,
    body: dict,
    bad: str,
    says: str,
) -> None:
    before = _version(engine, data["plain"])
    key = next((k for k, v in body.items() if isinstance(v, str)), "note")
    text = json.dumps({**body, key: "placeholder"}).replace("placeholder", bad)
    response = _raw(api, method, _route(path, data), text)
    assert response.status_code == 400 and _error(response) == "bad_text"
    message = response.get_json()["error"]["message"]
    assert says in message and repr(key) in message
    # In a nested field, in a key, and as raw bytes a JSON reader decodes with surrogatepass.
    nested = json.dumps({**body, "source": {"title": "placeholder"}}).replace("placeholder", bad)
    assert _error(_raw(api, method, _route(path, data), nested)) == "bad_text"
    in_key = json.dumps({**body, "placeholder": 1}).replace("placeholder", bad)
    assert _error(_raw(api, method, _route(path, data), in_key)) == "bad_text"
    assert _version(engine, data["plain"]) == before  # nothing was stored


def test_a_surrogate_sent_as_raw_bytes_is_a_400(api, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    raw = b'{"version": 1, "verdict": "mixed", "summary": "half \xed\xa0\x80 true"}'
    response = _raw(api, "POST", f"/api/claims/{data['plain']}/verdict", raw)
    assert response.status_code == 400 and _error(response) in ("bad_text", "bad_json")


def test_linking_evidence(api, engine: sa.Engine, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    editor = api("editor")
    path = f"/api/claims/{data['plain']}/evidence"
    new = editor.post(
        path,
        {
            "version": 1,
            "stance": "conflicts",
            "quote": "The bridge opened in May.",
            "source": {"title": "City hall", "url": "https://city.example/bridge"},
        },
    )
    assert new.status_code == 201
    body = new.get_json()
    assert body["evidence"]["source"]["url"] == "https://city.example/bridge"
    assert body["claim_version"] == 2
    library = editor.post(path, {"version": 2, "stance": "context", "source_id": data["source"]})
    assert library.status_code == 201
    detail = editor.get(f"/api/claims/{data['plain']}").get_json()
    assert [e["stance"] for e in detail["evidence"]] == ["conflicts", "context"]
    assert detail["version"] == 3

    for body, status in [
        ({"version": 3, "stance": "supports"}, 400),  # no source
        ({"version": 3, "stance": "supports", "source_id": 1, "source": {"title": "x"}}, 400),
        ({"version": 3, "stance": "agrees", "source_id": data["source"]}, 422),
        ({"version": 3, "stance": "supports", "source": {"title": ""}}, 422),
        ({"version": 3, "stance": "supports", "source": {"title": "x", "url": "a b"}}, 422),
        ({"version": 3, "stance": "supports", "source_id": 999_999}, 404),
        ({"version": 1, "stance": "supports", "source_id": data["source"]}, 409),
    ]:
        response = editor.post(path, body)
        assert response.status_code == status, (body, response.get_json())


def test_confirm_and_reject_suggestions(  # type: ignore[no-untyped-def]
    api, session: Session, data: dict[str, int]
) -> None:
    editor = api("editor")
    confirmed = editor.post(f"/api/suggestions/{data['suggestion']}/confirm")
    assert confirmed.status_code == 200
    body = confirmed.get_json()
    assert body["state"] == "confirmed" and body["cluster_id"] is not None
    again = editor.post(f"/api/suggestions/{data['suggestion']}/reject")
    assert again.status_code == 409 and _error(again) == "already_decided"

    repeat = editor.get(f"/api/claims/{data['repeat']}").get_json()
    assert repeat["effective_verdict"] == {"verdict": "refuted", "inherited_from": data["checked"]}
    assert repeat["suggestions"][0]["state"] == "confirmed"
    cluster = editor.get(f"/api/clusters/{body['cluster_id']}").get_json()
    assert sorted(m["id"] for m in cluster["members"]) == sorted([data["checked"], data["repeat"]])
    clusters = editor.get("/api/clusters").get_json()["clusters"]
    assert clusters == [
        {"id": body["cluster_id"], "canonical_claim_id": data["checked"], "size": 2}
    ]

    other = suggest(
        session,
        add_claim(session, add_article(session, "Z"), "Z claim"),
        session.get(Claim, data["plain"]),
    )
    session.commit()
    session.close()
    rejected = editor.post(f"/api/suggestions/{other}/reject")
    assert rejected.status_code == 200 and rejected.get_json()["state"] == "rejected"


def test_ingest_an_article(api, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    editor = api("editor")
    text = (
        "The council approved a budget of 3 million euros on Monday. "
        "The mayor said the new bridge will open in May."
    )
    response = editor.post(
        "/api/articles",
        {"text": text, "title": "Budget", "outlet": "Daily", "published": "2026-01-31"},
    )
    assert response.status_code == 201
    article = response.get_json()
    assert article["claim_count"] == 2 and article["origin"] == "api"
    assert article["published_at"].startswith("2026-01-31")
    detail = editor.get(f"/api/articles/{article['id']}").get_json()
    assert [c["text"] for c in detail["claims"]][0].startswith("The council approved")
    again = editor.post("/api/articles", {"text": text})
    assert again.status_code == 409 and again.get_json()["error"]["article_id"] == article["id"]
    for body, status in [
        ({}, 400),
        ({"text": 5}, 400),
        ({"text": "   "}, 422),
        ({"text": "Some text here.", "url": "javascript:alert(1)"}, 422),
        ({"text": "Some other text here.", "published": "yesterday"}, 422),
    ]:
        assert editor.post("/api/articles", body).status_code == status, body


# --- Reading -------------------------------------------------------------------------------------


def test_claim_list_pages_with_the_queue_filters(  # type: ignore[no-untyped-def]
    api, session: Session, data: dict[str, int]
) -> None:
    for n in range(7):
        add_claim(session, add_article(session, f"More {n}"), f"Extra claim {n}", priority=n / 10)
    session.commit()
    session.close()
    viewer = api("viewer")
    for params in [{}, {"status": "new"}, {"outlet": "Weekly"}, {"verdict": "refuted"}]:
        seen, after = [], None
        while True:
            page = viewer.get(
                "/api/claims", limit=3, **params, **({"after": after} if after else {})
            )
            assert page.status_code == 200
            body = page.get_json()
            seen += [c["id"] for c in body["claims"]]
            after = body["next_cursor"]
            if after is None:
                break
        with write_session(session.get_bind()) as db:
            expected = [
                c.id for c, _ in list_claims(db, filters_from_args(params), per_page=500).items
            ]
        assert seen == expected, params


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"status": "done"}, "bad_filter"),
        ({"changed_from": "soon"}, "bad_filter"),
        ({"cluster_id": "-1"}, "bad_filter"),
        ({"outlet": "a\x00b"}, "bad_filter"),
        ({"after": "garbage"}, "bad_cursor"),
        ({"after": "nan_1"}, "bad_cursor"),
        ({"after": "0.5_" + "9" * 30}, "bad_cursor"),
        ({"limit": "0"}, "bad_limit"),
        ({"limit": "1000"}, "bad_limit"),
    ],
)
def test_bad_list_arguments_are_400(api, users: dict[str, int], params: dict, code: str) -> None:  # type: ignore[no-untyped-def]
    response = api("viewer").get("/api/claims", **params)
    assert response.status_code == 400 and _error(response) == code


@pytest.mark.parametrize(
    "path",
    [
        "/api/claims/999999",
        "/api/articles/999999",
        "/api/sources/999999",
        "/api/clusters/999999",
        f"/api/claims/{ID_MAX + 1}",
        "/api/claims/0",
        "/api/claims/-3",
        "/api/claims/" + "9" * 40,
    ],
)
def test_unknown_ids_are_json_404s(api, users: dict[str, int], path: str) -> None:  # type: ignore[no-untyped-def]
    response = api("viewer").get(path)
    assert response.status_code == 404 and _error(response) == "not_found"


def test_unknown_ids_in_writes_are_404s(api, users: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    editor = api("editor")
    assert editor.post("/api/claims/999999/take", {"version": 1}).status_code == 404
    assert editor.post("/api/suggestions/999999/confirm").status_code == 404


def test_articles_sources_and_alerts(  # type: ignore[no-untyped-def]
    api, session: Session, data: dict[str, int]
) -> None:
    session.add(
        Alert(
            kind=AlertKind.PREVIOUSLY_CHECKED,
            claim_id=data["repeat"],
            matched_claim_id=data["checked"],
            match_key="test:by-hand",
            score=88.0,
        )
    )
    session.commit()
    session.close()
    viewer = api("viewer")
    articles = viewer.get("/api/articles", limit=1).get_json()
    assert [a["id"] for a in articles["articles"]] == [data["second"]]
    rest = viewer.get("/api/articles", after=articles["next_cursor"]).get_json()
    assert [a["id"] for a in rest["articles"]] == [data["first"]] and rest["next_cursor"] is None
    assert (
        viewer.get(f"/api/articles/{data['first']}").get_json()["claims"][0]["id"]
        == data["checked"]
    )
    found = viewer.get("/api/sources", q="stats").get_json()["sources"]
    assert [s["title"] for s in found] == ["Stats office"]
    assert viewer.get("/api/sources", q="nothing like it").get_json()["sources"] == []
    listed = viewer.get("/api/alerts").get_json()["alerts"]
    alert = next(a for a in listed if a["score"] == 88.0)
    assert alert["kind"] == "previously_checked" and alert["claim"]["id"] == data["repeat"]
    assert alert["matched_claim"]["id"] == data["checked"] and alert["state"] == "unread"


def test_export_through_the_api(api, session: Session, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    response = api("viewer").get("/api/export", format="claimreview", outlet="Daily")
    assert response.status_code == 200 and response.is_streamed
    reviews = json.loads(response.get_data(as_text=True))
    assert [r["claimReviewed"] for r in reviews] == ["Prices rose by twenty percent"]
    csv_text = api("viewer").get("/api/export", format="csv").get_data(as_text=True)
    publisher = export.Publisher(
        "Claim workbench", "http://127.0.0.1:5000/", "http://127.0.0.1:5000"
    )
    with write_session(session.get_bind()) as db:
        assert csv_text == "".join(export.export(db, "csv", ClaimFilters(), publisher))
    bad = api("viewer").get("/api/export", format="xlsx")
    assert bad.status_code == 400 and _error(bad) == "bad_format"


# --- The account page: tokens made, shown once, revoked ------------------------------------------


def test_a_person_makes_lists_and_revokes_their_tokens(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("editor")
    page = client.get("/account/")
    assert page.status_code == 200 and "no tokens yet" in page.get_data(as_text=True)
    made = client.post(
        "/account/tokens",
        data={"name": "CMS <script>", "csrf_token": csrf_token(client, "/account/")},
    )
    html = made.get_data(as_text=True)
    assert made.status_code == 200
    raw = re.search(r'<code id="new-token">(wbt_[^<]+)</code>', html).group(1)
    assert "CMS &lt;script&gt;" in html and "<script>" not in html
    assert raw not in client.get("/account/").get_data(as_text=True)  # shown once

    script = Api(app.test_client(), raw)
    assert script.get("/api/claims").status_code == 200

    with write_session(app.extensions["workbench.engine"]) as db:
        token_id = db.exec(select(tokens.ApiToken.id)).one()
    revoked = client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_token(client, "/account/")},
        follow_redirects=True,
    )
    assert "is revoked" in revoked.get_data(as_text=True)
    assert script.get("/api/claims").status_code == 401


def test_token_forms_need_csrf_and_a_name(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("viewer")
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400
    refused = client.post(
        "/account/tokens", data={"name": " ", "csrf_token": csrf_token(client, "/account/")}
    )
    assert refused.status_code == 400 and "Name the token" in refused.get_data(as_text=True)


def test_nobody_revokes_anothers_token(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, users: dict[str, int]
) -> None:
    with committed(engine) as db:
        token, raw = tokens.create_token(db, users["admin"], "admin's")
    auth.login("editor")
    response = client.post(
        f"/account/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(client, "/account/")},
        follow_redirects=True,
    )
    assert "no such token" in response.get_data(as_text=True)
    with committed(engine) as db:
        assert tokens.user_for_token(db, raw) is not None


def test_account_page_needs_a_log_in(client: FlaskClient) -> None:
    assert client.get("/account/").status_code == 302


def test_editing_and_removing_evidence(api, engine: sa.Engine, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    editor = api("editor")
    path = f"/api/claims/{data['repeat']}/evidence/{data['evidence']}"
    edited = editor.send("PATCH", path, {"version": 2, "stance": "conflicts", "note": "Older."})
    assert edited.status_code == 200
    assert edited.get_json()["evidence"]["stance"] == "conflicts"
    assert edited.get_json()["claim_version"] == 3
    stale = editor.send("PATCH", path, {"version": 2, "stance": "supports"})
    assert stale.status_code == 409 and _error(stale) == "stale_version"
    elsewhere = f"/api/claims/{data['plain']}/evidence/{data['evidence']}"
    assert editor.send("PATCH", elsewhere, {"version": 1, "stance": "supports"}).status_code == 404
    assert editor.send("DELETE", path).status_code == 400  # no version
    assert editor.send("DELETE", path + "?version=2").status_code == 409
    removed = editor.send("DELETE", path + "?version=3")
    assert removed.status_code == 200 and removed.get_json() == {"claim_version": 4}
    assert editor.get(f"/api/claims/{data['repeat']}").get_json()["evidence"] == []
    assert editor.send("DELETE", path + "?version=4").status_code == 404


def test_adding_a_source_to_the_library(api, data: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    editor = api("editor")
    body = {"title": "Met office", "url": "https://met.example/rain", "kind": "dataset"}
    added = editor.post("/api/sources", body)
    assert added.status_code == 201 and added.get_json()["kind"] == "dataset"
    again = editor.post("/api/sources", {**body, "title": "Another title"})
    assert again.status_code == 200 and again.get_json()["id"] == added.get_json()["id"]
    assert editor.get(f"/api/sources/{added.get_json()['id']}").get_json()["title"] == "Met office"
    for bad in ({"title": ""}, {"title": "x", "kind": "rumour"}, {"title": "x", "url": "a b"}):
        response = editor.post("/api/sources", bad)
        assert response.status_code == 422 and _error(response) == "invalid", bad
