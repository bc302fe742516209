"""The JSON API for the other records: articles (read and ingest), sources, clusters, alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from sqlmodel import select

from workbench import models
from workbench.alerts import rules as alert_rules
from workbench.db import get_session
from workbench.intake.links import Reach, ingest_link, is_link
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import IngestResult, ingest_article
from workbench.models import Role
from workbench.review import duplicates, verdicts
from workbench.review.articles import article_claims, get_article
from workbench.shapes import (
    AlertList,
    ArticleDetail,
    ArticleList,
    ArticleSummary,
    Claim,
    Cluster,
    ClusterList,
    ClusterSummary,
    IngestedArticle,
    Source,
    SourceList,
)
from workbench.web.access import allow
from workbench.web.api import (
    ONE_RECORD_ERRORS,
    READ_ERRORS,
    BadRequest,
    RecordNotFound,
    answers,
    bp,
    spec,
)
from workbench.web.api.inputs import AlertArgs, ArticleBody, NewSource, PageArgs, SourceArgs


def _keyset(
    statement: sa.Select[Any], id_column: Any, page: PageArgs
) -> tuple[list[Any], str | None]:
    """One page of `statement`, newest id first, and the cursor for the next page."""
    after, limit = page.after, page.limit
    if after is not None:
        statement = statement.where(id_column < after)
    rows = list(get_session().execute(statement.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1][0].id) if more and rows else None)


# --- Articles ------------------------------------------------------------------------------------


@bp.get("/articles")
@allow(Role.VIEWER)
@spec.validate(query=PageArgs, resp=answers({200: ArticleList}, READ_ERRORS), tags=["articles"])
def articles(query: PageArgs) -> ArticleList:
    """Articles, newest first, with their number of claims."""
    claim_count = (
        sa.select(sa.func.count(models.Claim.id))
        .where(models.Claim.article_id == models.Article.id)
        .correlate(models.Article)
        .scalar_subquery()
    )
    rows, cursor = _keyset(sa.select(models.Article, claim_count), models.Article.id, query)
    return ArticleList.build(
        articles=[ArticleSummary.of(a, claims) for a, claims in rows], next_cursor=cursor
    )


@bp.get("/articles/<id:article_id>")
@allow(Role.VIEWER)
@spec.validate(resp=answers({200: ArticleDetail}, ONE_RECORD_ERRORS), tags=["articles"])
def article(article_id: int) -> ArticleDetail:
    """One article with its text and its claims."""
    db = get_session()
    found = get_article(db, article_id)
    claims = article_claims(db, article_id)
    return ArticleDetail.of(
        found,
        len(claims),
        body=found.body,
        claims=[Claim.of(claim, found) for claim in claims],
    )


@bp.post("/articles")
@allow(Role.EDITOR)
@spec.validate(resp=answers({201: IngestedArticle}, (400, 401, 403, 409, 422)), tags=["articles"])
def ingest(json: ArticleBody) -> tuple[IngestedArticle, int]:
    """Store an article and split it into claims, as the web form does (one transaction); with
    only a `url`, the page is fetched and its article extracted first."""
    settings = current_app.config["WORKBENCH_SETTINGS"]
    url = (json.url or "").strip() or None
    if json.text is None and url is None:
        raise BadRequest("missing_field", "Give 'text', or 'url' to have the page fetched.")
    if json.text is None or (not json.text.strip() and url is not None):
        if not is_link(url or ""):
            raise verdicts.ReviewError("The article's address must start with http:// or https://.")
        result = ingest_link(get_session(), url, Reach.from_settings(settings), user_id=g.user.id)
        return _ingested(result), 201
    text = json.text
    limit = settings.max_upload_bytes
    if len(text.encode("utf-8", "surrogatepass")) > limit:
        raise BadRequest("too_long", f"The text is longer than the limit of {limit:,} bytes.")
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise verdicts.ReviewError("The article's address must start with http:// or https://.")
    result = ingest_article(
        get_session(),
        ArticleInput(
            body=text,
            title=json.title or "",
            url=url,
            outlet=(json.outlet or "").strip() or None,
            published_at=_published(json.published),
            origin="api",
        ),
        user_id=g.user.id,
        max_sentences=settings.max_request_sentences,
    )
    return _ingested(result), 201


def _ingested(result: IngestResult) -> IngestedArticle:
    return IngestedArticle.of(
        result.article,
        result.claims,
        suggestions=result.suggestions,
        skipped=dict(sorted(result.skipped.items())),
    )


def _published(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise verdicts.ReviewError("'published' must be a date like 2015-09-18.") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- Sources -------------------------------------------------------------------------------------


@bp.get("/sources")
@allow(Role.VIEWER)
@spec.validate(query=SourceArgs, resp=answers({200: SourceList}, READ_ERRORS), tags=["sources"])
def sources(query: SourceArgs) -> SourceList:
    """Sources whose title, address or publisher contains `q` (all sources without), newest
    first."""
    found = verdicts.find_sources(get_session(), query.q.replace("\x00", ""), query.limit)
    return SourceList.build(sources=[Source.of(source) for source in found])


@bp.post("/sources")
@allow(Role.EDITOR)
@spec.validate(resp=answers({200: Source, 201: Source}, (400, 401, 403, 422)), tags=["sources"])
def add_source(json: NewSource) -> tuple[Source, int]:
    """Add a source to the library; an address already there gives that source back (200)."""
    db = get_session()
    url = json.url or ""
    # add_source hands back the library's source for a known address; 200 says it was there.
    known = (
        url.strip()
        and db.exec(select(models.Source.id).where(models.Source.url == url.strip())).first()
    )
    added = verdicts.add_source(
        db,
        g.user.id,
        verdicts.SourceInput(
            title=json.title,
            url=url,
            publisher=json.publisher or "",
            kind=json.kind or "web",
        ),
    )
    return Source.of(added), 200 if known else 201


@bp.get("/sources/<id:source_id>")
@allow(Role.VIEWER)
@spec.validate(resp=answers({200: Source}, ONE_RECORD_ERRORS), tags=["sources"])
def source(source_id: int) -> Source:
    """One source."""
    return Source.of(verdicts.get_source(get_session(), source_id))


# --- Clusters ------------------------------------------------------------------------------------


@bp.get("/clusters")
@allow(Role.VIEWER)
@spec.validate(query=PageArgs, resp=answers({200: ClusterList}, READ_ERRORS), tags=["duplicates"])
def clusters(query: PageArgs) -> ClusterList:
    """Clusters of confirmed duplicates, newest first, with their size."""
    members = (
        sa.select(sa.func.count(models.Claim.id))
        .where(models.Claim.cluster_id == models.Cluster.id)
        .correlate(models.Cluster)
        .scalar_subquery()
    )
    rows, cursor = _keyset(sa.select(models.Cluster, members), models.Cluster.id, query)
    return ClusterList.build(
        clusters=[
            ClusterSummary.build(
                id=cluster.id, canonical_claim_id=cluster.canonical_claim_id, size=size
            )
            for cluster, size in rows
        ],
        next_cursor=cursor,
    )


@bp.get("/clusters/<id:cluster_id>")
@allow(Role.VIEWER)
@spec.validate(resp=answers({200: Cluster}, ONE_RECORD_ERRORS), tags=["duplicates"])
def cluster(cluster_id: int) -> Cluster:
    """One cluster with its member claims."""
    db = get_session()
    found = db.get(models.Cluster, cluster_id)
    if found is None:
        raise RecordNotFound(cluster_id)
    member = db.exec(
        select(models.Claim).where(models.Claim.cluster_id == found.id).limit(1)
    ).first()
    members = duplicates.cluster_members(db, member) if member is not None else []
    return Cluster.of(found, members)


# --- Alerts --------------------------------------------------------------------------------------


@bp.get("/alerts")
@allow(Role.VIEWER)
@spec.validate(query=AlertArgs, resp=answers({200: AlertList}, READ_ERRORS), tags=["alerts"])
def alerts(query: AlertArgs) -> AlertList:
    """Alerts newest first, as webhooks send them; ?kind=, ?state=, ?limit= (1-200, default 50),
    ?before=<id> for the next page (its value is the previous page's `next_before`)."""
    filters = alert_rules.AlertFilters.parse(query.kind, query.state)
    page = alert_rules.list_alerts(get_session(), filters, before=query.before, limit=query.limit)
    return AlertList.build(
        alerts=[view.shape() for view in page.items], next_before=page.next_before
    )
