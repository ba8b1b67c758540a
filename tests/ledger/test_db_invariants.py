"""The database itself refuses what would break the ledger, on PostgreSQL and SQLite.

These tests go around ledger.services with raw SQL, as a bug or a careless script would.
"""

import logging
import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger import services
from ledger.errors import LedgerInvariantBroken
from ledger.models import Account, Entry, Journal
from ledger.selectors import balance
from ledger.services import Leg, journal_post, pending_post, transfer

pytestmark = pytest.mark.django_db

PG = connection.vendor == "postgresql"


def _journal_sql(journal_id=None, *, pending=False, resolves_id=None, resolution=""):
    columns = ["public_id", "idempotency_key", "request_digest", "kind", "effective_date",
               "actor", "memo", "metadata", "pending", "resolves_id", "resolution",
               "reverses_id", "created_at"]
    values = [str(uuid.uuid4()) if not PG else uuid.uuid4(), f"raw-{uuid.uuid4()}", "x",
              "raw", "2026-06-01", "", "", "{}", pending, resolves_id, resolution, None,
              "2026-06-01T00:00:00+00:00"]
    if journal_id is not None:
        columns.insert(0, "id")
        values.insert(0, journal_id)
    marks = ", ".join(["%s"] * len(values))
    return f"INSERT INTO ledger_journal ({', '.join(columns)}) VALUES ({marks})", values


def raw_journal(entries, **header):
    """Write a journal and its entries with raw SQL, in the order each database expects.

    `entries` are (account_id, side, amount, pending, release). PostgreSQL: journal first,
    then entries, then the deferred checks are forced. SQLite: entries first, then the
    journal row that seals them.
    """
    with connection.cursor() as cursor:
        if PG:
            sql, params = _journal_sql(**header)
            cursor.execute(sql + " RETURNING id", params)
            journal_id = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM ledger_journal")
            journal_id = cursor.fetchone()[0]
        for account_id, side, amount, pending, release in entries:
            cursor.execute(
                "INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, "
                "release) VALUES (%s, %s, %s, %s, %s, %s)",
                [journal_id, account_id, side, amount, pending, release],
            )
        if PG:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            sql, params = _journal_sql(journal_id, **header)
            cursor.execute(sql, params)
    return journal_id


def refused(entries, match=None, **header):
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        raw_journal(entries, **header)


def test_a_balanced_raw_journal_is_accepted(chart):
    journal_id = raw_journal([(chart.treasury.pk, "debit", 100, False, False),
                              (chart.pool.pk, "credit", 100, False, False)])
    assert Journal.objects.get(pk=journal_id).entries.count() == 2


def test_unbalanced_journal_is_refused(chart):
    refused([(chart.treasury.pk, "debit", 100, False, False),
             (chart.pool.pk, "credit", 99, False, False)], match="balance")


def test_journal_with_one_entry_or_none_is_refused(chart):
    refused([(chart.treasury.pk, "debit", 100, False, False)], match="two")
    refused([], match="two")


def test_pending_and_posted_buckets_balance_separately(chart):
    refused([(chart.treasury.pk, "debit", 100, False, False),
             (chart.pool.pk, "credit", 100, True, False)])


def test_a_posted_journal_cannot_hold_and_a_hold_cannot_post(chart):
    refused([(chart.treasury.pk, "debit", 100, True, False),
             (chart.pool.pk, "credit", 100, True, False)], match="hold")
    refused([(chart.treasury.pk, "debit", 100, False, False),
             (chart.pool.pk, "credit", 100, False, False)], pending=True, match="hold")


def test_only_a_resolution_releases_and_only_its_own_hold(chart):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=1000, kind="t")
    h = transfer(key="h", debit=chart.pool, credit=chart.voucher, amount=100, kind="t",
                 pending=True)
    release = [(chart.pool.pk, "debit", 100, True, True),
               (chart.voucher.pk, "credit", 100, True, True)]
    refused(release, match="release")
    refused([(chart.pool.pk, "debit", 90, True, True),
             (chart.voucher.pk, "credit", 90, True, True)],
            resolves_id=h.pk, resolution="void", match="release")
    refused([*release, (chart.pool.pk, "debit", 101, False, False),
             (chart.voucher.pk, "credit", 101, False, False)],
            resolves_id=h.pk, resolution="post", match="more than|exceed")
    refused([*release, (chart.pool.pk, "debit", 50, False, False),
             (chart.voucher.pk, "credit", 50, False, False)],
            resolves_id=h.pk, resolution="void", match="void")
    raw_journal(release, resolves_id=h.pk, resolution="void")


def test_a_hold_resolves_at_most_once(chart):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=1000, kind="t")
    h = transfer(key="h", debit=chart.pool, credit=chart.voucher, amount=100, kind="t",
                 pending=True)
    pending_post(key="p", pending=h)
    release = [(chart.pool.pk, "debit", 100, True, True),
               (chart.voucher.pk, "credit", 100, True, True)]
    refused(release, resolves_id=h.pk, resolution="void")


@pytest.mark.parametrize("amount", [0, -100])
def test_amounts_are_positive(chart, amount):
    refused([(chart.treasury.pk, "debit", amount, False, False),
             (chart.pool.pk, "credit", amount, False, False)])


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_journal SET memo = 'forged'",
    "DELETE FROM ledger_journal",
    "UPDATE ledger_entry SET amount = amount + 1",
    "DELETE FROM ledger_entry",
])
def test_journals_and_entries_cannot_be_updated_or_deleted(chart, statement):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=100, kind="t")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Entry.objects.filter(amount=100).count() == 2
    assert Journal.objects.get().memo == ""


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["ledger_journal", "ledger_entry"])
def test_journals_and_entries_cannot_be_truncated(chart, table):
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=100, kind="t")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Entry.objects.count() == 2


def test_an_entry_cannot_join_a_sealed_journal_on_sqlite(chart):
    if PG:
        pytest.skip("PostgreSQL: test_concurrency.test_entries_only_in_the_creating_transaction")
    j = transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=100, kind="t")
    with (
        pytest.raises(IntegrityError, match="transaction that creates"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        for side in ("debit", "credit"):
            cursor.execute(
                "INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending,"
                " release) VALUES (%s, %s, %s, 5, 0, 0)", [j.pk, chart.pool.pk, side])


def test_postgres_refuses_entries_before_their_journal(chart):
    if not PG:
        pytest.skip("SQLite writes entries before the journal row on purpose")
    with (
        pytest.raises(IntegrityError, match="transaction that creates"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, "
            "release) VALUES (999999, %s, 'debit', 5, false, false)", [chart.pool.pk])


def test_overdraft_is_refused_by_the_check_constraint(chart):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET debits_posted = debits_posted + 1 WHERE id = %s",
            [chart.pool.pk],
        )
    transfer(key="fund", debit=chart.treasury, credit=chart.pool, amount=100, kind="t")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(  # pending debits count
            "UPDATE ledger_account SET debits_pending = 101 WHERE id = %s", [chart.pool.pk]
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET credits_posted = -1 WHERE id = %s",
                       [chart.treasury.pk])
    assert balance(chart.pool).posted == 100


def test_both_limit_flags_are_refused(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(code="x:1", normal_side="debit",
                               debits_must_not_exceed_credits=True,
                               credits_must_not_exceed_debits=True)


def test_a_database_refusal_inside_a_service_is_a_bug_not_a_ledger_error(
    chart, monkeypatch, caplog
):
    monkeypatch.setattr(services, "_check_amount", lambda amount: None)
    with caplog.at_level(logging.CRITICAL, logger="ledger"), pytest.raises(
        LedgerInvariantBroken
    ):
        journal_post(key="neg", kind="t", legs=[Leg(chart.treasury, "debit", -5),
                                                Leg(chart.pool, "credit", -5)])
    assert "LEDGER INVARIANT" in caplog.text
    assert Journal.objects.count() == 0
