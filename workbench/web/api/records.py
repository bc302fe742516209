"""The JSON API for the other records: articles (read and ingest), sources, clusters, alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, jsonify, request
from sqlmodel import select
from werkzeug.wrappers import Response

from workbench.alerts import rules as alert_rules
from workbench.db import get_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import AlertKind, AlertState, Article, Claim, Cluster, Role, Source
from workbench.review import duplicates
from workbench.review import verdicts as review
from workbench.review.articles import article_claims, get_article
from workbench.review.filter_args import ID_DIGITS_MAX, ID_MAX
from workbench.web.api import (
    BadRequest,
    RecordNotFound,
    bp,
    error,
    field,
    json_body,
    limit_arg,
    role_required,
)
from workbench.web.api.shapes import (
    article_json,
    claim_json,
    cluster_json,
    source_json,
)

SOURCE_QUERY_MAX = 500
ALERTS_MAX_LIMIT = 200


def _after_id() -> int | None:
    """`after`: the last id of the previous page (lists run newest first, by id)."""
    text = request.args.get("after", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= ID_DIGITS_MAX):
        raise BadRequest("bad_cursor", "after must be a next_cursor from an earlier page.")
    after = int(text)
    return after if after <= ID_MAX else None  # past every id: the first page


def _keyset(statement: sa.Select[Any], id_column: Any) -> tuple[list[Any], str | None]:
    """One page of `statement`, newest id first, and the cursor for the next page."""
    after, limit = _after_id(), limit_arg()
    if after is not None:
        statement = statement.where(id_column < after)
    rows = list(get_session().execute(statement.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1][0].id) if more and rows else None)


# --- Articles ------------------------------------------------------------------------------------


@bp.get("/articles")
def articles() -> Response:
    claim_count = (
        sa.select(sa.func.count(Claim.id))
        .where(Claim.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )
    rows, cursor = _keyset(sa.select(Article, claim_count), Article.id)
    return jsonify(
        {"articles": [article_json(a, claims) for a, claims in rows], "next_cursor": cursor}
    )


@bp.get("/articles/<id:article_id>")
def article(article_id: int) -> Response:
    db = get_session()
    found = get_article(db, article_id)
    claims = article_claims(db, article_id)
    return jsonify(
        {
            **article_json(found, len(claims)),
            "body": found.body,
            "claims": [claim_json(claim, found) for claim in claims],
        }
    )


@bp.post("/articles")
@role_required(Role.EDITOR)
def ingest() -> tuple[Response, int]:
    """Store an article and split it into claims, as the web form does (one transaction)."""
    data = json_body()
    text = field(data, "text", str, required=True)
    limit = current_app.config["WORKBENCH_SETTINGS"].max_upload_bytes
    if len(text.encode("utf-8", "surrogatepass")) > limit:
        raise BadRequest("too_long", f"The text is longer than the limit of {limit:,} bytes.")
    url = (field(data, "url", str) or "").strip() or None
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise review.ReviewError("The article's address must start with http:// or https://.")
    result = ingest_article(
        get_session(),
        ArticleInput(
            body=text,
            title=field(data, "title", str) or "",
            url=url,
            outlet=(field(data, "outlet", str) or "").strip() or None,
            published_at=_published(field(data, "published", str)),
            origin="api",
        ),
        user_id=g.user.id,
        max_sentences=current_app.config["WORKBENCH_SETTINGS"].max_request_sentences,
    )
    body = {
        **article_json(result.article, result.claims),
        "suggestions": result.suggestions,
        "skipped": dict(sorted(result.skipped.items())),
    }
    return jsonify(body), 201


def _published(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise review.ReviewError("'published' must be a date like 2015-09-18.") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- Sources -------------------------------------------------------------------------------------


@bp.get("/sources")
def sources() -> Response:
    """Sources whose title, address or publisher contains `q` (all sources without), newest
    first."""
    query = request.args.get("q", "").replace("\x00", "")
    if len(query) > SOURCE_QUERY_MAX:
        raise BadRequest("query_too_long", f"q may be at most {SOURCE_QUERY_MAX} characters.")
    found = review.find_sources(get_session(), query, limit_arg(default=20))
    return jsonify({"sources": [source_json(source) for source in found]})


@bp.post("/sources")
@role_required(Role.EDITOR)
def add_source() -> tuple[Response, int]:
    """Add a source to the library; an address already there gives that source back (200)."""
    data = json_body()
    db = get_session()
    url = field(data, "url", str) or ""
    # add_source hands back the library's source for a known address; 200 says it was there.
    known = url.strip() and db.exec(select(Source.id).where(Source.url == url.strip())).first()
    added = review.add_source(
        db,
        g.user.id,
        review.SourceInput(
            title=field(data, "title", str, required=True),
            url=url,
            publisher=field(data, "publisher", str) or "",
            kind=field(data, "kind", str) or "web",
        ),
    )
    db.commit()
    return jsonify(source_json(added)), 200 if known else 201


@bp.get("/sources/<id:source_id>")
def source(source_id: int) -> Response:
    return jsonify(source_json(review.get_source(get_session(), source_id)))


# --- Clusters ------------------------------------------------------------------------------------


@bp.get("/clusters")
def clusters() -> Response:
    members = (
        sa.select(sa.func.count(Claim.id))
        .where(Claim.cluster_id == Cluster.id)
        .correlate(Cluster)
        .scalar_subquery()
    )
    rows, cursor = _keyset(sa.select(Cluster, members), Cluster.id)
    return jsonify(
        {
            "clusters": [
                {
                    "id": cluster.id,
                    "canonical_claim_id": cluster.canonical_claim_id,
                    "size": size,
                }
                for cluster, size in rows
            ],
            "next_cursor": cursor,
        }
    )


@bp.get("/clusters/<id:cluster_id>")
def cluster(cluster_id: int) -> Response:
    db = get_session()
    found = db.get(Cluster, cluster_id)
    if found is None:
        raise RecordNotFound(cluster_id)
    member = db.exec(select(Claim).where(Claim.cluster_id == found.id).limit(1)).first()
    members = duplicates.cluster_members(db, member) if member is not None else []
    return jsonify(cluster_json(found, members))


# --- Alerts --------------------------------------------------------------------------------------


@bp.get("/alerts")
def alerts() -> Response | tuple[Response, int]:
    """Alerts newest first, as webhooks send them; ?kind=, ?state=, ?limit= (1-200, default 50),
    ?before=<id> for the next page (its value is the previous page's `next_before`)."""
    args = request.args
    for name, allowed in (("kind", AlertKind), ("state", AlertState)):
        if args.get(name) and args[name] not in set(allowed):
            choices = ", ".join(v.value for v in allowed)
            return error(400, f"bad_{name}", f"{name} must be one of {choices}.")
    limit = limit_arg(default=alert_rules.PAGE_SIZE, maximum=ALERTS_MAX_LIMIT)
    before = args.get("before")
    before_id = _alert_id(before) if before is not None else None
    if before is not None and before_id is None:
        return error(400, "bad_before", "before must be an alert id.")
    filters = alert_rules.AlertFilters.parse(args.get("kind"), args.get("state"))
    page = alert_rules.list_alerts(get_session(), filters, before=before_id, limit=limit)
    return jsonify(
        {"alerts": [view.document() for view in page.items], "next_before": page.next_before}
    )


def _alert_id(text: str) -> int | None:
    # ASCII digits only, and few: int() would take "²" or a run of thousands of digits.
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= ID_MAX:
        return int(text)
    return None
