"""workbench.intake: preparing and storing articles, one at a time and in batches."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

import workbench.intake.preparing
import workbench.intake.storing
from workbench.db import snapshot
from workbench.intake.batch import BatchReport, ingest_batch
from workbench.intake.claim_spotting import find_claims
from workbench.intake.errors import DuplicateArticle, IngestError
from workbench.intake.preparing import content_hash, prepare_article
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article, match_article, store_article
from workbench.matching.aliases import load_aliases
from workbench.models import Article, Claim, ClaimStatus, DuplicateSuggestion

NEWS = (
    "Kerry: U.S. plans military talks with Russian Federation over Syria\n"
    "By Jane Smith\n"
    "\n"
    "Military talks between the US and Russia on the Syrian crisis began Friday with a telephone "
    "call between Defense Secretary Ash Carter and Russian Minister of Defense Sergei Shoygu. "
    "Will the talks succeed? Nobody knows.\n"
    "The last time a United States defence chief spoke with Shoigu was in August 2014, the "
    "Pentagon said.\n"
    "Reporting by John Doe; Editing by Sam Roe"
)
NEWS_CLAIMS = [
    "Kerry: U.S. plans military talks with Russian Federation over Syria",
    "Military talks between the US and Russia on the Syrian crisis began Friday with a telephone "
    "call between Defense Secretary Ash Carter and Russian Minister of Defense Sergei Shoygu.",
    "The last time a United States defence chief spoke with Shoigu was in August 2014, the "
    "Pentagon said.",
]
NEWS_SKIPPED = Counter({"byline": 2, "question": 1, "fragment": 1})
# Every sentence is stored: the claims open, the others dismissed with the splitter's reason.
NEWS_SENTENCES = len(NEWS_CLAIMS) + sum(NEWS_SKIPPED.values())


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def claims_of(session: Session, article_id: int, *, every: bool = False) -> list[Claim]:
    """The article's open claims in order; with `every`, the dismissed sentences too."""
    query = select(Claim).where(Claim.article_id == article_id).order_by(Claim.position)
    if not every:
        query = query.where(Claim.status != ClaimStatus.DISMISSED)
    return list(session.exec(query))


# --- ingest_article ------------------------------------------------------------------------------


def test_article_and_claims_are_stored_with_positions_and_offsets(session: Session) -> None:
    result = ingest_article(session, ArticleInput(body=NEWS, title="Talks", origin="text"))
    assert result.claims == len(NEWS_CLAIMS)
    assert result.skipped == NEWS_SKIPPED
    assert "4 sentence(s) not taken as claims" in result.summary()

    session.expire_all()
    article = session.get(Article, result.article.id)
    assert article is not None
    assert article.body == NEWS and article.title == "Talks"
    assert article.content_hash == content_hash(NEWS)
    claims = claims_of(session, article.id)
    assert [c.text for c in claims] == NEWS_CLAIMS
    for claim in claims:
        assert article.body[claim.start_offset : claim.end_offset] == claim.text
        assert claim.status == "new" and claim.version == 1 and claim.dismiss_reason is None
        assert 0 < claim.check_worthiness <= 1
    every = claims_of(session, article.id, every=True)
    assert [c.position for c in every] == list(range(NEWS_SENTENCES))
    assert count(session, Claim) == NEWS_SENTENCES


def test_sentences_that_are_not_claims_are_kept_dismissed_with_their_reason(
    session: Session,
) -> None:
    result = ingest_article(session, ArticleInput(body=NEWS, title="Talks", origin="text"))
    every = claims_of(session, result.article.id, every=True)
    set_aside = [(c.text, c.status, c.dismiss_reason) for c in every if c.text not in NEWS_CLAIMS]
    assert set_aside == [
        ("By Jane Smith", "dismissed", "byline"),
        ("Will the talks succeed?", "dismissed", "question"),
        ("Nobody knows.", "dismissed", "fragment"),
        ("Reporting by John Doe; Editing by Sam Roe", "dismissed", "byline"),
    ]
    # Nothing to undo to: restoring one makes it new (review.triage.restore).
    assert all(c.status_before is None for c in every)


def test_offsets_point_into_the_cleaned_body(session: Session) -> None:
    messy = (
        "  Carter\u00a0spoke with Shoygu on Friday.\r\n\r\n\r\n\r\n"
        "Cafe\u0301 owners said\x07 prices rose 5 percent.   \r\nThe talks lasted an hour.\t\n"
    )
    result = ingest_article(session, ArticleInput(body=messy))
    body = result.article.body
    assert "\r" not in body and "\x07" not in body and "\u00a0" not in body
    assert "\n\n\n" not in body and "Café" in body
    claims = claims_of(session, result.article.id)
    assert [c.text for c in claims] == [
        "Carter spoke with Shoygu on Friday.",
        "Café owners said prices rose 5 percent.",
        "The talks lasted an hour.",
    ]
    for claim in claims:
        assert body[claim.start_offset : claim.end_offset] == claim.text
    # With no title given, the first line is the title.
    assert result.article.title == "Carter spoke with Shoygu on Friday."


def test_long_first_line_gives_a_shortened_title(session: Session) -> None:
    body = "Officials said " + "the talks went on " * 20 + "for hours."
    result = ingest_article(session, ArticleInput(body=body))
    assert len(result.article.title) == 118 and result.article.title.endswith("…")


def test_only_skipped_sentences_store_an_article_without_claims(session: Session) -> None:
    result = ingest_article(session, ArticleInput(body="Will it work? By Jane Smith\nYes."))
    assert result.claims == 0
    assert result.skipped == Counter({"question": 1, "byline": 1, "fragment": 1})
    assert count(session, Article) == 1 and count(session, Claim) == 3
    assert not claims_of(session, result.article.id)


@pytest.mark.parametrize("body", ["", " ", "\n\n\t  \r\n", "\u00a0\x00\x07"])
def test_empty_text_is_refused_and_nothing_stored(session: Session, body: str) -> None:
    with pytest.raises(IngestError, match="no text") as refused:
        ingest_article(session, ArticleInput(body=body))
    assert not isinstance(refused.value, DuplicateArticle)
    assert count(session, Article) == 0 and count(session, Claim) == 0


@pytest.mark.parametrize(
    "again",
    [
        NEWS,
        NEWS.replace(" ", "  ").replace("\n", "\r\n"),
        "   " + NEWS.replace("\n", "\n\n\n") + "\n\n",
        NEWS.replace(" ", "\t"),
    ],
    ids=["same", "doubled-spaces-crlf", "blank-lines", "tabs"],
)
def test_the_same_text_again_is_a_duplicate(session: Session, again: str) -> None:
    first = ingest_article(session, ArticleInput(body=NEWS, title="Talks"))
    with pytest.raises(DuplicateArticle) as duplicate:
        ingest_article(session, ArticleInput(body=again, title="Other title"))
    assert duplicate.value.existing.id == first.article.id
    message = str(duplicate.value)
    assert f"#{first.article.id}" in message and "Talks" in message
    assert "already in the archive" in message
    assert count(session, Article) == 1
    assert count(session, Claim) == NEWS_SENTENCES


def test_different_words_are_not_duplicates(session: Session) -> None:
    ingest_article(session, ArticleInput(body=NEWS))
    ingest_article(session, ArticleInput(body=NEWS.replace("Friday", "Saturday")))
    assert count(session, Article) == 2


def test_failure_mid_transaction_leaves_nothing_behind(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_normalize = workbench.intake.preparing.normalize
    calls = 0

    def failing_normalize(text: str, *args: object) -> str:
        nonlocal calls
        calls += 1
        if calls > 2:
            raise RuntimeError("disk on fire")
        return real_normalize(text, *args)

    monkeypatch.setattr(workbench.intake.preparing, "normalize", failing_normalize)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_article(session, ArticleInput(body=NEWS))
    assert calls == 3
    assert count(session, Article) == 0 and count(session, Claim) == 0

    # Nothing is left reserved: the same text imports cleanly afterwards.
    monkeypatch.setattr(workbench.intake.preparing, "normalize", real_normalize)
    result = ingest_article(session, ArticleInput(body=NEWS))
    assert result.claims == len(NEWS_CLAIMS)
    assert count(session, Article) == 1 and count(session, Claim) == NEWS_SENTENCES


def test_failure_while_inserting_claims_leaves_nothing_behind(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_execute = Session.execute

    def failing_execute(self: Session, statement: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if isinstance(statement, sa.Insert) and statement.table.name == "claim":
            real_execute(self, statement, *args, **kwargs)
            raise KeyboardInterrupt
        return real_execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", failing_execute)
    with pytest.raises(KeyboardInterrupt):
        ingest_article(session, ArticleInput(body=NEWS))
    monkeypatch.undo()
    assert count(session, Article) == 0 and count(session, Claim) == 0


def test_ingest_batch_goes_on_past_duplicates_and_refusals(session: Session) -> None:
    existing = ingest_article(session, ArticleInput(body="Carter spoke with Shoygu on Friday."))
    articles = [
        ArticleInput(body=NEWS, title="First"),
        ArticleInput(body="   \n"),
        ArticleInput(body="Carter  spoke with Shoygu\non Friday."),
        ArticleInput(body=NEWS.replace("\n", " \n")),
        ArticleInput(body="Peskov said he was unaware of any such messages.", title="Last"),
    ]
    report = ingest_batch(session, articles, BatchReport(), user_id=None)
    assert [r.article.title for r in report.imported] == ["First", "Last"]
    assert report.claims == len(NEWS_CLAIMS) + 1
    assert [d.existing.id for d in report.duplicates] == [
        existing.article.id,
        report.imported[0].article.id,
    ]
    assert len(report.refused) == 1 and "no text" in report.refused[0]
    assert report.summary() == (
        f"Imported 2 article(s) with {len(NEWS_CLAIMS) + 1} claim(s); "
        "2 already in the archive; 1 refused."
    )
    assert count(session, Article) == 3


def test_ingest_batch_records_who_imported(session: Session, users: dict[str, int]) -> None:
    report = ingest_batch(
        session, [ArticleInput(body=NEWS)], BatchReport(), user_id=users["editor"]
    )
    session.expire_all()
    assert session.get(Article, report.imported[0].article.id).ingested_by_id == users["editor"]


HOSTILE = (
    "<script>alert(1)</script> was posted by the attacker in the comment box on Friday.\n"
    "The page showed <img src=x onerror=alert(2)> and “&amp;” entities to 300 readers.\n"
    "Robert'); DROP TABLE claim;-- said the talks were a success."
)


def test_hostile_text_is_stored_verbatim(session: Session) -> None:
    result = ingest_article(
        session,
        ArticleInput(body=HOSTILE, title="<b onmouseover=alert(3)>Title</b>", outlet="<i>x</i>"),
    )
    session.expire_all()
    article = session.get(Article, result.article.id)
    assert article.body == HOSTILE
    assert article.title == "<b onmouseover=alert(3)>Title</b>"
    assert article.outlet == "<i>x</i>"
    assert [c.text for c in claims_of(session, article.id)] == HOSTILE.split("\n")
    assert count(session, Claim) == 3


def test_stored_claims_match_the_splitter(session: Session) -> None:
    result = ingest_article(session, ArticleInput(body=NEWS + "\n\n" + HOSTILE))
    expected = find_claims(result.article.body)
    stored = claims_of(session, result.article.id, every=True)
    assert [
        (c.start_offset, c.end_offset, c.check_worthiness, c.dismiss_reason) for c in stored
    ] == [(c.sentence.start, c.sentence.end, c.check_worthiness, c.skip_reason) for c in expected]


@pytest.mark.parametrize(
    "odd",
    [
        ArticleInput(
            body="A long link came with this article.", url="https://x.example/" + "a" * 2100
        ),
        ArticleInput(body="A NUL came with this title.", title="bad\x00title"),
    ],
    ids=["long-url", "nul-title"],
)
def test_odd_metadata_never_stops_a_batch(session: Session, odd: ArticleInput) -> None:
    report = ingest_batch(
        session, [odd, ArticleInput(body="Carter spoke with Shoygu on Friday.")], BatchReport()
    )
    assert len(report.imported) + len(report.refused) == 2
    assert report.imported[-1].article.body == "Carter spoke with Shoygu on Friday."


def test_a_duplicate_stored_by_another_writer_meanwhile_is_reported(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process stores the same text between our duplicate check and our commit: the
    # unique content hash refuses the second copy and the caller hears which article it is.
    first = ingest_article(session, ArticleInput(body=NEWS, title="Talks"))
    real_find_duplicate = workbench.intake.storing.find_duplicate
    calls: list[str] = []

    def late_find_duplicate(db: Session, body: str) -> Article | None:
        calls.append(body)
        return None if len(calls) == 1 else real_find_duplicate(db, body)

    monkeypatch.setattr(workbench.intake.storing, "find_duplicate", late_find_duplicate)
    with pytest.raises(DuplicateArticle) as duplicate:
        ingest_article(session, ArticleInput(body=NEWS + "\n", title="Again"))
    assert len(calls) == 2
    assert duplicate.value.existing.id == first.article.id
    assert count(session, Article) == 1 and count(session, Claim) == NEWS_SENTENCES


# --- Matching before the write transaction ------------------------------------------------------

REPEATED = "The Vorhaven council approved a 14 million kroner budget for the Quillmoor tramway."


def suggested_pairs(session: Session) -> set[frozenset[int]]:
    rows = session.exec(select(DuplicateSuggestion.claim_id, DuplicateSuggestion.candidate_id))
    return {frozenset(pair) for pair in rows}


def claim_ids_with_text(session: Session, text: str) -> list[int]:
    return list(session.exec(select(Claim.id).where(Claim.text == text).order_by(Claim.id)))


def test_a_claim_stored_after_the_candidates_were_read_is_still_matched(
    session: Session,
) -> None:
    # The candidates of the first article are read (as a worker or the request would), then
    # another writer stores a repeat before the first article is stored: the storing
    # transaction reads the claims stored after the snapshot, so the pair is still suggested.
    aliases = load_aliases(session)
    first = prepare_article(ArticleInput(body=REPEATED + " It opens in May."), aliases)
    with snapshot(session.get_bind()) as reader:
        found = match_article(reader, first, aliases)
    assert found.decided == [[], []]  # nothing in the archive yet
    other = ingest_article(session, ArticleInput(body="Wire copy. " + REPEATED))
    stored = store_article(session, first, found=found)
    assert stored.suggestions == 1
    new, old = claim_ids_with_text(session, REPEATED)[::-1]
    assert suggested_pairs(session) == {frozenset((new, old))}
    assert other.article.id != stored.article.id


def test_a_batch_with_workers_suggests_repeats_between_its_own_articles(session: Session) -> None:
    filler = [
        ArticleInput(body=f"Article {n} reports that the harbour crane number {n} was repaired.")
        for n in range(20)
    ]
    articles = [
        *filler[:10],
        ArticleInput(body=REPEATED, title="First"),
        ArticleInput(body="Also today. " + REPEATED, title="Second"),
        *filler[10:],
    ]
    report = ingest_batch(session, articles, BatchReport(), workers=3)
    assert len(report.imported) == len(articles)
    first, second = claim_ids_with_text(session, REPEATED)
    assert frozenset((first, second)) in suggested_pairs(session)
    # Same-article pairs are never suggested: every pair joins two articles.
    articles_of = dict(session.exec(select(Claim.id, Claim.article_id)).all())
    assert all(len({articles_of[i] for i in pair}) == 2 for pair in suggested_pairs(session))
