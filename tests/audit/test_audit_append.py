"""The one-statement append on PostgreSQL: the same hash, the same chain, one round trip.

On PostgreSQL `audit_record` sends the canonical text of an event up to its `prev_hash`
and lets the database finish and hash it (audit.services._PG_APPEND); `audit_verify`
recomputes the hash in Python (audit.chain.event_hash). These tests pin that both compute
the same hash for any content, and that chains written either way verify.
"""

import importlib
import json
import threading
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import services
from audit.chain import AUDIT_LANES, GENESIS_HASH, canonical, event_hash, finish_hash, hash_prefix
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_record, audit_verify
from core.append_only import set_maintenance
from tests.round_trips import RoundTrips

AWKWARD = [
    None,
    {},
    [],
    "",
    0,
    -1.5,
    {"名称": "长沙测试企业有限公司", "金额": "20000.00"},
    {"quote": 'say "hi"', "backslash": "C:\\path\\", "both": '\\"'},
    {"newline": "a\nb\r\nc\td", "control": "\x00\x01\x1f\x7f", "nul": "\u0000"},
    {"emoji": "🧾", "rtl": "עברית", "combining": "e\u0301", "bom": "\ufeff"},
    {"nested": {"z": [1, {"b": None, "a": True}], "a": {"deeper": {"x": False}}}},
    {"}": "{", "prev_hash": "x", "seq": 1, '","seq":': "}"},
    ["列表", None, 1, 2.5, {"k": "v"}],
    "just a string with ',\"seq\":1}' in it",
    {"date": date(2026, 11, 25), "dt": datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
     "amount": Decimal("12.30"), "id": uuid.UUID(int=7), "delta": timedelta(days=3)},
]


def _fields(before, after, **overrides):
    fields = {
        "occurred_at": datetime(2026, 11, 25, 12, 34, 56, 789012, tzinfo=UTC),
        "actor_id": 42,
        "actor": "审核员\"张三\"\\",
        "action": "claim.approve",
        "object_type": "claim",
        "object_id": "C-1",
        "before": canonical(before),
        "after": canonical(after),
    }
    fields.update(overrides)
    return fields


@pytest.mark.parametrize("content", AWKWARD, ids=range(len(AWKWARD)))
@pytest.mark.parametrize("seq", [1, 9, 10, 2**62])
@pytest.mark.parametrize("prev_hash", [GENESIS_HASH, "ab" * 32])
def test_prefix_and_suffix_give_the_python_hash(content, seq, prev_hash):
    fields = _fields(content, {"wrapped": content})
    expected = event_hash(seq=seq, prev_hash=prev_hash, **fields)
    assert finish_hash(hash_prefix(**fields), prev_hash, seq) == expected


@pytest.mark.parametrize("overrides", [
    {"actor_id": None, "actor": "system"},
    {"occurred_at": datetime(2026, 1, 1, tzinfo=UTC)},  # no microseconds: still .000000
    {"occurred_at": datetime(2026, 1, 1, 8, 0, 0, 5, tzinfo=timezone(timedelta(hours=8)))},
    {"object_id": "中文/\"'\\\n", "action": "", "object_type": ""},
])
def test_prefix_and_suffix_agree_on_every_scalar_field(overrides):
    fields = _fields({"a": 1}, None, **overrides)
    expected = event_hash(seq=3, prev_hash="f" * 64, **fields)
    assert finish_hash(hash_prefix(**fields), "f" * 64, 3) == expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(before=_json, after=_json, actor=st.text(max_size=20),
       seq=st.integers(min_value=1, max_value=2**63 - 1))
def test_prefix_and_suffix_give_the_python_hash_for_any_json(before, after, actor, seq):
    fields = _fields(before, after, actor=actor)
    expected = event_hash(seq=seq, prev_hash="c" * 64, **fields)
    assert finish_hash(hash_prefix(**fields), "c" * 64, seq) == expected


# --- against the database (PostgreSQL: the one-statement path; SQLite: the ORM path) ---


def _record_awkward():
    events = []
    for n, content in enumerate(AWKWARD):
        # Postgres text cannot hold U+0000; a JSON "\u0000" escape in jsonb cannot either.
        if connection.vendor == "postgresql" and "\\u0000" in json.dumps(canonical(content)):
            content = {"control": "\x01\x1f\x7f"}
        events.append(audit_record(actor=None if n % 2 else "system", action="test.awkward",
                                   object_type="thing", object_id=f"对象-{n}",
                                   before=content, after={"n": n, "content": content}))
    return events


@pytest.mark.django_db
def test_awkward_events_verify_and_the_returned_instances_match_the_rows():
    events = _record_awkward()
    report = audit_verify()
    assert (report.ok, report.checked, report.first_bad) == (True, len(AWKWARD), None)
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        assert not event._state.adding
        for field in AuditEvent._meta.concrete_fields:
            assert getattr(event, field.attname) == getattr(stored, field.attname), field.name
    last = events[-1]
    head = AuditChainHead.objects.get(lane=last.lane)
    assert (head.seq, head.hash, head.prev_hash) == (last.seq, last.hash, last.prev_hash)


@pytest.mark.django_db
def test_tampering_with_an_awkward_event_is_detected():
    seventh = _record_awkward()[6]
    set_maintenance(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditevent SET actor = 'forged' WHERE id = %s", [seventh.id]
            )
    finally:
        set_maintenance(False)
    report = audit_verify()
    assert (report.ok, report.first_bad, report.lane) == (False, seventh.id, seventh.lane)
    assert report.reason == "content does not match its hash"


@pytest.mark.django_db
def test_missing_head_rows_are_recreated():
    AuditChainHead.objects.all().delete()  # as a test flush leaves them
    audit_record(actor="system", action="test.step", object_type="thing", object_id=1)
    last = audit_record(actor="system", action="test.step", object_type="thing", object_id=2)
    assert audit_verify().ok
    assert sorted(AuditChainHead.objects.values_list("lane", flat=True)) == list(
        range(AUDIT_LANES))
    head = AuditChainHead.objects.get(lane=last.lane)
    assert (head.seq, head.prev_hash) == (2, last.prev_hash)


@pytest.mark.django_db
def test_events_of_both_write_paths_form_one_chain():
    """On PostgreSQL, events appended by the ORM path and the one-statement path interleave."""
    for n in range(6):
        if n % 2:
            audit_record(actor="system", action="test.step", object_type="t", object_id=n,
                         after={"名": n})
        else:
            services._orm_append(_fields(None, {"名": n}, occurred_at=datetime.now(UTC)))
    report = audit_verify()
    assert (report.ok, report.checked) == (True, 6)
    assert AuditEvent.objects.values("lane").distinct().count() == 1  # the transaction's


@pytest.mark.django_db
def test_a_rolled_back_event_leaves_the_head_as_it_was():
    audit_record(actor="system", action="test.step", object_type="t", object_id=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor="system", action="test.step", object_type="t", object_id=2)
        raise RuntimeError
    audit_record(actor="system", action="test.step", object_type="t", object_id=3)
    assert audit_verify().ok
    assert list(AuditEvent.objects.values_list("object_id", flat=True)) == ["1", "3"]


@pytest.mark.django_db
def test_migration_backfills_the_head_prev_hash():
    migration = importlib.import_module("audit.migrations.0003_chain_head_prev_hash")
    audit_record(actor="system", action="test.step", object_type="t", object_id=1)
    last = audit_record(actor="system", action="test.step", object_type="t", object_id=2)
    AuditChainHead.objects.filter(lane=last.lane).update(prev_hash=GENESIS_HASH)
    migration.backfill_prev_hash(apps, None)
    assert AuditChainHead.objects.get(lane=last.lane).prev_hash == last.prev_hash


# --- PostgreSQL only ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("prepared", [True, False])
def test_one_round_trip_per_event(monkeypatch, settings, prepared):
    settings.LEDGER_PREPARED_STATEMENTS = prepared
    audit_record(actor="system", action="test.warm", object_type="t", object_id=0)
    trips = RoundTrips(monkeypatch)
    for n in range(1, 6):
        audit_record(actor="system", action="test.step", object_type="t", object_id=n,
                     before={"n": n}, after={"n": n + 1})
    assert trips.count == 5
    assert audit_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_hashes_the_text_as_python_does():
    prefix = hash_prefix(**_fields({"名称": 'a"b\\c\nd🧾'}, None))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT encode(sha256(convert_to("
            "%s::text || %s || '\",\"seq\":' || (%s::bigint + 1)::text || '}', 'UTF8')), 'hex')",
            [prefix, "d" * 64, 2**62 - 1],
        )
        (digest,) = cursor.fetchone()
    assert digest == finish_hash(prefix, "d" * 64, 2**62)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_spread_over_lanes_and_verify():
    """Writers on one lane queue on its head row, each one's UPDATE seeing the head the last
    one committed; writers on other lanes do not wait. Every lane's chain is unbroken."""
    threads, per_thread = 8, 20
    barrier = threading.Barrier(threads)
    errors = []

    def run(t):
        try:
            barrier.wait()
            for n in range(per_thread):
                with transaction.atomic():
                    audit_record(actor=f"writer-{t}", action="test.race", object_type="t",
                                 object_id=f"{t}-{n}", after={"t": t, "n": n})
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    report = audit_verify()
    assert (report.ok, report.checked) == (True, threads * per_thread)
    # 160 transactions with (nearly) consecutive ids: most of the 16 lanes are used.
    assert AuditEvent.objects.values("lane").distinct().count() >= 8
