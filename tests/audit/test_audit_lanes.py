"""Lanes (ADR 0008): how events are spread over the chains, what waits for what, and the
migration that turned the one chain into lane 0."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor

from audit import services
from audit.chain import AUDIT_LANES, GENESIS_HASH, event_hash
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_record, audit_verify

BEFORE = ("audit", "0003_chain_head_prev_hash")
LANES_MIGRATION = ("audit", "0004_audit_lanes")


def _step(n, **extra):
    return audit_record(actor="system", action="test.step", object_type="t", object_id=n,
                        after={"n": n}, **extra)


def _transaction_lane() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT mod(txid_current(), %s)", [AUDIT_LANES])
        return cursor.fetchone()[0]


# --- the migration (both databases) ------------------------------------------------------


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_migration_turns_the_one_chain_into_lane_0_and_keeps_the_table_append_only():
    old = _migrate(BEFORE)
    event_model = old.get_model("audit", "AuditEvent")
    prev, hashes = GENESIS_HASH, []
    for seq in (1, 2, 3):
        fields = {"occurred_at": datetime(2026, 11, 1, 9, seq, tzinfo=UTC), "actor_id": None,
                  "actor": "system", "action": "test.old", "object_type": "t",
                  "object_id": str(seq), "before": None, "after": {"seq": seq}}
        digest = event_hash(seq=seq, prev_hash=prev, **fields)
        event_model.objects.create(seq=seq, prev_hash=prev, hash=digest, **fields)
        hashes.append(digest)
        prev = digest
    old.get_model("audit", "AuditChainHead").objects.update_or_create(
        pk=1, defaults={"seq": 3, "hash": hashes[2], "prev_hash": hashes[1]})

    _migrate(LANES_MIGRATION)

    assert list(AuditEvent.objects.values_list("lane", "seq")) == [(0, 1), (0, 2), (0, 3)]
    heads = list(AuditChainHead.objects.order_by("lane"))
    assert [h.lane for h in heads] == list(range(AUDIT_LANES))
    assert (heads[0].pk, heads[0].seq, heads[0].hash) == (1, 3, hashes[2])
    assert {(h.seq, h.hash, h.prev_hash) for h in heads[1:]} == {
        (0, GENESIS_HASH, GENESIS_HASH)}
    report = audit_verify()
    assert (report.ok, report.checked) == (True, 3)

    appended = _step(4)
    if connection.vendor == "sqlite":
        assert (appended.lane, appended.seq, appended.prev_hash) == (0, 4, hashes[2])
    assert audit_verify().ok

    # SQLite rebuilt the table three times; the triggers were re-created after the last.
    for statement in ("UPDATE audit_auditevent SET actor = 'forged' WHERE seq = 2",
                      "DELETE FROM audit_auditevent WHERE seq = 2"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(statement)
    assert AuditEvent.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_going_back_refuses_once_other_lanes_were_used():
    with transaction.atomic():
        for lane in (0, 5):
            services._orm_append({
                "occurred_at": datetime.now(UTC), "actor_id": None, "actor": "system",
                "action": "test.step", "object_type": "t", "object_id": str(lane),
                "before": None, "after": None}, lane=lane)
    with pytest.raises(IrreversibleError):
        _migrate(BEFORE)
    assert AuditEvent.objects.count() == 2  # rolled back: still at 0004
    assert audit_verify().ok


# --- PostgreSQL: lanes from transaction ids ----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_events_of_a_transaction_share_its_lane():
    lanes = []
    for t in range(6):
        with transaction.atomic():
            events = [_step(f"{t}-{n}") for n in range(3)]
            expected = _transaction_lane()
        assert {e.lane for e in events} == {expected}
        assert [e.seq for e in events] == [events[0].seq, events[0].seq + 1, events[0].seq + 2]
        lanes.append(expected)
    assert len(set(lanes)) > 1  # consecutive transactions, different lanes
    assert audit_verify().ok


class _SameLane(Exception):
    pass


def _unless_fits(lane, *, avoid, want):
    if lane == avoid or (want is not None and lane != want):
        raise _SameLane


def _commit_in_lane(*, avoid=None, want=None, lock_timeout="5s", attempts=2000):
    """Commit one event from a transaction whose id maps to `want` (or not to `avoid`).

    Transaction ids are only known once assigned, so this draws them (one per attempt,
    each rolled back) until one fits. Returns (event, seconds the append took).
    """
    for _ in range(attempts):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
                lane = _transaction_lane()
                _unless_fits(lane, avoid=avoid, want=want)
                started = time.monotonic()
                event = _step(f"lane-{lane}")
                return event, time.monotonic() - started
        except _SameLane:
            continue
    raise AssertionError("no transaction id in the wanted lane")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_transactions_on_different_lanes_do_not_wait_for_each_other():
    # The flush before this test emptied the heads; the migration's are committed rows.
    services._ensure_heads()
    held = threading.Event()
    release = threading.Event()
    first = {}

    def hold_a_lane():
        try:
            with transaction.atomic():
                first["event"] = _step("held")
                held.set()
                release.wait(30)  # the lane's head stays locked until this commits
        except Exception as exc:  # reported below
            first["error"] = exc
            held.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a_lane)
    holder.start()
    try:
        assert held.wait(10)
        assert "error" not in first
        held_lane = first["event"].lane

        other, took = _commit_in_lane(avoid=held_lane)
        assert other.lane != held_lane
        assert took < 1  # did not queue behind the open transaction
        assert holder.is_alive()  # which is still open, holding its lane's head

        # The control: a transaction on the held lane does wait, and gives up.
        with pytest.raises(OperationalError, match="lock timeout"):
            _commit_in_lane(want=held_lane, lock_timeout="200ms")
    finally:
        release.set()
        holder.join(30)
    assert "error" not in first
    report = audit_verify()
    assert (report.ok, report.checked) == (True, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_verify_while_writers_commit_sees_one_consistent_state():
    """Heads and events are read in one snapshot: appends committing during the walk never
    look like a lane whose head ran ahead of its events."""
    for n in range(200):  # a chain long enough for the walk to take a while
        _step(n)
    stop = threading.Event()
    errors = []

    def write(t):
        try:
            n = 0
            while not stop.is_set():
                with transaction.atomic():
                    _step(f"{t}-{n}")
                n += 1
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for writer in writers:
        writer.start()
    try:
        reports = [audit_verify(chunk_size=50) for _ in range(15)]
    finally:
        stop.set()
        for writer in writers:
            writer.join(30)
    assert errors == []
    assert [r for r in reports if not r.ok] == []
    assert reports[-1].checked > reports[0].checked >= 200
    assert audit_verify().ok
