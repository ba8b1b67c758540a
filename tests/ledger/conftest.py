import pytest
from django.db import connection

from ledger.services import account_open


@pytest.fixture(autouse=True)
def _deferred_checks_run():
    """Run the database's deferred ledger checks before a test's transaction is rolled back.

    A `db` test never commits, so PostgreSQL's deferred constraint triggers (journal
    balance) and deferred foreign keys would never fire; SET CONSTRAINTS ALL IMMEDIATE
    makes them fire now. On SQLite the deferred foreign keys are listed by
    PRAGMA foreign_key_check.
    """
    yield
    # Only a `db` test is still inside its (never committed) transaction here: the root
    # conftest set the db fixture up before this fixture, so it is torn down after it.
    if not connection.in_atomic_block or connection.needs_rollback:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


@pytest.fixture
def chart(db):
    """A small chart of accounts in a programme's shape."""

    class Chart:
        treasury = account_open(code="treasury:CS-2026", normal_side="debit",
                                name="财政拨款 Appropriations")
        pool = account_open(code="pool:CS-2026", normal_side="credit",
                            debits_must_not_exceed_credits=True, name="预算池 Budget pool")
        voucher = account_open(code="voucher:CS2026A001", normal_side="credit",
                               owner_ref="voucher:CS2026A001",
                               debits_must_not_exceed_credits=True)
        voucher2 = account_open(code="voucher:CS2026A002", normal_side="credit",
                                owner_ref="voucher:CS2026A002",
                                debits_must_not_exceed_credits=True)
        payable = account_open(code="payable:CS-2026:lab-1", normal_side="credit",
                               owner_ref="provider:lab-1")

    return Chart
