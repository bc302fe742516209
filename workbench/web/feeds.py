"""Monitored feeds: their health for editors, and for admins subscribing, pausing, removing and
"poll now"."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workbench.db import end_transaction, get_engine, get_session
from workbench.intake import feeds
from workbench.intake.links import Reach
from workbench.models import Role
from workbench.web.access import allow

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

# A poll run in a web request stops fetching entries' links after this long; the rest wait for
# the worker's next poll, which comes at once.
REQUEST_POLL_BUDGET_S = 20.0


def _page(form: object) -> str:
    settings = current_app.config["WORKBENCH_SETTINGS"]
    return render_template(
        "feeds/index.html",
        feeds=feeds.list_feeds(get_session()),
        form=form,
        default_every=settings.feed_every_minutes,
    )


@bp.get("/")
@allow(Role.EDITOR)
def index() -> str:
    return _page({})


@bp.post("/")
@allow(Role.ADMIN)
def add() -> Response | tuple[str, int]:
    form = request.form
    settings = current_app.config["WORKBENCH_SETTINGS"]
    every_text = form.get("every", "").strip()
    try:
        every = int(every_text) if every_text else settings.feed_every_minutes
    except ValueError:
        flash("Poll every: give a whole number of minutes.", "error")
        return _page(form), 400
    try:
        feed, warning = feeds.subscribe(
            get_session(),
            form.get("url", ""),
            every_minutes=every,
            reach=Reach.from_settings(settings),
            user_id=g.user.id,
        )
    except (feeds.FeedError, feeds.FeedExists) as exc:
        flash(str(exc), "error")
        return _page(form), 400
    flash(f"Monitoring {feed.url}: it is polled shortly, then every {every} minute(s).", "success")
    if warning:
        flash(warning, "warning")
    return redirect(url_for("feeds.index"))


@bp.post("/<int:feed_id>/poll")
@allow(Role.ADMIN)
def poll_now(feed_id: int) -> Response:
    """Poll at once, in this request, within a time budget; the worker goes on from there."""
    db = get_session()
    feeds.get_feed(db, feed_id)
    end_transaction(db)  # nothing held while the feed and its links are fetched
    settings = current_app.config["WORKBENCH_SETTINGS"]
    config = feeds.PollConfig(
        reach=Reach.from_settings(settings), max_entries=max(1, settings.feed_max_entries)
    )
    done = feeds.poll_feed(
        get_engine(), feed_id, replace(config, budget_s=REQUEST_POLL_BUDGET_S), force=True
    )
    if done is None:
        flash("This feed is being polled right now, or is paused; look again in a moment.", "info")
    else:
        flash(done.summary(), "error" if done.error else "success")
        for message in done.messages[:5]:
            flash(message, "warning")
    return redirect(url_for("feeds.index") + f"#feed-{feed_id}")


@bp.post("/<int:feed_id>/<any(pause, resume):action>")
@allow(Role.ADMIN)
def switch(feed_id: int, action: str) -> Response:
    feed = feeds.set_active(get_session(), feed_id, action == "resume", g.user.id)
    flash(
        f"{feed.url} is polled again, starting now."
        if feed.is_active
        else f"{feed.url} is paused: it is not polled until it is resumed.",
        "success",
    )
    return redirect(url_for("feeds.index") + f"#feed-{feed_id}")


@bp.post("/<int:feed_id>/delete")
@allow(Role.ADMIN)
def delete(feed_id: int) -> Response:
    feed = feeds.unsubscribe(get_session(), feed_id, g.user.id)
    flash(f"No longer monitoring {feed.url}; its articles stay in the archive.", "success")
    return redirect(url_for("feeds.index"))
