"""audit_record_many: many events in one INSERT, chained exactly as audit_record chains
them, in the same lane, mixed freely with single appends."""

import functools

import pytest
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.services import Change, audit_record, audit_record_many, audit_verify
from tests.factories import staff_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_many_events_chain_with_single_ones_and_verify():
    with transaction.atomic():
        audit_record(actor="clerk", action="batch.build", object_type="batch", object_id="b1")
        assert audit_record_many(actor="clerk", changes=[
            Change(action="claim.send", object_type="claim", object_id=f"c{n}",
                   before={"status": "approved"}, after={"status": "in_payment", "n": n})
            for n in range(250)
        ]) == 250
        audit_record(actor="clerk", action="batch.send", object_type="batch", object_id="b1")
    with transaction.atomic():
        audit_record_many(actor=None, changes=[Change("x.y", "x", "1")])
    assert audit_record_many(actor="clerk", changes=[]) == 0
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == 253
    first_transaction = events[:252]
    assert len({e.lane for e in first_transaction}) == 1
    seqs = [e.seq for e in first_transaction]
    assert seqs == list(range(seqs[0], seqs[0] + 252))
    assert events[-1].actor == "system"
    report = audit_verify()
    assert report.ok and report.checked == 253, report


def test_an_edited_bulk_event_is_found(settings):
    from core.append_only import set_maintenance

    with transaction.atomic():
        audit_record_many(actor="clerk", changes=[Change("a.b", "a", str(n)) for n in range(5)])
    victim = AuditEvent.objects.order_by("id")[2]
    set_maintenance(True)
    try:
        AuditEvent.objects.filter(pk=victim.pk).update(after={"forged": True})
    finally:
        set_maintenance(False)
    report = audit_verify()
    assert not report.ok and report.first_bad == victim.pk


def test_a_bulk_event_stores_what_a_single_one_stores():
    """Same columns, same values (SQL NULL for no before, Chinese as is, the actor's id)."""
    user = staff_user("finance")
    change = {"action": "line.settle", "object_type": "payment_line", "object_id": "PL-1",
              "before": None, "after": {"status": "settled", "by": "银行回单第 3 行"}}
    with transaction.atomic():
        audit_record(actor=user, **change)
        audit_record_many(actor=user, changes=[Change(**change)])
    single, bulk = AuditEvent.objects.order_by("id")
    columns = ["actor_id", "actor", "action", "object_type", "object_id", "before", "after"]
    assert [getattr(bulk, c) for c in columns] == [getattr(single, c) for c in columns]
    assert bulk.actor_id == user.pk and bulk.after["by"] == "银行回单第 3 行"
    assert AuditEvent.objects.filter(before__isnull=True).count() == 2  # SQL NULL, both
    assert bulk.occurred_at.tzinfo is not None
    assert audit_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's insert path")
def test_events_sent_in_several_documents_keep_their_order(monkeypatch):
    from audit import services

    monkeypatch.setattr(services, "_pg_insert_many",
                        functools.partial(services._pg_insert_many, chunk=2))
    with transaction.atomic():
        audit_record_many(actor="clerk", changes=[Change("a.b", "a", str(n)) for n in range(5)])
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.object_id for e in events] == ["0", "1", "2", "3", "4"]
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + 5))
    assert audit_verify().ok
