"""Alerts: the inbox (everyone reads, editors acknowledge or dismiss), the Atom feed for feed
readers (token only), and the admin screens for webhooks and their failed deliveries.

The JSON list of alerts is part of the API (`GET /api/alerts`, in api/records.py).
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from workbench.alerts import rules, webhooks
from workbench.db import get_session
from workbench.matching.aliases import load_aliases
from workbench.matching.facts import compare_texts, marked_pair
from workbench.models import AlertKind, AlertState, Role, WebhookFormat
from workbench.net.egress import Allowance
from workbench.web.access import allow, allow_feed_token
from workbench.web.converters import record_id
from workbench.web.errors import back_to

bp = Blueprint("alerts", __name__, url_prefix="/alerts")

FEED_SIZE = 50
# Characters XML 1.0 cannot carry at all, even escaped; a claim pasted from a PDF may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@bp.app_context_processor
def unread_alerts() -> dict[str, Any]:
    """The header's unread count, read only on pages that show it to a logged-in user."""

    def count() -> int:
        return rules.unread_count(get_session()) if g.get("user") else 0

    return {"unread_alert_count": count}


# --- The inbox -----------------------------------------------------------------------------------


@bp.get("/")
@allow(Role.VIEWER)
def inbox() -> str:
    # No state asked for means unread: the inbox opens on what still needs someone.
    state = request.args.get("state", AlertState.UNREAD.value)
    filters = rules.AlertFilters.parse(request.args.get("kind"), state)
    db = get_session()
    before = request.args.get("before", type=record_id)
    page = rules.list_alerts(db, filters, before=before)
    variants = [v for v in page.items if v.alert.kind == AlertKind.VARIANT_OF_CHECKED]
    aliases = load_aliases(db) if variants else None
    return render_template(
        "alerts/inbox.html",
        page=page,
        # A variant's alert shows what changed, marked as on the claim page.
        changes={
            view.alert.id: marked_pair(
                view.claim.text,
                view.matched.text,
                compare_texts(
                    view.claim.text,
                    view.claim.normalized_text,
                    view.matched.text,
                    view.matched.normalized_text,
                    aliases,
                ),
                aliases,
            )
            for view in variants
        },
        filters=filters,
        kinds=list(AlertKind),
        states=list(AlertState),
        all_states=state == "all",
    )


@bp.post("/<int:alert_id>/<any(acknowledge, dismiss):action>")
@allow(Role.EDITOR)
def handle(alert_id: int, action: str) -> Response:
    state = AlertState.ACKNOWLEDGED if action == "acknowledge" else AlertState.DISMISSED
    rules.handle(get_session(), alert_id, g.user.id, state)
    flash(f"Alert #{alert_id} {state.value}.", "success")
    # Handled from the banner on the claim's page: back to that page, not the inbox.
    claim_id = request.form.get("claim_id", type=int)
    if claim_id is not None:
        return redirect(url_for("claims.detail", claim_id=claim_id))
    back = {k: v for k, v in request.form.items() if k in ("kind", "state") and v}
    return redirect(url_for("alerts.inbox", **back))


# --- The Atom feed -------------------------------------------------------------------------------


@bp.get("/feed.atom")
@allow_feed_token
def feed() -> Response:
    """The newest alerts as Atom, for the feed token's user (the permission check read it)."""
    page = rules.list_alerts(get_session(), rules.AlertFilters(), limit=FEED_SIZE)
    body = render_template(
        "alerts/feed.xml",
        page=page,
        updated=page.items[0].alert.created_at if page.items else None,
        kind_text=webhooks.KIND_TEXT,
    )
    return Response(_NOT_XML.sub("", body), mimetype="application/atom+xml")


# --- Webhooks (admins) ---------------------------------------------------------------------------


def _allowance() -> Allowance:
    return Allowance.parse(current_app.config["WORKBENCH_SETTINGS"].egress_allow)


def _webhooks_page(form: Any, status: int = 200) -> tuple[str, int]:
    db = get_session()
    return render_template(
        "alerts/webhooks.html",
        hooks=webhooks.list_webhooks(db),
        failed=webhooks.undelivered(db),
        formats=list(WebhookFormat),
        form=form,
    ), status


@bp.get("/webhooks")
@allow(Role.ADMIN)
def webhook_list() -> tuple[str, int]:
    return _webhooks_page({})


@bp.post("/webhooks")
@allow(Role.ADMIN)
def webhook_add() -> Response | tuple[str, int]:
    form = request.form
    try:
        made = webhooks.register(
            get_session(),
            g.user.id,
            form.get("url", ""),
            secret=form.get("secret", ""),
            format=form.get("format", WebhookFormat.STANDARD.value),
            allow=_allowance(),
        )
    except webhooks.WebhookError as exc:
        flash(str(exc), "error")
        return _webhooks_page(form, 400)
    flash(
        f"Webhook #{made.webhook.id} added; every new alert is sent to it. Its signing secret "
        "is shown in the list below (admins only).",
        "success",
    )
    if made.warning:
        flash(made.warning, "info")
    return redirect(url_for("alerts.webhook_list"))


@bp.post("/webhooks/<int:webhook_id>/<any(enable, disable):action>")
@allow(Role.ADMIN)
def webhook_switch(webhook_id: int, action: str) -> Response:
    webhooks.set_active(get_session(), g.user.id, webhook_id, action == "enable")
    flash(
        f"Webhook #{webhook_id} switched on: new alerts go to it."
        if action == "enable"
        else f"Webhook #{webhook_id} switched off: its waiting deliveries are stopped.",
        "success",
    )
    return redirect(url_for("alerts.webhook_list"))


@bp.post("/deliveries/<int:delivery_id>/retry")
@allow(Role.ADMIN)
def delivery_retry(delivery_id: int) -> Response:
    back = back_to(url_for("alerts.webhook_list"))
    webhooks.retry(get_session(), g.user.id, delivery_id)
    flash(f"Delivery #{delivery_id} will be sent again shortly.", "success")
    return redirect(back)
