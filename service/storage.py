"""Review-queue storage: SQLAlchemy 2 over SQLite (embedded default) or PostgreSQL.

Only PII-masked text is ever written. The audit log is append-only: the code
never updates or deletes its rows, and on PostgreSQL a trigger refuses it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from salur.model.decision import EMERGENCY
from salur.model.pipeline import HEADS
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    case,
    create_engine,
    delete,
    event,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool

PENDING = "pending"
AUTO_ROUTED = "auto_routed"
ACCEPTED = "accepted"
CORRECTED = "corrected"
NOT_AUTHORITY = "bukan_wewenang"
# Store.review's "leave the SP4N deadline as it was" (None is a real value: no deadline).
KEEP_DEADLINE = object()
REVIEWED = (ACCEPTED, CORRECTED, NOT_AUTHORITY)
# An admin decides an item once; a decided item is not decided again silently.
REVIEWABLE = (PENDING, AUTO_ROUTED)
URGENCY_ORDER = {"darurat": 0, "tinggi": 1, "sedang": 2, "rendah": 3}


class StorageUnavailable(RuntimeError):
    """The database cannot be reached or refused the write."""


class RequestIdConflict(ValueError):
    """A request id is already stored for a different complaint."""

    def __init__(self, request_ids: Sequence[str]) -> None:
        super().__init__(", ".join(request_ids))
        self.request_ids = list(request_ids)


class AlreadyReviewed(ValueError):
    """Another review decided the item first (or earlier)."""

    def __init__(self, record: ComplaintRecord) -> None:
        when = record.reviewed_at.isoformat(timespec="seconds") if record.reviewed_at else "?"
        super().__init__(
            f"complaint {record.id} was already reviewed ({record.status}) "
            f"by {record.reviewed_by} at {when}"
        )
        self.status = record.status


def now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite stores no offset and hands back naive values; those are UTC here
    because the service only ever writes UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class ComplaintRecord(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    external_id: Mapped[str | None] = mapped_column(String(128), index=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(32), index=True)
    title_masked: Mapped[str | None] = mapped_column(Text)
    text_masked: Mapped[str] = mapped_column(Text)
    # HMAC of the unmasked request (see security.content_digest): two complaints
    # that differ only in a masked name or NIK have the same masked text.
    content_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    model_version: Mapped[str] = mapped_column(String(80))
    predictions: Mapped[dict[str, Any]] = mapped_column(JSON)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    agency_confidence: Mapped[float] = mapped_column(Float)
    opd_name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64), index=True)
    urgency: Mapped[str] = mapped_column(String(16), index=True)
    urgency_rank: Mapped[int] = mapped_column(Integer, index=True)
    # The darurat probability reached the model's alert level (see model.decision).
    possible_emergency: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    report_type: Mapped[str] = mapped_column(String(64))
    deadline_working_days: Mapped[int | None] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16), index=True)
    decision_reasons: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    final_agency: Mapped[str | None] = mapped_column(String(64))
    final_category: Mapped[str | None] = mapped_column(String(64))
    final_urgency: Mapped[str | None] = mapped_column(String(16))
    final_report_type: Mapped[str | None] = mapped_column(String(64))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    admin: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class Admin(Base):
    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AdminSession(Base):
    __tablename__ = "admin_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# How long an admin session lives: the signed cookie's max age and the server's
# row alike; older rows are swept at each login.
ADMIN_SESSION_SECONDS = 8 * 3600


def _session_cutoff() -> datetime:
    """Sessions opened before this moment have expired."""
    return now() - timedelta(seconds=ADMIN_SESSION_SECONDS)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class QueueFilter:
    region: str | None = None
    agency: str | None = None
    category: str | None = None
    urgency: str | None = None
    channel: str | None = None
    # None: every status (the page's "semua").
    status: str | None = PENDING


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            # WAL lets readers and one writer work at once; FULL sync makes a
            # committed (answered) record survive a crash of the process or OS.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


# Any fixed number: every salur process asks PostgreSQL for the same lock.
MIGRATION_LOCK_ID = 7_258_103


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """One migrating process at a time per database.

    Every worker migrates at start-up; on a new database two workers raced
    (measured: one in about ten two-worker starts), the loser's start-up
    failed ("expected to match one row when updating '0002' to '0003'"), and
    the connections already waiting on its socket were reset. Waiting for the
    lock, the second finds the schema current and has nothing to do.
    """
    database_file = sqlite_file(url)
    if database_file is not None:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): one process per database there
            yield
            return
        lock_file = database_file.with_name(database_file.name + ".migrate-lock")
        with lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    if make_url(url).get_backend_name() != "postgresql":
        yield
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # Session-level: held until released or the connection closes.
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
            try:
                yield
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with migration_lock(url):
        command.upgrade(config, "head")


def _same_content(stored: tuple[str | None, str | None, str], sent: ComplaintRecord) -> bool:
    """Whether a stored row holds the complaint ``sent`` again (an intake retry)."""
    digest, title, text = stored
    if digest is not None and sent.content_digest is not None:
        return digest == sent.content_digest
    # A row from before digests were kept: its masked text is all there is.
    return (title, text) == (sent.title_masked, sent.text_masked)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        database_file = sqlite_file(url)
        if database_file is not None:
            database_file.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.schema_ready = False

    def ensure_schema(self) -> None:
        """Run migrations once; retried on later writes if the database was down."""
        if self.schema_ready:
            return
        try:
            migrate(self.url)
        except (SQLAlchemyError, OSError) as error:
            raise StorageUnavailable(f"database unreachable: {type(error).__name__}") from error
        self.schema_ready = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as error:
            raise StorageUnavailable(f"database error: {type(error).__name__}") from error

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return True
        except SQLAlchemyError:
            return False

    # -- writes from the classify endpoint -------------------------------------------------
    def save_complaints(self, records: Sequence[ComplaintRecord]) -> None:
        """All records in one transaction: either every answer is stored or none.

        Request ids are unique. A repeat of the same complaints under the same
        ids (an intake system retrying after a lost answer) is already stored
        and succeeds without a second copy, storing only what is new; the same
        id for a different complaint raises :class:`RequestIdConflict`.
        """
        self.ensure_schema()
        sent = {r.request_id: r for r in records}
        try:
            with self.session() as session:
                session.add_all(records)
        except StorageUnavailable as error:
            if not isinstance(error.__cause__, IntegrityError):
                raise
            stored = self._stored_contents(list(sent))
            if not stored:
                # Not a clash with an earlier request: nothing of it is stored.
                raise
            clashes = sorted(
                rid for rid, content in stored.items() if not _same_content(content, sent[rid])
            )
            if clashes:
                raise RequestIdConflict(clashes) from error
            # A retried batch whose bad items were fixed: the items stored the
            # first time stay as they are, the fixed ones are added.
            missing = [record for record in records if record.request_id not in stored]
            if missing:
                with self.session() as session:
                    session.add_all(missing)

    def _stored_contents(
        self, request_ids: list[str]
    ) -> dict[str, tuple[str | None, str | None, str]]:
        query = select(
            ComplaintRecord.request_id,
            ComplaintRecord.content_digest,
            ComplaintRecord.title_masked,
            ComplaintRecord.text_masked,
        ).where(ComplaintRecord.request_id.in_(request_ids))
        with self.session() as session:
            return {
                rid: (digest, title, text) for rid, digest, title, text in session.execute(query)
            }

    # -- the review queue ------------------------------------------------------------------
    def queue(self, flt: QueueFilter, limit: int = 50, offset: int = 0) -> list[ComplaintRecord]:
        query = self._filtered(select(ComplaintRecord), flt)
        query = query.order_by(ComplaintRecord.urgency_rank, ComplaintRecord.created_at)
        with self.session() as session:
            return list(session.scalars(query.limit(limit).offset(offset)))

    def count(self, flt: QueueFilter) -> int:
        query = self._filtered(select(func.count()).select_from(ComplaintRecord), flt)
        with self.session() as session:
            return int(session.scalar(query) or 0)

    @staticmethod
    def _filtered(query: Any, flt: QueueFilter) -> Any:
        if flt.status:
            query = query.where(ComplaintRecord.status == flt.status)
        for column, value in (
            (ComplaintRecord.region, flt.region),
            (ComplaintRecord.agency, flt.agency),
            (ComplaintRecord.category, flt.category),
            (ComplaintRecord.channel, flt.channel),
        ):
            if value:
                query = query.where(column == value)
        if flt.urgency == EMERGENCY:
            # "darurat" also finds the possible emergencies the model rated lower.
            query = query.where(
                or_(ComplaintRecord.urgency == EMERGENCY, ComplaintRecord.possible_emergency)
            )
        elif flt.urgency:
            query = query.where(ComplaintRecord.urgency == flt.urgency)
        return query

    def get(self, complaint_id: int) -> ComplaintRecord | None:
        with self.session() as session:
            return session.get(ComplaintRecord, complaint_id)

    def audit(self, complaint_id: int) -> list[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.complaint_id == complaint_id)
            .order_by(AuditEntry.id)
        )
        with self.session() as session:
            return list(session.scalars(query))

    def review(
        self,
        complaint_id: int,
        admin: str,
        action: str,
        changes: dict[str, str] | None = None,
        via: str = "",
        deadline_working_days: int | None | object = KEEP_DEADLINE,
    ) -> ComplaintRecord:
        """Accept, correct or mark 'bukan wewenang'; the action joins the audit log.

        ``via`` says how the reviewer was authenticated (the admin page's
        session, or an API key's fingerprint), kept with the entry. A corrected
        report type brings its own SP4N deadline, ``deadline_working_days``.
        """
        changes = {k: v for k, v in (changes or {}).items() if v}
        if action not in REVIEWED:
            raise ValueError(f"unknown action {action!r}")
        if action == CORRECTED and not changes:
            raise ValueError("a correction needs at least one changed label")
        with self.session() as session:
            # Claim the item with one conditional write before reading it: of
            # two reviewers deciding at once, the second one's write waits for
            # the first and then matches no row (SQLite has no SELECT … FOR
            # UPDATE, and a read-then-write transaction there fails instead).
            claim = session.execute(
                update(ComplaintRecord)
                .where(ComplaintRecord.id == complaint_id)
                .where(ComplaintRecord.status.in_(REVIEWABLE))
                .values(status=action)
                .execution_options(synchronize_session=False)
            )
            claimed = cast(CursorResult[Any], claim).rowcount
            record = session.get(ComplaintRecord, complaint_id, populate_existing=True)
            if record is None:
                raise KeyError(complaint_id)
            if not claimed:
                raise AlreadyReviewed(record)
            # Only undecided items are claimed, so before the review the item
            # says what the model said.
            before = {head: getattr(record, head) for head in HEADS}
            if action == ACCEPTED:
                for head in HEADS:
                    setattr(record, f"final_{head}", getattr(record, head))
            elif action == CORRECTED:
                for head in HEADS:
                    setattr(record, f"final_{head}", changes.get(head, getattr(record, head)))
            else:
                for head in HEADS:
                    setattr(record, f"final_{head}", None)
            if deadline_working_days is not KEEP_DEADLINE:
                record.deadline_working_days = cast(int | None, deadline_working_days)
            record.status = action
            record.reviewed_by = admin
            record.reviewed_at = now()
            after = {head: self.final_label(record, head) for head in HEADS}
            session.add(
                AuditEntry(
                    complaint_id=complaint_id,
                    action=action,
                    admin=admin,
                    at=record.reviewed_at,
                    details={"before": before, "after": after, **({"via": via} if via else {})},
                )
            )
            return record

    @staticmethod
    def current_labels(record: ComplaintRecord) -> dict[str, str | None]:
        """What the item says now: the model's labels until an admin has decided."""
        if record.status in REVIEWED:
            return {head: getattr(record, f"final_{head}") for head in HEADS}
        return {head: getattr(record, head) for head in HEADS}

    @staticmethod
    def final_label(record: ComplaintRecord, head: str) -> str | None:
        return getattr(record, f"final_{head}")

    def reviewed(
        self, since: datetime | None = None, before: datetime | None = None
    ) -> list[ComplaintRecord]:
        """Reviewed items, of complaints submitted in [since, before) where given."""
        query = select(ComplaintRecord).where(ComplaintRecord.status.in_(REVIEWED))
        if since is not None:
            query = query.where(ComplaintRecord.created_at >= since)
        if before is not None:
            query = query.where(ComplaintRecord.created_at < before)
        query = query.order_by(ComplaintRecord.id)
        with self.session() as session:
            return list(session.scalars(query))

    def counts(self) -> dict[str, int]:
        query = select(ComplaintRecord.status, func.count()).group_by(ComplaintRecord.status)
        with self.session() as session:
            return {status: int(n) for status, n in session.execute(query)}

    def decision_counts(self) -> dict[str, int]:
        query = select(ComplaintRecord.decision, func.count()).group_by(ComplaintRecord.decision)
        with self.session() as session:
            return {decision: int(n) for decision, n in session.execute(query)}

    def dashboard(self) -> dict[str, Any]:
        """Queue size, auto-route rate, precision of reviewed auto-routes, top corrections."""
        counts = self.counts()
        decisions = self.decision_counts()
        decided = sum(decisions.values())
        # Counted in the database: the reviewed items grow with every review,
        # and loading them (texts and all) made each view slower than the last.
        audited = select(
            func.count(),
            func.coalesce(
                func.sum(
                    case((ComplaintRecord.final_agency == ComplaintRecord.agency, 1), else_=0)
                ),
                0,
            ),
        ).where(
            ComplaintRecord.status.in_([s for s in REVIEWED if s != NOT_AUTHORITY]),
            ComplaintRecord.decision == "auto_route",
        )
        pairs: dict[str, int] = {}
        with self.session() as session:
            checked, correct = session.execute(audited).one()
            for head in HEADS:
                predicted = getattr(ComplaintRecord, head)
                final = getattr(ComplaintRecord, f"final_{head}")
                changed = (
                    select(predicted, final, func.count())
                    .where(
                        ComplaintRecord.status == CORRECTED,
                        final.is_not(None),
                        final != "",
                        final != predicted,
                    )
                    .group_by(predicted, final)
                )
                for before, after, n in session.execute(changed):
                    pairs[f"{head}: {before} → {after}"] = int(n)
        checked, correct = int(checked), int(correct)
        return {
            "pending": counts.get(PENDING, 0),
            "reviewed": sum(counts.get(s, 0) for s in REVIEWED),
            "decided": decided,
            "auto_rate": decisions.get("auto_route", 0) / decided if decided else 0.0,
            "auto_checked": checked,
            "auto_precision": correct / checked if checked else 0.0,
            "corrections": sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
        }

    def request_ids(self) -> list[str]:
        with self.session() as session:
            return list(session.scalars(select(ComplaintRecord.request_id)))

    # -- admins ----------------------------------------------------------------------------
    def add_admin(self, username: str, password_hash: str) -> None:
        with self.session() as session:
            existing = session.scalar(select(Admin).where(Admin.username == username))
            if existing:
                existing.password_hash = password_hash
                # A new password ends the sessions opened with the old one.
                session.execute(delete(AdminSession).where(AdminSession.username == username))
            else:
                session.add(Admin(username=username, password_hash=password_hash, created_at=now()))

    def open_admin_session(self, username: str) -> str:
        """A new session token for ``username``; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        with self.session() as session:
            session.execute(delete(AdminSession).where(AdminSession.created_at < _session_cutoff()))
            session.add(
                AdminSession(token_hash=_token_hash(token), username=username, created_at=now())
            )
        return token

    def admin_of_session(self, token: str) -> str | None:
        """The admin a live session token belongs to, or None (logged out, expired, unknown)."""
        query = select(AdminSession.username).where(
            AdminSession.token_hash == _token_hash(token),
            AdminSession.created_at >= _session_cutoff(),
        )
        with self.session() as session:
            return session.scalar(query)

    def close_admin_session(self, token: str) -> None:
        """End one session (logout); a new password ends all of an admin's in add_admin."""
        with self.session() as session:
            session.execute(
                delete(AdminSession).where(AdminSession.token_hash == _token_hash(token))
            )

    def admin_hash(self, username: str) -> str | None:
        with self.session() as session:
            return session.scalar(select(Admin.password_hash).where(Admin.username == username))
