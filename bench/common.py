"""Helpers the benchmarks share (no Django set-up here: each script sets its own settings)."""

import socket


class RoundTrips:
    """Counts client/server exchanges: every call of psycopg's Connection.wait() is one
    (a statement, BEGIN, COMMIT, SAVEPOINT, RELEASE), whoever sends it (the ORM, or the
    ledger's raw psycopg cursors)."""

    def __init__(self):
        import psycopg

        self.count = 0
        self._original = psycopg.Connection.wait
        counter = self

        def wait(conn, *args, **kwargs):
            counter.count += 1
            return counter._original(conn, *args, **kwargs)

        psycopg.Connection.wait = wait

    def close(self):
        import psycopg

        psycopg.Connection.wait = self._original


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
