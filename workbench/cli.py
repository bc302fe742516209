"""`flask --app app ...` commands: thin wrappers that parse arguments and call domain functions."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from workbench import export, serving
from workbench.accounts import tokens, users
from workbench.alerts.delivery import DeliveryConfig, deliver_once
from workbench.alerts.delivery import run as run_deliveries
from workbench.config import Settings
from workbench.db import get_engine, migrate, read_session, write_session
from workbench.intake import feeds
from workbench.intake.archive import import_archive, parse_archive
from workbench.intake.batch import BatchReport, ingest_batch
from workbench.intake.claim_spotting import judge_sentence
from workbench.intake.demo import DemoReport, read_demo
from workbench.intake.demo import load_demo as load_demo_newsroom
from workbench.intake.errors import DuplicateArticle, IngestError
from workbench.intake.links import Reach, is_link, read_link
from workbench.intake.reading import ARTICLE_SUFFIXES, ArticleInput, parse_date, read_article_file
from workbench.intake.splitting import Sentence
from workbench.intake.storing import find_by_address
from workbench.matching.aliases import claim_count, load_aliases, renormalize
from workbench.matching.similar import find_similar
from workbench.models import ClaimStatus, Role, Verdict
from workbench.net.egress import Allowance, judge, printable
from workbench.ops import backup as backups
from workbench.ops.heartbeat import keep_beating
from workbench.review.filter_args import FilterError, filters_from_args
from workbench.review.newsroom import sign_off_required
from workbench.review.queue import count_claims

Reader = Callable[[int], bytes]

users_cli = AppGroup("users", help="Manage accounts.")
claims_cli = AppGroup("claims", help="Load an archive of checked claims and search it.")
alerts_cli = AppGroup("alerts", help="Send duplicate-claim alerts to webhooks.")
egress_cli = AppGroup(
    "egress", help="The policy for addresses the server calls (webhooks, links, feeds)."
)
feeds_cli = AppGroup("feeds", help="Monitored RSS and Atom feeds.")


def init_app(app: Flask) -> None:
    for command in (init_db, setup, ingest, load_demo, export_claims, worker, serve):
        app.cli.add_command(command)
    for command in (backup_database, restore_database):
        app.cli.add_command(command)
    app.cli.add_command(users_cli)
    app.cli.add_command(claims_cli)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(egress_cli)
    app.cli.add_command(feeds_cli)


def _settings() -> Settings:
    return current_app.config["WORKBENCH_SETTINGS"]


def _err(message: str) -> None:
    click.echo(message, err=True)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    migrate(get_engine())
    click.echo("The database schema is up to date.")


@click.command("setup")
@with_appcontext
@click.option("--demo/--no-demo", default=True, help="Load the demo newsroom in fixtures/demo/.")
def setup(demo: bool) -> None:
    """First-run set-up: schema, an admin account, the demo newsroom. Safe to run again."""
    migrate(get_engine())
    password = _ensure_admin()
    try:
        if demo:
            click.echo(f"Demo newsroom: {_load_demo().summary()}")
    finally:
        # Shown even when the demo fails to load: the password is shown only this once.
        _show_admin(password)


@click.command("load-demo")
@with_appcontext
def load_demo() -> None:
    """Load the demo newsroom in fixtures/demo/ (articles, checks, a confirmed repeat, alerts);
    what is already in is skipped, and its editorial work is done only once."""
    # The demo's own accounts would otherwise count as the "existing users" that stop setup
    # from ever creating the first admin.
    password = _ensure_admin()
    try:
        click.echo(_load_demo().summary())
    finally:
        if password:
            _show_admin(password)


def _ensure_admin() -> str | None:
    with write_session(get_engine()) as session:
        password = users.ensure_admin(session)
        session.commit()
    return password


def _show_admin(password: str | None) -> None:
    if password:
        click.echo(
            f"\nCreated the first account.\n  user name: admin\n  password:  {password}\n"
            "Keep this password: it is shown only once."
        )
    else:
        click.echo(
            "\nLog in with your account (the first admin is 'admin'; reset a password with "
            "`flask --app app users set-password NAME`)."
        )


def _load_demo() -> DemoReport:
    settings = _settings()
    try:
        newsroom = read_demo(settings.demo_fixtures, settings.max_upload_bytes)
        with write_session(get_engine()) as session:
            sign_off = sign_off_required(session, settings.sign_off)
            report = load_demo_newsroom(session, newsroom, sign_off=sign_off)
    except IngestError as exc:
        raise click.ClickException(str(exc)) from exc
    for refusal in report.articles.refused:
        _err(refusal)
    return report


@click.command("ingest")
@with_appcontext
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=min(2, os.cpu_count() or 1),
    show_default=True,
    help="Processes that split articles and search for their duplicates while this one "
    "stores them (1: all in this process).",
)
def ingest(paths: tuple[str, ...], workers: int) -> None:
    """Import articles from files, folders (searched for .txt .md .html .jsonl), - for stdin, or
    http(s) addresses of article pages (fetched through the outbound address policy).

    An article that fails undoes only itself, and an interrupted import can simply be run again,
    since articles already in the archive are skipped.
    """
    limit = _settings().max_upload_bytes
    report = BatchReport()
    links = [path for path in paths if is_link(path)]
    sources = list(_expand([path for path in paths if not is_link(path)], limit))
    if not sources and not links:
        raise click.UsageError("No article files found in the given paths.")
    articles = _read_sources(sources, limit, report) + _read_links(links, report)
    with write_session(get_engine()) as session:
        if len(articles) > 1:
            bar = click.progressbar(
                length=len(articles), label="Importing", file=sys.stderr, show_pos=True
            )
            with bar:
                ingest_batch(session, articles, report, workers=workers, progress=bar.update)
        else:
            ingest_batch(session, articles, report)
    for duplicate in report.duplicates:
        _err(str(duplicate))
    for refusal in report.refused:
        _err(refusal)
    click.echo(report.summary())
    if report.refused:
        sys.exit(1)


def _read_sources(
    sources: list[tuple[str, Reader]], limit: int, report: BatchReport
) -> list[ArticleInput]:
    """Every article of every file; a file that cannot be read is noted and skipped."""
    articles: list[ArticleInput] = []
    for name, read in sources:
        try:
            articles.extend(read_article_file(name, read(limit), limit))
        except IngestError as exc:
            report.refused.append(str(exc))
    return articles


def _read_links(links: list[str], report: BatchReport) -> list[ArticleInput]:
    """The article behind each link; one already in the archive under its address is not
    fetched again, and one that cannot be read is noted and skipped."""
    articles: list[ArticleInput] = []
    reach = Reach.from_settings(_settings())
    with read_session(get_engine()) as session:
        for link in links:
            existing = find_by_address(session, link.strip())
            if existing is not None:
                report.duplicates.append(DuplicateArticle(existing, "address"))
                continue
            _err(f"Fetching {printable(link)}")
            try:
                articles.append(read_link(link, reach))
            except IngestError as exc:
                report.refused.append(str(exc))
    return articles


def _expand(paths: list[str], limit: int) -> Iterator[tuple[str, Reader]]:
    """(name, reader) pairs; a reader reads at most one byte past the limit, so size is checked
    without loading a huge file into memory."""
    for raw in paths:
        if raw == "-":
            data = sys.stdin.buffer.read(limit + 1)
            head = data.lstrip()[:1]
            suffix = {b"{": ".jsonl", b"<": ".html"}.get(head, ".txt")
            yield f"stdin{suffix}", lambda _limit, data=data: data
            continue
        path = Path(raw)
        if path.is_dir():
            for found in sorted(_article_files(path)):
                yield str(found), _file_reader(found)
        elif path.is_file():
            yield str(path), _file_reader(path)
        else:
            raise click.BadParameter(f"{raw}: no such file or folder.", param_hint="PATHS")


def _article_files(folder: Path) -> Iterator[Path]:
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES:
            yield path


def _file_reader(path: Path) -> Reader:
    def read(limit: int) -> bytes:
        with path.open("rb") as handle:
            return handle.read(limit + 1)

    return read


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.EDITOR.value)
@click.password_option()
def create_user(username: str, role: str, password: str) -> None:
    """Create an account."""
    with write_session(get_engine()) as session:
        try:
            users.create_user(session, username, password, Role(role))
        except users.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
    click.echo(f"Created {role} {username!r}.")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option()
def set_password(username: str, password: str) -> None:
    """Set a new password; the user's open sessions end and their API and feed tokens are
    revoked."""
    with write_session(get_engine()) as session:
        try:
            user = users.find_user(session, username)
            revoked = users.set_password(session, user, password)
        except users.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
    click.echo(f"Password changed for {username!r}; {revoked} token(s) revoked.")


def _switch_user(username: str, active: bool) -> None:
    with write_session(get_engine()) as session:
        try:
            user = users.find_user(session, username)
            changed = users.set_active(session, None, user, active)
        except users.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
    state = "enabled" if active else "disabled"
    click.echo(f"{username!r} is {state}." if changed else f"{username!r} was already {state}.")


@users_cli.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable an account: its sessions end at once and its tokens stop working."""
    _switch_user(username, False)


@users_cli.command("enable")
@click.argument("username")
def enable_user(username: str) -> None:
    """Let a disabled account log in again."""
    _switch_user(username, True)


@users_cli.command("revoke-tokens")
@click.argument("username")
def revoke_user_tokens(username: str) -> None:
    """Revoke every API and feed token the user has made."""
    with write_session(get_engine()) as session:
        try:
            user = users.find_user(session, username)
        except users.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        revoked = tokens.revoke_all(session, None, user.id)  # type: ignore[arg-type]
        session.commit()
    click.echo(f"Revoked {revoked} token(s) of {username!r}.")


@claims_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def import_claims(file: IO[str]) -> None:
    """Load checked claims from JSON Lines: {"id", "text", "title"?, "verdict"?, "url"?, "date"?}.

    Nothing is stored if any line is bad (every bad line is listed); claims whose id is already in
    the archive are skipped, so the same file can be imported again.
    """
    try:
        archived = parse_archive(file, file.name)
    except IngestError as exc:
        raise click.ClickException(str(exc)) from exc
    with write_session(get_engine()) as session:
        bar = click.progressbar(length=len(archived), label="Importing", file=sys.stderr)
        with bar:
            report = import_archive(session, archived, progress=bar.update)
    click.echo(report.summary())


@claims_cli.command("similar")
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8-sig"), default="-")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
def similar_claims(input_file: IO[str], limit: int) -> None:
    """For each {"id", "text", "date"?} line, print {"query_id", "results": [{"claim_id",
    "score", "duplicate_score", "duplicate", "kind", "changed"}]}, best first, as the API reports
    them; claim_id is the claim's external id when it has one. "date" (ISO) is when the text was
    published; a post's signature line gives it too."""
    engine = get_engine()
    with read_session(engine) as session:
        aliases = load_aliases(session)
        for number, line in enumerate(input_file, start=1):
            if not line.strip():
                continue
            query = _text_line(number, line)
            query_id, text = query["id"], query["text"]
            published = query.get("date")
            when = parse_date(published) if isinstance(published, str) else None
            if published is not None and when is None:
                raise click.ClickException(
                    f'line {number}: "date" must be an ISO date such as 2020-05-03.'
                )
            found = find_similar(
                session, text, limit, aliases=aliases, when=when.date() if when else None
            )
            results = [
                {
                    "claim_id": hit.claim.external_id or hit.claim.id,
                    **hit.score_fields(),
                }
                for hit in found
            ]
            click.echo(json.dumps({"query_id": query_id, "results": results}))
            session.rollback()  # end the read transaction so long runs do not pin old snapshots


@claims_cli.command("worthiness")
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8-sig"), default="-")
def worthiness_of_sentences(input_file: IO[str]) -> None:
    """For each {"id", "text"} line, print {"id", "score", "claim", "reason"}: the check-worthiness
    ingest gives the sentence (0-1), whether ingest makes it an open claim, and if not why (it
    would start dismissed). A bad line is reported on stderr with its number and the rest go on;
    the exit status is then 1."""
    bad = 0
    for number, line in enumerate(input_file, start=1):
        if not line.strip():
            continue
        try:
            query = _text_line(number, line)
        except click.ClickException as exc:
            _err(f"Error: {exc.message}")
            bad += 1
            continue
        text = query["text"].strip()
        judged = judge_sentence(Sentence(text, 0, len(text)))
        reason = judged.skip_reason
        click.echo(
            json.dumps(
                {
                    "id": query["id"],
                    "score": judged.check_worthiness,
                    "claim": reason is None,
                    "reason": reason,
                }
            )
        )
    if bad:
        raise click.ClickException(f"{bad} line(s) could not be read (see above).")


def _text_line(number: int, line: str) -> dict[str, Any]:
    """One JSON Lines record with an "id" and a string "text", or a message naming the line."""
    try:
        query = json.loads(line)
        if not isinstance(query, dict) or "id" not in query or not isinstance(query["text"], str):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError):
        raise click.ClickException(
            f'line {number}: expected a JSON object with "id" and "text".'
        ) from None
    return query


@claims_cli.command("renormalize")
def renormalize_claims() -> None:
    """Recompute every claim's matching key with the current aliases (after editing them)."""
    with write_session(get_engine()) as session:
        total = claim_count(session)
        bar = click.progressbar(length=total, label="Re-applying aliases", file=sys.stderr)
        with bar:
            changed = renormalize(session, progress=bar.update)
    click.echo(f"{changed} of {total} claim(s) now match differently.")


@alerts_cli.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
def deliver_alerts(once: bool) -> None:
    """Send pending webhook deliveries, retrying with back-off; runs until stopped (SIGTERM or
    Ctrl-C finish the message being sent first). Killing it loses nothing: the outbox keeps
    every delivery until it is delivered or dead."""
    config = DeliveryConfig.from_settings(_settings())
    engine = get_engine()
    if once:
        click.echo(f"Deliveries: {deliver_once(engine, config).summary()}.")
        return
    stop = _stop_on_signals()
    click.echo("Delivering alerts to webhooks (Ctrl-C stops).", err=True)
    run_deliveries(
        engine,
        config,
        stop,
        on_pass=lambda report: _err(f"Deliveries: {report.summary()}."),
        on_error=_err,
    )


@egress_cli.command("check")
@click.argument("urls", nargs=-1, required=True)
def egress_check(urls: tuple[str, ...]) -> None:
    """For each address print `allowed` or `refused` and why: an admin's answer to "why is my
    webhook refused?". The same policy and allow-list (WORKBENCH_EGRESS_ALLOW) as every send;
    exits 1 when any address is refused."""
    allow = Allowance.parse(_settings().egress_allow)
    refused = 0
    for url in urls:
        verdict = judge(url, allow)
        refused += not verdict.allowed
        word = "allowed" if verdict.allowed else "refused"
        click.echo(f"{word}\t{printable(url)}\t{printable(verdict.reason)}")
    if refused:
        sys.exit(1)


@click.command("export")
@with_appcontext
@click.option(
    "--format",
    "format_name",
    type=click.Choice(list(export.FORMATS)),
    default="csv",
    show_default=True,
)
@click.option("--status", type=click.Choice([s.value for s in ClaimStatus]))
@click.option("--verdict", type=click.Choice([v.value for v in Verdict]))
@click.option("--outlet", help="Only claims from articles of this outlet (exact name).")
@click.option("--claimant", help="Only claims made by this person or organisation (exact name).")
@click.option("--cluster", "cluster_id", help="Only claims in this cluster (its id).")
@click.option("--feed", "feed_id", help="Only claims of articles from this feed (its id).")
@click.option("--ingested-from", help="Claims ingested on or after this date or time (UTC).")
@click.option("--ingested-until", help="Claims ingested before this date or time (UTC).")
@click.option("--changed-from", help="Claims last changed on or after this date or time (UTC).")
@click.option("--changed-until", help="Claims last changed before this date or time (UTC).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: stdout).",
)
def export_claims(format_name: str, output: str | None, **filter_values: str | None) -> None:
    """Export claims as CSV, JSON Lines or schema.org ClaimReview (JSON-LD), filtered like the
    queue. Streams: memory stays flat however many claims there are."""
    try:
        filters = filters_from_args({k: v for k, v in filter_values.items() if v is not None})
    except FilterError as exc:
        raise click.BadParameter(str(exc)) from exc
    publisher = export.Publisher.from_settings(_settings())
    if format_name == "claimreview" and (why := publisher.refusal()) is not None:
        raise click.ClickException(why)  # before a file is made
    with read_session(get_engine()) as session:
        if output is None:
            for chunk in export.export(session, format_name, filters, publisher):
                click.echo(chunk, nl=False)
            return
        total = count_claims(session, filters, cap=sys.maxsize - 1)
        # newline="" keeps the CSV's own CRLF line ends as they are.
        with (
            open(output, "w", encoding="utf-8", newline="") as handle,
            click.progressbar(length=total, label="Reading claims", file=sys.stderr) as bar,
        ):
            for chunk in export.export(
                session, format_name, filters, publisher, progress=bar.update
            ):
                handle.write(chunk)
    click.echo(f"Wrote {output} from {total} matching claim(s).", err=True)


def _poll_config(settings: Settings) -> feeds.PollConfig:
    return feeds.PollConfig(
        reach=Reach.from_settings(settings), max_entries=max(1, settings.feed_max_entries)
    )


@feeds_cli.command("add")
@click.argument("url")
@click.option(
    "--every",
    "every",
    type=int,
    default=None,
    help="Minutes between polls (default: WORKBENCH_FEED_EVERY_MINUTES, 15).",
)
def add_feed(url: str, every: int | None) -> None:
    """Monitor an RSS or Atom feed; it is polled at once by the worker, then on its schedule."""
    minutes = every if every is not None else _settings().feed_every_minutes
    with write_session(get_engine()) as session:
        try:
            feed, warning = feeds.subscribe(
                session, url, every_minutes=minutes, reach=Reach.from_settings(_settings())
            )
        except (feeds.FeedError, feeds.FeedExists) as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
    if warning:
        _err(f"Warning: {warning}")
    click.echo(f"Monitoring feed #{feed.id} {feed.url}, every {minutes} minute(s).")


@feeds_cli.command("list")
def list_feeds() -> None:
    """Every monitored feed and its health, one a line."""
    with read_session(get_engine()) as session:
        found = feeds.list_feeds(session)
    if not found:
        click.echo("No feeds are monitored. Add one with `flask --app app feeds add URL`.")
    for feed in found:
        polled = (
            feed.last_polled_at.isoformat(timespec="minutes") if feed.last_polled_at else "never"
        )
        error = f"  last error: {feed.last_error}" if feed.last_error else ""
        click.echo(
            f"#{feed.id}\t{printable(feed.url)}\tevery {feed.every_minutes} min\t"
            f"last poll {polled}\t{feed.entries_imported} imported{error}"
        )


@feeds_cli.command("remove")
@click.argument("feed")
def remove_feed(feed: str) -> None:
    """Stop monitoring a feed (by number or address); its articles stay."""
    with write_session(get_engine()) as session:
        try:
            gone = feeds.unsubscribe(session, feeds.find_feed(session, feed).id)  # type: ignore[arg-type]
        except feeds.FeedNotFound as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
    click.echo(f"No longer monitoring #{gone.id} {gone.url}; its articles stay in the archive.")


@feeds_cli.command("poll")
@click.option("--once", is_flag=True, help="Poll the feeds that are due now, then stop.")
def poll_feeds(once: bool) -> None:
    """Poll feeds as they fall due; runs until stopped. Killing it loses nothing and imports
    nothing twice: each entry is recorded with its article."""
    settings = _settings()
    config = _poll_config(settings)
    engine = get_engine()
    if once:
        for done in feeds.poll_due(engine, config):
            click.echo(done.summary())
            for message in done.messages:
                _err(f"  {message}")
        return
    stop = _stop_on_signals()
    click.echo("Polling feeds (Ctrl-C stops).", err=True)
    feeds.run(engine, config, stop, every_s=settings.feed_poll_s, on_poll=_said, on_error=_err)


def _said(done: feeds.FeedPoll) -> None:
    if done.error or done.new:
        _err(done.summary())


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@click.command("worker")
@with_appcontext
def worker() -> None:
    """The background work of a running workbench: webhook deliveries and feed polling, each in
    its own loop, until stopped (SIGTERM or Ctrl-C finish what is under way)."""
    settings = _settings()
    engine = get_engine()
    stop = _stop_on_signals()
    loops = [
        threading.Thread(
            target=run_deliveries,
            args=(engine, DeliveryConfig.from_settings(settings), stop),
            kwargs={
                "on_pass": lambda report: _err(f"Deliveries: {report.summary()}."),
                "on_error": _err,
            },
            name="deliveries",
        ),
        threading.Thread(
            target=feeds.run,
            args=(engine, _poll_config(settings), stop),
            kwargs={"every_s": settings.feed_poll_s, "on_poll": _said, "on_error": _err},
            name="feeds",
        ),
    ]
    # Written to the database for /readyz: alive only while both loops run.
    heartbeat = threading.Thread(
        target=keep_beating,
        args=(engine, stop),
        kwargs={
            "every_s": settings.heartbeat_s,
            "alive": lambda: all(loop.is_alive() for loop in loops),
            "on_error": _err,
        },
        name="heartbeat",
    )
    click.echo("Worker: delivering alerts to webhooks and polling feeds (Ctrl-C stops).", err=True)
    for loop in loops:
        loop.start()
    heartbeat.start()
    while any(loop.is_alive() for loop in loops):
        stop.wait(0.5)
    stop.set()  # the loops ended by themselves: stop the heartbeat too
    for loop in [*loops, heartbeat]:
        loop.join()


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
def backup_database(path: Path, force: bool) -> None:
    """Write a consistent copy of the database to PATH while the server keeps working: SQLite
    with its online backup API, PostgreSQL with pg_dump (custom format). PATH appears only once
    the whole backup is written and checked."""
    engine = get_engine()
    click.echo(f"Backing up {backups.describe(engine)} to {path}.", err=True)
    with _page_progress("Copying pages") as progress:
        try:
            written = backups.backup(engine, path, force=force, progress=progress)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {written.summary()}.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def restore_database(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH, after showing both and asking; then migrate
    the schema to this release's. The file is checked first: a wrong one changes nothing."""
    engine = get_engine()
    try:
        found = backups.inspect_backup(engine, path)
        current = backups.current_contents(engine)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"This replaces everything in {backups.describe(engine)}.\n"
        f"  now:         {current.summary()}\n"
        f"  the backup:  {found.summary()}"
    )
    if not yes:
        click.confirm("Replace the database with the backup?", abort=True)
    try:
        restored = backups.restore(engine, found)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {path}: the database now holds {restored.summary()}.")


@contextmanager
def _page_progress(label: str) -> Iterator[backups.Progress]:
    """A progress bar on stderr, drawn only for a copy of more than one step (a big database)."""
    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            if total <= backups.PAGES_PER_STEP:
                return
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@click.command("serve")
@with_appcontext
@click.option("--host", help="Address to listen on (default: HOST, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: PORT, else 5000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="gunicorn processes (default: WORKBENCH_SERVER_WORKERS, else sized from the cores).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    help="Threads per process (default: WORKBENCH_SERVER_THREADS, else 4).",
)
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None) -> None:
    """Serve the workbench for real: gunicorn, and the worker next to it, restarted if it dies.
    Ctrl-C or TERM finish the requests in flight, then stop both."""
    config = serving.ServeConfig.from_settings(
        _settings(), host=host, port=port, workers=workers, threads=threads
    )
    try:
        code = serving.serve(config, say=_err)
    except serving.ServeError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)
