"""Deferred writes (`defer=True`): a posting run by the caller's next statement.

On PostgreSQL, inside the caller's transaction with `savepoint=False`, a write can wait
and run inside another module's statement (the audit append: `audit_record(part=…)`), so a
claim action's posting, new state and audit event are one round trip (ADR 0012). Its
refusals must come out of that statement exactly as the write's own would. Elsewhere the
write runs at once and arrives written.
"""

import pytest
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record, audit_verify
from ledger.errors import InvalidJournal, LimitExceeded, PendingAlreadyResolved
from ledger.models import Journal
from ledger.selectors import balance, ledger_verify
from ledger.services import DeferredWrite, pending_post, pending_void, transfer
from tests.round_trips import RoundTrips

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.postgres


def fund(chart, amount=1_000_00):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=50_000_00,
             kind="appropriation")
    transfer(key="issue", debit=chart.pool, credit=chart.voucher, amount=amount, kind="issue")


def hold(chart, amount=300_00, key="hold-1", **kwargs):
    return transfer(key=key, debit=chart.voucher, credit=chart.payable, amount=amount,
                    kind="claim.hold", pending=True, **kwargs)


def record(part):
    return audit_record(actor="system", action="test.post", object_type="test",
                        object_id=1, part=part)


def test_without_the_callers_transaction_the_write_runs_at_once(chart):
    fund(chart)
    deferred = hold(chart, defer=True)  # no caller transaction: nothing to wait for
    assert isinstance(deferred, DeferredWrite) and not deferred.pending
    assert Journal.objects.get(pk=deferred.journal.pk).pending
    assert deferred.public_id == deferred.journal.public_id
    assert deferred.id_column("hold_journal") == {}


@on_postgres
def test_a_deferred_hold_is_written_by_the_statement_that_takes_it(chart, monkeypatch):
    fund(chart)
    record(None)  # the append's statement is prepared once per connection
    trips = RoundTrips(monkeypatch)
    with transaction.atomic():
        deferred = hold(chart, savepoint=False, defer=True)
        assert deferred.pending and deferred.journal is None
        assert not Journal.objects.filter(idempotency_key="hold-1").exists()
        assert deferred.id_column("hold_journal") == {"hold_journal": "(SELECT id FROM j)"}
        before = trips.count
        event = record(deferred)
        assert trips.count - before == 1  # the hold and the event: one statement
    assert not deferred.pending
    stored = Journal.objects.get(idempotency_key="hold-1")
    assert stored.pk == deferred.journal.pk and stored.public_id == deferred.public_id
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert balance(chart.voucher).held == 300_00
    assert ledger_verify().ok and audit_verify().ok


@on_postgres
def test_a_deferred_post_and_void_resolve_their_holds(chart):
    fund(chart)
    first, second = hold(chart, 100_00, "hold-1"), hold(chart, 200_00, "hold-2")
    with transaction.atomic():
        post = pending_post(key="post", pending=first, savepoint=False, defer=True)
        void = pending_void(key="void", pending=second, savepoint=False, defer=True)
        record(post)
        void.run()  # a deferred write no statement takes runs alone
    assert post.journal.resolves_id == first.pk and post.journal.resolution == "post"
    assert void.journal.resolves_id == second.pk and void.journal.resolution == "void"
    assert (balance(chart.voucher).held, balance(chart.payable).posted) == (0, 100_00)
    assert ledger_verify().ok


@on_postgres
def test_a_breached_limit_comes_out_of_the_hosts_statement_as_the_writes_own(chart):
    fund(chart, amount=100_00)
    events = AuditEvent.objects.count()
    with pytest.raises(LimitExceeded) as refused, transaction.atomic():
        record(hold(chart, amount=100_01, savepoint=False, defer=True))
    assert refused.value.available == 100_00
    assert AuditEvent.objects.count() == events
    assert not Journal.objects.filter(idempotency_key="hold-1").exists()


@on_postgres
def test_a_deferred_resolution_of_a_resolved_hold_is_refused_and_nothing_is_kept(chart):
    fund(chart)
    held = hold(chart)
    pending_void(key="void", pending=held)
    events = AuditEvent.objects.count()
    with pytest.raises(PendingAlreadyResolved), transaction.atomic():
        record(pending_post(key="post", pending=held, savepoint=False, defer=True))
    assert AuditEvent.objects.count() == events
    assert not Journal.objects.filter(idempotency_key="post").exists()


@on_postgres
def test_a_deferred_write_cannot_be_a_replay(chart):
    """The caller wrote its own state for a new journal; a key already written is refused
    (and the caller's transaction, event included, rolls back)."""
    fund(chart)
    hold(chart)
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidJournal, match="cannot be a replay"), transaction.atomic():
        record(hold(chart, savepoint=False, defer=True))
    assert AuditEvent.objects.count() == events
    assert Journal.objects.filter(idempotency_key="hold-1").count() == 1


@on_postgres
def test_the_part_runs_once_when_the_lanes_heads_must_be_made_first(chart):
    """After a test database flush the chain's head rows are missing: the append finds no
    head, makes them and appends again; the ledger part of the first statement stands."""
    from audit.models import AuditChainHead

    fund(chart)
    with transaction.atomic():
        AuditChainHead.objects.all().delete()
        deferred = hold(chart, savepoint=False, defer=True)
        record(deferred)
    assert Journal.objects.filter(idempotency_key="hold-1").count() == 1
    assert balance(chart.voucher).held == 300_00
    assert AuditEvent.objects.filter(action="test.post").count() == 1
    assert connection.vendor == "postgresql" and audit_verify().ok


@on_postgres
def test_a_deferred_write_runs_once(chart):
    fund(chart)
    with transaction.atomic():
        deferred = hold(chart, savepoint=False, defer=True)
        first = deferred.run()
        assert deferred.run() is first  # not written again (nor refused as a replay)
    assert Journal.objects.filter(idempotency_key="hold-1").count() == 1
