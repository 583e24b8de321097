"""The storage layer on SQLite (embedded default) and on a real PostgreSQL server."""

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from salur.service.storage import (
    ACCEPTED,
    AUTO_ROUTED,
    CORRECTED,
    NOT_AUTHORITY,
    PENDING,
    AlreadyReviewed,
    ComplaintRecord,
    QueueFilter,
    RequestIdConflict,
    StorageUnavailable,
    Store,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/queue.db"
    else:
        url = request.getfixturevalue("postgres_url")
    store = Store(url)
    store.ensure_schema()
    if request.param == "postgresql":
        # One database per session: empty it so each test starts clean. The
        # audit trigger forbids DELETE, so TRUNCATE (which it does not cover).
        with store.engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_log, complaints, admins RESTART IDENTITY"))
    yield store
    store.engine.dispose()


def record(
    n,
    urgency="sedang",
    region="kota-surabaya",
    agency="pupr",
    status=PENDING,
    channel="web",
    created=None,
):
    ranks = {"darurat": 0, "tinggi": 1, "sedang": 2, "rendah": 3}
    return ComplaintRecord(
        request_id=f"req-{n}-{datetime.now(UTC).timestamp()}",
        external_id=f"ext-{n}",
        region=region,
        channel=channel,
        title_masked=None,
        text_masked=f"keluhan nomor {n} oleh Bapak [NAMA]",
        model_version="v-test",
        predictions={"heads": {}},
        agency=agency,
        agency_confidence=0.4,
        opd_name="Dinas",
        category="jalan_jembatan",
        urgency=urgency,
        urgency_rank=ranks[urgency],
        report_type="pengaduan_berkadar_pengawasan",
        deadline_working_days=60,
        decision="needs_review" if status == PENDING else "auto_route",
        decision_reasons=["agency confidence 0.40 below threshold 0.80"],
        status=status,
        created_at=created or datetime.now(UTC),
    )


def test_queue_sorted_by_urgency_then_age_and_filtered(store):
    store.save_complaints(
        [
            record(1, "sedang", created=datetime(2026, 1, 1, tzinfo=UTC)),
            record(2, "darurat", created=datetime(2026, 1, 3, tzinfo=UTC)),
            record(3, "sedang", created=datetime(2025, 12, 1, tzinfo=UTC), region="kab-bandung"),
            record(4, "tinggi", agency="sosial", channel="sms"),
            record(5, "darurat", status=AUTO_ROUTED),
        ]
    )
    queue = store.queue(QueueFilter())
    assert [r.external_id for r in queue] == ["ext-2", "ext-4", "ext-3", "ext-1"]
    assert [r.external_id for r in store.queue(QueueFilter(region="kab-bandung"))] == ["ext-3"]
    assert [r.external_id for r in store.queue(QueueFilter(agency="sosial", channel="sms"))] == [
        "ext-4"
    ]
    assert [r.external_id for r in store.queue(QueueFilter(urgency="darurat"))] == ["ext-2"]
    assert store.counts() == {PENDING: 4, AUTO_ROUTED: 1}


def test_review_actions_are_audited(store):
    store.save_complaints([record(1), record(2), record(3)])
    first, second, third = store.queue(QueueFilter())
    store.review(first.id, "admin1", ACCEPTED)
    store.review(second.id, "admin2", CORRECTED, {"agency": "perhubungan", "urgency": "tinggi"})
    store.review(third.id, "admin1", NOT_AUTHORITY)
    accepted = store.get(first.id)
    assert (accepted.status, accepted.final_agency, accepted.reviewed_by) == (
        ACCEPTED,
        "pupr",
        "admin1",
    )
    corrected = store.get(second.id)
    assert (corrected.final_agency, corrected.final_urgency, corrected.final_category) == (
        "perhubungan",
        "tinggi",
        "jalan_jembatan",
    )
    log = store.audit(second.id)
    assert len(log) == 1 and log[0].admin == "admin2" and log[0].action == CORRECTED
    assert (
        log[0].details["before"]["agency"] == "pupr"
        and log[0].details["after"]["agency"] == "perhubungan"
    )
    with pytest.raises(AlreadyReviewed, match=r"already reviewed \(corrected\) by admin2"):
        store.review(second.id, "admin1", CORRECTED, {"category": "drainase_banjir"})
    assert [e.admin for e in store.audit(second.id)] == ["admin2"]
    assert store.get(second.id).final_category == "jalan_jembatan"
    assert store.queue(QueueFilter()) == []
    assert {r.status for r in store.reviewed()} == {ACCEPTED, CORRECTED, NOT_AUTHORITY}


def test_two_reviewers_at_once_one_decides_the_other_hears_so(store):
    store.save_complaints([record(n) for n in range(12)])
    items = store.queue(QueueFilter(), limit=100)
    outcomes: dict[int, list[str]] = {item.id: [] for item in items}
    start = threading.Barrier(2)

    def reviewer(name, action, changes=None):
        start.wait()
        for item in items:
            try:
                store.review(item.id, name, action, changes)
                outcomes[item.id].append(name)
            except AlreadyReviewed:
                outcomes[item.id].append("refused")

    threads = [
        threading.Thread(target=reviewer, args=("alice", ACCEPTED)),
        threading.Thread(target=reviewer, args=("bob", CORRECTED, {"agency": "perhubungan"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for item in items:
        assert outcomes[item.id].count("refused") == 1
        (winner,) = [name for name in outcomes[item.id] if name != "refused"]
        stored = store.get(item.id)
        assert stored.reviewed_by == winner
        assert stored.final_agency == ("pupr" if winner == "alice" else "perhubungan")
        assert [e.admin for e in store.audit(item.id)] == [winner]


def test_audit_log_is_append_only(store):
    store.save_complaints([record(1)])
    item = store.queue(QueueFilter())[0]
    store.review(item.id, "admin1", ACCEPTED)
    with pytest.raises(SQLAlchemyError), store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET admin = 'someone else'"))
    with pytest.raises(SQLAlchemyError), store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    assert store.audit(item.id)[0].admin == "admin1"


def test_bad_review_actions(store):
    store.save_complaints([record(1)])
    item = store.queue(QueueFilter())[0]
    with pytest.raises(ValueError, match="at least one"):
        store.review(item.id, "a", CORRECTED, {})
    with pytest.raises(ValueError, match="unknown action"):
        store.review(item.id, "a", "delete")
    with pytest.raises(KeyError):
        store.review(10_000_000, "a", ACCEPTED)
    assert store.audit(item.id) == []


def test_duplicate_request_id_is_refused_whole(store):
    one = record(1)
    two = record(2)
    two.request_id = one.request_id
    with pytest.raises(StorageUnavailable):
        store.save_complaints([one, two])
    assert store.counts() == {}


def test_a_replayed_request_is_stored_once_and_a_reused_id_conflicts(store):
    first = record(1)
    store.save_complaints([first])
    replay = record(1)
    replay.request_id = first.request_id
    store.save_complaints([replay])  # an intake retry: already stored, no error
    assert store.counts() == {PENDING: 1}
    other = record(2)
    other.request_id = first.request_id
    with pytest.raises(RequestIdConflict, match=first.request_id):
        store.save_complaints([other, record(3)])
    assert store.counts() == {PENDING: 1}


def test_a_reused_id_conflicts_even_when_only_masked_details_differ(store):
    first = record(1)
    first.content_digest = "a" * 64
    store.save_complaints([first])
    same_masked = record(1)  # the same masked text, another (say) NIK behind it
    same_masked.request_id, same_masked.content_digest = first.request_id, "b" * 64
    with pytest.raises(RequestIdConflict):
        store.save_complaints([same_masked])
    retry = record(1)
    retry.request_id, retry.content_digest = first.request_id, "a" * 64
    store.save_complaints([retry])
    assert store.counts() == {PENDING: 1}


def test_admins(store):
    store.add_admin("siti", "hash-1")
    store.add_admin("siti", "hash-2")
    assert store.admin_hash("siti") == "hash-2" and store.admin_hash("nobody") is None


def test_unreachable_database_is_storage_unavailable(tmp_path):
    store = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StorageUnavailable, match="unreachable"):
        store.save_complaints([record(1)])
    assert not store.ping()


def test_a_queue_from_before_the_emergency_alert_is_upgraded_in_place(tmp_path):
    from alembic import command
    from alembic.config import Config
    from salur.service.storage import migrate
    from sqlalchemy import MetaData, create_engine

    url = f"sqlite:///{tmp_path}/old.db"
    config = Config()
    config.set_main_option(
        "script_location", str(Path(migrate.__code__.co_filename).parent / "migrations")
    )
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0002")
    old = record(1)
    values = {
        column.key: getattr(old, column.key)
        for column in ComplaintRecord.__table__.columns
        if column.key not in ("id", "possible_emergency", "content_digest")
    }
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine, only=["complaints"])
    with engine.begin() as connection:
        connection.execute(metadata.tables["complaints"].insert().values(**values))
    engine.dispose()

    store = Store(url)
    store.ensure_schema()
    (item,) = store.queue(QueueFilter())
    assert item.text_masked == old.text_masked and item.possible_emergency is False
    assert item.content_digest is None
    # A retry of that old complaint is still told by its masked text.
    retry = record(1)
    retry.request_id, retry.content_digest = old.request_id, "c" * 64
    store.save_complaints([retry])
    store.engine.dispose()


def _migrate(url):
    from salur.service.storage import migrate

    migrate(url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_workers_starting_together_migrate_a_new_database_one_at_a_time(backend, tmp_path, request):
    # Without the migration lock, one of four processes failed in 3 of 6
    # such rounds on SQLite (a worker's start-up failing on a new database).
    import multiprocessing

    from salur.service.storage import Store

    context = multiprocessing.get_context("spawn")
    rounds = 2 if backend == "sqlite" else 1
    for number in range(rounds):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/new-{number}.db"
        else:
            url = request.getfixturevalue("fresh_postgres_url")
        workers = [context.Process(target=_migrate, args=(url,)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
        store = Store(url)
        store.ensure_schema()
        assert store.counts() == {}
        store.engine.dispose()


def test_dashboard_counts_reviewed_auto_routes_and_corrections(store):
    auto = [record(n, status=AUTO_ROUTED) for n in range(3)]
    pending = [record(n) for n in range(3, 7)]
    store.save_complaints(auto + pending)
    items = {item.request_id: item for item in store.queue(QueueFilter(status=None), limit=50)}
    ids = [items[r.request_id].id for r in auto + pending]
    store.review(ids[0], "a", ACCEPTED)  # an auto-route an admin confirmed
    store.review(ids[1], "a", CORRECTED, {"agency": "perhubungan"})  # one that was wrong
    store.review(ids[2], "a", NOT_AUTHORITY)  # not counted either way
    store.review(ids[3], "a", CORRECTED, {"agency": "perhubungan"})
    store.review(ids[4], "a", CORRECTED, {"urgency": "darurat", "category": "jalan_jembatan"})
    stats = store.dashboard()
    assert (stats["pending"], stats["reviewed"], stats["decided"]) == (2, 5, 7)
    assert stats["auto_checked"] == 2 and stats["auto_precision"] == 0.5
    # An unchanged label sent with a correction is not a correction of it.
    assert stats["corrections"] == [
        ("agency: pupr → perhubungan", 2),
        ("urgency: sedang → darurat", 1),
    ]
