"""An article into the archive: the claims it might repeat read in a snapshot (`match_article`),
then the article, its claims, their duplicate suggestions and the alerts written in one short
transaction (`store_article`).

`ingest_article` does both for one article, `ingest_upload` for what one web request brings; a
batch import (batch.py) stores through the same `store_article`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workbench.alerts import rules as alert_rules
from workbench.db import end_transaction, snapshot
from workbench.intake.claim_spotting import SKIP_REASONS
from workbench.intake.errors import DuplicateArticle, IngestError, TooManySentences
from workbench.intake.preparing import PreparedArticle, content_hash, prepare_article
from workbench.intake.reading import ArticleInput
from workbench.matching.normalize import AliasTable
from workbench.matching.similar import (
    ArchiveCandidates,
    Suggested,
    decide_candidates,
    find_candidates,
    find_suggestions,
    load_aliases,
)
from workbench.models import Article, Claim, ClaimStatus, utcnow
from workbench.review import duplicates


@dataclass
class IngestResult:
    article: Article
    claims: int
    skipped: Counter[str] = field(default_factory=Counter)
    suggestions: int = 0

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(
            f"{n} {why}".replace("_", " ") for why, n in sorted(self.skipped.items())
        )
        tail = f"; {skipped} sentence(s) not taken as claims ({reasons})" if skipped else ""
        if self.suggestions:
            tail += f"; {self.suggestions} possible duplicate(s) of archived claims"
        return f"Imported #{self.article.id} “{self.article.title}”: {self.claims} claim(s){tail}."


def find_duplicate(session: Session, body: str) -> Article | None:
    return session.exec(select(Article).where(Article.content_hash == content_hash(body))).first()


def find_by_address(session: Session, url: str | None) -> Article | None:
    """The article already stored under this address: a page is one article, however often its
    link is sent or its feed repeats it."""
    if not url:
        return None
    return session.exec(select(Article).where(Article.url == url).order_by(Article.id)).first()


def already_stored(session: Session, record: Article) -> DuplicateArticle | None:
    """Why this article is already in the archive (same address, or same text), or None."""
    existing = find_by_address(session, record.url)
    if existing is not None:
        return DuplicateArticle(existing, "address")
    existing = find_duplicate(session, record.body)
    if existing is not None:
        return DuplicateArticle(existing)
    return None


def ingest_article(
    session: Session,
    article: ArticleInput,
    *,
    user_id: int | None = None,
    aliases: AliasTable | None = None,
    match: bool = True,
    max_sentences: int | None = None,
    also: Callable[[Session, Article], None] | None = None,
) -> IngestResult:
    """Store an article, its claims and their duplicate suggestions in one transaction, committed
    here: all of it or nothing.

    Splitting and the search for duplicate candidates come first, in a read-only snapshot, so the
    write transaction (SQLite's one write lock) lasts only as long as storing does; a transaction
    the caller has open (a request's, begun when it read the logged-in user) is committed first.
    Raises IngestError (nothing stored) for empty text or an article already in the archive.
    """
    end_transaction(session)
    with snapshot(session.get_bind()) as reader:
        aliases = aliases or load_aliases(reader)
        prepared = prepare_article(article, aliases, max_sentences=max_sentences)
        found = match_article(reader, prepared, aliases) if match else None
    return store_article(
        session, prepared, user_id=user_id, match=match, found=found, aliases=aliases, also=also
    )


def ingest_upload(
    session: Session,
    articles: Sequence[ArticleInput],
    *,
    user_id: int | None,
    max_sentences: int,
    max_articles: int,
) -> tuple[list[IngestResult], list[str]]:
    """What one web request imports: each article in its own short transaction, as ingest_article
    does, and (refusals, such as an article already in the archive, aside) nothing at all when the
    articles together are more than one request may hold. The limits keep every request to
    seconds; `flask ingest` takes bigger batches.

    Returns the stored articles and the messages of the refused ones.
    """
    if len(articles) > max_articles:
        raise IngestError(
            f"The file holds {len(articles):,} articles, more than the {max_articles:,} one upload "
            "may import. Split it, or import it with `flask --app app ingest FILE`."
        )
    end_transaction(session)
    with snapshot(session.get_bind()) as reader:
        aliases = load_aliases(reader)
    prepared: list[PreparedArticle] = []
    refusals: list[str] = []
    budget = max_sentences
    for article in articles:
        try:
            ready = prepare_article(article, aliases, max_sentences=budget)
        except TooManySentences:
            raise TooManySentences(max_sentences) from None
        except IngestError as exc:
            refusals.append(str(exc))
            continue
        budget -= ready.sentences
        prepared.append(ready)
    results: list[IngestResult] = []
    word_counts: dict[str, int] = {}  # counts only weigh words: one upload's old ones will do
    for ready in prepared:
        with snapshot(session.get_bind()) as reader:
            found = match_article(reader, ready, aliases, word_counts=word_counts)
        try:
            results.append(
                store_article(session, ready, user_id=user_id, found=found, aliases=aliases)
            )
        except IngestError as exc:
            refusals.append(str(exc))
    return results, refusals


def match_article(
    session: Session,
    prepared: PreparedArticle,
    aliases: AliasTable,
    *,
    word_counts: dict[str, int] | None = None,
) -> ArchiveCandidates:
    """The archived claims each of the article's claims might repeat, read and weighed (reads
    only; see similar.find_candidates and decide_candidates)."""
    texts = [(str(claim["normalized_text"]), str(claim["text"])) for claim in prepared.open_claims]
    normalized = [text for text, _ in texts]
    found = find_candidates(session, normalized, word_counts=word_counts)
    return decide_candidates(found, texts, aliases)


def store_article(
    session: Session,
    prepared: PreparedArticle,
    *,
    user_id: int | None = None,
    match: bool = True,
    word_counts: dict[str, int] | None = None,
    found: ArchiveCandidates | None = None,
    aliases: AliasTable | None = None,
    commit: bool = True,
    also: Callable[[Session, Article], None] | None = None,
) -> IngestResult:
    """The database half of ingest_article: one transaction, committed or rolled back here.

    With `commit=False` the article is stored in a savepoint of the caller's transaction instead,
    and a failure rolls back this article only: a batch commits a few articles at once, since a
    commit costs more than storing one article does.
    `found` are the candidates read before (match_article); without them they are read now.
    `aliases` are the ones the article was normalised with (read again when not given).
    `also` writes what else must be stored with the article or not at all (a feed's entry
    marked as seen), in the same transaction.
    """
    record = prepared.record
    duplicate = already_stored(session, record)
    if duplicate is not None:
        if commit:
            session.rollback()
        raise duplicate
    savepoint = None if commit else session.begin_nested()
    suggestions = 0
    try:
        record.ingested_by_id = user_id
        record.ingested_at = utcnow()
        session.add(record)
        session.flush()
        now = utcnow()
        rows = [
            {**claim, "article_id": record.id, "created_at": now, "updated_at": now}
            for claim in prepared.claims
        ]
        if rows:
            # Core, not the ORM's bulk path (the rows are complete), one INSERT for them all, and
            # the stored claims come back as plain rows (in no set order: sorted here, since
            # asking for the order makes SQLite insert them one by one): the hot loop of a batch.
            table = Claim.__table__
            returned = session.execute(
                sa.insert(table).returning(
                    table.c.id,
                    table.c.article_id,
                    table.c.normalized_text,
                    table.c.text,
                    table.c.position,
                    table.c.status,
                ),
                rows,
            ).all()
            # Only the article's open claims are matched (in the order match_article read them):
            # a sentence the splitter set aside raises no suggestion and no alert unless restored.
            stored = sorted(
                (claim for claim in returned if claim.status == ClaimStatus.NEW),
                key=lambda claim: claim.position,
            )
            if match and stored:
                # What matching found (reads only), then its writes, in this transaction: the
                # suggested pairs with both claims' repeats and priority, and the alerts (with
                # their webhook deliveries) for repeats of checked claims.
                made = find_suggestions(
                    session, stored, word_counts=word_counts, found=found, aliases=aliases
                )
                made = _without_set_aside_sentences(session, made)
                duplicates.record_suggestions(session, made)
                alert_rules.raise_for_suggestions(session, made)
                suggestions = len(made)
        if also is not None:
            also(session, record)
        (savepoint or session).commit()
    except IntegrityError as exc:
        (savepoint or session).rollback()
        # Another writer stored the same text between our check and our commit.
        duplicate = already_stored(session, record)
        if commit:
            session.rollback()
        if duplicate is not None:
            raise duplicate from exc
        raise
    except BaseException:
        (savepoint or session).rollback()
        raise
    return IngestResult(
        article=record,
        claims=len(prepared.open_claims),
        skipped=prepared.skipped,
        suggestions=suggestions,
    )


def _without_set_aside_sentences(session: Session, made: list[Suggested]) -> list[Suggested]:
    """The suggestions but those of archived sentences the splitter set aside (a question, a
    byline...) and nobody restored: a "previously seen" suggestion pointing at "By Jane Smith"
    or "(APPLAUSE)" would waste an editor's time. A claim an editor dismissed stays a candidate,
    as before."""
    if not made:
        return made
    candidates = {suggestion.candidate_id for suggestion in made}
    set_aside = set(
        session.scalars(
            sa.select(Claim.id).where(
                Claim.id.in_(candidates),
                Claim.status == ClaimStatus.DISMISSED,
                Claim.dismiss_reason.in_(SKIP_REASONS),
            )
        )
    )
    return [s for s in made if s.candidate_id not in set_aside] if set_aside else made
