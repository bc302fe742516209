"""Duplicate-claim alerts: the rules that raise them (on ingest, confirm and verdict), and their
delivery through the outbox to a real HTTP receiver on loopback: retries, order, signatures,
dead deliveries, 410, redirects, SSRF refusals, and a worker killed mid-send.

Retries run on a given clock (`deliver_once(now=...)`), so back-off of tens of seconds costs no
waiting; only the client timeout (a fraction of a second) is real.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from claim_data import TALKS, TALKS_AGAIN
from conftest import REPO, cli_environment, committed
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workbench import shapes
from workbench.alerts import rules as alerts
from workbench.alerts import webhooks
from workbench.alerts.delivery import DeliveryConfig, deliver_once, run
from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import (
    Alert,
    AlertKind,
    AlertState,
    Claim,
    Delivery,
    DeliveryState,
    DuplicateSuggestion,
    SuggestionState,
    Verdict,
    Webhook,
    WebhookFormat,
    utcnow,
)
from workbench.net.egress import Allowance
from workbench.review import duplicates
from workbench.review import verdicts as review

# The same talks reported three times, each in other words; and a sentence that matches nothing.
TALKS_THIRD = (
    "Military talks between the US and Russia on the Syrian crisis began on Friday with a phone "
    "call between US Defense Secretary Ash Carter and Russian defense minister Sergei Shoigu."
)
UNEMPLOYMENT = "Unemployment fell to 4.1 percent in March, the lowest level since 2001."
BRIDGE = "The city spent $12 million on the new bridge last year."
LOOPBACK = Allowance.parse(["127.0.0.1"])


def _ingest(db: Session, *sentences: str, title: str) -> list[int]:
    result = ingest_article(db, ArticleInput(body="\n".join(sentences), title=title))
    ids = db.exec(
        select(Claim.id).where(Claim.article_id == result.article.id).order_by(Claim.position)
    ).all()
    assert len(ids) == len(sentences)
    return list(ids)


def _claim(db: Session, claim_id: int) -> Claim:
    db.expire_all()
    claim = db.get(Claim, claim_id)
    assert claim is not None
    return claim


def _take(db: Session, claim_id: int, editor: int) -> None:
    review.take(db, claim_id, editor, _claim(db, claim_id).version)


def _verdict(db: Session, claim_id: int, editor: int, verdict: Verdict = Verdict.REFUTED) -> None:
    review.set_verdict(db, claim_id, editor, _claim(db, claim_id).version, verdict, "Checked.")


def _alerts(db: Session) -> list[tuple[AlertKind, int, int, str]]:
    db.expire_all()
    rows = db.exec(select(Alert).order_by(Alert.id)).all()
    return [(a.kind, a.claim_id, a.matched_claim_id, a.match_key) for a in rows]


def _pending_suggestion(db: Session, claim_id: int, candidate_id: int) -> int:
    found = db.exec(
        select(DuplicateSuggestion.id).where(
            DuplicateSuggestion.claim_id == claim_id,
            DuplicateSuggestion.candidate_id == candidate_id,
            DuplicateSuggestion.state == SuggestionState.PENDING,
        )
    ).first()
    assert found is not None, "ingest should suggest this pair"
    return found


# --- Rules: ingest --------------------------------------------------------------------------------


def test_a_repeat_of_a_claim_with_a_verdict_raises_previously_checked(
    session: Session, users: dict[str, int]
) -> None:
    old, other = _ingest(session, TALKS, UNEMPLOYMENT, title="First")
    _take(session, old, users["editor"])
    _verdict(session, old, users["editor"], Verdict.SUPPORTED)
    assert _alerts(session) == []

    new, unrelated = _ingest(session, TALKS_AGAIN, BRIDGE, title="Second")

    assert _alerts(session) == [(AlertKind.PREVIOUSLY_CHECKED, new, old, f"claim:{old}")]
    alert = session.exec(select(Alert)).one()
    assert alert.verdict == Verdict.SUPPORTED
    assert alert.state == AlertState.UNREAD
    assert alert.score is not None and alert.score >= 70


def test_a_repeat_of_a_claim_in_review_raises_being_checked(
    session: Session, users: dict[str, int]
) -> None:
    [old] = _ingest(session, TALKS, title="First")
    _take(session, old, users["editor"])

    [new] = _ingest(session, TALKS_AGAIN, title="Second")

    assert _alerts(session) == [(AlertKind.BEING_CHECKED, new, old, f"claim:{old}")]
    assert session.exec(select(Alert)).one().verdict is None


def test_a_repeat_of_a_new_claim_raises_nothing(session: Session) -> None:
    _ingest(session, TALKS, title="First")
    _ingest(session, TALKS_AGAIN, title="Second")
    assert session.exec(select(DuplicateSuggestion)).all(), "the pair should be suggested"
    assert _alerts(session) == []


def test_a_repeat_of_several_claims_of_one_cluster_raises_one_alert(
    session: Session, users: dict[str, int]
) -> None:
    [first] = _ingest(session, TALKS, title="First")
    [second] = _ingest(session, TALKS_AGAIN, title="Second")
    cluster = duplicates.confirm(
        session, _pending_suggestion(session, second, first), users["editor"]
    )
    assert cluster.canonical_claim_id == first
    _take(session, first, users["editor"])
    _verdict(session, first, users["editor"])
    _take(session, second, users["editor"])  # a second member in review: the verdict still wins
    session.execute(sa.delete(Alert))
    session.commit()

    [third] = _ingest(session, TALKS_THIRD, title="Third")

    suggested = session.exec(
        select(DuplicateSuggestion.candidate_id).where(DuplicateSuggestion.claim_id == third)
    ).all()
    assert sorted(suggested) == sorted([first, second]), "both members should be suggested"
    [(kind, claim_id, matched, key)] = _alerts(session)
    assert (kind, claim_id, key) == (AlertKind.PREVIOUSLY_CHECKED, third, f"cluster:{cluster.id}")
    assert matched in (first, second)
    assert session.exec(select(Alert)).one().verdict == Verdict.REFUTED  # the cluster's verdict


def test_the_same_alert_is_never_raised_twice(session: Session, users: dict[str, int]) -> None:
    [old] = _ingest(session, TALKS, title="First")
    _take(session, old, users["editor"])
    [new] = _ingest(session, TALKS_AGAIN, title="Second")
    assert len(_alerts(session)) == 1

    # The rule firing again (a re-run, a second worker) adds nothing...
    assert alerts.raise_for_suggestions(session, [(new, old, 99.0)]) == []
    session.commit()
    assert len(_alerts(session)) == 1
    # ...and the database itself refuses a second alert for the claim and match.
    with pytest.raises(IntegrityError):
        session.add(
            Alert(
                kind=AlertKind.PREVIOUSLY_CHECKED,
                claim_id=new,
                matched_claim_id=old,
                match_key=f"claim:{old}",
            )
        )
        session.commit()
    session.rollback()


def test_matches_in_different_clusters_raise_one_alert_each(
    session: Session, users: dict[str, int]
) -> None:
    [a] = _ingest(session, TALKS, title="First")
    [b] = _ingest(session, UNEMPLOYMENT, title="Other")
    _take(session, a, users["editor"])
    _verdict(session, b, users["editor"])
    [new] = _ingest(session, BRIDGE, title="New")  # matches neither: the pairs are given here

    created = alerts.raise_for_suggestions(session, [(new, a, 80.0), (new, b, 75.0)])
    session.commit()

    assert len(created) == 2
    assert sorted(_alerts(session)) == sorted(
        [
            (AlertKind.BEING_CHECKED, new, a, f"claim:{a}"),
            (AlertKind.PREVIOUSLY_CHECKED, new, b, f"claim:{b}"),
        ]
    )


# --- Rules: confirm and verdict -------------------------------------------------------------------


def test_confirming_into_a_checked_cluster_alerts_the_claims_that_now_inherit(
    session: Session, users: dict[str, int]
) -> None:
    [old] = _ingest(session, TALKS, title="First")
    _take(session, old, users["editor"])
    _verdict(session, old, users["editor"], Verdict.MIXED)
    [new] = _ingest(session, TALKS_AGAIN, title="Second")
    assert [a[0] for a in _alerts(session)] == [AlertKind.PREVIOUSLY_CHECKED]

    duplicates.confirm(session, _pending_suggestion(session, new, old), users["editor"])

    assert _alerts(session)[1:] == [(AlertKind.VERDICT_REACHED, new, old, f"verdict:{old}:mixed")]
    alert = session.exec(select(Alert).where(Alert.kind == AlertKind.VERDICT_REACHED)).one()
    assert alert.verdict == Verdict.MIXED
    assert "now shows its verdict, mixed, as inherited" in (alert.note or "")
    shown = duplicates.effective_verdict(session, _claim(session, new))
    assert shown.verdict == Verdict.MIXED and shown.inherited_from is not None


def test_confirming_into_an_unchecked_cluster_raises_nothing(
    session: Session, users: dict[str, int]
) -> None:
    [old] = _ingest(session, TALKS, title="First")
    [new] = _ingest(session, TALKS_AGAIN, title="Second")
    duplicates.confirm(session, _pending_suggestion(session, new, old), users["editor"])
    assert _alerts(session) == []


def test_a_verdict_on_a_cluster_alerts_its_pending_members(
    session: Session, users: dict[str, int]
) -> None:
    [first] = _ingest(session, TALKS, title="First")
    [second] = _ingest(session, TALKS_AGAIN, title="Second")
    cluster = duplicates.confirm(
        session, _pending_suggestion(session, second, first), users["editor"]
    )
    [third] = _ingest(session, TALKS_THIRD, title="Third")  # pending suggestions to both
    [checked] = _ingest(session, UNEMPLOYMENT, title="Own verdict")
    _take(session, checked, users["editor"])
    _verdict(session, checked, users["editor"], Verdict.SUPPORTED)
    session.add(DuplicateSuggestion(claim_id=checked, candidate_id=first, score=71, method="t"))
    session.commit()
    session.execute(sa.delete(Alert))
    session.commit()

    _take(session, first, users["editor"])
    _verdict(session, first, users["editor"], Verdict.REFUTED)

    key = f"verdict:{first}:refuted"
    # The member without a verdict inherits it; the claim with a pending suggestion hears of it;
    # the claim with its own verdict does not.
    assert sorted(_alerts(session)) == sorted(
        [
            (AlertKind.VERDICT_REACHED, second, first, key),
            (AlertKind.VERDICT_REACHED, third, first, key),
        ]
    )
    notes = dict(session.exec(select(Alert.claim_id, Alert.note)).all())
    assert "now shows it as inherited" in notes[second]
    assert "the suggestion is still open" in notes[third]
    assert cluster.id == _claim(session, second).cluster_id

    # Reopened and given the same verdict again: nothing new to tell. A different verdict is news.
    review.reopen(session, first, users["editor"], _claim(session, first).version)
    _verdict(session, first, users["editor"], Verdict.REFUTED)
    assert len(_alerts(session)) == 2
    review.reopen(session, first, users["editor"], _claim(session, first).version)
    _verdict(session, first, users["editor"], Verdict.MIXED)
    assert len(_alerts(session)) == 4


def test_a_verdict_on_a_claim_outside_clusters_alerts_pending_repeats(
    session: Session, users: dict[str, int]
) -> None:
    [old] = _ingest(session, TALKS, title="First")
    [new] = _ingest(session, TALKS_AGAIN, title="Second")
    assert _alerts(session) == []
    _take(session, old, users["editor"])
    _verdict(session, old, users["editor"])
    assert _alerts(session) == [(AlertKind.VERDICT_REACHED, new, old, f"verdict:{old}:refuted")]


# --- A receiver on loopback -----------------------------------------------------------------------


@dataclass
class Request:
    headers: dict[str, str]
    body: bytes
    answered: int | None  # None: the client gave up before the answer
    path: str = ""


@dataclass
class Receiver:
    """A real HTTP server that answers from a script: a status code, "sleep" (longer than the
    client waits) or "hang" (much longer); after the script, 200."""

    script: list[str] = field(default_factory=list)
    sleep_s: float = 1.6
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    got_request: threading.Event = field(default_factory=threading.Event)

    def accepted(self) -> list[dict]:
        """Each message the receiver took, once: it drops webhook-ids it has seen."""
        seen, bodies = set(), []
        for request in self.requests:
            message_id = request.headers["webhook-id"]
            ok = request.answered is not None and 200 <= request.answered < 300
            if ok and message_id not in seen:
                seen.add(message_id)
                bodies.append(json.loads(request.body))
        return bodies


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            step = state.script.pop(0) if state.script else "200"
            request = Request(
                {k.lower(): v for k, v in self.headers.items()}, body, None, self.path
            )
            state.requests.append(request)
            state.got_request.set()
            if step in ("sleep", "hang"):
                time.sleep(state.sleep_s if step == "sleep" else 30)
                return  # the client is gone; answering would only fail
            status = int(step)
            request.answered = status
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.url + "elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# A client timeout well above a loopback answer's time even on a busy machine, well below `sleep`.
CONFIG = DeliveryConfig(timeout_s=0.8, attempts=4, backoff_s=10, allow=LOOPBACK)


def _webhook(engine: sa.Engine, url: str, fmt: WebhookFormat = WebhookFormat.STANDARD) -> Webhook:
    with committed(engine) as db:
        return webhooks.register(db, None, url, format=fmt, allow=LOOPBACK).webhook  # type: ignore[arg-type]


def _raise_alerts(engine: sa.Engine, editor: int, count: int) -> list[int]:
    """`count` alerts, oldest first: repeats of claims in review, one new claim each."""
    sentences = [TALKS, UNEMPLOYMENT, BRIDGE][:count]
    repeats = [TALKS_AGAIN, "Unemployment dropped to 4.1 percent in March, its lowest since 2001."]
    repeats.append("Last year the city spent $12 million on the new bridge.")
    with committed(engine) as db:
        olds = _ingest(db, *sentences, title="Archive")
        for old in olds:
            _take(db, old, editor)
        for number, text in enumerate(repeats[:count]):
            _ingest(db, text, title=f"Repeat {number}")
        ids = list(db.exec(select(Alert.id).order_by(Alert.id)).all())
    assert len(ids) == count, "each repeat should raise one alert"
    return ids


def _deliveries(engine: sa.Engine) -> list[Delivery]:
    with read_session(engine) as db:
        return list(db.exec(select(Delivery).order_by(Delivery.id)).all())


def _verify(secret: str, request: Request) -> bool:
    """The receiver's side of the Standard Webhooks signature, written from the spec."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message_id = request.headers["webhook-id"]
    stamp = request.headers["webhook-timestamp"]
    signed = f"{message_id}.{stamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in request.headers["webhook-signature"].split()]
    return abs(time.time() - int(stamp)) < 300 and any(
        hmac.compare_digest(expected, g) for g in given
    )


def _until_settled(engine: sa.Engine, config: DeliveryConfig, start: datetime) -> datetime:
    """Run passes on a clock that jumps to each next retry, until nothing is pending (deliveries
    queued behind a head still show their enqueue time, so only later times count)."""
    now = start
    for _ in range(50):
        deliver_once(engine, config, now=now)
        waiting = [d.next_attempt_at for d in _deliveries(engine) if d.state == "pending"]
        if not waiting:
            return now
        now = min(t for t in waiting if t > now) + timedelta(milliseconds=1)
    raise AssertionError("deliveries never settled")


# --- Delivery -------------------------------------------------------------------------------------


def test_every_alert_arrives_once_in_order_through_errors_and_timeouts(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    hook = _webhook(engine, receiver.url)
    ids = _raise_alerts(engine, users["editor"], 3)
    # The first attempt gets a 500, the second times out, then the receiver is fine.
    receiver.script[:] = ["500", "sleep"]
    start = utcnow()

    first = deliver_once(engine, CONFIG, now=start)
    assert (first.retrying, first.delivered) == (1, 0)
    # The later alerts wait behind the first: nothing overtakes it.
    assert len(receiver.requests) == 1
    assert [d.state for d in _deliveries(engine)] == [DeliveryState.PENDING] * 3

    second = deliver_once(engine, CONFIG, now=start + timedelta(seconds=10))
    assert second.retrying == 1 and len(receiver.requests) == 2
    third = deliver_once(engine, CONFIG, now=start + timedelta(seconds=30))
    assert third.delivered == 3

    got = receiver.accepted()
    assert [body["data"]["id"] for body in got] == ids  # each once, in order of creation
    assert {body["type"] for body in got} == {"alert.being_checked"}
    # The alert as the API shows it (shapes.Alert), without the state editors change meanwhile.
    assert all(set(body["data"]) == set(shapes.Alert.model_fields) - {"state"} for body in got)
    assert shapes.Alert.model_validate({**got[0]["data"], "state": "unread"}).claim.text
    assert all(_verify(hook.secret, r) for r in receiver.requests)
    # Retries carried the same id; each delivery has its own.
    first_ids = {r.headers["webhook-id"] for r in receiver.requests[:3]}
    assert len(first_ids) == 1
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 3
    rows = _deliveries(engine)
    assert [(d.state, d.attempts) for d in rows] == [
        (DeliveryState.DELIVERED, 3),
        (DeliveryState.DELIVERED, 1),
        (DeliveryState.DELIVERED, 1),
    ]
    assert rows[0].last_status == 200 and rows[0].delivered_at is not None


def test_a_tampered_body_fails_verification(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    hook = _webhook(engine, receiver.url)
    _raise_alerts(engine, users["editor"], 1)
    deliver_once(engine, CONFIG)
    [request] = receiver.requests
    assert _verify(hook.secret, request)
    assert not _verify(hook.secret, Request(request.headers, request.body + b" ", 200))


def test_a_receiver_down_for_the_whole_window_leaves_dead_deliveries_and_loses_nothing(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    hook = _webhook(engine, receiver.url)
    ids = _raise_alerts(engine, users["editor"], 2)
    receiver.script[:] = ["503"] * CONFIG.attempts * 2

    _until_settled(engine, CONFIG, utcnow())

    rows = _deliveries(engine)
    assert [(d.state, d.attempts, d.last_status) for d in rows] == [
        (DeliveryState.DEAD, CONFIG.attempts, 503)
    ] * 2
    assert receiver.accepted() == []
    with read_session(engine) as db:
        assert list(db.exec(select(Alert.id).order_by(Alert.id)).all()) == ids

    # The receiver is back; an admin retries the dead deliveries, oldest first.
    with committed(engine) as db:
        for row in rows:
            webhooks.retry(db, users["admin"], row.id)
    deliver_once(engine, CONFIG)
    assert [b["data"]["id"] for b in receiver.accepted()] == ids
    assert all(_verify(hook.secret, r) for r in receiver.requests)


def test_a_closed_port_is_retried_then_dead(engine: sa.Engine, users: dict[str, int]) -> None:
    with committed(engine) as db:
        _ingest(db, BRIDGE, title="x")
    # A port nothing listens on: bind one, close it.
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    _webhook(engine, f"http://127.0.0.1:{port}/")
    _raise_alerts(engine, users["editor"], 1)
    _until_settled(engine, CONFIG, utcnow())
    [row] = _deliveries(engine)
    assert row.state == DeliveryState.DEAD and row.last_status is None
    assert "Connection" in (row.last_error or "") or "refused" in (row.last_error or "")


def test_back_off_doubles_and_is_capped() -> None:
    config = DeliveryConfig(backoff_s=30, backoff_max_s=100)
    assert [config.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_gone_stops_the_webhook_and_its_waiting_deliveries(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    _webhook(engine, receiver.url)
    _raise_alerts(engine, users["editor"], 2)
    receiver.script[:] = ["410"]

    report = deliver_once(engine, CONFIG)

    assert report.stopped == 1 and len(receiver.requests) == 1
    assert [d.state for d in _deliveries(engine)] == [DeliveryState.STOPPED] * 2
    with read_session(engine) as db:
        hook = db.exec(select(Webhook)).one()
        assert not hook.is_active and "410" in (hook.disabled_reason or "")
    # New alerts are not queued for a switched-off webhook.
    with committed(engine) as db:
        [old] = _ingest(db, "The mayor opened the library on Main Street on Tuesday.", title="1")
        _take(db, old, users["editor"])
        _ingest(db, "On Tuesday the mayor opened the library on Main Street.", title="2")
        assert db.exec(select(sa.func.count()).select_from(Alert)).one() == 3
    assert len(_deliveries(engine)) == 2


def test_redirects_are_not_followed(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    _webhook(engine, receiver.url)
    _raise_alerts(engine, users["editor"], 1)
    receiver.script[:] = ["302"]
    report = deliver_once(engine, CONFIG)
    assert report.retrying == 1
    assert len(receiver.requests) == 1  # the Location was not visited
    [row] = _deliveries(engine)
    assert row.state == DeliveryState.PENDING and "not followed" in (row.last_error or "")


def test_slack_format_sends_text(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    _webhook(engine, receiver.url, WebhookFormat.SLACK)
    _raise_alerts(engine, users["editor"], 1)
    deliver_once(engine, CONFIG)
    [body] = receiver.accepted()
    assert list(body) == ["text"]
    assert body["text"].startswith("Being checked: claim #")
    assert "Military talks" in body["text"]


def test_a_webhook_added_later_gets_only_later_alerts(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    _raise_alerts(engine, users["editor"], 1)
    assert _deliveries(engine) == []  # no webhook yet: the alert is in the inbox only
    _webhook(engine, receiver.url)
    deliver_once(engine, CONFIG)
    assert receiver.requests == []


# --- SSRF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9/", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://169.254.10.10/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("ftp://example.com/", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("https://user:pw@example.com/", "no user name or password"),
        ("https:///nohost", "no host name"),
        ("http://example.com:99999/", "port"),
    ],
)
def test_unsafe_webhook_addresses_are_refused(session: Session, url: str, message: str) -> None:
    with pytest.raises(webhooks.WebhookError, match=message):
        webhooks.register(session, None, url, allow=Allowance())  # type: ignore[arg-type]
    assert session.exec(select(Webhook)).all() == []


def test_allowed_hosts_and_networks_may_be_private(session: Session) -> None:
    by_network = Allowance.parse(["10.0.0.0/8", "127.0.0.1"])
    webhooks.register(session, None, "http://10.1.2.3/hook", allow=by_network)  # type: ignore[arg-type]
    by_name = Allowance.parse(["localhost"])
    webhooks.register(session, None, "http://localhost:8080/", allow=by_name)  # type: ignore[arg-type]
    with pytest.raises(webhooks.WebhookError, match="private"):
        webhooks.register(session, None, "http://192.168.1.1/", allow=by_network)  # type: ignore[arg-type]
    assert len(session.exec(select(Webhook)).all()) == 2


def test_the_address_is_checked_again_at_send_time(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    _webhook(engine, receiver.url)  # allowed when it was registered...
    _raise_alerts(engine, users["editor"], 1)
    strict = DeliveryConfig(timeout_s=0.25, attempts=2, backoff_s=1)  # ...but not any more
    deliver_once(engine, strict)
    assert receiver.requests == []
    [row] = _deliveries(engine)
    assert row.state == DeliveryState.PENDING and "loopback" in (row.last_error or "")


def test_secrets_must_be_long_enough(session: Session) -> None:
    with pytest.raises(webhooks.WebhookError, match="at least 24 bytes"):
        webhooks.register(session, None, "http://127.0.0.1/", secret="short", allow=LOOPBACK)  # type: ignore[arg-type]
    made = webhooks.register(session, None, "http://127.0.0.1/", allow=LOOPBACK).webhook  # type: ignore[arg-type]
    assert made.secret.startswith("whsec_") and len(webhooks.secret_key(made.secret)) == 32


# --- Nothing is lost when the process dies --------------------------------------------------------


def _cli(database_url: str, tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def _worker_env(database_url: str, tmp_path: Path, timeout: float) -> dict[str, str]:
    return cli_environment(database_url, tmp_path) | {
        "WORKBENCH_WEBHOOK_ALLOW": "127.0.0.1",
        "WORKBENCH_WEBHOOK_TIMEOUT_S": str(timeout),
        "WORKBENCH_WEBHOOK_POLL_S": "0.1",
    }


def test_an_alert_committed_without_a_worker_is_delivered_by_a_later_run(
    engine: sa.Engine,
    users: dict[str, int],
    receiver: Receiver,
    database_url: str,
    tmp_path: Path,
) -> None:
    _webhook(engine, receiver.url)
    [alert_id] = _raise_alerts(engine, users["editor"], 1)
    # The app "died" right after the commit: no worker ran. The delivery waits in the outbox.
    [row] = _deliveries(engine)
    assert (row.state, row.attempts) == (DeliveryState.PENDING, 0)

    done = subprocess.run(
        _cli(database_url, tmp_path, "alerts", "deliver", "--once"),
        cwd=REPO,
        env=_worker_env(database_url, tmp_path, 2),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "1 delivered" in done.stdout
    assert [b["data"]["id"] for b in receiver.accepted()] == [alert_id]


def test_a_worker_killed_mid_send_leaves_the_delivery_to_the_next_run(
    engine: sa.Engine,
    users: dict[str, int],
    receiver: Receiver,
    database_url: str,
    tmp_path: Path,
) -> None:
    _webhook(engine, receiver.url)
    [alert_id] = _raise_alerts(engine, users["editor"], 1)
    receiver.script[:] = ["hang"]
    worker = subprocess.Popen(
        _cli(database_url, tmp_path, "alerts", "deliver"),
        cwd=REPO,
        env=_worker_env(database_url, tmp_path, 20),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert receiver.got_request.wait(30), "the worker never sent"
        os.kill(worker.pid, signal.SIGKILL)  # mid-send: the request is out, no answer yet
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    [row] = _deliveries(engine)
    assert (row.state, row.attempts) == (DeliveryState.PENDING, 1)

    # A later run, once the dead worker's lease has run out, sends it again with the same id.
    lease_over = utcnow() + DeliveryConfig(timeout_s=20).lease + timedelta(seconds=1)
    report = deliver_once(engine, CONFIG, now=lease_over)
    assert report.delivered == 1
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert [b["data"]["id"] for b in receiver.accepted()] == [alert_id]


def test_two_workers_never_send_the_same_delivery_at_once(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    _webhook(engine, receiver.url)
    ids = _raise_alerts(engine, users["editor"], 3)
    threads = [threading.Thread(target=deliver_once, args=(engine, CONFIG)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(receiver.requests) == 3
    assert [b["data"]["id"] for b in receiver.accepted()] == ids


def test_an_allowed_host_name_is_called_by_name_at_a_checked_address(
    engine: sa.Engine, users: dict[str, int], receiver: Receiver
) -> None:
    by_name = Allowance.parse(["localhost"])
    url = receiver.url.replace("127.0.0.1", "localhost")
    with committed(engine) as db:
        webhooks.register(db, None, url, allow=by_name)  # type: ignore[arg-type]
    [alert_id] = _raise_alerts(engine, users["editor"], 1)
    # localhost may resolve to ::1 first, where the receiver does not listen: the next checked
    # address is tried.
    report = deliver_once(engine, DeliveryConfig(timeout_s=1, allow=by_name))
    assert report.delivered == 1
    [request] = receiver.requests
    assert request.headers["host"] == url.split("/")[2]
    assert [b["data"]["id"] for b in receiver.accepted()] == [alert_id]


def test_a_webhook_that_cannot_be_sent_fails_alone_and_the_healthy_one_gets_every_alert(
    engine: sa.Engine,
    users: dict[str, int],
    receiver: Receiver,
    database_url: str,
    tmp_path: Path,
    client,  # type: ignore[no-untyped-def]
    auth,  # type: ignore[no-untyped-def]
) -> None:
    """Addresses stored before today's checks, which the HTTP client could not encode (the
    worker died on the first with UnicodeEncodeError, and again on every restart), sit before a
    healthy webhook in the queue. The real worker process sends, each bad delivery fails alone
    with its reason on the admins' page, and the healthy receiver gets every alert."""
    broken = {
        "http://exa mple.com/hook": "spaces or control characters",
        "http://[::1/hook": "cannot be read",
        "http://☃\u0378.example/hook": "not a valid international name",
        "http://xn--zz.example/hook": "not a valid IDNA label",
    }
    with committed(engine) as db:
        for url in broken:
            db.add(Webhook(url=url, secret=webhooks.new_secret()))
        # The path the client could not encode: normalised at send time, it is sent.
        db.add(Webhook(url=receiver.url + "überall", secret=webhooks.new_secret()))
        # A secret stored corrupt: the message cannot even be signed.
        db.add(Webhook(url=receiver.url + "corrupt", secret="whsec_!!!not-base64!!!"))
        db.commit()
    healthy = _webhook(engine, receiver.url)
    ids = _raise_alerts(engine, users["editor"], 3)

    worker = subprocess.Popen(
        _cli(database_url, tmp_path, "alerts", "deliver"),
        cwd=REPO,
        env=_worker_env(database_url, tmp_path, 2),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            paths = [r.path for r in receiver.requests if r.answered == 200]
            if paths.count("/hooks/") >= 3 and paths.count("/hooks/%C3%BCberall") >= 3:
                break
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            time.sleep(0.1)
        assert worker.poll() is None, "the worker died"
    finally:
        worker.terminate()
        worker.wait(10)

    healthy_bodies = [
        json.loads(r.body) for r in receiver.requests if r.path == "/hooks/" and r.answered
    ]
    assert [b["data"]["id"] for b in healthy_bodies] == ids
    assert all(_verify(healthy.secret, r) for r in receiver.requests if r.path == "/hooks/")
    with read_session(engine) as db:
        rows = db.execute(
            sa.select(Webhook.url, Delivery.state, Delivery.attempts, Delivery.last_error)
            .join(Delivery, Delivery.webhook_id == Webhook.id)
            .order_by(Delivery.id)
        ).all()
    by_url: dict[str, list[tuple[DeliveryState, int, str | None]]] = {}
    for url, state, attempts, error in rows:
        by_url.setdefault(url, []).append((state, attempts, error))
    for url, reason in broken.items():
        # Dead at once (no retry can mend an address), each with the reason.
        assert [(s, a) for s, a, _ in by_url[url]] == [(DeliveryState.DEAD, 1)] * 3, url
        assert all(reason in (e or "") for _, _, e in by_url[url]), by_url[url]
    corrupt = by_url[receiver.url + "corrupt"]
    assert [s for s, _, _ in corrupt] == [DeliveryState.DEAD] * 3
    assert all("could not be prepared" in (e or "") for _, _, e in corrupt)
    assert [s for s, _, _ in by_url[receiver.url + "überall"]] == [DeliveryState.DELIVERED] * 3

    auth.login("admin")
    page = client.get("/alerts/webhooks").get_data(as_text=True)
    assert "cannot be sent to" in page and "could not be prepared" in page


def test_the_worker_stops_cleanly_on_sigterm(database_url: str, tmp_path: Path) -> None:
    worker = subprocess.Popen(
        _cli(database_url, tmp_path, "alerts", "deliver"),
        cwd=REPO,
        env=_worker_env(database_url, tmp_path, 1),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stderr is not None
        assert "Delivering alerts" in worker.stderr.readline()  # started and polling
        worker.terminate()
        assert worker.wait(10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_the_worker_loop_survives_a_database_it_cannot_reach(tmp_path: Path) -> None:
    # A SQLite "database" that is a folder: every connection fails with OperationalError.
    folder = tmp_path / "not-a-database"
    folder.mkdir()
    engine = sa.create_engine(f"sqlite:///{folder}")
    stop, errors = threading.Event(), []

    def on_error(message: str) -> None:
        errors.append(message)
        stop.set()

    worker = threading.Thread(
        target=run, args=(engine, CONFIG, stop), kwargs={"on_error": on_error}, daemon=True
    )
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert errors and "cannot be reached" in errors[0]


def test_webhook_settings_come_from_the_environment() -> None:
    from workbench.config import Settings

    settings = Settings.from_env(
        {
            "WORKBENCH_WEBHOOK_ALLOW": " hooks.internal , 10.0.0.0/8 ,,",
            "WORKBENCH_WEBHOOK_TIMEOUT_S": "2.5",
            "WORKBENCH_WEBHOOK_ATTEMPTS": "3",
            "WORKBENCH_WEBHOOK_BACKOFF_S": "1",
            "WORKBENCH_WEBHOOK_BACKOFF_MAX_S": "4",
            "WORKBENCH_WEBHOOK_POLL_S": "0.2",
        }
    )
    config = DeliveryConfig.from_settings(settings)
    assert settings.egress_allow == ("hooks.internal", "10.0.0.0/8")
    assert config.allow.hosts == {"hooks.internal"}
    assert [str(n) for n in config.allow.networks] == ["10.0.0.0/8"]
    assert (config.timeout_s, config.attempts, config.poll_s) == (2.5, 3, 0.2)
    assert [config.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 4]
    defaults = DeliveryConfig.from_settings(Settings.from_env({}))
    assert defaults.allow == Allowance() and defaults.attempts == 8
