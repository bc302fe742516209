"""The webhook outbox worker: sends pending deliveries, retries with back-off, never loses one.

Deliveries are written with their alert (alerts.enqueue), so an alert committed is an alert that
will be sent, whatever happens to the process afterwards. The worker:

1. picks, for each webhook, its oldest pending delivery (by id, which is the order alerts were
   created in) if it is due. A later delivery never overtakes an earlier one that waits for a
   retry: receivers see alerts in order, at the price of one failing message holding up that
   webhook's queue until it is delivered or dead (a dead or stopped one no longer holds it up);
2. leases it in a short transaction (attempts + 1, next attempt pushed past the time a send can
   take) with a compare-and-set update, so two workers never send the same delivery at once and a
   worker killed mid-send leaves a delivery that is simply due again when the lease runs out;
3. sends it with no transaction open, then records the answer, again compare-and-set:
   2xx delivered; 410 Gone stops the delivery and switches its webhook off (with every other
   delivery waiting for it); anything else (an error status, a redirect, a timeout, a refused
   connection, an address refused as unsafe) is retried after `backoff_s * 2**(attempt-1)`
   (capped), until the last attempt, after which the delivery is dead and an admin may retry it.
   A delivery that cannot be sent for a reason of its own (an address no HTTP client can send, a
   message that cannot be built from what is stored) is dead at once, with the reason: trying
   again would not change it. No single delivery's failure stops the worker, so one bad webhook
   never holds up the alerts of the others.

A delivery can thus be sent more than once (killed after the send, before the record), never
lost; its `webhook-id` is the same every time, so a receiver that drops ids it has seen gets each
alert exactly once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from workbench.alerts import webhooks
from workbench.alerts.rules import get_view
from workbench.config import Settings
from workbench.db import DatabaseWait, is_unavailable, read_session, writing
from workbench.models import Delivery, DeliveryState, Webhook, utcnow
from workbench.net.egress import Allowance, BadAddress, SendFailed, UnsafeURL, post

GONE = 410
FAILED_PASS_WAIT_S = 5.0  # the wait after a pass failed for a reason other than the database


@dataclass(frozen=True)
class DeliveryConfig:
    timeout_s: float = 10.0
    attempts: int = 8
    backoff_s: float = 30.0
    backoff_max_s: float = 3600.0
    poll_s: float = 1.0
    allow: Allowance = field(default_factory=Allowance)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        return cls(
            timeout_s=settings.webhook_timeout_s,
            attempts=max(1, settings.webhook_attempts),
            backoff_s=settings.webhook_backoff_s,
            backoff_max_s=settings.webhook_backoff_max_s,
            poll_s=settings.webhook_poll_s,
            allow=Allowance.parse(settings.egress_allow),
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        return timedelta(seconds=min(self.backoff_max_s, self.backoff_s * 2 ** (attempts - 1)))

    @property
    def lease(self) -> timedelta:
        """Longer than one send can take (connect, then the answer, each up to the timeout)."""
        return timedelta(seconds=4 * self.timeout_s + 5)


@dataclass
class PassReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    stopped: int = 0

    @property
    def sent(self) -> int:
        return self.delivered + self.retrying + self.dead + self.stopped

    def summary(self) -> str:
        return (
            f"{self.delivered} delivered, {self.retrying} to retry, {self.dead} dead, "
            f"{self.stopped} stopped"
        )


def due(engine: Engine, now: datetime) -> list[int]:
    """The head of each active webhook's queue, if it is due."""
    heads = (
        sa.select(sa.func.min(Delivery.id))
        .where(Delivery.state == DeliveryState.PENDING)
        .group_by(Delivery.webhook_id)
    )
    with read_session(engine) as session:
        return list(
            session.exec(
                select(Delivery.id)
                .join(Webhook, Delivery.webhook_id == Webhook.id)
                .where(Delivery.id.in_(heads), Delivery.next_attempt_at <= now, Webhook.is_active)
                .order_by(Delivery.id)
            ).all()
        )


@dataclass(frozen=True)
class _Leased:
    attempts: int
    url: str
    body: bytes
    headers: dict[str, str]


def _lease(
    engine: Engine, config: DeliveryConfig, delivery_id: int, now: datetime
) -> _Leased | None:
    with writing(engine) as session:
        taken = session.execute(
            sa.update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.state == DeliveryState.PENDING,
                Delivery.next_attempt_at <= now,
            )
            .values(attempts=Delivery.attempts + 1, next_attempt_at=now + config.lease)
        )
        if taken.rowcount != 1:
            return None  # another worker has it, or it was stopped meanwhile
        delivery = session.get(Delivery, delivery_id)
        webhook = session.get(Webhook, delivery.webhook_id) if delivery else None
        assert delivery is not None and webhook is not None  # foreign keys
        body = webhooks.encode(
            webhooks.payload(get_view(session, delivery.alert_id), webhook.format)
        )
        # The signature's time is the real time of this attempt, whatever clock drives retries.
        stamp = int(time.time())
        return _Leased(
            attempts=delivery.attempts,
            url=webhook.url,
            body=body,
            headers=webhooks.headers(webhook.secret, delivery.message_id, stamp, body),
        )


def attempt(
    engine: Engine, config: DeliveryConfig, delivery_id: int, now: datetime | None = None
) -> str | None:
    """One attempt at one delivery; returns its new state (or "retrying"), None if not taken."""
    now = now or utcnow()
    try:
        leased = _lease(engine, config, delivery_id, now)
    except Exception as exc:  # one stored row's fault must not stop the worker
        if is_unavailable(exc):
            raise  # the database, not this delivery: run() waits and tries again
        return _fail_unbuildable(engine, delivery_id, exc)
    if leased is None:
        return None
    status: int | None = None
    error: str | None = None
    permanent = False
    try:
        answer = post(
            leased.url, leased.body, leased.headers, timeout=config.timeout_s, allow=config.allow
        )
        status = answer.status
        if 300 <= status < 400:
            error = f"Redirected to {answer.location or '?'}; redirects are not followed."
        elif not 200 <= status < 300:
            error = f"The receiver answered {status}."
    except BadAddress as exc:
        error = f"This webhook's address cannot be sent to: {exc} Register it again, corrected."
        permanent = True
    except (SendFailed, UnsafeURL) as exc:
        error = str(exc)
    except Exception as exc:  # a client failure we did not foresee is this
        # delivery's failed attempt (retried like any other), never the worker's end.
        error = f"Sending failed ({type(exc).__name__}: {exc})."
    return _record(engine, config, delivery_id, leased.attempts, now, status, error, permanent)


def _fail_unbuildable(engine: Engine, delivery_id: int, exc: Exception) -> str | None:
    """The message could not even be built (a corrupt secret, a missing alert): the delivery is
    dead at once with the reason, where admins see failed deliveries, and the worker goes on."""
    reason = (
        f"The message could not be prepared ({type(exc).__name__}: {exc}). Fix the webhook, "
        "then retry the delivery."
    )
    with writing(engine) as session:
        done = session.execute(
            sa.update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.PENDING)
            .values(
                attempts=Delivery.attempts + 1,
                state=DeliveryState.DEAD,
                last_status=None,
                last_error=reason[:500],
            )
        )
    return DeliveryState.DEAD.value if done.rowcount == 1 else None


def _record(
    engine: Engine,
    config: DeliveryConfig,
    delivery_id: int,
    attempts: int,
    now: datetime,
    status: int | None,
    error: str | None,
    permanent: bool = False,
) -> str | None:
    values: dict[str, object] = {"last_status": status, "last_error": (error or "")[:500] or None}
    if error is None:
        outcome = DeliveryState.DELIVERED.value
        values.update(state=DeliveryState.DELIVERED, delivered_at=utcnow())
    elif status == GONE:
        outcome = DeliveryState.STOPPED.value
        values.update(state=DeliveryState.STOPPED)
    elif permanent or attempts >= config.attempts:
        outcome = DeliveryState.DEAD.value
        values.update(state=DeliveryState.DEAD)
    else:
        outcome = "retrying"
        values.update(next_attempt_at=now + config.backoff(attempts))
    with writing(engine) as session:
        # Only the lease holder records: a worker whose lease ran out leaves the row to the next.
        done = session.execute(
            sa.update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.attempts == attempts,
                Delivery.state == DeliveryState.PENDING,
            )
            .values(**values)
        )
        if done.rowcount != 1:
            return None
        if outcome == DeliveryState.STOPPED.value:
            delivery = session.get(Delivery, delivery_id)
            webhook = session.get(Webhook, delivery.webhook_id) if delivery else None
            if webhook is not None:
                webhook.is_active = False
                webhook.disabled_reason = (
                    "The receiver answered 410 Gone, which means it wants no more messages. "
                    "Switch the webhook on again if that was a mistake."
                )
                session.add(webhook)
                webhooks.stop_pending(session, webhook.id, "Its webhook answered 410 Gone.")
    return outcome


def deliver_once(engine: Engine, config: DeliveryConfig, now: datetime | None = None) -> PassReport:
    """Send everything that is due (at `now`, default the real time) until nothing is."""
    report = PassReport()
    while True:
        moment = now or utcnow()
        ready = due(engine, moment)
        if not ready:
            return report
        for delivery_id in ready:
            outcome = attempt(engine, config, delivery_id, moment)
            if outcome == DeliveryState.DELIVERED.value:
                report.delivered += 1
            elif outcome == DeliveryState.DEAD.value:
                report.dead += 1
            elif outcome == DeliveryState.STOPPED.value:
                report.stopped += 1
            elif outcome == "retrying":
                report.retrying += 1


def run(
    engine: Engine,
    config: DeliveryConfig,
    stop: threading.Event,
    on_pass: Callable[[PassReport], None] | None = None,
    on_error: Callable[[str], None] | None = None,
) -> None:
    """Deliver until `stop` is set, looking again every `poll_s` seconds when idle.

    A database that cannot be reached (a restart, a full disk) does not end the worker: it says
    once that it waits, tries again after 1 s, doubling up to 30 s (db.DatabaseWait), and says
    when it carries on, so the server's worker does not silently die while the server runs on.
    A delivery it was sending is sent again once its lease runs out (sent twice at worst, never
    lost). Any other failure of a pass is said and the pass is tried again, for the same reason:
    a worker that dies leaves every webhook's alerts waiting.
    """
    database = DatabaseWait(on_error)
    while not stop.is_set():
        try:
            report = deliver_once(engine, config)
        except Exception as exc:  # reported, then the next pass
            if is_unavailable(exc):
                stop.wait(database.failed(exc, "Deliveries"))
                continue
            if on_error is not None:
                on_error(f"A delivery pass failed ({type(exc).__name__}: {exc}); trying again.")
            stop.wait(max(config.poll_s, FAILED_PASS_WAIT_S))
            continue
        database.answered("Deliveries")
        if on_pass is not None and report.sent:
            on_pass(report)
        if not report.sent:
            stop.wait(config.poll_s)
