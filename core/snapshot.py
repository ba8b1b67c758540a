"""Reading several queries as of one moment (PostgreSQL)."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def one_snapshot():
    """On PostgreSQL, run the block's reads in one REPEATABLE READ, read-only transaction:
    every query sees the database as of the first one, so figures read in several
    queries agree (a commit between two of them would otherwise show in one and not in
    the other). A caller already in a transaction keeps its own (call it outside one).
    SQLite: as is (the dev database; one writer at a time, and its transactions take the
    write lock, which a long read should not hold)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
