"""Duplicate suggestions: confirm, reject and undo into clusters (domain and web), the claim page
that shows them, the similar-claims search page and its JSON API."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import REPO, AuthActions, committed, csrf_token
from flask.testing import FlaskClient
from markupsafe import escape
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from workbench.audit import history
from workbench.db import read_session
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.matching.normalize import DUPLICATE_THRESHOLD
from workbench.matching.similar import find_suggestions
from workbench.models import (
    AuditEvent,
    Claim,
    Cluster,
    DuplicateSuggestion,
    SuggestionState,
    Verdict,
    VerdictState,
)
from workbench.review import duplicates

# Two reports of the same talks: the second repeats the first in other words.
FIRST = (
    "Military talks between the US and Russia on the Syrian crisis began Friday with a telephone "
    "call between Defense Secretary Ash Carter and Russian Minister of Defense Sergei Shoygu.",
    "Unemployment fell to 4.1 percent in March, the lowest level since 2001.",
)
SECOND = (
    "Military talks between the United States and Russia on the Syrian crisis began on Friday "
    "with a phone call between Defense Secretary Ash Carter and Russia's defense minister, "
    "Sergei Shoigu.",
    "The city spent $12 million on the new bridge last year.",
)
FIRST_TITLE, FIRST_OUTLET = "Pentagon opens military talks with Russia", "Wire One"
SECOND_TITLE, SECOND_OUTLET = "US and Russia begin talks on Syria", "Daily Two"
SEED = REPO / "fixtures" / "seed"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


# --- Building the archive -------------------------------------------------------------------------


def _ingest(
    db: Session, sentences: tuple[str, ...] | list[str], title: str, outlet: str | None = None
) -> list[int]:
    """One article, matched against the archive; its claims' ids in order (one per sentence)."""
    result = ingest_article(db, ArticleInput(body="\n".join(sentences), title=title, outlet=outlet))
    ids = list(
        db.exec(
            select(Claim.id).where(Claim.article_id == result.article.id).order_by(Claim.position)
        ).all()
    )
    assert len(ids) == len(sentences), "every test sentence should be taken as a claim"
    return ids


def _standalone_claims(db: Session, count: int) -> list[int]:
    """`count` unrelated claims, one article each, with no suggestions made for them."""
    lines = _seed_sentences()[:count]
    ids = []
    for number, line in enumerate(lines):
        result = ingest_article(db, ArticleInput(body=line, title=f"Seed {number}"), match=False)
        ids += db.exec(select(Claim.id).where(Claim.article_id == result.article.id)).all()
    assert len(ids) == count
    return ids


def _seed_sentences() -> list[str]:
    [path] = sorted(SEED.glob("*.txt"))
    return path.read_text(encoding="utf-8").splitlines()[1:]  # the first line is a headline


def _suggest(db: Session, claim_id: int, candidate_id: int, score: float = 90.0) -> int:
    suggestion = DuplicateSuggestion(
        claim_id=claim_id, candidate_id=candidate_id, score=score, method="test"
    )
    db.add(suggestion)
    db.commit()
    assert suggestion.id is not None
    return suggestion.id


@dataclass(frozen=True)
class Pair:
    """The suggestion ingest made: `new` (second article) repeats `old` (first article)."""

    suggestion: int
    new: int
    old: int
    unrelated: int  # a claim of the second article that matches nothing
    old_other: int  # the first article's other claim, which matches nothing either


@pytest.fixture
def pair(engine: sa.Engine) -> Pair:
    with committed(engine) as db:
        old, old_other = _ingest(db, FIRST, FIRST_TITLE, FIRST_OUTLET)
        new, unrelated = _ingest(db, SECOND, SECOND_TITLE, SECOND_OUTLET)
        rows = db.exec(select(DuplicateSuggestion)).all()
        # If matching changes, these tests must say so rather than test nothing.
        assert [(s.claim_id, s.candidate_id, s.state) for s in rows] == [
            (new, old, SuggestionState.PENDING)
        ], "ingest should suggest exactly the reworded sentence as a duplicate"
        assert rows[0].score >= DUPLICATE_THRESHOLD
        return Pair(
            suggestion=rows[0].id, new=new, old=old, unrelated=unrelated, old_other=old_other
        )


def _claim(db: Session, claim_id: int) -> Claim:
    claim = db.get(Claim, claim_id)
    assert claim is not None
    return claim


def _suggestion(db: Session, suggestion_id: int) -> DuplicateSuggestion:
    return duplicates.get_suggestion(db, suggestion_id)


def _clusters(db: Session, claim_ids: list[int]) -> dict[int, int | None]:
    db.expire_all()
    return {claim_id: _claim(db, claim_id).cluster_id for claim_id in claim_ids}


def _canonicals(db: Session) -> dict[int, int | None]:
    return {c.id: c.canonical_claim_id for c in db.exec(select(Cluster)).all() if c.id}


def _actions(db: Session, suggestion_id: int) -> list[str]:
    return [event.action for event in history(db, "suggestion", suggestion_id)]


def _audit_count(db: Session) -> int:
    return db.exec(select(sa.func.count()).select_from(AuditEvent)).one()


def _versions(db: Session, claim_ids: list[int]) -> dict[int, int]:
    db.expire_all()
    return {claim_id: _claim(db, claim_id).version for claim_id in claim_ids}


# --- Confirm --------------------------------------------------------------------------------------


def test_confirm_makes_a_cluster_with_the_archived_claim_as_canonical(
    session: Session, pair: Pair, users: dict[str, int]
) -> None:
    cluster = duplicates.confirm(session, pair.suggestion, users["editor"])

    assert cluster.canonical_claim_id == pair.old  # the archived one was there first
    assert _clusters(session, [pair.new, pair.old, pair.unrelated]) == {
        pair.new: cluster.id,
        pair.old: cluster.id,
        pair.unrelated: None,
    }
    members = duplicates.cluster_members(session, _claim(session, pair.new))
    assert [(claim.id, article.title) for claim, article in members] == [
        (pair.old, FIRST_TITLE),
        (pair.new, SECOND_TITLE),
    ]
    suggestion = _suggestion(session, pair.suggestion)
    assert suggestion.state == SuggestionState.CONFIRMED
    assert suggestion.decided_by_id == users["editor"]
    assert suggestion.decided_at is not None
    [event] = history(session, "suggestion", pair.suggestion)
    assert event.action == "duplicate.confirm"
    assert event.actor_id == users["editor"]
    assert event.after == {"state": "confirmed", "cluster": cluster.id}
    # No verdict anywhere yet, so nothing to inherit.
    assert duplicates.effective_verdict(session, _claim(session, pair.new)).verdict is None


def test_confirm_joins_a_cluster_with_a_verdict_and_inherits_it(
    session: Session, users: dict[str, int]
) -> None:
    a, b, c, d = _standalone_claims(session, 4)
    cluster = duplicates.confirm(session, _suggest(session, b, a), users["editor"])
    canonical = _claim(session, a)
    canonical.verdict = Verdict.REFUTED
    canonical.verdict_state = VerdictState.APPROVED  # a published verdict
    session.add(canonical)
    session.commit()

    # c repeats b, which is already in a's cluster: c joins it and shows a's verdict.
    joined = duplicates.confirm(session, _suggest(session, c, b), users["editor"])
    assert joined.id == cluster.id
    assert _clusters(session, [a, b, c]) == {a: cluster.id, b: cluster.id, c: cluster.id}
    for member in (b, c):
        shown = duplicates.effective_verdict(session, _claim(session, member))
        assert shown.verdict == Verdict.REFUTED
        assert shown.inherited_from is not None and shown.inherited_from.id == a
    own = duplicates.effective_verdict(session, _claim(session, a))
    assert (own.verdict, own.inherited_from) == (Verdict.REFUTED, None)

    # A claim with its own verdict keeps it when it joins.
    checked = _claim(session, d)
    checked.verdict = Verdict.SUPPORTED
    checked.verdict_state = VerdictState.APPROVED  # a published verdict
    session.add(checked)
    session.commit()
    duplicates.confirm(session, _suggest(session, d, a), users["editor"])
    assert _claim(session, d).cluster_id == cluster.id
    shown = duplicates.effective_verdict(session, _claim(session, d))
    assert (shown.verdict, shown.inherited_from) == (Verdict.SUPPORTED, None)
    assert _claim(session, a).verdict == Verdict.REFUTED
    assert _canonicals(session) == {cluster.id: a}


def test_a_cluster_with_a_verdict_wins_a_merge_over_an_older_one(
    session: Session, users: dict[str, int]
) -> None:
    a, b, c, d = _standalone_claims(session, 4)
    older = duplicates.confirm(session, _suggest(session, b, a), users["editor"])
    newer = duplicates.confirm(session, _suggest(session, d, c), users["editor"])
    assert older.id is not None and newer.id is not None and older.id < newer.id
    checked = _claim(session, c)
    checked.verdict = Verdict.MIXED
    checked.verdict_state = VerdictState.APPROVED  # a published verdict
    session.add(checked)
    session.commit()

    kept = duplicates.confirm(session, _suggest(session, b, c), users["editor"])

    assert kept.id == newer.id
    assert _clusters(session, [a, b, c, d]) == dict.fromkeys([a, b, c, d], newer.id)
    assert session.get(Cluster, older.id) is None
    for member in (a, b, d):
        shown = duplicates.effective_verdict(session, _claim(session, member))
        assert shown.verdict == Verdict.MIXED
        assert shown.inherited_from is not None and shown.inherited_from.id == c


def test_merging_two_clusters_and_undoing_restores_both_exactly(
    session: Session, users: dict[str, int]
) -> None:
    a, b, c, d = _standalone_claims(session, 4)
    ab, cd, bc = _suggest(session, b, a), _suggest(session, d, c), _suggest(session, c, b)
    first = duplicates.confirm(session, ab, users["editor"])
    second = duplicates.confirm(session, cd, users["editor"])
    before = _clusters(session, [a, b, c, d])
    assert before == {a: first.id, b: first.id, c: second.id, d: second.id}
    assert _canonicals(session) == {first.id: a, second.id: c}

    merged = duplicates.confirm(session, bc, users["editor"])

    assert merged.id == first.id  # neither has a verdict: the older cluster stays
    assert _clusters(session, [a, b, c, d]) == dict.fromkeys([a, b, c, d], first.id)
    assert _canonicals(session) == {first.id: a}  # the emptied cluster is gone
    [event] = history(session, "suggestion", bc)
    assert event.before is not None
    assert event.before["deleted_clusters"] == {str(second.id): c}

    duplicates.undo(session, bc, users["editor"])

    assert _clusters(session, [a, b, c, d]) == before
    assert _canonicals(session) == {first.id: a, second.id: c}
    states = {s: _suggestion(session, s).state for s in (ab, cd, bc)}
    assert states == {
        ab: SuggestionState.CONFIRMED,
        cd: SuggestionState.CONFIRMED,
        bc: SuggestionState.PENDING,
    }
    assert _actions(session, bc) == ["duplicate.confirm", "duplicate.undo"]


def test_undoing_a_merge_after_a_new_cluster_was_made_keeps_them_apart(
    session: Session, users: dict[str, int]
) -> None:
    """SQLite hands a deleted cluster's id to the next new cluster; undo must not mix them."""
    a, b, c, d, e, f = _standalone_claims(session, 6)
    ab, cd, bc, ef = (_suggest(session, x, y) for x, y in ((b, a), (d, c), (c, b), (f, e)))
    first = duplicates.confirm(session, ab, users["editor"])
    duplicates.confirm(session, cd, users["editor"])
    duplicates.confirm(session, bc, users["editor"])
    fresh = duplicates.confirm(session, ef, users["editor"])

    duplicates.undo(session, bc, users["editor"])

    after = _clusters(session, [a, b, c, d, e, f])
    assert after[a] == after[b] == first.id
    assert after[e] == after[f] == fresh.id
    assert after[c] == after[d] and after[c] not in (None, first.id, fresh.id)
    assert _canonicals(session) == {first.id: a, fresh.id: e, after[c]: c}


def test_undo_that_leaves_one_claim_dissolves_the_cluster(
    session: Session, users: dict[str, int]
) -> None:
    a, b, c = _standalone_claims(session, 3)
    ab, cb = _suggest(session, b, a), _suggest(session, c, b)
    cluster = duplicates.confirm(session, ab, users["editor"])
    duplicates.confirm(session, cb, users["editor"])
    session.commit()
    with pytest.raises(duplicates.UndoOutOfOrder):
        duplicates.undo(session, ab, users["editor"])  # C joined on top of it
    session.rollback()
    duplicates.undo(session, cb, users["editor"])
    assert _clusters(session, [a, b, c]) == {a: cluster.id, b: cluster.id, c: None}
    versions = _versions(session, [a, b, c])

    duplicates.undo(session, ab, users["editor"])

    assert _clusters(session, [a, b, c]) == dict.fromkeys([a, b, c])
    assert session.get(Cluster, cluster.id) is None
    # Every claim whose cluster changed says so in its version, the last member too.
    after = _versions(session, [a, b, c])
    assert all(after[claim] == versions[claim] + 1 for claim in (a, b)), (versions, after)
    assert after[c] == versions[c]


def test_undoing_an_earlier_confirmation_after_a_merge_is_refused_until_the_merge_is_undone(
    session: Session, users: dict[str, int]
) -> None:
    a, b, c, d = _standalone_claims(session, 4)
    ab, cd, bc = _suggest(session, b, a), _suggest(session, d, c), _suggest(session, c, b)
    for suggestion in (ab, cd, bc):
        duplicates.confirm(session, suggestion, users["editor"])
    session.commit()
    merged = _clusters(session, [a, b, c, d])

    with pytest.raises(duplicates.UndoOutOfOrder, match=f"#{bc}"):
        duplicates.undo(session, ab, users["editor"])  # the B-C merge was built on it
    session.rollback()
    assert _clusters(session, [a, b, c, d]) == merged
    assert _suggestion(session, ab).state == SuggestionState.CONFIRMED

    duplicates.undo(session, bc, users["editor"])
    duplicates.undo(session, ab, users["editor"])  # now in reverse order: allowed
    for cluster_id, canonical in _canonicals(session).items():
        assert canonical is not None and _claim(session, canonical).cluster_id == cluster_id
    for suggestion_id in (ab, cd, bc):
        suggestion = _suggestion(session, suggestion_id)
        if suggestion.state == SuggestionState.CONFIRMED:
            pair = _clusters(session, [suggestion.claim_id, suggestion.candidate_id])
            assert None not in pair.values() and len(set(pair.values())) == 1
    assert _clusters(session, [a, b]) == dict.fromkeys([a, b])
    assert len(set(_clusters(session, [c, d]).values())) == 1


def test_claim_versions_bump_on_cluster_changes(session: Session, users: dict[str, int]) -> None:
    a, b, c, d = _standalone_claims(session, 4)
    ab, cd, bc = _suggest(session, b, a), _suggest(session, d, c), _suggest(session, c, b)
    assert _versions(session, [a, b, c, d]) == dict.fromkeys([a, b, c, d], 1)

    duplicates.confirm(session, ab, users["editor"])
    duplicates.confirm(session, cd, users["editor"])
    assert _versions(session, [a, b, c, d]) == dict.fromkeys([a, b, c, d], 2)

    duplicates.confirm(session, bc, users["editor"])  # c and d move to a's cluster
    assert _versions(session, [a, b, c, d]) == {a: 2, b: 2, c: 3, d: 3}

    duplicates.undo(session, bc, users["editor"])  # and back
    assert _versions(session, [a, b, c, d]) == {a: 2, b: 2, c: 4, d: 4}

    duplicates.reject(session, _suggest(session, d, a), users["editor"])  # no cluster change
    assert _versions(session, [a, b, c, d]) == {a: 2, b: 2, c: 4, d: 4}


# --- Reject, undo, stale decisions ----------------------------------------------------------------


def test_reject_is_audited_and_the_pair_is_not_suggested_again(
    session: Session, pair: Pair, users: dict[str, int]
) -> None:
    rejected = duplicates.reject(session, pair.suggestion, users["editor"])

    assert rejected.state == SuggestionState.REJECTED
    assert rejected.decided_by_id == users["editor"]
    assert rejected.decided_at is not None
    [event] = history(session, "suggestion", pair.suggestion)
    assert (event.action, event.actor_id) == ("duplicate.reject", users["editor"])
    assert (event.before, event.after) == ({"state": "pending"}, {"state": "rejected"})
    assert _clusters(session, [pair.new, pair.old]) == {pair.new: None, pair.old: None}

    # Matching either claim again finds the other (it did at ingest) but leaves it out.
    for claim_id in (pair.new, pair.old):
        assert find_suggestions(session, [_claim(session, claim_id)], fresh=False) == []
    session.commit()
    assert len(session.exec(select(DuplicateSuggestion)).all()) == 1


def test_undo_of_a_rejection_makes_the_suggestion_pending_again(
    session: Session, pair: Pair, users: dict[str, int]
) -> None:
    duplicates.reject(session, pair.suggestion, users["editor"])
    reopened = duplicates.undo(session, pair.suggestion, users["admin"])

    assert reopened.state == SuggestionState.PENDING
    assert reopened.decided_by_id is None and reopened.decided_at is None
    events = history(session, "suggestion", pair.suggestion)
    assert [e.action for e in events] == ["duplicate.reject", "duplicate.undo"]
    assert (events[1].actor_id, events[1].before) == (users["admin"], {"state": "rejected"})
    # Open again, so it can now be confirmed.
    duplicates.confirm(session, pair.suggestion, users["editor"])
    assert _suggestion(session, pair.suggestion).state == SuggestionState.CONFIRMED


def test_undo_of_a_pending_suggestion_is_refused(
    session: Session, pair: Pair, users: dict[str, int]
) -> None:
    with pytest.raises(duplicates.SuggestionAlreadyDecided, match="nothing to undo"):
        duplicates.undo(session, pair.suggestion, users["editor"])
    session.rollback()
    assert _suggestion(session, pair.suggestion).state == SuggestionState.PENDING
    assert _audit_count(session) == 0


@pytest.mark.parametrize("first", ["confirm", "reject"])
@pytest.mark.parametrize("second", ["confirm", "reject"])
def test_deciding_a_decided_suggestion_is_refused_and_changes_nothing(
    session: Session, pair: Pair, users: dict[str, int], first: str, second: str
) -> None:
    getattr(duplicates, first)(session, pair.suggestion, users["editor"])
    session.commit()
    clusters = _clusters(session, [pair.new, pair.old])
    canonicals = _canonicals(session)
    versions = _versions(session, [pair.new, pair.old])
    events = _audit_count(session)
    state = _suggestion(session, pair.suggestion).state

    with pytest.raises(duplicates.SuggestionAlreadyDecided, match=f"already {state.value}"):
        getattr(duplicates, second)(session, pair.suggestion, users["admin"])
    session.rollback()

    assert _suggestion(session, pair.suggestion).state == state
    assert _suggestion(session, pair.suggestion).decided_by_id == users["editor"]
    assert _clusters(session, [pair.new, pair.old]) == clusters
    assert _canonicals(session) == canonicals
    assert _versions(session, [pair.new, pair.old]) == versions
    assert _audit_count(session) == events


@pytest.mark.parametrize("action", ["confirm", "reject", "undo"])
def test_an_unknown_suggestion_is_not_found(
    session: Session, users: dict[str, int], action: str
) -> None:
    with pytest.raises(duplicates.SuggestionNotFound):
        getattr(duplicates, action)(session, 987_654, users["editor"])


def test_suggestions_for_shows_both_directions_pending_first(
    session: Session, pair: Pair, users: dict[str, int]
) -> None:
    [seen_from_new] = duplicates.suggestions_for(session, _claim(session, pair.new))
    [seen_from_old] = duplicates.suggestions_for(session, _claim(session, pair.old))
    assert (seen_from_new.other.id, seen_from_new.other_article.title) == (pair.old, FIRST_TITLE)
    assert (seen_from_old.other.id, seen_from_old.other_article.title) == (pair.new, SECOND_TITLE)
    assert duplicates.suggestions_for(session, _claim(session, pair.unrelated)) == []

    worse = _suggest(session, pair.new, pair.old_other, score=75.0)
    best = _suggest(session, pair.unrelated, pair.new, score=99.0)
    duplicates.reject(session, best, users["editor"])
    order = [
        v.suggestion.id for v in duplicates.suggestions_for(session, _claim(session, pair.new))
    ]
    assert order == [pair.suggestion, worse, best]  # pending by score, then decided


# --- Web: the claim page and the decision buttons -------------------------------------------------


@pytest.fixture
def editor(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("editor").status_code == 302
    return client


@pytest.fixture
def viewer(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login("viewer").status_code == 302
    return client


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _visible(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def _suggestion_block(page: str, suggestion_id: int) -> str:
    found = re.search(
        rf'<article class="suggestion[^"]*" id="suggestion-{suggestion_id}">(.*?)</article>',
        page,
        re.S,
    )
    assert found, f"suggestion {suggestion_id} is not on the page"
    return found.group(1)


def _flashes(response: TestResponse, category: str) -> list[str]:
    found = re.findall(rf'<li class="flash {category}">(.*?)</li>', _text(response), re.S)
    return [html.unescape(message) for message in found]


def _decide(
    client: FlaskClient, suggestion_id: int, decision: str, claim_id: int | None, **extra: Any
) -> TestResponse:
    data: dict[str, Any] = {"csrf_token": csrf_token(client, "/claims/"), **extra}
    if claim_id is not None:
        data["claim_id"] = claim_id
    return client.post(f"/claims/suggestions/{suggestion_id}/{decision}", data=data)


@dataclass(frozen=True)
class Snapshot:
    states: dict[int, SuggestionState]
    clusters: dict[int, int | None]
    audit_events: int


def _snapshot(engine: sa.Engine) -> Snapshot:
    with read_session(engine) as db:
        suggestions = db.exec(select(DuplicateSuggestion)).all()
        claims = db.exec(select(Claim)).all()
        return Snapshot(
            states={s.id: s.state for s in suggestions if s.id},
            clusters={c.id: c.cluster_id for c in claims if c.id},
            audit_events=_audit_count(db),
        )


def test_claim_page_shows_the_suggestion_side_by_side(editor: FlaskClient, pair: Pair) -> None:
    page = _text(editor.get(f"/claims/{pair.new}"))
    block = _suggestion_block(page, pair.suggestion)

    visible = _visible(block)
    assert SECOND[0] in visible and FIRST[0] in visible
    with read_session(editor.application.extensions["workbench.engine"]) as db:
        score = _suggestion(db, pair.suggestion).score
    assert f"<strong>{score:.0f}</strong>" in block
    assert "pending" in visible
    # The other claim, where it came from.
    assert f'href="/claims/{pair.old}"' in block
    assert FIRST_TITLE in visible and FIRST_OUTLET in visible
    # Shared words are marked, also through aliases (Shoygu/Shoigu, US/United States); the
    # words only one side has are not.
    marked = {html.unescape(m).rstrip(".") for m in re.findall(r"<mark>(.*?)</mark>", block)}
    assert {"Military", "Carter", "Shoigu", "Shoygu", "US", "United", "States"} <= marked
    # ... and through the synonyms, also when stemmed (telephone/phone, talks/talk).
    assert {"telephone", "phone"} <= marked
    assert not {"Russian", "on", "with", "a"} & marked
    assert "Same claim (confirm)" in block and "Different claims (reject)" in block


def test_the_archived_claims_page_shows_the_suggestion_too(viewer: FlaskClient, pair: Pair) -> None:
    block = _suggestion_block(_text(viewer.get(f"/claims/{pair.old}")), pair.suggestion)
    visible = _visible(block)
    assert SECOND_TITLE in visible and SECOND_OUTLET in visible
    assert f'href="/claims/{pair.new}"' in block
    # A viewer reads suggestions but gets no buttons to decide them.
    assert "<form" not in block and "confirm" not in visible.lower()


def test_editor_confirms_undoes_rejects_and_undoes_through_the_claim_page(
    editor: FlaskClient, engine: sa.Engine, pair: Pair, users: dict[str, int]
) -> None:
    def decide(decision: str, message: str) -> str:
        response = _decide(editor, pair.suggestion, decision, pair.new)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/claims/{pair.new}#duplicates"
        shown = editor.get(response.headers["Location"])
        assert _flashes(shown, "success") == [message]
        return _text(shown)

    page = decide("confirm", "Confirmed: the two claims are now in one cluster.")
    with read_session(engine) as db:
        suggestion = _suggestion(db, pair.suggestion)
        assert (suggestion.state, suggestion.decided_by_id) == (
            SuggestionState.CONFIRMED,
            users["editor"],
        )
        cluster_id = _claim(db, pair.new).cluster_id
        assert cluster_id is not None and _claim(db, pair.old).cluster_id == cluster_id
    cluster = re.search(r'<ul class="cluster">(.*?)</ul>', page, re.S)
    assert cluster and FIRST[0] in _visible(cluster.group(1)) and SECOND[0] in _visible(page)
    assert "Cluster: the same claim elsewhere (2)" in page
    assert "Undo confirmation" in _suggestion_block(page, pair.suggestion)

    page = decide("undo", "Undone: the suggestion is open again.")
    assert _snapshot(engine).states[pair.suggestion] == SuggestionState.PENDING
    assert 'class="cluster"' not in page
    assert "Same claim (confirm)" in _suggestion_block(page, pair.suggestion)

    page = decide("reject", "Rejected: this pair will not be suggested again.")
    assert _snapshot(engine).states[pair.suggestion] == SuggestionState.REJECTED
    assert "Undo rejection" in _suggestion_block(page, pair.suggestion)
    assert 'class="cluster"' not in page

    decide("undo", "Undone: the suggestion is open again.")
    snapshot = _snapshot(engine)
    assert snapshot.states[pair.suggestion] == SuggestionState.PENDING
    assert set(snapshot.clusters.values()) == {None}
    with read_session(engine) as db:
        assert _actions(db, pair.suggestion) == [
            "duplicate.confirm",
            "duplicate.undo",
            "duplicate.reject",
            "duplicate.undo",
        ]
        actors = {e.actor_id for e in history(db, "suggestion", pair.suggestion)}
        assert actors == {users["editor"]}


def test_a_decision_from_the_other_claims_page_goes_back_there(
    editor: FlaskClient, pair: Pair
) -> None:
    response = _decide(editor, pair.suggestion, "reject", pair.old)
    assert response.headers["Location"] == f"/claims/{pair.old}#duplicates"
    # Without a claim to go back to, the suggestion's own claim.
    response = _decide(editor, pair.suggestion, "undo", None)
    assert response.headers["Location"] == f"/claims/{pair.new}#duplicates"


def test_a_stale_page_cannot_decide_again(
    editor: FlaskClient, engine: sa.Engine, pair: Pair
) -> None:
    assert _decide(editor, pair.suggestion, "reject", pair.new).status_code == 302
    before = _snapshot(engine)

    # The editor still had the page from before the rejection open and clicks confirm.
    response = _decide(editor, pair.suggestion, "confirm", pair.new)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/claims/{pair.new}#duplicates"
    shown = editor.get(response.headers["Location"])
    [message] = _flashes(shown, "error")
    assert "already rejected" in message and "reload" in message
    assert not _flashes(shown, "success")
    assert _snapshot(engine) == before


def test_undo_of_a_pending_suggestion_on_the_web_is_refused(
    editor: FlaskClient, engine: sa.Engine, pair: Pair
) -> None:
    before = _snapshot(engine)
    response = _decide(editor, pair.suggestion, "undo", pair.new)
    assert response.status_code == 302
    assert "nothing to undo" in _flashes(editor.get(response.headers["Location"]), "error")[0]
    assert _snapshot(engine) == before


@pytest.mark.parametrize("decision", ["confirm", "reject"])
def test_a_viewer_may_not_decide(
    viewer: FlaskClient, engine: sa.Engine, pair: Pair, decision: str
) -> None:
    before = _snapshot(engine)
    response = _decide(viewer, pair.suggestion, decision, pair.new)
    assert response.status_code == 403
    assert _snapshot(engine) == before


def test_a_viewer_may_not_undo(
    viewer: FlaskClient, engine: sa.Engine, pair: Pair, users: dict[str, int]
) -> None:
    with committed(engine) as db:
        duplicates.confirm(db, pair.suggestion, users["editor"])
    before = _snapshot(engine)
    assert _decide(viewer, pair.suggestion, "undo", pair.new).status_code == 403
    assert _snapshot(engine) == before


def test_an_anonymous_decision_goes_to_the_login_page(
    client: FlaskClient, engine: sa.Engine, pair: Pair
) -> None:
    before = _snapshot(engine)
    token = csrf_token(client, "/auth/login")
    response = client.post(
        f"/claims/suggestions/{pair.suggestion}/confirm",
        data={"csrf_token": token, "claim_id": pair.new},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert _snapshot(engine) == before


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_a_decision_without_a_valid_csrf_token_is_refused(
    editor: FlaskClient, engine: sa.Engine, pair: Pair, token: str | None
) -> None:
    before = _snapshot(engine)
    data: dict[str, Any] = {"claim_id": pair.new}
    if token is not None:
        data["csrf_token"] = token
    response = editor.post(f"/claims/suggestions/{pair.suggestion}/confirm", data=data)
    assert response.status_code == 400
    assert _snapshot(engine) == before


@pytest.mark.parametrize("decision", ["confirm", "reject", "undo"])
def test_an_unknown_suggestion_is_404(editor: FlaskClient, pair: Pair, decision: str) -> None:
    assert _decide(editor, 987_654, decision, pair.new).status_code == 404


def test_an_unknown_decision_is_404(editor: FlaskClient, engine: sa.Engine, pair: Pair) -> None:
    before = _snapshot(engine)
    assert _decide(editor, pair.suggestion, "delete", pair.new).status_code == 404
    assert _snapshot(engine) == before


@pytest.mark.parametrize("decision", ["confirm", "reject", "undo"])
def test_get_on_a_decision_url_is_405(
    editor: FlaskClient, engine: sa.Engine, pair: Pair, decision: str
) -> None:
    before = _snapshot(engine)
    response = editor.get(f"/claims/suggestions/{pair.suggestion}/{decision}")
    assert response.status_code == 405
    assert _snapshot(engine) == before


def test_claim_page_of_an_unknown_claim_is_404(editor: FlaskClient) -> None:
    assert editor.get("/claims/987654").status_code == 404


def test_the_queue_counts_pending_suggestions(
    editor: FlaskClient, pair: Pair, users: dict[str, int], engine: sa.Engine
) -> None:
    link = f'<a href="/claims/{pair.new}#duplicates">1</a>'
    assert link in _text(editor.get("/claims/"))
    with committed(engine) as db:
        duplicates.reject(db, pair.suggestion, users["editor"])
    assert link not in _text(editor.get("/claims/"))


# --- Similar claims: the search page and the API --------------------------------------------------


@pytest.fixture
def archive(engine: sa.Engine, pair: Pair) -> Pair:
    """The pair, and a real news article about the same talks around it."""
    with committed(engine) as db:
        ingest_article(
            db, ArticleInput(body="\n".join(_seed_sentences()), title="Seed", outlet="Seed wire")
        )
    return pair


def _result_ids(page: str) -> list[int]:
    table = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert table, "no results table"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    return [int(re.search(r'href="/claims/(\d+)"', row).group(1)) for row in rows]  # type: ignore[union-attr]


def test_similar_page_lists_the_closest_claims_first(viewer: FlaskClient, archive: Pair) -> None:
    page = _text(viewer.get("/claims/similar", query_string={"q": SECOND[0]}))
    ids = _result_ids(page)
    assert ids[0] == archive.new  # the very sentence
    assert archive.old in ids[:3]  # and its repeat, among the best
    assert archive.unrelated not in ids
    assert 'class="badge dup">duplicate' in page
    # The search box keeps the query.
    assert str(escape(SECOND[0])) in page


def test_similar_page_without_a_query_shows_only_the_form(viewer: FlaskClient) -> None:
    response = viewer.get("/claims/similar")
    assert response.status_code == 200
    assert "<tbody>" not in _text(response)
    response = viewer.get("/claims/similar", query_string={"q": "zzzqqq xxyyzz"})
    assert "No claim in the archive shares the words" in _text(response)


def test_similar_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/claims/similar", query_string={"q": "Russia"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_hostile_text_in_the_similar_query_is_escaped(
    viewer: FlaskClient, engine: sa.Engine, archive: Pair
) -> None:
    hostile = f"Russia Syria talks {SCRIPT} Shoigu {IMG}"
    with committed(engine) as db:
        _ingest(db, [f"Russia and Syria held talks on {SCRIPT} with Shoigu {IMG} present."], "X")
    response = viewer.get("/claims/similar", query_string={"q": hostile})
    assert response.status_code == 200
    page = _text(response)
    assert SCRIPT not in page and "<img" not in page
    assert str(escape(SCRIPT)) in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Content-Security-Policy" in response.headers


def _api(client: FlaskClient, **params: Any) -> TestResponse:
    return client.get("/api/claims/similar", query_string=params)


def test_api_needs_a_login(client: FlaskClient, archive: Pair) -> None:
    response = _api(client, q="Russia")
    assert response.status_code == 401
    assert response.is_json
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.get_json()["error"]["message"]


def test_api_ranks_results_and_flags_duplicates(viewer: FlaskClient, archive: Pair) -> None:
    response = _api(viewer, q=SECOND[0], limit=100)
    assert response.status_code == 200
    body = response.get_json()
    assert body["query"] == SECOND[0]
    results = body["results"]
    assert len(results) > 10, "the archive should offer more than the default page"
    assert [r["id"] for r in results][:1] == [archive.new]
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    with read_session(viewer.application.extensions["workbench.engine"]) as db:
        for result in results:
            claim = _claim(db, result["id"])
            assert result["text"] == claim.text
            assert result["status"] == claim.status.value
            assert result["verdict"] is None
            assert isinstance(result["score"], int | float) and 0 <= result["score"] <= 100
            assert 0 <= result["duplicate_score"] <= 100
            assert isinstance(result["duplicate"], bool)
            assert result["duplicate"] == (result["duplicate_score"] >= DUPLICATE_THRESHOLD)
            assert result["article"]["id"] == claim.article_id
    flagged = {r["id"] for r in results if r["duplicate"]}
    assert {archive.new, archive.old} <= flagged
    assert archive.unrelated not in {r["id"] for r in results}


def test_api_limit_is_respected_and_defaults_to_ten(viewer: FlaskClient, archive: Pair) -> None:
    everything = [r["id"] for r in _api(viewer, q=SECOND[0], limit=100).get_json()["results"]]
    assert len(everything) > 10
    default = [r["id"] for r in _api(viewer, q=SECOND[0]).get_json()["results"]]
    assert default == everything[:10]
    three = [r["id"] for r in _api(viewer, q=SECOND[0], limit=3).get_json()["results"]]
    assert three == everything[:3]
    one = [r["id"] for r in _api(viewer, q=SECOND[0], limit="001").get_json()["results"]]
    assert one == everything[:1]


def test_api_shows_a_claims_own_verdict(
    viewer: FlaskClient, engine: sa.Engine, archive: Pair
) -> None:
    with committed(engine) as db:
        claim = _claim(db, archive.old)
        claim.verdict = Verdict.SUPPORTED
        claim.verdict_state = VerdictState.APPROVED  # a published verdict
        db.add(claim)
        db.commit()
    results = _api(viewer, q=FIRST[0]).get_json()["results"]
    assert {r["id"]: r["verdict"] for r in results}[archive.old] == "supported"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "missing_query"),
        ({"q": ""}, "missing_query"),
        ({"q": "   \n\t "}, "missing_query"),
        ({"q": "x" * 5001}, "query_too_long"),
        ({"q": "Russia", "limit": "0"}, "bad_limit"),
        ({"q": "Russia", "limit": "101"}, "bad_limit"),
        ({"q": "Russia", "limit": "abc"}, "bad_limit"),
        ({"q": "Russia", "limit": "-1"}, "bad_limit"),
        ({"q": "Russia", "limit": ""}, "bad_limit"),
        ({"q": "Russia", "limit": "2.5"}, "bad_limit"),
        ({"q": "Russia", "limit": " 5"}, "bad_limit"),
        ({"q": "Russia", "limit": "+5"}, "bad_limit"),
        ({"q": "Russia", "limit": "1e2"}, "bad_limit"),
        ({"q": "Russia", "limit": "\u00b2"}, "bad_limit"),  # a digit to isdigit(), not to int()
        ({"q": "Russia", "limit": "\u0663"}, "bad_limit"),  # Arabic-Indic three
        ({"q": "Russia", "limit": "1" * 5000}, "bad_limit"),  # more digits than int() parses
        ({"q": "Russia", "limit": "9" * 30}, "bad_limit"),
    ],
)
def test_api_refuses_bad_parameters_with_a_stable_code(
    viewer: FlaskClient, archive: Pair, params: dict[str, str], code: str
) -> None:
    response = _api(viewer, **params)
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "'",
        '"',
        '"Russia',
        "*",
        "Russia*",
        "NEAR(Russia Syria)",
        "Russia AND NOT Syria OR talks",
        "Russia & Syria | !talks <-> :*",
        "\\",
        "%_%",
        "\x00Russia\x00",
        "!!!???",
        "the of and to",
        "1.5.6 2,000,000 3.5 million",
        "Россия и Сирия",
        "روسيا",
        "🇷🇺 🇸🇾 talks",
        "U.S.",
        "a" * 5000,
        " ".join(["Russia"] * 700),
        f"{SCRIPT} Shoigu",
    ],
)
def test_api_answers_any_text(viewer: FlaskClient, archive: Pair, query: str) -> None:
    response = _api(viewer, q=query)
    assert response.status_code == 200, _text(response)[:500]
    assert isinstance(response.get_json()["results"], list)


def test_similar_page_answers_any_text(viewer: FlaskClient, archive: Pair) -> None:
    for query in ("'", '"', "NEAR(", "Russia & !Syria :*", "\x00", "the", "%", "x" * 6000):
        response = viewer.get("/claims/similar", query_string={"q": query})
        assert response.status_code == 200, (query, _text(response)[:500])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/api/claims/similar?q=x", 405), ("GET", "/api/no-such-thing", 404)],
)
def test_api_errors_are_json_even_for_unknown_routes(
    auth: AuthActions, client: FlaskClient, method: str, path: str, status: int
) -> None:
    auth.login("editor")
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]["code"]
