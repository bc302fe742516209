"""A long `flask ingest` killed with SIGKILL never leaves half an article, and a rerun finishes it.

Each article is stored in one transaction, so whenever the process dies the database holds some
whole articles (each with exactly the claims the splitter finds in its body) and nothing else;
running the same import again skips what is in and adds the rest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO, cli_environment

from workbench.intake.claim_spotting import find_claims

ARTICLES = 400
SENTENCES = 20
START_TIMEOUT_S = 120  # from start-up to the first stored article, on a slow, loaded machine
RUN_TIMEOUT_S = 240
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _words(number: int) -> str:
    return "-".join(ONES[int(digit)] for digit in str(number))


def _seed_lines() -> list[str]:
    lines = [
        line.strip()
        for path in sorted((REPO / "fixtures" / "seed").glob("*.txt"))
        for line in path.read_text("utf-8").splitlines()
    ]
    return [line if line[-1] in ".!”\"'" else line + "." for line in lines if line]


def _article(number: int, seed: list[str]) -> str:
    """About 20 sentences in paragraphs of four: seed sentences and numbered, distinct ones."""
    paragraphs = []
    for paragraph in range(SENTENCES // 4):
        sentences = []
        for index in range(paragraph * 4, paragraph * 4 + 4):
            if index % 2 == 0:
                sentences.append(seed[(number + index) % len(seed)])
            else:
                sentences.append(
                    f"Officials in dispatch {_words(number)} counted "
                    f"{_words(number * SENTENCES + index)} convoys near the border on day "
                    f"{index + 1}."
                )
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


@cache
def _expected_claims(body: str) -> list[tuple[int, int, int, str]]:
    claims = [c for c in find_claims(body) if c.skip_reason is None]
    return [(n, c.sentence.start, c.sentence.end, c.sentence.text) for n, c in enumerate(claims)]


def _article_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM article").scalar_one()


def _check_integrity(engine: sa.Engine, titles: list[str], bodies: dict[str, str]) -> int:
    """Every stored article is whole and is one of the file's first N; returns N."""
    with engine.connect() as conn:
        orphans = conn.exec_driver_sql(
            "SELECT count(*) FROM claim LEFT JOIN article ON article.id = claim.article_id "
            "WHERE article.id IS NULL"
        ).scalar_one()
        stored = conn.exec_driver_sql("SELECT id, title, body FROM article").all()
        claims: dict[int, list[tuple[int, int, int, str]]] = {}
        for article_id, position, start, end, text in conn.exec_driver_sql(
            "SELECT article_id, position, start_offset, end_offset, text FROM claim "
            "ORDER BY article_id, position"
        ):
            claims.setdefault(article_id, []).append((position, start, end, text))
    assert orphans == 0, "claims without an article"
    stored_titles = sorted(title for _, title, _ in stored)
    assert len(set(stored_titles)) == len(stored_titles), "an article stored twice"
    # One article after another, in order: the stored ones are exactly the file's first N.
    assert set(stored_titles) == set(titles[: len(stored)])
    for article_id, title, body in stored:
        assert body == bodies[title]
        expected = _expected_claims(body)
        assert len(expected) >= SENTENCES // 2
        assert claims.get(article_id, []) == expected, f"{title} is not whole"
    return len(stored)


def _run(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=output)


def _kill_when(process: subprocess.Popen[bytes], engine: sa.Engine, stored: int, log: Path) -> bool:
    """SIGKILL the import once `stored` articles are in; False if it finished first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            if _article_count(engine) >= stored:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=60)
                # It may have exited on its own between the count and the kill.
                return process.returncode == -signal.SIGKILL
            time.sleep(0.01)
        pytest.fail(f"the import stored fewer than {stored} articles in time:\n{log.read_text()}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)


def test_killed_import_leaves_whole_articles_and_a_rerun_completes(
    database_url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    seed = _seed_lines()
    titles = [f"Dispatch {n:03d}" for n in range(ARTICLES)]
    bodies = {title: _article(n, seed) for n, title in enumerate(titles)}
    assert len(set(bodies.values())) == ARTICLES
    path = tmp_path / "wire.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for title in titles:
            handle.write(json.dumps({"title": title, "text": bodies[title]}) + "\n")

    command = [sys.executable, "-m", "flask", "--app", "app", "ingest", str(path)]
    env = cli_environment(database_url, tmp_path)
    log = tmp_path / "ingest.log"

    # Kill once the first article is in, then once a few dozen more are. Should the import
    # finish before a kill lands (a very fast machine), the checks below still hold.
    stored = 0
    for more in (1, 30):
        _kill_when(_run(command, env, log), engine, stored + more, log)
        stored = _check_integrity(engine, titles, bodies)
        if stored == ARTICLES:
            break

    summary = tmp_path / "summary.log"
    with summary.open("wb") as stdout, log.open("ab") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr)
        assert process.wait(timeout=RUN_TIMEOUT_S) == 0, log.read_text()
    assert _check_integrity(engine, titles, bodies) == ARTICLES
    done = summary.read_text()
    assert f"Imported {ARTICLES - stored} article(s)" in done
    if stored:
        assert f"{stored} already in the archive" in done
