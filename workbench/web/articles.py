"""Articles: the archive list, the ingest form (paste or upload) and one article with its claims."""

from __future__ import annotations

from datetime import UTC, date, datetime

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

from workbench.db import end_transaction, get_session
from workbench.intake.errors import IngestError
from workbench.intake.links import Reach, ingest_link, is_link
from workbench.intake.reading import ArticleInput, read_article_file
from workbench.intake.storing import ingest_upload
from workbench.models import Role
from workbench.review.articles import (
    article_claims,
    body_parts,
    get_article,
    list_articles,
)
from workbench.web.access import allow

bp = Blueprint("articles", __name__, url_prefix="/articles")


@bp.get("/")
@allow(Role.VIEWER)
def index() -> str:
    page = list_articles(get_session(), request.args.get("page", 1, type=int))
    return render_template("articles/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.EDITOR)
def new() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("articles/new.html", form={})
    form = request.form
    db = get_session()
    # Reading, decoding and checking an upload takes a while: not under the write lock that
    # reading the logged-in user began. Each article is then stored in a short transaction.
    end_transaction(db)
    settings = current_app.config["WORKBENCH_SETTINGS"]
    link = _link_to_fetch()
    if link is not None:
        try:
            result = ingest_link(db, link, Reach.from_settings(settings), user_id=g.user.id)
        except IngestError as exc:
            flash(str(exc), "error")
            return render_template("articles/new.html", form=form), 400
        flash(result.summary(), "success")
        return redirect(url_for("articles.detail", article_id=result.article.id))
    try:
        articles = _articles_from_request()
    except IngestError as exc:
        flash(str(exc), "error")
        return render_template("articles/new.html", form=form), 400
    try:
        results, refusals = ingest_upload(
            db,
            articles,
            user_id=g.user.id,
            max_sentences=settings.max_request_sentences,
            max_articles=settings.max_request_articles,
        )
    except IngestError as exc:
        flash(str(exc), "error")
        return render_template("articles/new.html", form=form), 400
    for message in refusals:
        flash(message, "error")
    if not results:
        return render_template("articles/new.html", form=form), 400
    for result in results:
        flash(result.summary(), "success")
    if len(results) == 1:
        return redirect(url_for("articles.detail", article_id=results[0].article.id))
    return redirect(url_for("articles.index"))


def _link_to_fetch() -> str | None:
    """The page to fetch: an address pasted as the whole text, or given without any text (and
    no file chosen)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return None
    text, url = request.form.get("text", "").strip(), request.form.get("url", "").strip()
    if is_link(text) and not url:
        return text
    if not text and url:
        return url
    return None


def _articles_from_request() -> list[ArticleInput]:
    """What the form holds: an uploaded file if one was chosen, else the pasted text."""
    limit = current_app.config["WORKBENCH_SETTINGS"].max_upload_bytes
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return read_article_file(upload.filename, upload.read(limit + 1), limit)

    form = request.form
    text = form.get("text", "")
    if not text.strip():
        raise IngestError(
            "The article has no text. Paste the article's text or its address, or choose a file."
        )
    if len(text.encode("utf-8")) > limit:
        raise IngestError(f"The text is longer than the limit of {limit:,} bytes.")
    url = form.get("url", "").strip() or None
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise IngestError("The article's address must start with http:// or https://.")
    return [
        ArticleInput(
            body=text,
            title=form.get("title", ""),
            url=url,
            outlet=form.get("outlet", "").strip() or None,
            published_at=_form_date(form.get("published", "")),
            origin="text",
        )
    ]


def _form_date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise IngestError("The publication date must be a date like 2015-09-18.") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@bp.get("/<int:article_id>")
@allow(Role.VIEWER)
def detail(article_id: int) -> str:
    db = get_session()
    article = get_article(db, article_id)
    claims = article_claims(db, article_id)
    return render_template(
        "articles/detail.html",
        article=article,
        claims=claims,
        parts=body_parts(article, claims),
    )
