"""The alerts on the web: the inbox and its permissions, acknowledge and dismiss (audited, CSRF),
the header's unread count, the Atom feed and JSON endpoint with tokens, and the admin screens for
webhooks (SSRF refusals) and failed deliveries (retry)."""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from conftest import AuthActions, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from workbench.accounts import tokens
from workbench.alerts import rules as alerts
from workbench.alerts import webhooks
from workbench.alerts.delivery import DeliveryConfig, deliver_once
from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import (
    Alert,
    AlertState,
    AuditEvent,
    Claim,
    Delivery,
    DeliveryState,
    TokenKind,
    Verdict,
    Webhook,
)
from workbench.net.egress import Allowance
from workbench.review import verdicts as review

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Story:
    being_checked: int  # alert ids
    previously_checked: int
    new_claim: int


def _claim_of(db, title: str, text: str) -> int:  # type: ignore[no-untyped-def]
    result = ingest_article(db, ArticleInput(body=text, title=title), match=False)
    return db.exec(select(Claim.id).where(Claim.article_id == result.article.id)).one()


@pytest.fixture
def story(engine: sa.Engine, users: dict[str, int]) -> Story:
    """Two archived claims (one in review, one checked) and a new claim repeating both, with
    hostile text in claims and titles; the pairs are given, as the matcher would give them."""
    editor = users["editor"]
    with committed(engine) as db:
        in_review = _claim_of(
            db, f"Review {IMG}", f"The council spent {SCRIPT} on roads & bridges."
        )
        checked = _claim_of(db, "Checked", "The council spent 12 million on roads last year.")
        new = _claim_of(db, f"New {SCRIPT}", f"The council spent 12 million {IMG} on roads.")
        # Ingest strips control characters; text from elsewhere (an archive import) may not,
        # and XML cannot carry them at all.
        db.execute(
            sa.update(Claim)
            .where(Claim.id == new)
            .values(text=f"The council spent 12 million {IMG} on roads\x0b\x1f.")
        )
        review.take(db, in_review, editor, 1)
        review.take(db, checked, editor, 1)
        review.set_verdict(db, checked, editor, 2, Verdict.REFUTED, "No.")
        made = alerts.raise_for_suggestions(db, [(new, in_review, 80.0), (new, checked, 90.0)])
        db.commit()
    being, previously = sorted(made)
    return Story(being_checked=being, previously_checked=previously, new_claim=new)


def _state(engine: sa.Engine, alert_id: int) -> AlertState:
    with read_session(engine) as db:
        alert = db.get(Alert, alert_id)
        assert alert is not None
        return alert.state


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _unread_badge(page: str) -> str | None:
    found = re.search(r'class="badge unread"[^>]*>(\d+)<', page)
    return found.group(1) if found else None


# --- The inbox ------------------------------------------------------------------------------------


def test_the_inbox_needs_a_login(client: FlaskClient, story: Story) -> None:
    response = client.get("/alerts/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_viewer_reads_the_inbox_side_by_side_but_cannot_act(
    client: FlaskClient, auth: AuthActions, story: Story, engine: sa.Engine
) -> None:
    auth.login("viewer")
    page = _text(client.get("/alerts/"))
    assert f'id="alert-{story.being_checked}"' in page
    assert f'id="alert-{story.previously_checked}"' in page
    assert page.count('class="side-by-side"') == 2
    assert "previously checked" in page and "being checked" in page
    assert "/acknowledge" not in page and "/dismiss" not in page
    assert _unread_badge(page) == "2"

    token = csrf_token(client, "/alerts/")
    response = client.post(f"/alerts/{story.being_checked}/acknowledge", data={"csrf_token": token})
    assert response.status_code == 403
    assert _state(engine, story.being_checked) == AlertState.UNREAD


def test_an_editor_acknowledges_and_dismisses_and_both_are_audited(
    client: FlaskClient, auth: AuthActions, story: Story, engine: sa.Engine, users: dict[str, int]
) -> None:
    auth.login("editor")
    token = csrf_token(client, "/alerts/")
    response = client.post(
        f"/alerts/{story.being_checked}/acknowledge", data={"csrf_token": token, "kind": ""}
    )
    assert response.status_code == 302
    response = client.post(
        f"/alerts/{story.previously_checked}/dismiss", data={"csrf_token": token}
    )
    assert response.status_code == 302

    assert _state(engine, story.being_checked) == AlertState.ACKNOWLEDGED
    assert _state(engine, story.previously_checked) == AlertState.DISMISSED
    with read_session(engine) as db:
        events = db.exec(
            select(AuditEvent).where(AuditEvent.entity_type == "alert").order_by(AuditEvent.id)
        ).all()
        handled = db.get(Alert, story.being_checked)
    assert [(e.action, e.entity_id, e.actor_id, e.after) for e in events] == [
        ("alert.acknowledge", story.being_checked, users["editor"], {"state": "acknowledged"}),
        ("alert.dismiss", story.previously_checked, users["editor"], {"state": "dismissed"}),
    ]
    assert handled is not None and handled.handled_by_id == users["editor"]

    # The unread count is gone from the header; the inbox opens on unread alerts only.
    page = _text(client.get("/alerts/"))
    assert _unread_badge(page) is None
    assert "No alerts unread" in page
    page = _text(client.get("/alerts/?state=acknowledged"))
    assert f'id="alert-{story.being_checked}"' in page
    assert f'id="alert-{story.previously_checked}"' not in page
    assert "acknowledged by editor" in page
    page = _text(client.get("/alerts/?state=all&kind=previously_checked"))
    assert f'id="alert-{story.previously_checked}"' in page
    assert f'id="alert-{story.being_checked}"' not in page


def test_acting_twice_is_recorded_once(
    client: FlaskClient, auth: AuthActions, story: Story, engine: sa.Engine
) -> None:
    auth.login("editor")
    token = csrf_token(client, "/alerts/")
    for _ in range(2):
        client.post(f"/alerts/{story.being_checked}/acknowledge", data={"csrf_token": token})
    with read_session(engine) as db:
        count = db.exec(
            select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.entity_type == "alert")
        ).one()
    assert count == 1


def test_acting_needs_a_csrf_token_and_a_post(
    client: FlaskClient, auth: AuthActions, story: Story, engine: sa.Engine
) -> None:
    auth.login("editor")
    assert client.post(f"/alerts/{story.being_checked}/acknowledge").status_code == 400
    bad = client.post(f"/alerts/{story.being_checked}/dismiss", data={"csrf_token": "forged"})
    assert bad.status_code == 400
    assert client.get(f"/alerts/{story.being_checked}/acknowledge").status_code == 405
    assert _state(engine, story.being_checked) == AlertState.UNREAD


def test_an_unknown_alert_is_404(client: FlaskClient, auth: AuthActions, story: Story) -> None:
    auth.login("editor")
    token = csrf_token(client, "/alerts/")
    assert client.post("/alerts/99999/acknowledge", data={"csrf_token": token}).status_code == 404


def test_hostile_text_is_escaped_in_the_inbox(
    client: FlaskClient, auth: AuthActions, story: Story
) -> None:
    auth.login("viewer")
    page = _text(client.get("/alerts/"))
    assert SCRIPT not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_header_shows_the_unread_count_on_every_page(
    client: FlaskClient, auth: AuthActions, story: Story
) -> None:
    auth.login("viewer")
    assert _unread_badge(_text(client.get("/claims/"))) == "2"
    assert 'href="/alerts/"' in _text(client.get("/articles/"))


# --- The Atom feed -------------------------------------------------------------------------------


def _token(engine: sa.Engine, user_id: int, kind: TokenKind = TokenKind.FEED) -> str:
    with committed(engine) as db:
        return tokens.create_token(db, user_id, "feed reader", kind)[1]


def test_the_feed_needs_a_token(client: FlaskClient, story: Story, engine: sa.Engine) -> None:
    response = client.get("/alerts/feed.atom")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/alerts/feed.atom?token=wbt_not-a-token").status_code == 401
    bad = client.get("/alerts/feed.atom", headers={"Authorization": "Bearer wbt_nope"})
    assert bad.status_code == 401


def test_a_revoked_token_opens_no_feed(
    client: FlaskClient, story: Story, engine: sa.Engine, users: dict[str, int]
) -> None:
    raw = _token(engine, users["viewer"])
    assert client.get(f"/alerts/feed.atom?token={raw}").status_code == 200
    with committed(engine) as db:
        [made] = tokens.user_tokens(db, users["viewer"])
        tokens.revoke_token(db, users["viewer"], made.id)
    assert client.get(f"/alerts/feed.atom?token={raw}").status_code == 401


@pytest.mark.parametrize("how", ["query", "header"])
def test_the_feed_is_atom_with_hostile_text_as_text(
    client: FlaskClient, story: Story, engine: sa.Engine, users: dict[str, int], how: str
) -> None:
    raw = _token(engine, users["viewer"])
    if how == "query":
        response = client.get(f"/alerts/feed.atom?token={raw}")
    else:
        response = client.get("/alerts/feed.atom", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    body = response.get_data()
    assert SCRIPT.encode() not in body  # escaped, not markup

    root = ET.fromstring(body)  # well-formed, control characters and all
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    newest = entries[0]
    assert newest.findtext(f"{ATOM}title", "").startswith("Previously checked (refuted): claim #")
    content = newest.findtext(f"{ATOM}content", "")
    assert IMG in content  # the hostile text arrives as the text it is, not as elements
    assert newest.find(f"{ATOM}content/{ATOM}img") is None
    assert newest.find(f"{ATOM}link").get("href", "").endswith(f"/claims/{story.new_claim}")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[1].startswith("Being checked: claim #")


def test_a_feed_token_reads_the_feed_and_nothing_else(
    client: FlaskClient, story: Story, engine: sa.Engine, users: dict[str, int]
) -> None:
    """An editor's feed token, which travels in a feed reader's URL, cannot write or read
    through the API; an API token, which can, is not taken from a URL."""
    feed = _token(engine, users["editor"])
    assert feed.startswith("wbf_")
    assert client.get(f"/alerts/feed.atom?token={feed}").status_code == 200
    bearer = {"Authorization": f"Bearer {feed}"}
    write = client.post(f"/api/claims/{story.new_claim}/take", json={"version": 1}, headers=bearer)
    assert write.status_code == 401 and write.get_json()["error"]["code"] == "feed_token"
    assert client.get("/api/alerts", headers=bearer).status_code == 401

    api = _token(engine, users["editor"], TokenKind.API)
    assert client.get(f"/alerts/feed.atom?token={api}").status_code == 401  # not in a URL
    header = client.get("/alerts/feed.atom", headers={"Authorization": f"Bearer {api}"})
    assert header.status_code == 200


# --- JSON ----------------------------------------------------------------------------------------


def test_the_json_endpoint_needs_a_login_or_token(client: FlaskClient, story: Story) -> None:
    response = client.get("/api/alerts")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_json_endpoint_lists_alerts_with_filters_and_paging(
    client: FlaskClient, story: Story, engine: sa.Engine, users: dict[str, int]
) -> None:
    headers = {"Authorization": f"Bearer {_token(engine, users['viewer'], TokenKind.API)}"}
    data = client.get("/api/alerts", headers=headers).get_json()
    assert [a["id"] for a in data["alerts"]] == [story.previously_checked, story.being_checked]
    first = data["alerts"][0]
    assert first["kind"] == "previously_checked" and first["verdict"] == "refuted"
    assert first["claim"]["id"] == story.new_claim
    assert first["matched_claim"]["status"] == "verdict"
    assert first["claim"]["article"]["title"] == f"New {SCRIPT}"  # JSON carries text as is
    assert data["next_before"] is None

    page = client.get("/api/alerts?limit=1", headers=headers).get_json()
    assert [a["id"] for a in page["alerts"]] == [story.previously_checked]
    older = client.get(f"/api/alerts?limit=1&before={page['next_before']}", headers=headers)
    assert [a["id"] for a in older.get_json()["alerts"]] == [story.being_checked]

    kind = client.get("/api/alerts?kind=being_checked", headers=headers).get_json()
    assert [a["id"] for a in kind["alerts"]] == [story.being_checked]
    assert client.get("/api/alerts?state=dismissed", headers=headers).get_json()["alerts"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("kind=nope", "bad_kind"),
        ("state=read", "bad_state"),
        ("limit=0", "bad_limit"),
        ("limit=²", "bad_limit"),
        ("limit=201", "bad_limit"),
        ("before=x", "bad_before"),
    ],
)
def test_the_json_endpoint_refuses_bad_parameters(
    client: FlaskClient, auth: AuthActions, story: Story, query: str, code: str
) -> None:
    auth.login("viewer")  # a logged-in browser works too
    response = client.get(f"/api/alerts?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


# --- Webhooks and deliveries (admins) ----------------------------------------------------------


@pytest.fixture
def loopback_app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(egress_allow=("127.0.0.1",))


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_see_webhooks(client: FlaskClient, auth: AuthActions, role: str) -> None:
    auth.login(role)
    assert client.get("/alerts/webhooks").status_code == 403
    token = csrf_token(client, "/alerts/")
    response = client.post(
        "/alerts/webhooks", data={"csrf_token": token, "url": "https://example.com/"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hook", "a loopback address"),
        ("http://169.254.169.254/latest", "a cloud metadata address"),
        ("http://10.0.0.5/", "a private address"),
        ("gopher://example.com/", "must start with https://"),
    ],
)
def test_admin_registering_an_unsafe_address_is_told_why(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, url: str, message: str
) -> None:
    auth.login("admin")
    token = csrf_token(client, "/alerts/webhooks")
    response = client.post("/alerts/webhooks", data={"csrf_token": token, "url": url})
    assert response.status_code == 400
    page = _text(response)
    assert message in page
    assert "WORKBENCH_EGRESS_ALLOW" in page or "https://" in message
    with read_session(engine) as db:
        assert db.exec(select(Webhook)).all() == []


def test_admin_registers_a_webhook_and_needs_csrf(
    loopback_app: Flask, users: dict[str, int]
) -> None:
    client = loopback_app.test_client()
    AuthActions(client).login("admin")
    data = {"url": "http://127.0.0.1:9/hook", "format": "slack"}
    assert client.post("/alerts/webhooks", data=data).status_code == 400  # no CSRF token
    token = csrf_token(client, "/alerts/webhooks")
    response = client.post("/alerts/webhooks", data={**data, "csrf_token": token})
    assert response.status_code == 302
    page = _text(client.get("/alerts/webhooks"))
    assert "http://127.0.0.1:9/hook" in page and "slack" in page and "whsec_" in page
    engine = loopback_app.extensions["workbench.engine"]
    with read_session(engine) as db:
        hook = db.exec(select(Webhook)).one()
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "webhook.create")).one()
    assert hook.is_active and hook.created_by_id == users["admin"]
    assert event.entity_id == hook.id


def test_a_dead_delivery_shows_with_a_retry_button_that_works(
    loopback_app: Flask, users: dict[str, int]
) -> None:
    engine = loopback_app.extensions["workbench.engine"]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens here: every attempt is refused
    with committed(engine) as db:
        hook = webhooks.register(
            db, users["admin"], f"http://127.0.0.1:{port}/", allow=Allowance.parse(["127.0.0.1"])
        ).webhook
        old = _claim_of(db, "Old", "The council spent 12 million on roads last year.")
        new = _claim_of(db, "New", "The council spent 12 million on the roads last year.")
        review.take(db, old, users["editor"], 1)
        alerts.raise_for_suggestions(db, [(new, old, 88.0)])
        db.commit()
    config = DeliveryConfig(timeout_s=0.5, attempts=1, allow=Allowance.parse(["127.0.0.1"]))
    assert deliver_once(engine, config).dead == 1

    client = loopback_app.test_client()
    AuthActions(client).login("admin")
    page = _text(client.get("/alerts/webhooks"))
    [delivery_id] = re.findall(r'id="delivery-(\d+)"', page)
    assert "dead" in page and ">Retry</button>" in page
    token = csrf_token(client, "/alerts/webhooks")
    response = client.post(f"/alerts/deliveries/{delivery_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    with read_session(engine) as db:
        delivery = db.get(Delivery, int(delivery_id))
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "delivery.retry")).one()
    assert delivery is not None
    assert (delivery.state, delivery.attempts, delivery.webhook_id) == (
        DeliveryState.PENDING,
        0,
        hook.id,
    )
    assert event.actor_id == users["admin"]
    # A pending delivery cannot be "retried" again; the admin is told so.
    again = client.post(
        f"/alerts/deliveries/{delivery_id}/retry", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Only a dead or stopped delivery can be retried." in _text(again)


def test_switching_a_webhook_off_stops_its_waiting_deliveries(
    loopback_app: Flask, users: dict[str, int]
) -> None:
    engine = loopback_app.extensions["workbench.engine"]
    with committed(engine) as db:
        hook = webhooks.register(
            db, users["admin"], "http://127.0.0.1:9/", allow=Allowance.parse(["127.0.0.1"])
        ).webhook
        old = _claim_of(db, "Old", "The council spent 12 million on roads last year.")
        new = _claim_of(db, "New", "The council spent 12 million on the roads last year.")
        review.take(db, old, users["editor"], 1)
        alerts.raise_for_suggestions(db, [(new, old, 88.0)])
        db.commit()
    client = loopback_app.test_client()
    AuthActions(client).login("admin")
    token = csrf_token(client, "/alerts/webhooks")
    assert (
        client.post(f"/alerts/webhooks/{hook.id}/disable", data={"csrf_token": token}).status_code
        == 302
    )
    with read_session(engine) as db:
        assert db.exec(select(Delivery.state)).all() == [DeliveryState.STOPPED]
        assert db.get(Webhook, hook.id).is_active is False  # type: ignore[union-attr]


def test_the_json_endpoint_takes_tokens_only_in_the_header(
    client: FlaskClient, story: Story, engine: sa.Engine, users: dict[str, int]
) -> None:
    raw = _token(engine, users["viewer"], TokenKind.API)
    assert client.get(f"/api/alerts?token={raw}").status_code == 401
    assert client.get("/api/alerts", headers={"Authorization": f"bearer {raw}"}).status_code == 200


# --- Every alerts route, every actor ------------------------------------------------------------

# (method, path, who may) for each route of the alerts blueprints; "token" routes answer 401 to
# everyone without a token, logged in or not.
ROUTES = [
    ("GET", "/alerts/", "viewer"),
    ("POST", "/alerts/{alert}/acknowledge", "editor"),
    ("POST", "/alerts/{alert}/dismiss", "editor"),
    ("GET", "/alerts/webhooks", "admin"),
    ("POST", "/alerts/webhooks", "admin"),
    ("POST", "/alerts/webhooks/{webhook}/disable", "admin"),
    ("POST", "/alerts/webhooks/{webhook}/enable", "admin"),
    ("POST", "/alerts/deliveries/{delivery}/retry", "admin"),
    ("GET", "/api/alerts", "viewer"),
    ("GET", "/alerts/feed.atom", "token"),
]
RANK = {None: 0, "viewer": 1, "editor": 2, "admin": 3}


def test_the_route_table_covers_every_alerts_route(app: Flask) -> None:
    """A new route must be added to ROUTES, so its permissions are tested."""
    every = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("alerts.") or rule.endpoint == "api.alerts"
        for method in rule.methods - {"HEAD", "OPTIONS"}  # type: ignore[operator]
    }
    urls = app.url_map.bind("localhost")
    listed = {
        (method, urls.match(path.format(alert=1, webhook=1, delivery=1), method)[0])
        for method, path, _ in ROUTES
    }
    assert every == listed


@pytest.mark.parametrize("actor", [None, "viewer", "editor", "admin"])
def test_every_alerts_route_answers_each_actor_as_it_should(
    loopback_app: Flask, users: dict[str, int], actor: str | None
) -> None:
    engine = loopback_app.extensions["workbench.engine"]
    with committed(engine) as db:
        hook = webhooks.register(
            db, users["admin"], "http://127.0.0.1:9/", allow=Allowance.parse(["127.0.0.1"])
        ).webhook
        old = _claim_of(db, "Old", "The council spent 12 million on roads last year.")
        new = _claim_of(db, "New", "The council spent 12 million on the roads last year.")
        review.take(db, old, users["editor"], 1)
        [alert_id] = alerts.raise_for_suggestions(db, [(new, old, 88.0)])
        db.commit()
        delivery_id = db.exec(select(Delivery.id)).one()
        db.execute(sa.update(Delivery).values(state=DeliveryState.DEAD))
        db.commit()
    client = loopback_app.test_client()
    if actor:
        AuthActions(client).login(actor)
    token = csrf_token(client, "/auth/login")
    ids = {"alert": alert_id, "webhook": hook.id, "delivery": delivery_id}
    for method, path, needed in ROUTES:
        url = path.format(**ids)
        if method == "GET":
            response = client.get(url)
        else:
            data = {"csrf_token": token, "url": "http://127.0.0.1:9/other"}
            response = client.post(url, data=data)
        if needed == "token":
            expected = {401}
        elif RANK[actor] >= RANK[needed]:
            expected = {200, 302}
        elif actor is None:
            expected = {401} if url.startswith("/api/") else {302}
        else:
            expected = {401, 403} if url.startswith("/api/") else {403}
        assert response.status_code in expected, (actor, method, url, response.status_code)
        if actor is None and response.status_code == 302:
            assert "/auth/login" in response.headers["Location"]
