"""The real server under a newsroom's load: per route requests/s, p50 and p95, server errors, lost
updates and "database is locked", on gunicorn and, in the same run, Flask's development server.

What it measures, and why
=========================

The other benchmarks time one thing at a time (a page in process, an import, a search); this one
asks what a newsroom gets from a production server when many editors work at once, reading far
more than they write, every write guarded by the claim's version. Three targets and one figure:

- **server errors**: no answer is a 5xx, and gunicorn kills no worker for its 30 s timeout
  (target 0);
- **lost updates**: every write either lands (2xx) or is refused as stale (409), and every write
  acknowledged with a 2xx is in the database at the end and was not silently overwritten
  (target 0);
- **"database is locked"**: SQLite never says it, in the server's log or in any answer (target 0;
  a writer waits on BEGIN IMMEDIATE and the busy timeout instead, see ``workbench/db.py``);
- **what each route costs under the load** (requests/s, p50, p95), and what gunicorn gives over
  Flask's development server: requests/s and p95 as ratios, measured in the same run.

1. **Archive.** A fresh, migrated database (a temporary SQLite file, or a new database created
   on the PostgreSQL server given with ``--database`` and dropped at the end) pre-filled with
   ``--claims`` claims from the MSRP news sentences (``../shared/data/paraphrase/msrp-train.tsv``;
   the benchmark stops without it), as ``benchmarks/ingest.py`` does; on PostgreSQL then
   ``ANALYZE``. One editor account per client, each with an API token.
2. **Server.** gunicorn on loopback, started directly with ``app:create_app()``: ``--workers``
   (4) **gthread** workers with ``--threads`` (4) threads each, its default 30 s worker timeout
   and 2 s keep-alive; the benchmark waits until every worker has loaded the app (a
   ``post_worker_init`` hook). Why gthread rather than sync: a sync worker does one request at
   a time, and a write holds it while it waits for SQLite's write lock (BEGIN IMMEDIATE, then
   the busy handler's sleeps) or a PostgreSQL round trip, so four waiting writers stop the
   server. Measured with this benchmark (50 clients, 5,000 claims, 15 s after a 15 s warm-up,
   SQLite, a machine shared with other work): 4 sync workers served 21.0 requests/s using 6.7
   of the 30 core-seconds (p95 3.0 s), 4 gthread workers x 4 threads 52.1/s using 17.3 (p95
   2.5 s), at the same CPU a request (21.3 and 22.1 ms). Threads of one worker share its GIL,
   so more of them add no CPU on 2 cores; they overlap the waits. ``--worker-class sync``
   measures the other choice. Then the same load against Flask's development server (``flask
   run --with-threads``: werkzeug, one thread per connection, one process), which is what
   ``flask run`` gives.
3. **Load.** ``--clients`` threads in this process, each an editor with a browser session (the
   log-in form, once, one editor at a time: a log-in hashes the password while it holds
   SQLite's write lock) and an API token, send requests without pause (a closed loop: the
   server is saturated, so requests/s is its capacity for this mix and p95 includes the wait
   for a free worker; a GET whose kept-alive connection the server had just closed is sent once
   more, as a browser does, a write never). Each step is a read (80%) or a write (20%):

   - reads, in equal shares: the queue page ``/claims/`` and ``GET /api/claims`` with a filter
     (none, each status, ``open``, ``all``, unassigned, a verdict, the editor's own claims, a
     word; the queue has one order, priority then newest, and no sort argument), a claim page
     ``/claims/<id>`` and ``GET /api/claims/<id>``, the search page ``/search?q=`` and
     ``GET /api/claims/search?q=`` (one or two words from the archive, a keyword search; one
     search in five is a whole archived sentence, a similar-claims search);
   - writes, in equal shares, through the JSON API (``workbench/web/api``, documented at
     ``/api/openapi.json``): take, link evidence (a new source), give a verdict (with
     ``take_over``, so a claim someone else holds is not refused for that), each after reading
     the claim's version with ``GET /api/claims/<id>`` just before (that read is counted under
     its route). Half the writes go to the ``HOT_CLAIMS`` claims at the top of the queue, where
     editors working the same list collide and 409s happen; the rest to any claim. Every
     evidence quote and verdict summary carries a marker unique to the write.

   ``--warmup`` seconds are sent but not timed (each process compiles its templates and SQL,
   fills its caches and opens its connections: four gunicorn workers pay that four times, and
   a 3 s warm-up doubled their CPU a request), then ``--seconds`` are timed; requests/s is the
   route's requests begun in that window over its length. The server's CPU time in the window
   (``/proc``, the server and its workers) over its requests is the figure another machine's
   load changes least. Writes of the warm-up are checked like the others.
4. **Check**, with the server stopped, against the database: every acknowledged evidence link is
   there with its marker; every acknowledged verdict has its audit event with its summary; every
   acknowledged take its ``claim.take`` event. Acknowledged writes that are not there are
   **missing**. Writes that **vanished**: two writes acknowledged from the same version of a
   claim (one overwrote the other without seeing it), or a claim whose verdict or holder at the
   end is not what its last acknowledged verdict or take made it, or whose version did not move
   by exactly its number of acknowledged writes (claims that had an unanswered write are left
   out of these three). "database is locked" is counted in the server's log and in the answers.

The load generator shares the 2 cores with the server; its CPU time and the load average are
printed with the figures. The development server runs second, on the archive as gunicorn's run
left it (about 400 more writes, half of them on the 50 claims at the top of the queue).

Run from the repository root: ``python benchmarks/load.py`` (SQLite; about 5 minutes), and
``python benchmarks/load.py --database postgresql+psycopg://user@host:port/postgres``;
``--clients 10 --seconds 10 --claims 2000`` for a quick run; ``--strict`` exits 1 when gunicorn
misses a target (the development server's misses are printed, as what it would cost).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import requests  # noqa: E402
import serving  # noqa: E402  (benchmarks/serving.py: database, accounts, server, log-in)
import sqlalchemy as sa  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine  # noqa: E402
from workbench.models import AuditEvent, Claim, Evidence, User  # noqa: E402

WRITE_SHARE = 0.2
HOT_CLAIMS = 50  # the top of the queue, where half the writes go
SIMILAR_SEARCH_SHARE = 0.2
REQUEST_TIMEOUT_S = 60  # over gunicorn's 30 s worker timeout: its answer to a stuck worker shows
LOCKED = "database is locked"
WORKER_TIMEOUT = "WORKER TIMEOUT"  # gunicorn's log line when it kills a stuck worker
ROUTES = (
    ("queue page", "GET /claims/?filter"),
    ("queue API", "GET /api/claims?filter"),
    ("claim page", "GET /claims/<id>"),
    ("claim API", "GET /api/claims/<id>"),
    ("search page", "GET /search?q="),
    ("search API", "GET /api/claims/search?q="),
    ("take", "POST /api/claims/<id>/take"),
    ("evidence", "POST /api/claims/<id>/evidence"),
    ("verdict", "POST /api/claims/<id>/verdict"),
)
READS = [name for name, _ in ROUTES[:6]]
WRITES = ("take", "evidence", "verdict")
MINE = "mine"  # stands for the client's own user id in a filter
QUEUE_FILTERS: tuple[dict[str, str], ...] = (
    {},
    {"status": "new"},
    {"status": "in_review"},
    {"status": "verdict"},
    {"status": "open"},
    {"status": "all"},
    {"assignee": "none"},
    {"status": "verdict", "verdict": "refuted"},
    {"assignee": MINE},
    {"text": ""},  # a word from the archive
)
_WORD = re.compile(r"[A-Za-z]{5,}")


# --- Load ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    started: float
    seconds: float
    route: str
    status: int  # 0: no answer (refused, reset, timed out)
    error: str = ""  # why there was no answer


@dataclass(frozen=True)
class Write:
    user: str
    action: str
    claim_id: int
    read_version: int
    status: int  # 0: no answer
    new_version: int | None
    marker: str
    evidence_id: int | None


@dataclass(frozen=True)
class Editor:
    """A client's two ways in: a browser's session cookie for the pages, a token for the API.
    The cookie is signed with the benchmark's fixed secret key, so one log-in serves both
    servers (cookies do not tell ports apart)."""

    username: str
    page: requests.Session
    api: requests.Session

    @classmethod
    def with_token(cls, username: str, token: str) -> Editor:
        page, api = browser_like(), browser_like()
        api.headers["Authorization"] = f"Bearer {token}"
        return cls(username, page, api)


def browser_like() -> requests.Session:
    """A session that sends a GET once more when a kept-alive connection turns out closed, as
    browsers do: the server closes connections idle for its keep-alive (gunicorn: 2 s), and a
    request sent as it does is reset without an answer. A write is never sent twice; a worker
    killed in the middle of a request shows in the server's log (counted, a target)."""
    http = requests.Session()
    retry = Retry(total=1, connect=1, read=1, status=0, allowed_methods={"GET"})
    http.mount("http://", HTTPAdapter(max_retries=retry))
    return http


@dataclass
class Load:
    base: str
    user_ids: dict[str, int]
    claims: int
    hot: list[int]
    words: list[str]
    sentences: list[str]
    tag: str  # marks this run's writes
    samples: list[Sample] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    locked_answers: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, index: int, editor: Editor) -> None:
        """One editor reading and writing until told to stop."""
        rng = random.Random(f"{self.tag}-{index}")
        sequence = 0
        while not self.stop.is_set():
            if rng.random() < WRITE_SHARE:
                sequence += 1
                self.write(editor.api, rng, editor.username, f"{self.tag}-{index}-{sequence}")
            else:
                self.read(editor.page, editor.api, rng, editor.username)

    def read(
        self, page: requests.Session, api: requests.Session, rng: random.Random, username: str
    ) -> None:
        route = rng.choice(READS)
        if route in ("queue page", "queue API"):
            query = dict(rng.choice(QUEUE_FILTERS))
            if "text" in query:
                query["text"] = rng.choice(self.words)
            if query.get("assignee") == MINE:
                query["assignee"] = str(self.user_ids[username])
            if route == "queue page":
                self.call(page, route, "GET", "/claims/", query)
            else:
                self.call(api, route, "GET", "/api/claims", {**query, "limit": "20"})
        elif route == "claim page":
            self.call(page, route, "GET", f"/claims/{rng.randint(1, self.claims)}")
        elif route == "claim API":
            self.call(api, route, "GET", f"/api/claims/{rng.randint(1, self.claims)}")
        else:
            if rng.random() < SIMILAR_SEARCH_SHARE:
                words = rng.choice(self.sentences)
            else:
                words = " ".join(rng.sample(self.words, rng.choice((1, 2))))
            if route == "search page":
                self.call(page, route, "GET", "/search", {"q": words})
            else:
                self.call(api, route, "GET", "/api/claims/search", {"q": words})

    def write(self, api: requests.Session, rng: random.Random, username: str, marker: str) -> None:
        claim_id = rng.choice(self.hot) if rng.random() < 0.5 else rng.randint(1, self.claims)
        answer = self.call(api, "claim API", "GET", f"/api/claims/{claim_id}")
        if answer is None or answer.status_code != 200:
            return
        version = json.loads(answer.content)["version"]
        action = rng.choice(WRITES)
        body: dict[str, object] = {"version": version}
        if action == "evidence":
            body |= {
                "stance": rng.choice(["supports", "conflicts", "context"]),
                "source": {"title": f"Source {rng.randint(1, 500)}", "kind": "web"},
                "quote": marker,
            }
        elif action == "verdict":
            body |= {
                "verdict": rng.choice(["supported", "refuted", "mixed"]),
                "summary": marker,
                "take_over": True,
            }
        path = f"/api/claims/{claim_id}/{action}"
        answer = self.call(api, action, "POST", path, body=body)
        new_version = evidence_id = None
        status = answer.status_code if answer is not None else 0
        if answer is not None and 200 <= status < 300:
            sent = json.loads(answer.content)
            if action == "evidence":
                new_version, evidence_id = sent["claim_version"], sent["evidence"]["id"]
            else:
                new_version = sent["version"]
        with self.lock:
            self.writes.append(
                Write(username, action, claim_id, version, status, new_version, marker, evidence_id)
            )

    def call(
        self,
        http: requests.Session,
        route: str,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: object = None,
    ) -> requests.Response | None:
        url = self.base + path + (f"?{urlencode(query)}" if query else "")
        started = time.monotonic()
        answer = None
        error = ""
        try:
            answer = http.request(
                method, url, json=body, timeout=REQUEST_TIMEOUT_S, allow_redirects=False
            )
            locked = LOCKED.encode() in answer.content
        except requests.RequestException as exc:
            locked = False
            error = f"{type(exc).__name__}: {str(exc)[-80:]}"
        seconds = time.monotonic() - started
        status = answer.status_code if answer is not None else 0
        with self.lock:
            self.samples.append(Sample(started, seconds, route, status, error))
            self.locked_answers += locked
        return answer


# --- Statistics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteStats:
    count: int
    per_second: float
    p50: float
    p95: float
    server_errors: int  # 5xx
    no_answer: int

    @classmethod
    def of(cls, samples: Sequence[Sample], seconds: float) -> RouteStats:
        times = sorted(s.seconds for s in samples) or [0.0]
        return cls(
            count=len(samples),
            per_second=len(samples) / seconds,
            p50=statistics.median(times),
            p95=times[min(len(times) - 1, int(0.95 * len(times)))],
            server_errors=sum(s.status >= 500 for s in samples),
            no_answer=sum(s.status == 0 for s in samples),
        )


@dataclass(frozen=True)
class Checked:
    """What the database says of the writes (see the module's docstring, step 4)."""

    answers: Counter[str]  # 2xx, 409, other 4xx, 5xx, no answer
    missing: int
    overwritten: int
    final_state: int
    version_drift: int

    @property
    def vanished(self) -> int:
        return self.overwritten + self.final_state + self.version_drift

    @property
    def neither(self) -> int:
        """Writes that neither landed nor were refused as stale."""
        return sum(n for kind, n in self.answers.items() if kind not in ("2xx", "409"))


@dataclass(frozen=True)
class Result:
    server: str
    routes: dict[str, RouteStats]
    total: RouteStats
    checked: Checked
    locked_in_log: int
    worker_timeouts: int
    locked_answers: int
    client_cpu: float
    server_cpu: float  # seconds, in the timed window
    load_average: float
    log_excerpt: str  # the first traceback in the server's log, if any
    unanswered: Counter[tuple[str, str]]  # (route, why), warm-up included


# --- Checking the writes against the database ---------------------------------------------------


@dataclass(frozen=True)
class Before:
    versions: dict[int, int]
    last_audit: int
    last_evidence: int


def before_run(engine: sa.Engine) -> Before:
    with engine.connect() as conn:
        return Before(
            versions=dict(conn.execute(sa.select(Claim.id, Claim.version)).all()),  # type: ignore[arg-type]
            last_audit=conn.execute(sa.select(sa.func.max(AuditEvent.id))).scalar() or 0,
            last_evidence=conn.execute(sa.select(sa.func.max(Evidence.id))).scalar() or 0,
        )


def answer_kind(status: int) -> str:
    if status == 0:
        return "no answer"
    if status >= 500:
        return "5xx"
    if status == 409:
        return "409"
    return "2xx" if 200 <= status < 300 else "other 4xx"


def check_writes(engine: sa.Engine, before: Before, writes: Sequence[Write]) -> Checked:
    acked = [w for w in writes if 200 <= w.status < 300]
    with engine.connect() as conn:
        user_ids = dict(conn.execute(sa.select(User.username, User.id)).all())  # type: ignore[arg-type]
        evidence = {
            row.id: (row.claim_id, row.quote)
            for row in conn.execute(
                sa.select(Evidence.id, Evidence.claim_id, Evidence.quote).where(
                    Evidence.id > before.last_evidence  # type: ignore[operator]
                )
            )
        }
        events = conn.execute(
            sa.select(
                AuditEvent.entity_id, AuditEvent.actor_id, AuditEvent.action, AuditEvent.after
            ).where(
                AuditEvent.id > before.last_audit,  # type: ignore[operator]
                AuditEvent.action.in_(("claim.take", "claim.verdict")),  # type: ignore[attr-defined]
            )
        ).all()
        touched = sorted({w.claim_id for w in writes})
        now = {
            row.id: row
            for row in conn.execute(
                sa.select(Claim.id, Claim.version, Claim.verdict_summary, Claim.assignee_id).where(
                    Claim.id.in_(touched)  # type: ignore[union-attr]
                )
            )
        }
    verdicts = {
        (e.entity_id, e.actor_id, (e.after or {}).get("verdict_summary"))
        for e in events
        if e.action == "claim.verdict"
    }
    # A verdict on a claim its saver did not hold takes it first: that take is the verdict's.
    takes = Counter(
        (e.entity_id, e.actor_id)
        for e in events
        if e.action == "claim.take" and not (e.after or {}).get("with_verdict")
    )
    missing = 0
    for w in acked:
        if w.action == "evidence":
            missing += evidence.get(w.evidence_id or 0) != (w.claim_id, w.marker)
        elif w.action == "verdict":
            missing += (w.claim_id, user_ids[w.user], w.marker) not in verdicts
    acked_takes = Counter((w.claim_id, user_ids[w.user]) for w in acked if w.action == "take")
    missing += sum(max(0, n - takes[key]) for key, n in acked_takes.items())

    overwritten = final_state = drift = 0
    unanswered = {w.claim_id for w in writes if w.status == 0}
    by_claim: dict[int, list[Write]] = {}
    for w in acked:
        by_claim.setdefault(w.claim_id, []).append(w)
    for claim_id, done in by_claim.items():
        overwritten += sum(n - 1 for n in Counter(w.new_version for w in done).values() if n > 1)
        if claim_id in unanswered:
            continue
        done.sort(key=lambda w: w.new_version or 0)
        row = now[claim_id]
        given = [w for w in done if w.action == "verdict"]
        if given and row.verdict_summary != given[-1].marker:
            final_state += 1
        held = [w for w in done if w.action in ("take", "verdict")]
        if held and row.assignee_id != user_ids[held[-1].user]:
            final_state += 1
        drift += row.version - before.versions[claim_id] != len(done)
    return Checked(
        answers=Counter(answer_kind(w.status) for w in writes),
        missing=missing,
        overwritten=overwritten,
        final_state=final_state,
        version_drift=drift,
    )


# --- One server ---------------------------------------------------------------------------------


def run_server(
    url: str,
    kind: str,
    instance: Path,
    args: argparse.Namespace,
    editors: list[Editor],
    archive: serving.Archive,
) -> Result:
    engine = make_engine(Settings(database_url=url))
    try:
        before = before_run(engine)
        with engine.connect() as conn:
            user_ids = dict(conn.execute(sa.select(User.username, User.id)).all())  # type: ignore[arg-type]
            hot = list(
                conn.execute(
                    sa.select(Claim.id)
                    .order_by(Claim.priority.desc(), Claim.id.desc())  # type: ignore[attr-defined]
                    .limit(HOT_CLAIMS)
                ).scalars()
            )
    finally:
        engine.dispose()
    words = sorted({w.lower() for s in archive.sentences for w in _WORD.findall(s)})
    with serving.running_server(
        url,
        kind,
        instance,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
    ) as server:
        load = Load(
            base=server.base,
            user_ids=user_ids,
            claims=archive.claims,
            hot=hot,
            words=words,
            sentences=archive.sentences,
            tag=f"{kind}-{args.seed}",
        )
        print(server.description, flush=True)
        if not all(editor.page.cookies for editor in editors):
            # One at a time: a log-in hashes the password (argon2, tens of MB) while it holds
            # SQLite's write lock, so fifty at once only queue, for minutes on a busy machine.
            began = time.monotonic()
            for editor in editors:
                serving.log_in(server.base, editor.username, editor.page)
            print(f"  {len(editors)} editors logged in: {time.monotonic() - began:.0f} s")
        threads = [
            threading.Thread(target=load.client, args=(n, editor), daemon=True)
            for n, editor in enumerate(editors)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        cpu = time.process_time()
        print(f"  load: {args.warmup:.0f} s warm-up, then {args.seconds:.0f} s timed", flush=True)
        time.sleep(args.warmup)
        server_cpu = server.cpu_seconds()
        time.sleep(args.seconds)
        server_cpu = server.cpu_seconds() - server_cpu
        load.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S)
        client_cpu = time.process_time() - cpu
        load_average = os.getloadavg()[0]
        log = server.log
    # The server has stopped: its log is complete and nothing writes any more.
    text = log.read_text(errors="replace")
    window = (started + args.warmup, started + args.warmup + args.seconds)
    timed = [s for s in load.samples if window[0] <= s.started < window[1]]
    routes = {
        name: RouteStats.of([s for s in timed if s.route == name], args.seconds)
        for name, _ in ROUTES
    }
    engine = make_engine(Settings(database_url=url))
    try:
        checked = check_writes(engine, before, load.writes)
    finally:
        engine.dispose()
    return Result(
        server=server.description,
        routes=routes,
        total=RouteStats.of(timed, args.seconds),
        checked=checked,
        locked_in_log=text.count(LOCKED),
        worker_timeouts=text.count(WORKER_TIMEOUT),
        locked_answers=load.locked_answers,
        client_cpu=client_cpu,
        server_cpu=server_cpu,
        load_average=load_average,
        log_excerpt=first_traceback(text),
        unanswered=Counter((s.route, s.error) for s in load.samples if s.status == 0),
    )


def first_traceback(log: str, lines: int = 25) -> str:
    start = log.find("Traceback")
    return "\n".join(log[start:].splitlines()[:lines]) if start >= 0 else ""


# --- Report -------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{1000 * seconds:,.0f}" if seconds >= 0.0995 else f"{1000 * seconds:.1f}"


def report(result: Result, backend: str, args: argparse.Namespace) -> None:
    print(
        f"\n=== {result.server}; {backend}, {args.claims:,} claims, {args.clients} clients, "
        f"{args.seconds:.0f} s ===\n"
    )
    print(f"{'route':<43} {'count':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'5xx':>4}")
    rows = [(f"{name:<12} {path}", result.routes[name]) for name, path in ROUTES]
    for label, stats in [*rows, ("all", result.total)]:
        print(
            f"{label:<43} {stats.count:>7,} {stats.per_second:>7.1f} {ms(stats.p50):>7} "
            f"{ms(stats.p95):>7} {stats.server_errors:>4}"
            + (f"  ({stats.no_answer} unanswered)" if stats.no_answer else "")
        )
    c = result.checked
    for (route, error), count in sorted(result.unanswered.items()):
        print(f"  {count} x no answer, {route}: {error}")
    kinds = ("2xx", "409", "other 4xx", "5xx", "no answer")
    answers = ", ".join(f"{c.answers.get(k, 0):,} {k}" for k in kinds)
    print(f"\nwrites (warm-up included): {c.answers.total():,}: {answers}")
    print(
        f"lost updates: {c.missing} acknowledged but missing; {c.vanished} vanished "
        f"({c.overwritten} overwritten from the same version, {c.final_state} final states "
        f"not the last acknowledged write, {c.version_drift} versions off their write count)"
    )
    print(
        f'"{LOCKED}": {result.locked_in_log} in the server\'s log, '
        f"{result.locked_answers} in answers; workers killed for a timeout: "
        f"{result.worker_timeouts}"
    )
    cores = os.cpu_count() or 1
    print(
        f"server CPU in the timed {args.seconds:.0f} s: {result.server_cpu:.1f} s of "
        f"{cores * args.seconds:.0f} core-seconds, {ms(cpu_per_request(result))} ms a request; "
        f"load generator CPU {result.client_cpu:.1f} s (warm-up included); load average at "
        f"the end {result.load_average:.1f} on {cores} cores"
    )
    if result.log_excerpt:
        print(f"\nThe server's log, from its first traceback:\n{result.log_excerpt}")


def compare(gunicorn: Result, dev: Result) -> None:
    print("\n=== gunicorn / the development server, same load, same run ===\n")
    print(
        f"{'route':<13} {'req/s':>7} {'dev':>7} {'ratio':>6}   {'p95 ms':>7} {'dev':>7} "
        f"{'ratio':>6}"
    )
    rows = [(name, gunicorn.routes[name], dev.routes[name]) for name, _ in ROUTES]
    for name, ours, theirs in [*rows, ("all", gunicorn.total, dev.total)]:
        print(
            f"{name:<13} {ours.per_second:>7.1f} {theirs.per_second:>7.1f} "
            f"{ratio(ours.per_second, theirs.per_second):>6} "
            f"  {ms(ours.p95):>7} {ms(theirs.p95):>7} {ratio(ours.p95, theirs.p95):>6}"
        )
    ours, theirs = cpu_per_request(gunicorn), cpu_per_request(dev)
    print(
        f"{'CPU ms a request':<29} {ms(ours):>7} {ms(theirs):>7} {ratio(ours, theirs):>6}"
        "\n\n(req/s ratio above 1: gunicorn serves more; p95 ratio below 1: gunicorn answers "
        "sooner)"
    )


def cpu_per_request(result: Result) -> float:
    return result.server_cpu / max(result.total.count, 1)


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs > 0 else "-"


def missed_targets(result: Result) -> list[str]:
    c = result.checked
    missed = []
    if result.total.server_errors:
        missed.append(f"{result.total.server_errors} server errors")
    if result.worker_timeouts:
        missed.append(f"{result.worker_timeouts} workers killed for taking over 30 s")
    if c.neither:
        missed.append(f"{c.neither} writes neither landed nor got a 409")
    if c.missing or c.vanished:
        missed.append(f"{c.missing} writes missing, {c.vanished} vanished")
    if result.locked_in_log or result.locked_answers:
        missed.append(f'"{LOCKED}" {result.locked_in_log + result.locked_answers} times')
    return missed


# --- Main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", default=None, help="a PostgreSQL server URL; default SQLite")
    parser.add_argument("--claims", type=int, default=20_000, help="claims in the archive")
    parser.add_argument("--clients", type=int, default=50, help="editors sending requests")
    parser.add_argument("--seconds", type=float, default=60.0, help="timed load per server")
    parser.add_argument("--warmup", type=float, default=15.0, help="load before the timing")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (Path(sys.executable).parent / "gunicorn").exists():
        raise SystemExit("gunicorn is not installed here: pip install -e '.[test]'")
    with serving.fresh_database(args.database) as url:
        backend = make_url(url).get_backend_name()
        print(f"Database: {backend}; pre-filling {args.claims:,} claims ...", flush=True)
        archive = serving.prefill_archive(url, args.claims, args.seed)
        tokens = serving.add_editors(url, [f"editor{n}" for n in range(args.clients)])
        editors = [Editor.with_token(name, token) for name, token in tokens.items()]
        results = {}
        for kind in ("gunicorn", "flask"):
            with tempfile.TemporaryDirectory() as instance:
                results[kind] = run_server(url, kind, Path(instance), args, editors, archive)
    for result in results.values():
        report(result, backend, args)
    compare(results["gunicorn"], results["flask"])
    missed = {kind: missed_targets(result) for kind, result in results.items()}
    print(
        "\nTargets (gunicorn): 0 server errors and worker timeouts; every write lands or gets a "
        f'409, none missing or vanished; 0 "{LOCKED}".'
    )
    for kind, result in results.items():
        verdict = "PASS" if not missed[kind] else "FAIL: " + "; ".join(missed[kind])
        if kind == "flask":
            verdict = "as well" if not missed[kind] else "misses: " + "; ".join(missed[kind])
            verdict += " (the baseline: not a target)"
        print(f"  {result.server}: {verdict}")
    return 1 if missed["gunicorn"] and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
