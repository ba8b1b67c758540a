"""core.rows.fetchone_opening: BEGIN travels with a transaction's opening statement."""

import importlib.util
from pathlib import Path

import pytest
from django.db import DataError, connection, transaction

from core import rows

_spec = importlib.util.spec_from_file_location(
    "bench_common", Path(__file__).resolve().parents[2] / "bench" / "common.py")
bench_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_common)

pytestmark = pytest.mark.django_db(transaction=True)

XID = "SELECT pg_current_xact_id()::text"


def _xid() -> str:
    with connection.cursor() as cursor:
        cursor.execute(XID)
        return cursor.fetchone()[0]


@pytest.fixture
def scratch():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE opening_probe (n int)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE opening_probe")


def _count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM opening_probe")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_begin_and_the_opening_statement_are_one_round_trip():
    def block(opening):
        with transaction.atomic():
            opening()
            _xid()

    def ordinary():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    # BEGIN + SELECT 1, the next statement, COMMIT
    assert bench_common.round_trips(lambda: block(
        lambda: rows.fetchone_opening("SELECT 1", [])))[1] == 3
    assert bench_common.round_trips(lambda: block(ordinary))[1] == 4


@pytest.mark.postgres
def test_the_opening_statement_is_inside_the_transaction(scratch):
    with transaction.atomic():
        first = rows.fetchone_opening(XID, [])[0]
        assert _xid() == first  # one transaction: the statement after it sees the same id
    with transaction.atomic():
        rows.fetchone_opening("INSERT INTO opening_probe VALUES (%s) RETURNING n", [1])
        assert connection.connection.pgconn.transaction_status == 2  # INTRANS
    assert _count() == 1  # committed by the block


@pytest.mark.postgres
def test_an_error_after_it_rolls_everything_back(scratch):
    with pytest.raises(RuntimeError), transaction.atomic():
        rows.fetchone_opening("INSERT INTO opening_probe VALUES (%s) RETURNING n", [1])
        raise RuntimeError
    assert _count() == 0
    # the connection is as Django left it: autocommit outside a block, transactions work
    assert connection.get_autocommit() and connection.connection.autocommit
    with transaction.atomic():
        rows.fetchone_opening("INSERT INTO opening_probe VALUES (%s) RETURNING n", [2])
    assert _count() == 1


@pytest.mark.postgres
def test_a_failing_opening_statement_leaves_no_transaction_open():
    with pytest.raises(DataError), transaction.atomic():
        rows.fetchone_opening("SELECT 1 / 0", [])
    assert connection.connection.pgconn.transaction_status == 0  # IDLE
    with transaction.atomic():
        assert rows.fetchone_opening("SELECT 2", []) == (2,)


def test_elsewhere_it_is_an_ordinary_statement(scratch):
    assert rows.fetchone_opening("SELECT 3", []) == (3,)  # no atomic block: autocommit
    with transaction.atomic():
        _count()  # the transaction has begun on the server
        rows.fetchone_opening("INSERT INTO opening_probe VALUES (%s) RETURNING n", [1])
        with transaction.atomic():  # a savepoint inside
            assert rows.fetchone_opening("SELECT 4", []) == (4,)
    assert _count() == 1
