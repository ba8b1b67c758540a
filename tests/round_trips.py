"""Counting a test's exchanges with PostgreSQL."""

import psycopg


class RoundTrips:
    """Counts psycopg Connection.wait() calls: one per exchange with the server (a
    statement, BEGIN, COMMIT, SAVEPOINT, RELEASE), as bench/common.py does."""

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
