"""Settings read from the environment, in one place, so that every default is written down once.

Every variable is documented in the README; the names here are the names people type.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """What the workbench needs to know about where it runs.

    `instance_dir`: where this installation keeps its own files (SQLite database, secret key).
    `database_url`: SQLAlchemy URL; `instance_dir/workbench.db` (SQLite) when empty,
    `postgresql+psycopg://...` for a team.
    `secret_key`: signs session cookies and CSRF tokens; generated into the instance folder when
    unset, so a fresh checkout is safe without anyone choosing a key.
    `max_upload_bytes`: the largest article file or request body we accept; bigger ones are refused
    before they are read into memory.
    `max_request_sentences`, `max_request_articles`: the most sentences (all articles together)
    and articles one web or API request may import, so that every request finishes in seconds;
    bigger imports go through `flask ingest`, which has no such limit.
    `sqlite_busy_timeout_ms`: how long a writer waits for another writer before giving up.
    `egress_allow`: hosts and CIDRs the server may call (webhooks, article links, feeds)
    although they are not public addresses (loopback, private, link-local...); empty by
    default, so the server reaches only the internet. Read from `WORKBENCH_EGRESS_ALLOW` and its
    older name `WORKBENCH_WEBHOOK_ALLOW`; entries from both count.
    `fetch_connect_timeout_s`, `fetch_read_timeout_s`: how long fetching a page or a feed waits
    to connect, and for each read; `fetch_total_timeout_s` bounds the whole fetch, redirects
    included, so a server that drips a byte at a time cannot hold a worker.
    `fetch_max_bytes`: the largest page or feed read, after decompression.
    `feed_every_minutes`: how often a new feed subscription is polled unless it says otherwise.
    `feed_max_entries`: the most new entries one poll of one feed imports; the rest wait for the
    next poll, which then comes at once.
    `feed_poll_s`: how often the feed poller looks for feeds that are due.
    `webhook_timeout_s`: how long one delivery attempt waits to connect and for each read.
    `webhook_attempts`: attempts per delivery before it is dead (an admin can retry it).
    `webhook_backoff_s`: the wait after the first failed attempt; it doubles after each failure,
    up to `webhook_backoff_max_s`.
    `webhook_poll_s`: how often the delivery worker looks for new deliveries when idle.
    `sign_off`: every verdict is a draft until a second editor approves it (an admin can switch
    it on or off on the Newsroom page too; that choice, once made, wins over this default).
    `publisher_name`, `publisher_url`: the organisation that publishes the fact checks, named as
    the `author` of every exported ClaimReview.
    `public_url`: where the published fact checks live; a ClaimReview's `url` is this with
    `{id}` replaced by the claim id, or with `/claims/<id>` appended when it has no `{id}`.
    `server_host`, `server_port`: where `flask serve` (`make run`) listens, from `HOST` and
    `PORT` as hosting platforms set them; loopback only unless HOST says otherwise (0.0.0.0 for
    every interface, behind a proxy or a firewall).
    `server_workers`: gunicorn processes; 0 sizes them from the cores (two a core plus one, at
    most 8: workbench/serving.py says why). `server_threads`: threads per process, for requests
    that wait on the database or on a page being fetched.
    `proxy_hops`: how many reverse proxies in front of the app add X-Forwarded-For, -Proto,
    -Host and -Port; the app believes that many hops of them, and no more (0: none, the headers
    are ignored, since anyone can send them). The client address the log-in throttle counts, the
    Secure flag of the session cookie and the links the app makes come from what they say.
    `trusted_hosts`: the host names the app answers to (a leading dot takes every subdomain);
    any other Host header is refused with 400, so a forged one cannot steer the links the app
    makes. Empty: any host.
    `log_format`: `text` (the servers' own formats, with the request id) or `json` (one JSON
    object a line: time, level, logger, message, request_id, and method, path and status in
    a request).
    `heartbeat_s`: how often `flask worker` records that it is alive.
    `worker_stale_s`: how old the worker's last heartbeat may be before /readyz says the worker
    is stale; 0 leaves the worker out of /readyz (for a web server that runs without one).
    """

    instance_dir: Path = PROJECT_DIR / "instance"
    database_url: str = ""
    secret_key: str = ""
    max_upload_bytes: int = 5 * 1024 * 1024
    max_request_sentences: int = 2_000
    max_request_articles: int = 50
    sqlite_busy_timeout_ms: int = 15_000
    demo_fixtures: Path = PROJECT_DIR / "fixtures" / "demo"
    session_cookie_secure: bool = False
    egress_allow: tuple[str, ...] = ()
    webhook_timeout_s: float = 10.0
    webhook_attempts: int = 8
    webhook_backoff_s: float = 30.0
    webhook_backoff_max_s: float = 3600.0
    webhook_poll_s: float = 1.0
    fetch_connect_timeout_s: float = 5.0
    fetch_read_timeout_s: float = 15.0
    fetch_total_timeout_s: float = 30.0
    fetch_max_bytes: int = 5 * 1024 * 1024
    feed_every_minutes: int = 15
    feed_max_entries: int = 50
    feed_poll_s: float = 5.0
    sign_off: bool = False
    publisher_name: str = "Claim workbench"
    publisher_url: str = "http://127.0.0.1:5000/"
    public_url: str = "http://127.0.0.1:5000"
    server_host: str = "127.0.0.1"
    server_port: int = 5000
    server_workers: int = 0
    server_threads: int = 4
    proxy_hops: int = 0
    trusted_hosts: tuple[str, ...] = ()
    log_format: str = "text"
    heartbeat_s: float = 5.0
    worker_stale_s: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        instance_dir = Path(env.get("WORKBENCH_INSTANCE", defaults.instance_dir))
        return cls(
            instance_dir=instance_dir,
            database_url=env.get("DATABASE_URL", ""),
            secret_key=env.get("WORKBENCH_SECRET_KEY", ""),
            max_upload_bytes=int(env.get("WORKBENCH_MAX_UPLOAD_BYTES", defaults.max_upload_bytes)),
            max_request_sentences=int(
                env.get("WORKBENCH_MAX_REQUEST_SENTENCES", defaults.max_request_sentences)
            ),
            max_request_articles=int(
                env.get("WORKBENCH_MAX_REQUEST_ARTICLES", defaults.max_request_articles)
            ),
            sqlite_busy_timeout_ms=int(
                env.get("WORKBENCH_SQLITE_BUSY_TIMEOUT_MS", defaults.sqlite_busy_timeout_ms)
            ),
            demo_fixtures=Path(env.get("WORKBENCH_FIXTURES", defaults.demo_fixtures)),
            session_cookie_secure=env.get("WORKBENCH_SECURE_COOKIES", "") in {"1", "true", "yes"},
            egress_allow=_allow_list(env),
            webhook_timeout_s=float(
                env.get("WORKBENCH_WEBHOOK_TIMEOUT_S", defaults.webhook_timeout_s)
            ),
            webhook_attempts=int(env.get("WORKBENCH_WEBHOOK_ATTEMPTS", defaults.webhook_attempts)),
            webhook_backoff_s=float(
                env.get("WORKBENCH_WEBHOOK_BACKOFF_S", defaults.webhook_backoff_s)
            ),
            webhook_backoff_max_s=float(
                env.get("WORKBENCH_WEBHOOK_BACKOFF_MAX_S", defaults.webhook_backoff_max_s)
            ),
            webhook_poll_s=float(env.get("WORKBENCH_WEBHOOK_POLL_S", defaults.webhook_poll_s)),
            fetch_connect_timeout_s=float(
                env.get("WORKBENCH_FETCH_CONNECT_TIMEOUT_S", defaults.fetch_connect_timeout_s)
            ),
            fetch_read_timeout_s=float(
                env.get("WORKBENCH_FETCH_READ_TIMEOUT_S", defaults.fetch_read_timeout_s)
            ),
            fetch_total_timeout_s=float(
                env.get("WORKBENCH_FETCH_TOTAL_TIMEOUT_S", defaults.fetch_total_timeout_s)
            ),
            fetch_max_bytes=int(env.get("WORKBENCH_FETCH_MAX_BYTES", defaults.fetch_max_bytes)),
            feed_every_minutes=int(
                env.get("WORKBENCH_FEED_EVERY_MINUTES", defaults.feed_every_minutes)
            ),
            feed_max_entries=int(env.get("WORKBENCH_FEED_MAX_ENTRIES", defaults.feed_max_entries)),
            feed_poll_s=float(env.get("WORKBENCH_FEED_POLL_S", defaults.feed_poll_s)),
            sign_off=env.get("WORKBENCH_SIGN_OFF", "") in {"1", "true", "yes"},
            publisher_name=env.get("WORKBENCH_PUBLISHER_NAME", defaults.publisher_name),
            publisher_url=env.get("WORKBENCH_PUBLISHER_URL", defaults.publisher_url),
            public_url=env.get("WORKBENCH_PUBLIC_URL", defaults.public_url),
            server_host=env.get("HOST") or defaults.server_host,
            server_port=int(env.get("PORT") or defaults.server_port),
            server_workers=int(env.get("WORKBENCH_SERVER_WORKERS") or defaults.server_workers),
            server_threads=int(env.get("WORKBENCH_SERVER_THREADS") or defaults.server_threads),
            proxy_hops=int(env.get("WORKBENCH_PROXY_HOPS", defaults.proxy_hops)),
            trusted_hosts=_names(env.get("WORKBENCH_TRUSTED_HOSTS", "")),
            log_format=_log_format(env.get("WORKBENCH_LOG_FORMAT", defaults.log_format)),
            heartbeat_s=float(env.get("WORKBENCH_HEARTBEAT_S", defaults.heartbeat_s)),
            worker_stale_s=float(env.get("WORKBENCH_WORKER_STALE_S", defaults.worker_stale_s)),
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_dir / 'workbench.db'}"


def _allow_list(env: dict[str, str]) -> tuple[str, ...]:
    """WORKBENCH_EGRESS_ALLOW and its older name WORKBENCH_WEBHOOK_ALLOW, merged, in order, once."""
    entries: list[str] = []
    for name in ("WORKBENCH_EGRESS_ALLOW", "WORKBENCH_WEBHOOK_ALLOW"):
        for entry in env.get(name, "").split(","):
            if entry.strip() and entry.strip() not in entries:
                entries.append(entry.strip())
    return tuple(entries)


def _names(value: str) -> tuple[str, ...]:
    """A comma-separated list, without blanks."""
    return tuple(name.strip() for name in value.split(",") if name.strip())


LOG_FORMATS = ("text", "json")


def _log_format(value: str) -> str:
    """`text` or `json`; a typo stops the start rather than leaving logs in a format no one
    reads."""
    if value.strip().lower() not in LOG_FORMATS:
        raise ValueError(f"WORKBENCH_LOG_FORMAT is {value!r}; use one of {', '.join(LOG_FORMATS)}.")
    return value.strip().lower()
