"""The worker's heartbeat: `flask worker` writes down every few seconds that it is alive, in the
database, where /readyz in any server process can read it (health.py).

It beats only while every loop of the worker is running: a worker whose delivery loop has died
is not doing its work, however alive its process is.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from workbench.db import writing
from workbench.models import WorkerHeartbeat, utcnow

# A worker that has not beaten for this long is gone (killed, its host replaced): its row is
# dropped when a worker starts, so the table holds the workers of about a day.
FORGET_AFTER = timedelta(days=1)


def worker_name() -> str:
    """This process, as "host:pid": one row per worker process, so two workers never share one."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(session: Session, name: str, now: datetime | None = None) -> None:
    """Record that the worker `name` is alive now (in the caller's transaction)."""
    session.merge(WorkerHeartbeat(name=name, beat_at=now or utcnow()))


def forget_gone(session: Session, now: datetime | None = None) -> None:
    """Drop the rows of workers that stopped beating long ago (in the caller's transaction)."""
    cutoff = (now or utcnow()) - FORGET_AFTER
    session.execute(sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < cutoff))


def keep_beating(
    engine: Engine,
    stop: threading.Event,
    *,
    every_s: float,
    alive: Callable[[], bool],
    on_error: Callable[[str], None],
    name: str | None = None,
) -> None:
    """Beat every `every_s` seconds while `alive()` says the worker's loops run, until `stop`.

    A database that refuses a beat is reported and tried again at the next one: /readyz will
    say the worker is stale, which is true enough while its database is away.
    """
    name = name or worker_name()
    first = True
    while not stop.is_set():
        if alive():
            try:
                with writing(engine) as session:
                    if first:
                        forget_gone(session)
                    beat(session, name)
                first = False
            except SQLAlchemyError as exc:
                on_error(f"Heartbeat not recorded ({type(exc).__name__}); trying again.")
        stop.wait(every_s)
