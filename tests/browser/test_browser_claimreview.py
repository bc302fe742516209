"""ClaimReview is published inside the fact-check page as `<script type="application/ld+json">`.
Every exported record, hostile claims included, is embedded in a page the way a CMS would paste
it, and the page is opened in Debian's Chromium: no script may run, and the browser must read
back the same data. A control page with the records written as plain JSON shows that the same
detector does catch script that runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from claim_data import approve
from conftest import CHROMIUM, committed

from workbench import export
from workbench.db import read_session
from workbench.intake.archive import ArchivedClaim, import_archive
from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import Claim, ClaimStatus, Verdict
from workbench.review import verdicts as review
from workbench.review.queue import ClaimFilters

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

# Each tries a different way out of a <script> block; every one that runs pushes onto __ran.
HOSTILE = [
    "</script><script>window.__ran.push('close-open')</script> said the minister.",
    "</SCRIPT ><script>window.__ran.push('upper-case')</script> was the figure.",
    "<!--<script>window.__ran.push('comment-state')</script>--> was reported.",
    "</script ><img src=x onerror=\"window.__ran.push('img-onerror')\"> was quoted.",
    "</script\t><svg onload=\"window.__ran.push('svg-onload')\"></svg> was claimed.",
    "<script>window.__ran.push('plain-script')</script> was in the release.",
    "]]></script><iframe srcdoc=\"<script>parent.__ran.push('iframe')</script>\"></iframe> too.",
    "Tax & spending: 5 > 3 and 2 < 4, with line\u2028and paragraph\u2029separators.",
    "&lt;/script&gt; written as entities stays text.",
]
PLAIN = [
    "Unemployment fell to 4.1 percent in March, the lowest level since 2001.",
    "The city spent $12 million on the new bridge last year.",
]
VERDICTS = [Verdict.REFUTED, Verdict.SUPPORTED, Verdict.MIXED, Verdict.UNVERIFIABLE]


@pytest.fixture
def records(engine: sa.Engine, users: dict[str, int]) -> list[dict[str, Any]]:
    """Every ClaimReview the export writes for an archive full of hostile text: archive claims
    (verdict, title, URL, id from the file) and reviewed news claims (summary, outlet, headline)."""
    archived = [
        ArchivedClaim(
            external_id=f"</script><script>window.__ran.push('id-{n}')</script>",
            text=text,
            title=f"<script>window.__ran.push('title-{n}')</script> & more",
            verdict=VERDICTS[n % len(VERDICTS)],
            url=f"https://checks.example/{n}?a=1&b=</script>",
            date=datetime(2024, 1, 1 + n, tzinfo=UTC),
        )
        for n, text in enumerate(HOSTILE + PLAIN)
    ]
    with committed(engine) as db:
        import_archive(db, archived)
        for n, text in enumerate(HOSTILE[:4]):
            made = ingest_article(
                db,
                ArticleInput(
                    body=f"Officials said the report was accurate in part {n}. {text}",
                    title=f"</title></script><script>window.__ran.push('headline-{n}')</script>",
                    url=f"https://news.example/{n}?x=</script>",
                    outlet="<b>Daily</b> </script><script>window.__ran.push('outlet')</script>",
                ),
            )
            # The article's claims; a sentence the splitter set aside starts dismissed, and a
            # dismissed claim takes no verdict until it is restored.
            claims = db.exec(
                sa.select(Claim).where(
                    Claim.article_id == made.article.id, Claim.status != ClaimStatus.DISMISSED
                )
            )
            for claim in claims.scalars().all():
                review.set_verdict(
                    db,
                    claim.id,
                    users["editor"],
                    claim.version,
                    VERDICTS[n % len(VERDICTS)],
                    f"</script><script>window.__ran.push('summary-{n}')</script> U+2028:\u2028.",
                )
                # Who made it is published too (itemReviewed.author).
                claim.claimant = f"</script><script>window.__ran.push('claimant-{n}')</script>"
                approve(db, claim.id)
    publisher = export.Publisher(
        "Fact </script> Desk", "https://desk.example/?a&b", "https://desk.example/{id}"
    )
    with read_session(engine) as db:
        document = "".join(export.export(db, "claimreview", ClaimFilters(), publisher))
    lines = document.splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    # One object a line; what is pasted into a page is that line without its separating comma.
    texts = [line.removesuffix(",") for line in lines[1:-1]]
    parsed = [json.loads(text) for text in texts]
    assert any(
        "claimant-" in data["itemReviewed"].get("author", {}).get("name", "") for data in parsed
    )
    assert json.loads(document) == parsed
    return [{"text": text, "data": data} for text, data in zip(texts, parsed, strict=True)]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(java_script_enabled=True)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def _fact_check_page(blocks: list[str]) -> str:
    """A published fact-check page: its own script first, then the pasted JSON-LD blocks."""
    scripts = "\n".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Fact check</title>"
        "<script>window.__ran = [];</script>"
        f"{scripts}"
        "</head><body><p id='end'>The end of the page.</p></body></html>"
    )


def _open(page: Any, blocks: list[str]) -> tuple[list[str], list[Any], int]:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content(_fact_check_page(blocks), wait_until="load")
    page.wait_for_timeout(200)  # let any onerror/onload handler fire
    ran = page.evaluate("window.__ran") + dialogs
    read_back = page.evaluate(
        """() => Array.from(document.querySelectorAll('script[type="application/ld+json"]'))
                  .map(s => { try { return JSON.parse(s.textContent); } catch { return null; } })"""
    )
    return ran, read_back, page.locator("#end").count()


def test_every_claimreview_record_embeds_without_running_script(
    page: Any, records: list[dict[str, Any]]
) -> None:
    assert len(records) >= len(HOSTILE) + len(PLAIN) + 4  # the archive's and the reviewed ones
    blocks = [record["text"] for record in records]
    whole = "[" + ",".join(blocks) + "]"  # the whole export as one document, too
    ran, read_back, ends = _open(page, [*blocks, whole])
    assert ran == []
    assert read_back[:-1] == [record["data"] for record in records]
    assert read_back[-1] == [record["data"] for record in records]
    assert ends == 1  # the page after the blocks is still the page


def test_the_detector_sees_script_run_from_plain_json(
    page: Any, records: list[dict[str, Any]]
) -> None:
    """The same records written as plain JSON (what the export wrote before) break out: the
    test above would fail if the export stopped escaping."""
    plain = [json.dumps(record["data"], ensure_ascii=False) for record in records]
    ran, read_back, _ends = _open(page, plain)
    assert ran, "plain JSON with </script> inside should have run script"
    assert read_back != [record["data"] for record in records]
