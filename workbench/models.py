"""The newsroom's records: articles, the claims split from them, sources, evidence, verdicts.

Enums are stored as their lowercase values in plain VARCHAR columns with a CHECK constraint, so the
same schema works on SQLite and PostgreSQL and a new value is a migration, not a type change.
Times are timezone-aware UTC; SQLModel's UTCDateTime stores them as UTC on SQLite (which has no
time zones) and as timestamptz on PostgreSQL, and refuses a naive value instead of guessing.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Stable constraint names, so migrations can name what they drop or alter on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The one kind of time the database holds: aware, in UTC."""
    return datetime.now(UTC)


def _user_ref() -> Any:
    """A nullable link to the person who did something; their records outlive their account."""
    return Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")


def _enum_column(
    enum: type[StrEnum], *, nullable: bool, default: StrEnum | None = None
) -> sa.Column:
    return sa.Column(
        sa.Enum(
            enum,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda members: [m.value for m in members],
            name=enum.__name__.lower(),
        ),
        nullable=nullable,
        default=default,
    )


class Role(StrEnum):
    """What an account may do. Each role may do everything the ones below it may (viewers read,
    editors also review, admins also manage), so roles compare by that order:
    `user.role >= Role.EDITOR`. Comparing a role with anything but a role is a TypeError: a plain
    string would otherwise compare in alphabetical order, and "admin" < "viewer"."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        """1 for a viewer, 2 for an editor, 3 for an admin."""
        return (Role.VIEWER, Role.EDITOR, Role.ADMIN).index(self) + 1

    def __lt__(self, other: object) -> bool:
        return self.rank < _rank_of(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= _rank_of(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > _rank_of(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= _rank_of(other)


def _rank_of(other: object) -> int:
    if not isinstance(other, Role):
        raise TypeError(f"A role compares only with a role, not with {other!r}.")
    return other.rank


class ClaimStatus(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    VERDICT = "verdict"
    DISMISSED = "dismissed"  # set aside: not a claim, an opinion, not checkable, out of scope
    RESOLVED = "resolved"  # a confirmed repeat: it carries its canonical claim's verdict


# The statuses of claims that still wait for someone: the open queue.
OPEN_STATUSES = (ClaimStatus.NEW, ClaimStatus.IN_REVIEW)


class DismissReason(StrEnum):
    """Why a claim was set aside. Stored as text, so that a reason can be added without a
    migration (the splitter's own reasons for sentences that are not claims, for one)."""

    NOT_A_CLAIM = "not_a_claim"
    OPINION = "opinion"
    NOT_CHECKABLE = "not_checkable"
    OUT_OF_SCOPE = "out_of_scope"


class VerdictState(StrEnum):
    """Where a verdict stands when the newsroom wants a second editor to sign verdicts off."""

    DRAFT = "draft"  # saved, awaiting a second editor's approval
    SENT_BACK = "sent_back"  # the second editor sent it back with a note
    APPROVED = "approved"  # published: exported, counted as checked, sent by webhooks


class Verdict(StrEnum):
    SUPPORTED = "supported"
    REFUTED = "refuted"
    MIXED = "mixed"
    UNVERIFIABLE = "unverifiable"


class Stance(StrEnum):
    SUPPORTS = "supports"
    CONFLICTS = "conflicts"
    CONTEXT = "context"


class SuggestionState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class SuggestionKind(StrEnum):
    DUPLICATE = "duplicate"  # the same claim, facts and all
    VARIANT = "variant"  # the same wording with a fact changed: a different claim


class AlertKind(StrEnum):
    PREVIOUSLY_CHECKED = "previously_checked"  # a new claim repeats one that has a verdict
    # A new claim copies a checked claim's wording with a fact changed: check it anew.
    VARIANT_OF_CHECKED = "variant_of_checked"
    BEING_CHECKED = "being_checked"  # a new claim repeats one an editor is checking
    VERDICT_REACHED = "verdict_reached"  # a claim now shows a verdict reached elsewhere


class AlertState(StrEnum):
    UNREAD = "unread"
    ACKNOWLEDGED = "acknowledged"
    DISMISSED = "dismissed"


class WebhookFormat(StrEnum):
    STANDARD = "standard"  # Standard Webhooks: JSON event, signed
    SLACK = "slack"  # {"text": ...} for Slack-compatible incoming webhooks (signed all the same)


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"
    DEAD = "dead"  # every attempt failed; an admin may retry it
    STOPPED = "stopped"  # the receiver said 410 Gone; its webhook is switched off


class TokenKind(StrEnum):
    API = "api"  # the JSON API (and the feed), with its user's role
    FEED = "feed"  # the Atom feed only, read-only: the kind that may travel in a feed URL


class User(SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, sa_column_kwargs={"unique": True}, nullable=False)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_column=_enum_column(Role, nullable=False, default=Role.VIEWER))
    is_active: bool = Field(default=True)
    # Bumped on log-out and password change: a session cookie carries the epoch it was issued
    # under, so a copied cookie stops working once the user logs out.
    session_epoch: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class Feed(SQLModel, table=True):
    """An outlet's RSS or Atom feed that the poller reads on its own schedule.

    `next_poll_at` is also the poller's lease: a poller moves it past the time a poll can take,
    compare-and-set, before it fetches, so two pollers never read the same feed at once. `etag`
    and `last_modified` are written only when a poll has imported everything it saw, so a poll
    killed half-way, or one that stopped at the entry cap, reads the whole feed again next time.
    """

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000, sa_column_kwargs={"unique": True}, nullable=False)
    title: str = Field(default="", max_length=500)
    every_minutes: int = Field(default=15)
    is_active: bool = Field(default=True)
    next_poll_at: datetime = Field(default_factory=utcnow, index=True)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    last_polled_at: datetime | None = Field(default=None)
    last_new_entry_at: datetime | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    errors_in_a_row: int = Field(default=0)
    entries_imported: int = Field(default=0)
    created_by_id: int | None = _user_ref()
    created_at: datetime = Field(default_factory=utcnow)


class FeedEntryState(StrEnum):
    IMPORTED = "imported"  # its article was stored
    DUPLICATE = "duplicate"  # its article was already in the archive (another feed, a paste)
    FAILED = "failed"  # its link could not be read: tried again on later polls, up to a limit


class FeedEntry(SQLModel, table=True):
    """An entry a feed has shown, recorded in the transaction that stores its article: the
    unique pair is what keeps two pollers, or a poller killed and restarted, from importing it
    twice."""

    __table_args__ = (sa.UniqueConstraint("feed_id", "key", name="uq_feedentry_feed_key"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", ondelete="CASCADE")
    key: str = Field(max_length=2000)  # the entry's GUID, else its link
    link: str | None = Field(default=None, max_length=2000)
    state: FeedEntryState = Field(
        sa_column=_enum_column(FeedEntryState, nullable=False, default=FeedEntryState.IMPORTED)
    )
    article_id: int | None = Field(
        default=None, foreign_key="article.id", ondelete="SET NULL", index=True
    )
    attempts: int = Field(default=1)
    last_error: str | None = Field(default=None, max_length=500)
    seen_at: datetime = Field(default_factory=utcnow)


class Article(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    # The canonical address when the page names one (rel=canonical, og:url): the same address is
    # not imported twice.
    url: str | None = Field(default=None, max_length=2000, index=True)
    outlet: str | None = Field(default=None, max_length=200, index=True)
    byline: str | None = Field(default=None, max_length=300)
    published_at: datetime | None = Field(default=None)
    feed_id: int | None = Field(
        default=None, foreign_key="feed.id", ondelete="SET NULL", index=True
    )
    body: str = Field(sa_type=sa.Text)
    # sha256 of the whitespace-normalised body: the same article twice is not imported twice.
    content_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    origin: str = Field(default="text", max_length=20)  # text, html, jsonl, link, feed, fixture
    ingested_at: datetime = Field(default_factory=utcnow)
    ingested_by_id: int | None = _user_ref()


class Cluster(SQLModel, table=True):
    """Claims confirmed to be the same claim; they share the canonical claim's verdict."""

    id: int | None = Field(default=None, primary_key=True)
    canonical_claim_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class Claim(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("article_id", "position", name="uq_claim_article_position"),
        # The review queue reads claims in priority order, filtered or not, and counts them per
        # status; each filter has an index that gives its claims already in that order, so a
        # page at a million claims reads 51 index entries (benchmarks/review_queue.py).
        sa.Index("ix_claim_priority", "priority", "id"),
        sa.Index("ix_claim_status_priority", "status", "priority", "id"),
        # Verdicts and assignees pick out few claims, sorted in memory: leaving priority out
        # of these two indexes spares ingest moving their entries whenever a repeat lifts it.
        sa.Index("ix_claim_verdict", "verdict"),
        sa.Index("ix_claim_assignee", "assignee_id"),
        sa.Index("ix_claim_status_assignee", "status", "assignee_id"),
        sa.Index("ix_claim_article_status", "article_id", "status"),
        sa.Index("ix_claim_claimant", "claimant"),
        # The dashboard (review/dashboard.py): claims in per day and the oldest open claims read
        # one status's claims in order of arrival; claims checked per day read approved verdicts
        # by day (only approved ones have approved_at, so the index holds only those).
        sa.Index("ix_claim_status_created", "status", "created_at"),
        sa.Index(
            "ix_claim_approved_at",
            "approved_at",
            sqlite_where=sa.text("approved_at IS NOT NULL"),
            postgresql_where=sa.text("approved_at IS NOT NULL"),
        ),
        sa.CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="span"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    position: int  # 0-based order of the sentence among the article's claims
    start_offset: int  # character offsets into Article.body, so the claim shows in context
    end_offset: int
    text: str = Field(sa_type=sa.Text)
    normalized_text: str = Field(sa_type=sa.Text)
    # A claim's own headline, as fact-check archives give one ("Does Video Show ...?"); claims
    # split from news articles have none (the article's headline is about the whole article).
    title: str | None = Field(default=None, sa_type=sa.Text)
    normalized_title: str | None = Field(default=None, sa_type=sa.Text)
    check_worthiness: float = Field(default=0.0)
    # Other claims the matcher says repeat this one (pending or confirmed suggestions, either
    # side): a claim many outlets carry is worth checking sooner.
    repeat_count: int = Field(default=0)
    # The queue's order, kept as a column so it can be indexed: see review.priority().
    priority: float = Field(default=0.0)
    status: ClaimStatus = Field(
        sa_column=_enum_column(ClaimStatus, nullable=False, default=ClaimStatus.NEW)
    )
    verdict: Verdict | None = Field(default=None, sa_column=_enum_column(Verdict, nullable=True))
    verdict_summary: str | None = Field(default=None, sa_type=sa.Text)
    verdict_state: VerdictState | None = Field(
        default=None, sa_column=_enum_column(VerdictState, nullable=True)
    )
    verdict_by_id: int | None = _user_ref()
    verdict_at: datetime | None = Field(default=None)
    # Who approved the verdict and when: the review's publication date.
    approved_by_id: int | None = _user_ref()
    approved_at: datetime | None = Field(default=None)
    sign_off_note: str | None = Field(default=None, sa_type=sa.Text)  # why it was sent back
    dismiss_reason: str | None = Field(default=None, max_length=40)  # a DismissReason
    # The status a claim had before it was dismissed or resolved as a repeat: undo restores it.
    status_before: str | None = Field(default=None, max_length=20)
    # Who made the claim (a person or organisation), as the sentence attributes it.
    claimant: str | None = Field(default=None, max_length=200)
    # The sentence as it was split, once an editor has corrected the claim's text.
    original_text: str | None = Field(default=None, sa_type=sa.Text)
    external_id: str | None = Field(default=None, max_length=200, sa_column_kwargs={"unique": True})
    assignee_id: int | None = _user_ref()
    assigned_at: datetime | None = Field(default=None)
    cluster_id: int | None = Field(
        default=None, foreign_key="cluster.id", ondelete="SET NULL", index=True
    )
    # Optimistic locking: a save names the version it was made from; a stale one is refused.
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = _user_ref()


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str | None = Field(default=None, max_length=2000, sa_column_kwargs={"unique": True})
    title: str = Field(max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    kind: str = Field(default="web", max_length=40)  # web, document, dataset, interview, ...
    archived_url: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = _user_ref()


class Evidence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", ondelete="CASCADE", index=True)
    source_id: int = Field(foreign_key="source.id", ondelete="RESTRICT", index=True)
    stance: Stance = Field(sa_column=_enum_column(Stance, nullable=False))
    quote: str | None = Field(default=None, sa_type=sa.Text)
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_by_id: int | None = _user_ref()
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DuplicateSuggestion(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("claim_id", "candidate_id", name="uq_suggestion_pair"),
        sa.CheckConstraint("claim_id <> candidate_id", name="not_self"),
        # The dashboard's repeats found this week.
        sa.Index("ix_duplicatesuggestion_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Looked up by claim through uq_suggestion_pair, whose first column it is.
    claim_id: int = Field(foreign_key="claim.id", ondelete="CASCADE")
    candidate_id: int = Field(foreign_key="claim.id", ondelete="CASCADE", index=True)
    score: float
    method: str = Field(max_length=40)
    kind: SuggestionKind = Field(
        sa_column=_enum_column(SuggestionKind, nullable=False, default=SuggestionKind.DUPLICATE)
    )
    state: SuggestionState = Field(
        sa_column=_enum_column(SuggestionState, nullable=False, default=SuggestionState.PENDING)
    )
    created_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = _user_ref()
    decided_at: datetime | None = Field(default=None)


class Alert(SQLModel, table=True):
    """An editor should know that a claim repeats one already checked or being checked.

    `match_key` names what the claim matched: `cluster:<id>` when the matched claims are in a
    cluster, `claim:<id>` otherwise, `verdict:<claim id>:v<version>` for a verdict reached. The
    unique constraint on (claim_id, match_key) is what makes an alert never come twice.
    """

    __table_args__ = (
        sa.UniqueConstraint("claim_id", "match_key", name="uq_alert_claim_match"),
        sa.Index("ix_alert_state_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: AlertKind = Field(sa_column=_enum_column(AlertKind, nullable=False))
    claim_id: int = Field(foreign_key="claim.id", ondelete="CASCADE", index=True)
    # The claim it repeats (the best-scoring one of a cluster), or the claim that got a verdict.
    matched_claim_id: int = Field(foreign_key="claim.id", ondelete="CASCADE", index=True)
    match_key: str = Field(max_length=60)
    score: float | None = Field(default=None)  # the duplicate score, when a suggestion made it
    # The verdict the claim now shows (or was found checked with), as it was when raised.
    verdict: Verdict | None = Field(default=None, sa_column=_enum_column(Verdict, nullable=True))
    note: str | None = Field(default=None, sa_type=sa.Text)
    state: AlertState = Field(
        sa_column=_enum_column(AlertState, nullable=False, default=AlertState.UNREAD)
    )
    created_at: datetime = Field(default_factory=utcnow)
    handled_by_id: int | None = _user_ref()
    handled_at: datetime | None = Field(default=None)


class Webhook(SQLModel, table=True):
    """A receiver that every new alert is POSTed to, signed with its secret."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    # Kept as given (whsec_<base64>): signing needs the secret itself, so it cannot be hashed.
    secret: str = Field(max_length=200)
    format: WebhookFormat = Field(
        sa_column=_enum_column(WebhookFormat, nullable=False, default=WebhookFormat.STANDARD)
    )
    is_active: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=500)
    created_by_id: int | None = _user_ref()
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The durable outbox: one row per alert and webhook, written with the alert.

    `message_id` is the webhook-id header; it is the same on every attempt so that receivers can
    drop repeats (a worker killed after sending but before recording sends again).
    """

    __table_args__ = (
        sa.UniqueConstraint("alert_id", "webhook_id", name="uq_delivery_alert_webhook"),
        sa.Index("ix_delivery_state_next_attempt_at", "state", "next_attempt_at"),
        sa.Index("ix_delivery_webhook_state_id", "webhook_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", ondelete="CASCADE", index=True)
    webhook_id: int = Field(foreign_key="webhook.id", ondelete="CASCADE")
    message_id: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    state: DeliveryState = Field(
        sa_column=_enum_column(DeliveryState, nullable=False, default=DeliveryState.PENDING)
    )
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_status: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class NewsroomSetting(SQLModel, table=True):
    """A setting an admin switches on a page rather than in the environment (sign-off), kept
    in the database so every server process sees the same value."""

    __tablename__ = "newsroom_setting"

    key: str = Field(primary_key=True, max_length=50)
    value: str = Field(max_length=200)
    updated_by_id: int | None = _user_ref()
    updated_at: datetime = Field(default_factory=utcnow)


class Alias(SQLModel, table=True):
    """One way of writing a name, and the name matching should read it as."""

    id: int | None = Field(default=None, primary_key=True)
    phrase: str = Field(max_length=200, sa_column_kwargs={"unique": True}, nullable=False)
    canonical: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Synonym(SQLModel, table=True):
    """A word or phrase, and the word matching reads it as ("vowed" -> "promised")."""

    id: int | None = Field(default=None, primary_key=True)
    phrase: str = Field(max_length=200, sa_column_kwargs={"unique": True}, nullable=False)
    canonical: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class LoginThrottle(SQLModel, table=True):
    """Failed log-ins per user name and per client address, so guessing slows down.

    Kept in the database rather than in memory so that every server worker sees the same count.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=300)  # "user:alice" or "ip:192.0.2.1"
    failures: int = Field(default=0)
    last_failure_at: datetime = Field(default_factory=utcnow)


class WorkerHeartbeat(SQLModel, table=True):
    """When each `flask worker` process last said it was alive; in the database, so /readyz in
    any server process can tell whether the background work (alerts, feeds) is running."""

    __tablename__ = "worker_heartbeat"

    name: str = Field(primary_key=True, max_length=200)  # "host:pid"
    beat_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A personal access token: for the JSON API, acting with its user's role, or (kind `feed`)
    for reading the alert feed only.

    Only a SHA-256 of the token is stored (tokens are 256 random bits, so a slow hash adds
    nothing); the token itself is shown once, when it is made.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    prefix: str = Field(max_length=16)  # the first characters, so a person can tell tokens apart
    kind: TokenKind = Field(
        sa_column=_enum_column(TokenKind, nullable=False, default=TokenKind.API)
    )
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)


class AuditEvent(SQLModel, table=True):
    """Append-only history: the app writes these and never updates or deletes them."""

    __table_args__ = (sa.Index("ix_auditevent_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = _user_ref()
    action: str = Field(max_length=60)
    entity_type: str = Field(max_length=40)
    entity_id: int
    before: dict | None = Field(default=None, sa_type=sa.JSON)
    after: dict | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)
