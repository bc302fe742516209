"""Every page at every screen size and colour scheme, in a real browser (Debian's Chromium via
Playwright): no page wider than a 390 px phone, a header on one line at 1280 px, and axe-core
(vendored in static/vendor, injected here, never linked from a page) finding no serious or
critical violation, in light and in dark mode. The skip link, the focus ring and the favicon too.

Pages are found the way tests/web/test_permissions.py walks routes: every GET rule of the app,
with real ids filled in, so a page added later is checked without an edit here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import CHROMIUM, PASSWORD, REPO, committed
from flask import Flask
from sqlmodel import select

from workbench.intake.reading import ArticleInput
from workbench.intake.storing import ingest_article
from workbench.models import (
    Alert,
    Alias,
    Claim,
    DuplicateSuggestion,
    Feed,
    Verdict,
    Webhook,
    WebhookFormat,
)
from workbench.review import verdicts as review
from workbench.review.verdicts import SourceInput

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

[AXE] = sorted((REPO / "static" / "vendor").glob("axe-*.min.js"))
WIDE, PHONE = 1280, 390
# Controls whose middles are this close are on one line (a button is taller than a link).
SAME_LINE_PX = 12
SERIOUS = ("serious", "critical")
# A long unbroken address: on a phone it must wrap, not widen the page.
LONG_URL = "https://example.org/reports/" + "very-long-path-segment-" * 8 + "end"
CHECKED = "Unemployment fell to 4.1 percent in March, the lowest level since 2001."
REPEAT = "In March unemployment fell to 4.1 percent, its lowest level since 2001."
OTHER = (
    "The council spent 12 million on roads last year, the mayor said. "
    f"The full budget is published at {LONG_URL} for anyone to read."
)


@pytest.fixture
def newsroom(engine: sa.Engine, users: dict[str, int]) -> dict[str, int]:
    """One of everything a page can name: a checked claim with evidence, a later article that
    repeats it (a suggestion and an alert), a feed, a webhook, an alias, users."""
    editor = users["editor"]
    with committed(engine) as db:
        first = ingest_article(
            db,
            ArticleInput(
                body=f"{CHECKED}\n{OTHER}",
                title="Jobs figures and the roads budget, with a rather long headline to wrap",
                outlet="Wire service",
                url=LONG_URL,
            ),
        ).article
        claims = db.exec(
            select(Claim).where(Claim.article_id == first.id).order_by(Claim.position)
        ).all()
        checked = claims[0]
        checked = review.take(db, checked.id, editor, checked.version)
        evidence = review.link_evidence(
            db,
            checked.id,
            editor,
            checked.version,
            stance="supports",
            quote="The rate fell to 4.1 percent.",
            new_source=SourceInput(title="Labour statistics", url=LONG_URL),
        )
        review.set_verdict(db, checked.id, editor, checked.version, Verdict.SUPPORTED, "True.")
        ingest_article(db, ArticleInput(body=REPEAT, title="Jobs", outlet="Daily Example"))
        feed = Feed(url="https://feeds.invalid/rss", title="Wire")
        webhook = Webhook(
            url="https://hooks.invalid/alerts",
            secret="whsec_" + "A" * 32,
            format=WebhookFormat.STANDARD,
            created_by_id=users["admin"],
        )
        db.add_all([feed, webhook])
        db.flush()
        suggestion = db.exec(select(DuplicateSuggestion)).first()
        assert suggestion is not None, "the repeat should be suggested"
        assert db.exec(select(Alert)).first() is not None, "the repeat should raise an alert"
        return {
            "claim_id": suggestion.claim_id,  # the repeat: its page shows the most
            "article_id": first.id,
            "evidence_id": evidence.id,
            "suggestion_id": suggestion.id,
            "alias_id": db.exec(select(Alias.id)).first() or 1,
            "user_id": users["viewer"],
            "feed_id": feed.id,
            "webhook_id": webhook.id,
        }


def _pages(app: Flask, ids: dict[str, int]) -> list[str]:
    """The path of every GET route but the API, static files and the health probes (JSON for
    machines; /readyz is 503 here, with no worker running), with real ids filled in (an id the
    fixture does not make is 1: a "not found" page is a page too)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if (
            "GET" not in rule.methods
            or rule.endpoint == "static"
            or rule.rule.startswith("/api/")
            or rule.endpoint.startswith("health.")
        ):
            continue
        path = re.sub(r"<any\(([a-z_]+)[^)]*\):\w+>", r"\1", rule.rule)
        paths.add(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), path))
    # A few states a bare route does not show: results, and a page that is not there.
    paths |= {f"/claims/similar?q={REPEAT}", "/claims/999999"}
    return sorted(paths)


@pytest.fixture
def page(browser: Any, live_server: str, users: dict[str, int]) -> Iterator[Any]:
    """One page, logged in as the admin (who sees every link), reused for every visit."""
    context = browser.new_context(base_url=live_server, viewport={"width": WIDE, "height": 900})
    context.set_default_timeout(10_000)
    _with_axe(context)
    opened = context.new_page()
    opened.goto("/auth/login")
    opened.get_by_label("User name").fill("admin")
    opened.get_by_label("Password").fill(PASSWORD)
    opened.get_by_role("button", name="Log in").click()
    opened.locator("header .who").wait_for()
    yield opened
    context.close()


def _with_axe(context: Any) -> None:
    """axe-core in every page the context opens. An init script, not a <script> tag: the CSP
    (script-src 'self') refuses inline script, and the pages are checked with it in force."""
    context.add_init_script(path=str(AXE))


def _axe(page: Any) -> list[str]:
    """Serious and critical violations on the page as it is, one line each."""
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [f"{v['impact']} {v['id']}: {v['targets']}" for v in found if v["impact"] in SERIOUS]


def _is_page(page: Any, path: str) -> bool:
    """Whether the path answers with HTML (not a feed or a download), asked with the page's
    cookies."""
    answer = page.request.get(path)
    assert answer.status < 500, f"{path}: {answer.status}"
    return "text/html" in answer.headers.get("content-type", "")


def _width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _header_rows(page: Any) -> int:
    """How many lines the header's visible links, fields and buttons sit on."""
    middles = page.evaluate(
        """() => [...document.querySelectorAll(
                "header.top :is(a, summary, input, button, .who)")]
            .filter(e => e.checkVisibility({contentVisibilityAuto: true}))
            .map(e => e.getBoundingClientRect())
            .map(box => box.top + box.height / 2)"""
    )
    rows: list[float] = []
    for middle in sorted(middles):
        if not rows or middle - rows[-1] > SAME_LINE_PX:
            rows.append(middle)
    return len(rows)


def _sticking_out(page: Any) -> list[str]:
    """The outermost elements that reach past the viewport's right edge, to say what to fix."""
    return page.evaluate(
        """() => {
            const out = e => e.getBoundingClientRect().right > innerWidth + 0.5;
            return [...document.body.querySelectorAll("*")]
                .filter(e => out(e) && !(e.parentElement && out(e.parentElement)))
                .slice(0, 3)
                .map(e => [e.parentElement, e].map(
                    n => n.tagName.toLowerCase() + (n.className ? "." + n.className : "")
                ).join(" > "));
        }"""
    )


def test_every_page_fits_a_phone_and_passes_axe_in_light_and_dark(
    app: Flask, page: Any, newsroom: dict[str, int]
) -> None:
    problems = []
    for path in [p for p in _pages(app, newsroom) if _is_page(page, p)]:
        for width in (WIDE, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                page.goto(path)
                where = f"{path} at {width} px, {scheme}"
                if _width(page) > width:
                    problems.append(f"{where}: {_width(page)} px wide: {_sticking_out(page)}")
                problems += [f"{where}: {found}" for found in _axe(page)]
                if width == WIDE and scheme == "light" and _header_rows(page) > 1:
                    problems.append(f"{where}: the header is {_header_rows(page)} lines")
    assert not problems, "\n".join(problems)


def test_the_log_in_page_fits_a_phone_and_passes_axe(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": PHONE, "height": 800})
    _with_axe(context)
    page = context.new_page()
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto("/auth/login")
        assert _width(page) <= PHONE
        problems += _axe(page)
    context.close()
    assert not problems, "\n".join(problems)


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_page(page: Any) -> None:
    page.goto("/claims/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link shows when it has focus"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    # The next Tab goes into the page, past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_a_focused_control_shows_a_ring_in_both_schemes(page: Any) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto("/claims/")
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")  # the brand
        outline = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
        )
        assert outline[0] == "solid" and outline[1] >= 2, (scheme, outline)


def test_the_header_menus_work_on_a_phone_and_close_on_escape(page: Any) -> None:
    page.set_viewport_size({"width": PHONE, "height": 800})
    page.goto("/claims/")
    page.locator("header nav details.menu summary").click()
    page.get_by_role("link", name="Users").click()
    page.wait_for_url(re.compile(r"/admin/users$"))
    assert _width(page) <= PHONE
    user = page.locator("header details.user-menu")
    user.locator("summary").click()
    assert page.get_by_role("button", name="Log out").is_visible()
    page.keyboard.press("Escape")
    assert not page.get_by_role("button", name="Log out").is_visible()


def test_the_favicon_answers_where_browsers_look(page: Any) -> None:
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    page.goto("/claims/")
    linked = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(linked).status == 200
