"""Caches that live exactly as long as one database connection (its Django wrapper).

What Django compiles for a connection (SQL text, the converters of its backend's
operations) may be cached per connection, but the cache must not keep the connection
alive. A module-level `WeakKeyDictionary` keyed by the wrapper does not do that once a
value refers back to the wrapper (a compiler, a bound `connection.ops` method): the
dictionary holds the value strongly, the value the key, and the wrapper, with its open
database connection, is never freed. Thread-per-request servers (`runserver`) make a
wrapper per request thread, so every request left an idle PostgreSQL connection behind
(issue #14, tests/core/test_connections.py).

Stored on the wrapper itself, the cache is part of the wrapper's own object graph: when
the thread that owned the wrapper ends, both go together. A value may refer to the
wrapper freely.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

_ATTRIBUTE = "_kjcxq_per_connection"


def cache(db: BaseDatabaseWrapper) -> dict:
    """The cache dict of the connection wrapper `db` (made on first use)."""
    found = db.__dict__.get(_ATTRIBUTE)
    if found is None:
        found = db.__dict__[_ATTRIBUTE] = {}
    return found
