"""Exports: what a spreadsheet, a script or a search engine reads from us must be exactly right."""

from __future__ import annotations

import csv
import io
import json
import types
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from claim_data import add_article, add_claim, approve, suggest
from conftest import AuthActions
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from workbench import export, shapes
from workbench.export.csv_file import CSV_COLUMNS
from workbench.models import ClaimStatus, Verdict
from workbench.review import duplicates
from workbench.review import verdicts as review
from workbench.review.queue import ClaimFilters, list_claims

ALL = ClaimFilters()
PUBLISHER = export.Publisher("Example Checks", "https://checks.example/", "https://checks.example")


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The app's published fact checks are on a public address, so it may export ClaimReview."""
    return replace(settings, public_url="https://checks.example")


TRICKY = [
    'He said "no", then yes, twice',
    "First line\nsecond line, with a comma",
    "Windows line\r\nend",
    "В Москве заявили, что переговоры продолжатся",
    "中文的声明：价格上涨了百分之二十",
    "مرحبا بالعالم، قال المتحدث",
    "Emoji 🙂 and a trailing space ",
    "",  # not a claim text we make, but an empty cell must survive too
]
FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTabbed", "\rReturn"]


def _text(session: Session, format_name: str, filters: ClaimFilters = ALL) -> str:
    return "".join(export.export(session, format_name, filters, PUBLISHER))


def _csv_rows(session: Session, filters: ClaimFilters = ALL) -> list[dict[str, str]]:
    text = _text(session, "csv", filters)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_round_trips_text_exactly(session: Session) -> None:
    article = add_article(session, 'Title, with "quotes"\nand a line', outlet="Ведомости")
    texts = [t for t in TRICKY if t]
    for text in texts:
        add_claim(session, article, text)
    rows = _csv_rows(session)
    assert [row["text"] for row in rows] == texts
    assert {row["article_title"] for row in rows} == {'Title, with "quotes"\nand a line'}
    assert {row["outlet"] for row in rows} == {"Ведомости"}
    assert list(rows[0]) == list(CSV_COLUMNS)


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_neutralises_formula_starters(session: Session, text: str) -> None:
    article = add_article(session, text)  # titles are text cells too
    add_claim(session, article, text)
    (row,) = _csv_rows(session)
    assert row["text"] == "'" + text
    assert row["article_title"] == "'" + text


def test_json_lines_keep_text_evidence_and_cluster(session: Session, users: dict[str, int]) -> None:
    article = add_article(session, "Talks", url="https://news.example/a")
    older = add_claim(session, article, "Multi\nline “claim” — 中文")
    newer = add_claim(session, add_article(session, "Repeat"), "The same claim again")
    review.link_evidence(
        session,
        older.id,
        users["editor"],
        older.version,
        stance="conflicts",
        quote='A quote, with "quotes"',
        new_source=review.SourceInput(title="Ministry", url="https://gov.example/x"),
    )
    duplicates.confirm(session, suggest(session, newer, older), users["editor"])
    lines = _text(session, "jsonl").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["text"] == "Multi\nline “claim” — 中文"
    assert first["article"]["url"] == "https://news.example/a"
    assert first["evidence_counts"] == {"supports": 0, "conflicts": 1, "context": 0}
    assert first["evidence"][0]["source"]["url"] == "https://gov.example/x"
    assert first["evidence"][0]["quote"] == 'A quote, with "quotes"'
    assert first["cluster"]["canonical_claim_id"] == older.id
    assert second["cluster"] == first["cluster"]
    assert first["updated_by"] == "editor"


def test_a_json_lines_line_is_the_api_claim_and_more(
    session: Session, client: FlaskClient, auth: AuthActions, users: dict[str, int]
) -> None:
    """One claim shape: every field the API shows a claim with is in the export's line, with
    the same name and the same value, and the line reads back as the published model."""
    article = add_article(session, "Talks", url="https://news.example/a", outlet="Daily")
    claim = add_claim(session, article, "Unemployment fell to 4.1 percent in May")
    review.link_evidence(
        session,
        claim.id,
        users["editor"],
        claim.version,
        stance="supports",
        quote="4.1%",
        new_source=review.SourceInput(title="Statistics office", url="https://stats.example"),
    )
    session.commit()
    (line,) = _text(session, "jsonl").splitlines()
    session.commit()  # ends the export's read, so the log-in below can write
    record = shapes.ClaimRecord.model_validate_json(line)
    assert set(json.loads(line)) == set(shapes.ClaimRecord.model_fields)

    auth.login("viewer")
    shown = client.get(f"/api/claims/{claim.id}").get_json()
    exported = json.loads(line)
    for name in shapes.Claim.model_fields:
        assert exported[name] == shown[name], name
    (evidence,) = shown["evidence"]
    assert exported["evidence"] == [evidence]
    assert record.evidence[0].added_by == "editor"


def test_inherited_verdict_is_marked_as_inherited(session: Session, users: dict[str, int]) -> None:
    older = add_claim(session, add_article(session, "A"), "Checked claim")
    newer = add_claim(session, add_article(session, "B"), "Checked claim, repeated")
    duplicates.confirm(session, suggest(session, newer, older), users["editor"])
    session.refresh(older)
    review.set_verdict(session, older.id, users["editor"], older.version, "refuted", "No.")
    rows = {row["claim_id"]: row for row in _csv_rows(session)}
    assert rows[str(older.id)]["verdict"] == "refuted"
    assert rows[str(older.id)]["inherited_verdict"] == ""
    assert rows[str(newer.id)]["verdict"] == ""
    assert rows[str(newer.id)]["inherited_verdict"] == "refuted"
    assert rows[str(newer.id)]["canonical_claim_id"] == str(older.id)


def test_csv_counts_evidence_by_stance_and_lists_sources(
    session: Session, users: dict[str, int]
) -> None:
    claim = add_claim(session, add_article(session), "A claim with sources")
    for stance, url in [
        ("supports", "https://a.example/1"),
        ("supports", "https://a.example/2"),
        ("context", "https://a.example/1"),
    ]:
        session.refresh(claim)
        review.link_evidence(
            session,
            claim.id,
            users["editor"],
            claim.version,
            stance=stance,
            new_source=review.SourceInput(title=url, url=url),
        )
    session.refresh(claim)
    review.take(session, claim.id, users["editor"], claim.version)
    (row,) = _csv_rows(session)
    assert (row["evidence_supports"], row["evidence_conflicts"], row["evidence_context"]) == (
        "2",
        "0",
        "1",
    )
    assert row["source_urls"].split(" ") == ["https://a.example/1", "https://a.example/2"]
    assert row["assignee"] == "editor" and row["updated_by"] == "editor"
    assert row["status"] == "in_review"


def test_reruns_give_identical_bytes(session: Session, users: dict[str, int]) -> None:
    for n in range(7):
        claim = add_claim(session, add_article(session, f"A{n}"), f"Claim number {n}")
        if n % 2:
            review.set_verdict(session, claim.id, users["editor"], claim.version, "mixed", "Half.")
    for format_name in export.FORMATS:
        first = _text(session, format_name)
        session.rollback()
        assert _text(session, format_name) == first
        # batches change nothing but when the database is read
        batched = "".join(
            export.export(session, format_name, ClaimFilters(), PUBLISHER, batch_size=2)
        )
        assert batched == first


def test_the_export_is_produced_as_it_is_read(session: Session) -> None:
    for n in range(5):
        add_claim(session, add_article(session, f"A{n}"), f"Claim {n}")
    chunks = export.export(session, "jsonl", ClaimFilters(), PUBLISHER, batch_size=2)
    assert isinstance(chunks, types.GeneratorType)
    seen: list[int] = []
    chunks = export.export(
        session, "csv", ClaimFilters(), PUBLISHER, batch_size=2, progress=seen.append
    )
    assert next(chunks).startswith("claim_id,")  # the header, before any claim is read
    assert seen == []
    assert len(list(chunks)) == 3 and seen == [2, 2, 1]


@pytest.mark.parametrize(
    "filters",
    [
        ClaimFilters(),
        ClaimFilters(status=ClaimStatus.VERDICT),
        ClaimFilters(status=ClaimStatus.NEW),
        ClaimFilters(verdict=Verdict.REFUTED),
        ClaimFilters(outlet="Outlet 1"),
        ClaimFilters(outlet="Nobody"),
        ClaimFilters(ingested_from=datetime(2000, 1, 1, tzinfo=UTC)),
        ClaimFilters(changed_until=datetime(2000, 1, 1, tzinfo=UTC)),
    ],
    ids=repr,
)
def test_export_selects_the_claims_the_queue_shows(
    session: Session, users: dict[str, int], filters: ClaimFilters
) -> None:
    for n in range(9):
        article = add_article(session, f"A{n}", outlet=f"Outlet {n % 3}")
        claim = add_claim(session, article, f"Claim number {n}", priority=n % 4)
        if n % 3 == 1:
            verdict = "refuted" if n % 2 else "supported"
            review.set_verdict(session, claim.id, users["editor"], claim.version, verdict, "S.")
    queue_ids: set[int] = set()
    page = list_claims(session, filters, per_page=4)
    while True:
        queue_ids |= {claim.id for claim, _ in page.items}
        if page.next_cursor is None:
            break
        page = list_claims(session, filters, after=page.next_cursor, per_page=4)
    exported = {int(row["claim_id"]) for row in _csv_rows(session, filters)}
    assert exported == queue_ids


def test_cluster_filter(session: Session, users: dict[str, int]) -> None:
    a = add_claim(session, add_article(session, "A"), "First")
    b = add_claim(session, add_article(session, "B"), "Second")
    add_claim(session, add_article(session, "C"), "Third")
    cluster = duplicates.confirm(session, suggest(session, b, a), users["editor"])
    rows = _csv_rows(session, ClaimFilters(cluster_id=cluster.id))
    assert sorted(int(r["claim_id"]) for r in rows) == [a.id, b.id]


def _reviews(session: Session, filters: ClaimFilters = ALL) -> list[dict]:
    return json.loads(_text(session, "claimreview", filters))


def test_claimreview_has_what_googles_fact_check_markup_requires(
    session: Session, users: dict[str, int]
) -> None:
    first = add_article(
        session,
        "Where it started",
        url="https://one.example/story",
        outlet="One",
        published_at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    later = add_article(
        session,
        "Repeated here",
        url="https://two.example/story",
        outlet="Two",
        published_at=datetime(2024, 3, 5, tzinfo=UTC),
    )
    checked = add_claim(
        session, later, "The river rose ten metres", external_id="ext-1", claimant="Mayor Ann Lee"
    )
    repeat = add_claim(session, first, "The river rose by 10 metres")
    add_claim(session, first, "Not checked at all")
    duplicates.confirm(session, suggest(session, repeat, checked), users["editor"])
    session.refresh(checked)
    review.set_verdict(
        session, checked.id, users["editor"], checked.version, "refuted", "It rose 2 m."
    )
    approve(session, checked.id)

    (claim_review,) = _reviews(session)  # the unchecked claim and the inheriting repeat: none
    assert claim_review["@context"] == "https://schema.org"
    assert claim_review["@type"] == "ClaimReview"
    assert claim_review["claimReviewed"] == "The river rose ten metres"
    assert claim_review["url"] == f"https://checks.example/claims/{checked.id}"
    assert claim_review["author"] == {
        "@type": "Organization",
        "name": "Example Checks",
        "url": "https://checks.example/",
    }
    assert claim_review["datePublished"] == datetime.now(UTC).date().isoformat()
    assert claim_review["identifier"] == "ext-1"
    rating = claim_review["reviewRating"]
    assert rating["@type"] == "Rating" and rating["alternateName"] == "False"
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert (rating["ratingValue"], rating["worstRating"], rating["bestRating"]) == (1, 1, 5)
    assert rating["ratingExplanation"] == "It rose 2 m."
    item = claim_review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert [a["url"] for a in item["appearance"]] == [
        "https://one.example/story",
        "https://two.example/story",
    ]
    assert item["firstAppearance"]["url"] == "https://one.example/story"
    assert item["firstAppearance"]["datePublished"].startswith("2024-03-01")
    # Who made the claim, not the outlet that carried it.
    assert item["author"] == {"@type": "Person", "name": "Mayor Ann Lee"}


@pytest.mark.parametrize(
    ("verdict", "name", "value"),
    [("supported", "True", 5), ("mixed", "Mixed", 3), ("refuted", "False", 1)],
)
def test_claimreview_ratings(
    session: Session, users: dict[str, int], verdict: str, name: str, value: int
) -> None:
    claim = add_claim(session, add_article(session), "A claim")
    review.set_verdict(session, claim.id, users["editor"], claim.version, verdict, "Why.")
    approve(session, claim.id)
    (claim_review,) = _reviews(session)
    assert claim_review["reviewRating"]["alternateName"] == name
    assert claim_review["reviewRating"]["ratingValue"] == value


def test_unverifiable_is_named_but_not_placed_on_the_scale(
    session: Session, users: dict[str, int]
) -> None:
    claim = add_claim(session, add_article(session), "A claim")
    review.set_verdict(session, claim.id, users["editor"], claim.version, "unverifiable", "?")
    approve(session, claim.id)
    (claim_review,) = _reviews(session)
    assert claim_review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Unverifiable",
        "ratingExplanation": "?",
    }


def test_claimreview_url_template_and_empty_export(session: Session, users: dict[str, int]) -> None:
    assert _reviews(session) == []
    claim = add_claim(session, add_article(session), "A claim")
    review.set_verdict(session, claim.id, users["editor"], claim.version, "supported", "Yes.")
    approve(session, claim.id)
    publisher = replace(PUBLISHER, public_url="https://cms.example/fact-checks/{id}.html")
    text = "".join(export.export(session, "claimreview", ClaimFilters(), publisher))
    assert json.loads(text)[0]["url"] == f"https://cms.example/fact-checks/{claim.id}.html"


def test_claimreview_escapes_what_could_end_a_script_block(
    session: Session, users: dict[str, int]
) -> None:
    """A record is pasted into <script type="application/ld+json">: `</script>`, `<!--`, `&` and
    the JavaScript line separators are written as \\u escapes, and read back as they were."""
    text = "</script><script>alert(1)</script> <!-- & \u2028 \u2029 > it said"
    claim = add_claim(session, add_article(session, outlet="<b>&amp;</b>"), text)
    review.set_verdict(session, claim.id, users["editor"], claim.version, "refuted", "</SCRIPT>")
    approve(session, claim.id)
    document = _text(session, "claimreview", ALL)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in document
    assert "\\u003c/script\\u003e" in document and "\\u0026" in document
    (claim_review,) = json.loads(document)
    assert claim_review["claimReviewed"] == text
    assert claim_review["reviewRating"]["ratingExplanation"] == "</SCRIPT>"
    # JSON Lines is not meant for a page: it keeps its text as it is.
    assert "</script>" in _text(session, "jsonl", ALL)


def test_unknown_format_is_refused(session: Session) -> None:
    with pytest.raises(export.ExportError):
        export.export(session, "xlsx", ClaimFilters(), PUBLISHER)


# --- The web page and the download --------------------------------------------------------------


def test_download_streams_the_filtered_export(
    client: FlaskClient,
    auth,
    session: Session,
    users: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    checked = add_claim(session, add_article(session, outlet="Daily"), "=cmd|' /C calc'!A0")
    add_claim(session, add_article(session, "Other", outlet="Weekly"), "Another claim")
    review.set_verdict(session, checked.id, users["editor"], checked.version, "refuted", "No.")
    approve(session, checked.id)
    session.commit()
    session.close()  # the test's write session would hold SQLite's write lock over the log-in
    auth.login("viewer")
    response = client.get("/export/download?format=csv&outlet=Daily")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="claims-') and disposition.endswith('.csv"')
    body = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert [row["text"] for row in rows] == ["'=cmd|' /C calc'!A0"]
    assert client.get("/export/download?format=csv&outlet=Daily").get_data(as_text=True) == body
    assert body == _text(session, "csv", ClaimFilters(outlet="Daily"))
    reviews = client.get("/export/download?format=claimreview&verdict=refuted")
    assert reviews.mimetype == "application/ld+json"
    assert len(json.loads(reviews.get_data(as_text=True))) == 1


def test_export_page_keeps_the_queue_filters(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("viewer")
    page = client.get("/export/?status=verdict&verdict=refuted&changed_from=2026-01-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option value="refuted" selected>' in html
    assert 'value="2026-01-01T00:00:00+00:00"' in html
    assert "0 claim(s) match" in html


@pytest.mark.parametrize(
    "query",
    [
        "format=xlsx",
        "status=done",
        "verdict=maybe",
        "cluster_id=abc",
        "cluster_id=%C2%B2",
        "cluster_id=" + "9" * 40,
        "changed_from=yesterday",
        "ingested_until=2026-13-01",
    ],
)
def test_bad_export_arguments_are_refused_with_a_sentence(
    client: FlaskClient,
    auth,
    query: str,  # type: ignore[no-untyped-def]
) -> None:
    auth.login("viewer")
    response = client.get(f"/export/download?{query}")
    assert response.status_code == 400
    assert 'class="flash error"' in response.get_data(as_text=True)


def test_export_needs_a_log_in(client: FlaskClient) -> None:
    response = client.get("/export/download?format=csv")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_queue_button_links_to_the_export_with_the_filters(app: Flask) -> None:
    filters = ClaimFilters(status=ClaimStatus.VERDICT, outlet="A & B")
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "export/_button.html" import export_button %}{{ export_button(f) }}'
        )
        html = template.render(f=filters)
    assert 'href="/export/?status=verdict&amp;outlet=A+%26+B"' in html


# --- The command line ---------------------------------------------------------------------------


def test_cli_export_to_a_file_matches_the_download(
    app: Flask,
    runner,
    session: Session,
    users: dict[str, int],
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    for n in range(3):
        claim = add_claim(session, add_article(session, f"A{n}"), f"Claim, “{n}”\nline two")
        if n:
            review.set_verdict(session, claim.id, users["editor"], claim.version, "mixed", "M.")
    session.commit()
    target = tmp_path / "claims.csv"
    with app.app_context():
        result = runner.invoke(
            args=["export", "--format", "csv", "--status", "verdict", "-o", str(target)]
        )
    assert result.exit_code == 0, result.output
    expected = _text(session, "csv", ClaimFilters(status=ClaimStatus.VERDICT))
    assert target.read_bytes() == expected.encode("utf-8")
    assert "from 2 matching claim(s)" in result.output

    with app.app_context():
        result = runner.invoke(args=["export", "--format", "jsonl"])
    assert result.exit_code == 0
    assert [json.loads(line)["text"] for line in result.output.splitlines()] == [
        f"Claim, “{n}”\nline two" for n in range(3)
    ]


@pytest.mark.parametrize(
    "args", [["--format", "xlsx"], ["--changed-from", "soon"], ["--cluster", "x"]]
)
def test_cli_refuses_bad_arguments(app: Flask, runner, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        result = runner.invoke(args=["export", *args])
    assert result.exit_code == 2


def test_export_reads_in_batches_not_one_list(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The claims query runs once, streamed; each batch asks for its own evidence."""
    for n in range(5):
        add_claim(session, add_article(session, f"A{n}"), f"Claim {n}")
    statements: list[str] = []
    engine = session.get_bind()

    def remember(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        "".join(export.export(session, "jsonl", ClaimFilters(), PUBLISHER, batch_size=2))
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    claim_reads = [s for s in statements if "FROM claim JOIN article" in s]
    evidence_reads = [s for s in statements if "FROM evidence JOIN source" in s]
    assert len(claim_reads) == 1 and "LIMIT" not in claim_reads[0]
    assert len(evidence_reads) == 3
