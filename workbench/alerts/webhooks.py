"""Webhooks: receivers admins register, and the signed message each alert becomes.

Messages are signed in the manner of the Standard Webhooks spec (standardwebhooks.com):
headers `webhook-id` (the delivery's message id, the same on every retry), `webhook-timestamp`
(Unix seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256>` of
`"{id}.{timestamp}.{body}"`, keyed with the secret. A secret reads `whsec_<base64>`; the key is
the decoded bytes. A Slack-format webhook gets `{"text": ...}` instead of the event, signed too
(Slack ignores the headers).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.alerts.rules import AlertView
from workbench.audit import record
from workbench.errors import NotFound, Refused
from workbench.models import Delivery, DeliveryState, Webhook, WebhookFormat, utcnow
from workbench.net.egress import Allowance, UnsafeURL, check_for_registration

SECRET_PREFIX = "whsec_"
SECRET_MIN_BYTES = 24
SECRET_MAX = 200


class WebhookError(Refused, ValueError):
    """Input an admin can fix; the message says how."""


class WebhookNotFound(NotFound):
    pass


class DeliveryNotFound(NotFound):
    pass


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for (the spec's whsec_ form decodes to bytes)."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode()


def _checked_secret(secret: str) -> str:
    secret = secret.strip()
    if not secret:
        return new_secret()
    if len(secret) > SECRET_MAX:
        raise WebhookError(f"Keep the secret under {SECRET_MAX} characters.")
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error:
            raise WebhookError("A whsec_ secret must be base64 after the prefix.") from None
    else:
        key = secret.encode()
    if len(key) < SECRET_MIN_BYTES:
        raise WebhookError(
            f"Use a secret of at least {SECRET_MIN_BYTES} bytes, or leave it empty to get one."
        )
    return secret


@dataclass(frozen=True)
class Registered:
    webhook: Webhook
    warning: str | None


def register(
    session: Session,
    actor_id: int,
    url: str,
    *,
    secret: str = "",
    format: WebhookFormat | str = WebhookFormat.STANDARD,
    allow: Allowance,
) -> Registered:
    """A new receiver for every alert from now on; committed. Refuses unsafe addresses and stores
    the address normalised (IDNA host, percent-encoded path), so any HTTP client can send it."""
    try:
        url, warning = check_for_registration(url, allow)
    except UnsafeURL as exc:
        raise WebhookError(str(exc)) from None
    try:
        format = WebhookFormat(format)
    except ValueError:
        raise WebhookError("Choose a format: standard or slack.") from None
    webhook = Webhook(
        url=url, secret=_checked_secret(secret), format=format, created_by_id=actor_id
    )
    session.add(webhook)
    session.flush()
    record(
        session,
        actor_id,
        "webhook.create",
        "webhook",
        webhook.id,
        after={"url": url, "format": format.value},
    )
    session.flush()
    return Registered(webhook, warning)


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.exec(select(Webhook).order_by(Webhook.id)).all())


def set_active(session: Session, actor_id: int, webhook_id: int, active: bool) -> Webhook:
    """Switch a receiver off (its waiting deliveries stop) or on again (new alerts only)."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise WebhookNotFound(webhook_id)
    if webhook.is_active != active:
        webhook.is_active = active
        webhook.disabled_reason = None if active else "Switched off by an administrator."
        session.add(webhook)
        if not active:
            stop_pending(session, webhook.id, "The webhook was switched off.")
        record(
            session,
            actor_id,
            "webhook.enable" if active else "webhook.disable",
            "webhook",
            webhook.id,
            after={"is_active": active},
        )
    session.flush()
    return webhook


def stop_pending(session: Session, webhook_id: int | None, reason: str) -> None:
    session.execute(
        sa.update(Delivery)
        .where(Delivery.webhook_id == webhook_id, Delivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.STOPPED, last_error=reason[:500])
    )


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    webhook: Webhook


def undelivered(session: Session, limit: int = 100) -> list[DeliveryRow]:
    """Dead and stopped deliveries, and pending ones that have failed at least once, newest first:
    what an admin looks at when a receiver misses alerts."""
    rows = session.execute(
        sa.select(Delivery, Webhook)
        .join(Webhook, Delivery.webhook_id == Webhook.id)
        .where(
            sa.or_(
                Delivery.state.in_([DeliveryState.DEAD, DeliveryState.STOPPED]),
                sa.and_(Delivery.state == DeliveryState.PENDING, Delivery.attempts > 0),
            )
        )
        .order_by(Delivery.id.desc())
        .limit(limit)
    ).all()
    return [DeliveryRow(delivery, webhook) for delivery, webhook in rows]


def retry(session: Session, actor_id: int, delivery_id: int) -> Delivery:
    """Give a dead or stopped delivery a fresh set of attempts, now; same message id, so a
    receiver that did get it once can tell. Committed."""
    delivery = session.exec(
        select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    ).first()
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    if delivery.state not in (DeliveryState.DEAD, DeliveryState.STOPPED):
        raise WebhookError("Only a dead or stopped delivery can be retried.")
    webhook = session.get(Webhook, delivery.webhook_id)
    if webhook is None or not webhook.is_active:
        raise WebhookError("Switch the webhook on again before retrying its deliveries.")
    before = delivery.state.value
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    session.add(delivery)
    record(
        session,
        actor_id,
        "delivery.retry",
        "delivery",
        delivery.id,
        before={"state": before},
        after={"state": "pending"},
    )
    session.flush()
    return delivery


# --- The message ---------------------------------------------------------------------------------

KIND_TEXT = {
    "previously_checked": "Previously checked",
    "being_checked": "Being checked",
    "verdict_reached": "Verdict reached",
    "variant_of_checked": "Variant of a checked claim",
}


def payload(view: AlertView, format: WebhookFormat) -> dict[str, Any]:
    """What a receiver gets for an alert: the same body on every retry, so the alert's state
    (which editors change meanwhile) is left out."""
    document = view.shape().model_dump(mode="json", exclude={"state"})
    if format == WebhookFormat.SLACK:
        verdict = f" (verdict: {document['verdict']})" if document["verdict"] else ""
        verb = "changes a fact of" if document["kind"] == "variant_of_checked" else "repeats"
        text = (
            f"{KIND_TEXT[document['kind']]}{verdict}: claim #{view.claim.id} "
            f"“{_short(view.claim.text)}” {verb} claim #{view.matched.id} "
            f"“{_short(view.matched.text)}”."
        )
        if document["note"]:
            text += " " + document["note"]
        return {"text": text}
    return {
        "type": f"alert.{document['kind']}",
        "timestamp": document["created_at"],
        "data": document,
    }


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "claim-workbench-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
