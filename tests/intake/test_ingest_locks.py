"""Ingest splits and matches before its write transaction: while an article is being split, other
editors can write (on SQLite nothing holds the write lock; on PostgreSQL no transaction of the
request is open), on every way in."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import ON_POSTGRES, AuthActions, committed, csrf_token
from flask.testing import FlaskClient

import workbench.intake.batch
import workbench.intake.preparing
import workbench.intake.reading
import workbench.matching.text_index
from workbench.accounts import tokens
from workbench.config import Settings
from workbench.db import make_engine
from workbench.models import Article

STORY = (
    "The harbour council approved a 14 million euro budget for the ferry line on Monday.\n"
    "The first ferry will sail in the spring, the mayor told reporters."
)


def someone_else_can_write(engine: sa.Engine) -> bool:
    """Whether another editor's write could start now, without waiting for ours."""
    if not ON_POSTGRES:
        try:
            # BEGIN IMMEDIATE, with no busy wait: the write lock at once, or an error.
            with engine.execution_options(sqlite_begin="IMMEDIATE").begin():
                return True
        except sa.exc.OperationalError:
            return False
    with engine.connect() as conn:
        # PostgreSQL has no database-wide write lock: what keeps other writers waiting is a lock
        # taken by a write (rows inserted or updated) in a transaction still open.
        held = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
            "WHERE a.datname = current_database() AND l.pid <> pg_backend_pid() "
            "AND l.locktype = 'relation' AND l.mode <> 'AccessShareLock'"
        ).scalar_one()
        return held == 0


@pytest.fixture
def watcher(settings: Settings) -> Iterator[sa.Engine]:
    engine = make_engine(replace(settings, sqlite_busy_timeout_ms=0))
    yield engine
    engine.dispose()


@pytest.fixture
def while_splitting(monkeypatch: pytest.MonkeyPatch, watcher: sa.Engine) -> list[bool]:
    """Each time ingest splits an article or reads word counts for matching, note whether
    someone else could write meanwhile."""
    seen: list[bool] = []

    def spy(module: Any, name: str) -> None:
        real = getattr(module, name)

        def watched(*args: Any, **kwargs: Any) -> Any:
            seen.append(someone_else_can_write(watcher))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, watched)

    spy(workbench.intake.preparing, "find_claims")
    spy(workbench.matching.text_index, "document_counts")
    return seen


def count_articles(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one()


def test_the_form_splits_without_holding_the_write_lock(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, while_splitting: list[bool]
) -> None:
    auth.login("editor")
    data = {"csrf_token": csrf_token(client, "/articles/new"), "text": STORY}
    assert client.post("/articles/new", data=data).status_code == 302
    assert while_splitting == [True, True]
    assert count_articles(engine) == 1


def test_an_upload_splits_each_article_without_holding_the_write_lock(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, while_splitting: list[bool]
) -> None:
    auth.login("editor")
    lines = [json.dumps({"text": f"{STORY} Edition {n}."}) for n in range(3)]
    data = {
        "csrf_token": csrf_token(client, "/articles/new"),
        "file": (io.BytesIO("\n".join(lines).encode()), "batch.jsonl"),
    }
    response = client.post("/articles/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert while_splitting and all(while_splitting)
    assert count_articles(engine) == 3


def test_the_api_splits_without_holding_the_write_lock(
    client: FlaskClient,
    engine: sa.Engine,
    users: dict[str, int],
    while_splitting: list[bool],
) -> None:
    with committed(engine) as db:
        token = tokens.create_token(db, users["editor"], "script")[1]
        db.commit()
    response = client.post(
        "/api/articles", json={"text": STORY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_json()
    assert while_splitting == [True, True]


def test_a_batch_splits_without_holding_the_write_lock(
    engine: sa.Engine, while_splitting: list[bool]
) -> None:
    articles = [
        workbench.intake.reading.ArticleInput(body=f"{STORY} Edition {n}.") for n in range(3)
    ]
    with committed(engine) as db:
        db.execute(sa.select(1))  # a caller's transaction left open, as a command's might be
        workbench.intake.batch.ingest_batch(db, articles, workbench.intake.batch.BatchReport())
    assert while_splitting and all(while_splitting)
    assert count_articles(engine) == 3
