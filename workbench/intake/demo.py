"""The demo newsroom that `flask setup` loads once, so a newcomer sees the tool at work.

It is built from the seed story (fixtures/seed/): its sentences spread over several outlets'
articles, the editorial work done on them, and later articles that repeat or vary the checked
claims. The files, in `Settings.demo_fixtures` (fixtures/demo/):

- `articles.jsonl`: the articles, one a line, as `flask ingest` reads JSON Lines.
- `newsroom.json`: the editorial work. Claims are named by a phrase of their text found in
  exactly one demo claim, never by id. `checks` take a claim, link evidence from `sources` and
  give a verdict (a check without one leaves its claim in review); `later_articles` come in
  after the checks, so their repeats and variants raise alerts at ingest as they would in real
  life; `confirm` then confirms a suggested repeat, which joins the checked claim's cluster and
  carries its verdict.

Loaded once: articles already in the archive are skipped, as in any import, and each stage of
the editorial work is committed with its mark in the `demo_loaded` newsroom setting ("checked",
then "done"), so running setup again, or after a crash, never does the work twice.

The work is done as "demo-editor" (and approved as "demo-chief" when the newsroom requires
sign-off): accounts created disabled, with a random password that is never shown, so their names
stand in the history and nobody can log in as them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pydantic
import sqlalchemy as sa
from sqlmodel import Session, select

from workbench.accounts import users
from workbench.intake.batch import BatchReport, ingest_batch
from workbench.intake.errors import IngestError
from workbench.intake.reading import ArticleInput, read_article_file
from workbench.models import (
    Article,
    Claim,
    DuplicateSuggestion,
    NewsroomSetting,
    Role,
    Stance,
    SuggestionState,
    User,
    Verdict,
    utcnow,
)
from workbench.review import duplicates, verdicts

ARTICLES_FILE = "articles.jsonl"
NEWSROOM_FILE = "newsroom.json"
LOADED = "demo_loaded"  # the NewsroomSetting that marks the stages done
CHECKED, DONE = "checked", "done"
EDITOR, CHIEF = "demo-editor", "demo-chief"


class DemoError(IngestError):
    """The demo's files cannot be loaded as they are; the message says what to fix."""


# --- The files -----------------------------------------------------------------------------------


class _Plan(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class SourcePlan(_Plan):
    title: str
    url: str = ""
    publisher: str = ""
    kind: str = "web"


class EvidencePlan(_Plan):
    source: str  # a key of `sources`
    stance: Stance
    quote: str = ""
    note: str = ""


class CheckPlan(_Plan):
    claim: str
    evidence: list[EvidencePlan] = []
    verdict: Verdict | None = None  # none: the claim stays in review
    summary: str = ""


class ConfirmPlan(_Plan):
    claim: str
    repeat_of: str


class NewsroomPlan(_Plan):
    about: str = ""
    sources: dict[str, SourcePlan] = {}
    checks: list[CheckPlan] = []
    later_articles: list[str] = []
    confirm: list[ConfirmPlan] = []


@dataclass(frozen=True)
class DemoNewsroom:
    """The demo's files, read and checked against each other."""

    articles: list[ArticleInput]
    plan: NewsroomPlan

    @property
    def first(self) -> list[ArticleInput]:
        return [a for a in self.articles if a.url not in self.plan.later_articles]

    @property
    def later(self) -> list[ArticleInput]:
        return [a for a in self.articles if a.url in self.plan.later_articles]


def read_demo(folder: Path, max_bytes: int) -> DemoNewsroom:
    """The demo newsroom in `folder`; DemoError when a file is missing or does not fit."""
    articles_path, plan_path = folder / ARTICLES_FILE, folder / NEWSROOM_FILE
    for path in (articles_path, plan_path):
        if not path.is_file():
            raise DemoError(f"The demo needs {path}; restore it from the repository.")
    articles = [
        replace(article, origin="fixture")
        for article in read_article_file(str(articles_path), articles_path.read_bytes(), max_bytes)
    ]
    try:
        plan = NewsroomPlan.model_validate_json(plan_path.read_bytes())
    except pydantic.ValidationError as exc:
        raise DemoError(f"{plan_path} does not describe the demo's work: {exc}") from None
    addresses = {article.url for article in articles}
    problems = [
        f"later article {url} is not in {ARTICLES_FILE}"
        for url in plan.later_articles
        if url not in addresses
    ] + [
        f"the evidence for “{check.claim}” names the unknown source {evidence.source!r}"
        for check in plan.checks
        for evidence in check.evidence
        if evidence.source not in plan.sources
    ]
    if None in addresses:
        problems.append(f"every article in {ARTICLES_FILE} needs a url")
    if problems:
        raise DemoError(f"{plan_path}: " + "; ".join(problems) + ".")
    return DemoNewsroom(articles, plan)


# --- Loading -------------------------------------------------------------------------------------


@dataclass
class DemoReport:
    """What one run of the demo loading did."""

    articles: BatchReport = field(default_factory=BatchReport)
    verdicts: int = 0
    in_review: int = 0
    confirmed: int = 0
    work_done_before: bool = False

    def summary(self) -> str:
        if self.work_done_before:
            work = "its editorial work was done before"
        else:
            work = (
                f"{self.verdicts} claim(s) checked, {self.in_review} in review, "
                f"{self.confirmed} repeat(s) confirmed"
            )
        return f"{self.articles.summary().removesuffix('.')}; {work}."


def load_demo(session: Session, demo: DemoNewsroom, *, sign_off: bool) -> DemoReport:
    """Load what is not in yet: the first articles, the checks, the later articles (whose
    repeats and variants of checked claims raise their alerts at ingest), the confirmations.

    Commits stage by stage, as a batch import does: the later articles must be matched against
    the committed checks. With `sign_off` each verdict is saved as a draft and approved by a
    second demo account, as the newsroom's rule requires.
    """
    report = DemoReport()
    ingest_batch(session, demo.first, report.articles)
    stage = _stage(session)
    report.work_done_before = stage == DONE
    if stage is None:
        editor = _demo_account(session, EDITOR)
        chief = _demo_account(session, CHIEF) if sign_off else None
        for check in demo.plan.checks:
            _check(session, demo, check, editor, chief)
            if check.verdict is None:
                report.in_review += 1
            else:
                report.verdicts += 1
        _mark(session, CHECKED)
        session.commit()
    ingest_batch(session, demo.later, report.articles)
    if stage != DONE:
        editor = _demo_account(session, EDITOR)
        for confirmation in demo.plan.confirm:
            report.confirmed += _confirm(session, demo, confirmation, editor)
        _mark(session, DONE)
        session.commit()
    return report


def _stage(session: Session) -> str | None:
    mark = session.get(NewsroomSetting, LOADED)
    return mark.value if mark is not None else None


def _mark(session: Session, stage: str) -> None:
    mark = session.get(NewsroomSetting, LOADED) or NewsroomSetting(key=LOADED, value=stage)
    mark.value = stage
    mark.updated_at = utcnow()
    session.add(mark)
    session.flush()


def _demo_account(session: Session, username: str) -> User:
    """The demo's editor: made disabled, with a password nobody is shown."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = users.create_user(session, username, users.generate_password(), Role.EDITOR)
        users.set_active(session, None, user, False)
    return user


def claim_named(session: Session, demo: DemoNewsroom, phrase: str) -> Claim:
    """The one demo claim whose text contains the phrase."""
    addresses = [article.url for article in demo.articles]
    found = session.exec(
        select(Claim)
        .join(Article, Claim.article_id == Article.id)
        .where(Article.url.in_(addresses))  # type: ignore[union-attr]
        .order_by(Claim.id)
    ).all()
    named = [claim for claim in found if phrase in claim.text]
    if len(named) != 1:
        which = "no" if not named else f"{len(named)}"
        raise DemoError(
            f"{NEWSROOM_FILE}: “{phrase}” names {which} demo claims; give a phrase found in "
            "exactly one."
        )
    return named[0]


def _check(
    session: Session, demo: DemoNewsroom, check: CheckPlan, editor: User, chief: User | None
) -> None:
    assert editor.id is not None
    claim = claim_named(session, demo, check.claim)
    claim = verdicts.take(session, claim.id, editor.id, claim.version)  # type: ignore[arg-type]
    for evidence in check.evidence:
        source = demo.plan.sources[evidence.source]
        verdicts.link_evidence(
            session,
            claim.id,  # type: ignore[arg-type]
            editor.id,
            claim.version,
            stance=evidence.stance,
            quote=evidence.quote,
            note=evidence.note,
            new_source=verdicts.SourceInput(
                title=source.title, url=source.url, publisher=source.publisher, kind=source.kind
            ),
        )
    if check.verdict is None:
        return
    claim = verdicts.set_verdict(
        session,
        claim.id,  # type: ignore[arg-type]
        editor.id,
        claim.version,
        check.verdict,
        check.summary,
        sign_off=chief is not None,
    )
    if chief is not None:
        verdicts.approve(session, claim.id, chief.id, claim.version)  # type: ignore[arg-type]


def _confirm(session: Session, demo: DemoNewsroom, plan: ConfirmPlan, editor: User) -> int:
    """Confirm the matcher's suggestion that one claim repeats the other; 0 when an editor has
    decided it already."""
    claim = claim_named(session, demo, plan.claim)
    other = claim_named(session, demo, plan.repeat_of)
    pair = {claim.id, other.id}
    suggestion = session.exec(
        select(DuplicateSuggestion).where(
            sa.and_(
                DuplicateSuggestion.claim_id.in_(pair),  # type: ignore[attr-defined]
                DuplicateSuggestion.candidate_id.in_(pair),  # type: ignore[attr-defined]
            )
        )
    ).first()
    if suggestion is None:
        raise DemoError(
            f"{NEWSROOM_FILE}: the matcher does not suggest that “{plan.claim}” repeats "
            f"“{plan.repeat_of}”; reword the repeat in {ARTICLES_FILE} until it does."
        )
    if suggestion.state != SuggestionState.PENDING:
        return 0
    duplicates.confirm(session, suggestion.id, editor.id)  # type: ignore[arg-type]
    return 1
