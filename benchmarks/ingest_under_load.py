"""Other editors while the biggest import the limits allow runs: errors and latency.

What it measures, and why
=========================

Issue 11 saw one editor's big paste freeze the newsroom: every POST held SQLite's write lock from
the moment it read the logged-in user, through the splitting and matching of the whole upload, so
other editors' writes failed with "database is locked" and every request waited ~105 s. This
benchmark repeats that experiment against a real server.

1. **Archive.** A fresh, migrated database (a temporary SQLite file, or a new database on the
   PostgreSQL server given with ``--database``) pre-filled with ``--claims`` claims built from
   the MSRP news sentences (``../shared/data/paraphrase/msrp-train.tsv``; the benchmark stops
   without it), as ``benchmarks/ingest.py`` does. One editor account and API token per simulated
   editor, and one more editor who imports.
2. **Server.** gunicorn with ``--server-workers`` sync workers on loopback (its default 30 s worker
   timeout, as in production), or Flask's threaded server with ``--server flask``.
3. **Load.** ``--editors`` threads, each an editor with a token, loop without pause: 90% reads
   (the queue through ``GET /api/claims``, one claim), 10% writes (take, link evidence, give a
   verdict, each with the claim's version, read just before). A 409 (someone else changed the
   claim) is an answer, not an error; an error is a 5xx, a refused connection or a timeout.
4. **Baseline, same run:** the load alone for ``--seconds`` seconds.
5. **The imports**, one after the other through the web form, with the load running: the biggest
   article the limits allow (``max_request_sentences`` sentences pasted as one article, all
   repeats of archived sentences, so every claim is matched against many), then the biggest JSON
   Lines upload (``max_request_articles`` articles holding ``max_request_sentences`` sentences
   together). Each import's time and answer, and the other editors' requests begun while it ran.

Targets: other editors' requests during the imports have 0 errors and p95 under 1 s; the imports
themselves answer (a redirect: stored) well inside the server's worker timeout.

Run from the repository root: ``python benchmarks/ingest_under_load.py`` (SQLite), and
``python benchmarks/ingest_under_load.py --database postgresql+psycopg://user@host:port/postgres``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import requests  # noqa: E402
import serving  # noqa: E402  (benchmarks/serving.py: database, accounts, server, log-in)
from sqlalchemy.engine import make_url  # noqa: E402

from workbench.config import Settings  # noqa: E402
from workbench.intake.splitting import split_sentences  # noqa: E402

P95_TARGET_S = 1.0
REQUEST_TIMEOUT_S = 120
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- The archive and the accounts ----------------------------------------------------------------


@dataclass
class Setup:
    tokens: list[str]
    importer: str
    claims: int
    sentences: list[str]


def prepare(url: str, claims: int, editors: int, seed: int) -> Setup:
    archive = serving.prefill_archive(url, claims, seed)
    made = serving.add_editors(url, [f"editor{n}" for n in range(editors)])
    serving.add_editors(url, ["importer"])  # logs in through the form; its token goes unused
    return Setup(
        tokens=list(made.values()),
        importer="importer",
        claims=archive.claims,
        sentences=archive.sentences,
    )


# --- Load ---------------------------------------------------------------------------------------


@dataclass
class Sample:
    started: float
    seconds: float
    kind: str
    error: str | None


@dataclass
class Load:
    base: str
    tokens: list[str]
    claims: int
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, index: int) -> None:
        rng = random.Random(index)
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.tokens[index]}"
        while not self.stop.is_set():
            claim_id = rng.randint(1, self.claims)
            if rng.random() < 0.9:
                if rng.random() < 0.5:
                    self.call(http, "read queue", "GET", "/api/claims?limit=20")
                else:
                    self.call(http, "read claim", "GET", f"/api/claims/{claim_id}")
                continue
            answer = self.call(http, "read claim", "GET", f"/api/claims/{claim_id}")
            if answer is None or answer.status_code != 200:
                continue
            version = answer.json()["version"]
            action = rng.choice(["take", "evidence", "verdict"])
            body: dict[str, object] = {"version": version}
            if action == "evidence":
                body |= {
                    "stance": rng.choice(["supports", "conflicts", "context"]),
                    "source": {"title": f"Source {rng.randint(1, 500)}", "kind": "web"},
                    "quote": "A quote.",
                }
            elif action == "verdict":
                body |= {"verdict": rng.choice(["supported", "refuted"]), "summary": "Checked."}
            self.call(http, f"write {action}", "POST", f"/api/claims/{claim_id}/{action}", body)

    def call(
        self, http: requests.Session, kind: str, method: str, path: str, body: object = None
    ) -> requests.Response | None:
        started = time.monotonic()
        answer = None
        error = None
        try:
            answer = http.request(method, self.base + path, json=body, timeout=REQUEST_TIMEOUT_S)
            if answer.status_code >= 500:
                error = f"HTTP {answer.status_code}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        with self.lock:
            self.samples.append(Sample(started, time.monotonic() - started, kind, error))
        return answer


@dataclass(frozen=True)
class Stats:
    requests: int
    errors: int
    p50: float
    p95: float
    slowest: float
    error_kinds: dict[str, int]

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Stats:
        times = sorted(s.seconds for s in samples) or [0.0]
        kinds: dict[str, int] = {}
        for sample in samples:
            if sample.error:
                key = f"{sample.kind}: {sample.error}"
                kinds[key] = kinds.get(key, 0) + 1
        return cls(
            requests=len(samples),
            errors=sum(kinds.values()),
            p50=statistics.median(times),
            p95=times[min(len(times) - 1, int(0.95 * len(times)))],
            slowest=times[-1],
            error_kinds=kinds,
        )


# --- The imports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    what: str
    started: float
    seconds: float
    status: int
    message: str


def post_article(http: requests.Session, base: str, what: str, **parts: object) -> Import:
    token = _CSRF.search(http.get(f"{base}/articles/new").text)
    assert token, "no CSRF token on the article form"
    started = time.monotonic()
    try:
        answer = http.post(
            f"{base}/articles/new",
            data={"csrf_token": token.group(1), **parts.get("data", {})},  # type: ignore[dict-item]
            files=parts.get("files"),  # type: ignore[arg-type]
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT_S,
        )
        status, text = answer.status_code, answer.text
    except requests.RequestException as exc:
        status, text = 0, type(exc).__name__
    seconds = time.monotonic() - started
    flashes = re.findall(r'<li class="flash \w+">(.*?)</li>', text, re.S)
    message = " ".join(flashes)[:200] or ("stored" if status == 302 else text[:200])
    return Import(what, started, seconds, status, message)


def biggest_article(sentences: list[str], count: int, rng: random.Random) -> str:
    """`count` archived sentences (each a repeat to match), in paragraphs of four."""
    chosen = rng.choices(sentences, k=count)
    return "\n\n".join(" ".join(chosen[i : i + 4]) for i in range(0, count, 4))


def biggest_jsonl(sentences: list[str], articles: int, total: int, rng: random.Random) -> bytes:
    each = total // articles
    lines = [
        json.dumps({"title": f"Wire story {n}", "text": biggest_article(sentences, each, rng)})
        for n in range(articles)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- Main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", default=None, help="a PostgreSQL server URL; default SQLite")
    parser.add_argument("--claims", type=int, default=20_000, help="claims in the archive")
    parser.add_argument("--editors", type=int, default=8, help="editors sending requests")
    parser.add_argument("--seconds", type=float, default=20.0, help="baseline: load alone")
    parser.add_argument("--server", choices=["gunicorn", "flask"], default="gunicorn")
    parser.add_argument("--server-workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20240601)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings()
    if args.server == "gunicorn" and not (Path(sys.executable).parent / "gunicorn").exists():
        raise SystemExit(
            "gunicorn is not installed here: pip install -e '.[test]' or --server flask"
        )
    rng = random.Random(args.seed)
    with serving.fresh_database(args.database) as url, tempfile.TemporaryDirectory() as instance:
        backend = make_url(url).get_backend_name()
        print(f"Database: {backend}; pre-filling {args.claims:,} claims ...", flush=True)
        setup = prepare(url, args.claims, args.editors, args.seed)
        # Exactly the limit: only pool sentences the splitter keeps whole.
        single = [s for s in setup.sentences if len(split_sentences(s)) == 1]
        article = biggest_article(single, settings.max_request_sentences, rng)
        upload = biggest_jsonl(
            single, settings.max_request_articles, settings.max_request_sentences, rng
        )
        print(
            f"Imports: one article of {settings.max_request_sentences:,} sentences "
            f"({len(article.encode()):,} bytes); a JSON Lines file of "
            f"{settings.max_request_articles:,} articles, {settings.max_request_sentences:,} "
            f"sentences together ({len(upload):,} bytes)",
            flush=True,
        )
        server = (
            f"{args.server} ({args.server_workers} workers)"
            if args.server == "gunicorn"
            else "flask"
        )
        with serving.running_server(
            url, args.server, Path(instance), workers=args.server_workers
        ) as running:
            base = running.base
            load = Load(base, setup.tokens, setup.claims)
            threads = [
                threading.Thread(target=load.run, args=(n,), daemon=True)
                for n in range(args.editors)
            ]
            for thread in threads:
                thread.start()
            print(f"Load: {args.editors} editors against {server}; alone for {args.seconds:.0f} s")
            quiet_from = time.monotonic()
            time.sleep(args.seconds)
            quiet_until = time.monotonic()
            importer = serving.log_in(base, setup.importer)
            imports = [
                post_article(importer, base, "biggest article", data={"text": article}),
                post_article(
                    importer,
                    base,
                    "biggest JSON Lines file",
                    files={"file": ("wire.jsonl", upload, "application/x-ndjson")},
                ),
            ]
            busy_until = time.monotonic()
            load.stop.set()
            for thread in threads:
                thread.join(timeout=REQUEST_TIMEOUT_S)
    alone = Stats.of([s for s in load.samples if quiet_from <= s.started < quiet_until])
    during = {
        done.what: Stats.of(
            [s for s in load.samples if done.started <= s.started < done.started + done.seconds]
        )
        for done in imports
    }
    during["both imports"] = Stats.of(
        [s for s in load.samples if quiet_until <= s.started < busy_until]
    )
    report(backend, server, args, alone, during, imports)
    passed = all(s.errors == 0 and s.p95 < P95_TARGET_S for s in during.values()) and all(
        done.status == 302 for done in imports
    )
    print(f"\nResult on {backend}: {'PASS' if passed else 'FAIL'}.")
    return 0 if passed else 1


def report(
    backend: str,
    server: str,
    args: argparse.Namespace,
    alone: Stats,
    during: dict[str, Stats],
    imports: list[Import],
) -> None:
    print(f"\n=== Other editors during the biggest imports: {backend}, {server} ===\n")
    rows = [("load alone (baseline, same run)", alone), *during.items()]
    print(f"{'while':<34} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, stats in rows:
        print(
            f"{name:<34} {stats.requests:>8,} {stats.errors:>6} {1000 * stats.p50:>8.0f} "
            f"{1000 * stats.p95:>8.0f} {1000 * stats.slowest:>8.0f}"
        )
        for kind, count in sorted(stats.error_kinds.items()):
            print(f"{'':<36}{count} x {kind}")
    both = during["both imports"]
    print(
        f"\np95 during the imports / alone (same run): {both.p95 / max(alone.p95, 1e-9):.1f}x; "
        f"target: 0 errors and p95 < {P95_TARGET_S * 1000:.0f} ms"
    )
    print("\nThe imports (through the web form, one after the other):")
    for done in imports:
        print(f"  {done.what}: HTTP {done.status} in {done.seconds:.1f} s — {done.message}")


if __name__ == "__main__":
    sys.exit(main())
