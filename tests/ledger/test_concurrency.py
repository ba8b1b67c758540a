"""PostgreSQL under concurrency: no overdraft, one journal per key, no deadlock reaches a caller.

Each thread has its own database connection; the tests commit for real (transactional_db).
"""

import logging
import threading
from collections import Counter

import pytest
from django.db import IntegrityError, connection, connections, transaction

from ledger.errors import LimitExceeded, PendingAlreadyResolved
from ledger.models import Journal
from ledger.selectors import balance, ledger_verify, trial_balance
from ledger.services import (
    JournalSpec,
    Leg,
    account_open,
    batch_post,
    pending_post,
    pending_void,
    transfer,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(n, work):
    """Run work(i) in n threads started together; return {i: result or exception}."""
    barrier = threading.Barrier(n)
    results = {}

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


@pytest.fixture
def pool():
    treasury = account_open(code="treasury:CS-2026", normal_side="debit")
    pool = account_open(code="pool:CS-2026", normal_side="credit",
                        debits_must_not_exceed_credits=True)
    transfer(key="fund", debit=treasury, credit=pool, amount=500_00, kind="appropriation")
    return pool


def test_eight_threads_take_one_yuan_each_from_five_hundred_until_none_is_left(pool):
    vouchers = [account_open(code=f"voucher:T{i}", normal_side="credit") for i in range(8)]

    def work(i):
        taken = 0
        while True:
            try:
                transfer(key=f"take-{i}-{taken}", debit=pool, credit=vouchers[i], amount=1_00,
                         kind="issue")
            except LimitExceeded as exc:
                assert exc.account_id == pool.pk and exc.available < 1_00
                return taken
            taken += 1

    results = run_threads(8, work)
    assert all(isinstance(r, int) for r in results.values()), results
    assert sum(results.values()) == 500
    assert balance(pool).posted == 0
    assert balance(pool).available == 0
    assert sum(balance(v).posted for v in vouchers) == 500_00
    assert ledger_verify().ok


def test_the_same_key_from_sixteen_threads_writes_one_journal(pool):
    voucher = account_open(code="voucher:T1", normal_side="credit")

    def work(i):
        return transfer(key="same-key", debit=pool, credit=voucher, amount=7_00,
                        kind="issue").pk

    results = run_threads(16, work)
    assert all(isinstance(r, int) for r in results.values()), results
    assert len(set(results.values())) == 1
    assert Journal.objects.filter(idempotency_key="same-key").count() == 1
    assert balance(voucher).posted == 7_00
    assert balance(pool).posted == 493_00


def test_opposite_transfers_between_two_accounts_never_deadlock(caplog):
    a = account_open(code="clearing:A", normal_side="debit")
    b = account_open(code="clearing:B", normal_side="debit")

    caplog.set_level(logging.WARNING, logger="ledger")

    def work(i):
        for n in range(40):
            debit, credit = (a, b) if (i + n) % 2 else (b, a)
            transfer(key=f"x-{i}-{n}", debit=debit, credit=credit, amount=1 + n, kind="swap")
            # and a batch touching both, in the opposite order of its legs
            batch_post([JournalSpec(key=f"bx-{i}-{n}", kind="swap",
                                    legs=[Leg(credit, "credit", 3), Leg(debit, "debit", 3)])])
        return "done"

    results = run_threads(8, work)
    assert set(results.values()) == {"done"}, results
    assert "retried" not in caplog.text  # not even a deadlock retried behind the caller's back
    assert Journal.objects.count() == 8 * 40 * 2
    tb = trial_balance()
    assert tb.total_debits == tb.total_credits
    assert ledger_verify().ok


def test_racing_resolutions_of_one_hold_resolve_it_once(pool):
    voucher = account_open(code="voucher:T1", normal_side="credit")
    hold = transfer(key="hold", debit=pool, credit=voucher, amount=100_00, kind="issue",
                    pending=True)

    def work(i):
        if i % 2:
            return pending_void(key=f"void-{i}", pending=hold).resolution
        return pending_post(key=f"post-{i}", pending=hold, amount=10_00 * (i + 1)).resolution

    results = run_threads(8, work)
    outcomes = Counter(type(r).__name__ if isinstance(r, Exception) else "ok"
                       for r in results.values())
    assert outcomes == {"ok": 1, "PendingAlreadyResolved": 7}, results
    assert all(isinstance(r, str | PendingAlreadyResolved) for r in results.values())
    assert Journal.objects.filter(resolves=hold).count() == 1
    assert balance(pool).held == 0
    assert ledger_verify().ok


def test_entries_only_in_the_creating_transaction(pool):
    """A committed journal takes no more entries, even balanced ones."""
    journal = Journal.objects.get(idempotency_key="fund")
    with (
        pytest.raises(IntegrityError, match="transaction that creates"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, "
            "release) VALUES (%s, %s, 'debit', 5, false, false), "
            "(%s, %s, 'credit', 5, false, false)",
            [journal.pk, pool.pk, journal.pk, pool.pk],
        )
    assert journal.entries.count() == 2


def test_a_journal_without_entries_cannot_commit(pool):
    with (
        pytest.raises(IntegrityError, match="at least two"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_journal (public_id, idempotency_key, request_digest, kind, "
            "effective_date, actor, memo, metadata, pending, resolution, created_at) "
            "VALUES (gen_random_uuid(), 'empty', 'x', 'raw', '2026-06-01', '', '', '{}', "
            "false, '', now())"
        )
    assert not Journal.objects.filter(idempotency_key="empty").exists()
