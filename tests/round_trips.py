"""Counting a test's exchanges with PostgreSQL."""

import psycopg


class RoundTrips:
    """Counts psycopg Connection.wait() calls. Inside a transaction (these tests run in
    one) that is one per exchange with the server: a statement, SAVEPOINT, RELEASE. Outside
    one it is not exact (psycopg's BEGIN shares the first statement's wait; switching
    autocommit is a wait with no exchange): the benchmarks count from libpq's protocol
    trace instead (bench/common.round_trips)."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = psycopg.Connection.wait

        def wait(conn, *args, **kwargs):
            self.count += 1
            return original(conn, *args, **kwargs)

        monkeypatch.setattr(psycopg.Connection, "wait", wait)

    def __call__(self, call) -> int:
        """The round trips of `call()`."""
        before = self.count
        call()
        return self.count - before
