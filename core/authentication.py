"""Token authentication that loads the user's organisation in the same query, cheaply.

Every member request checks the organisation's status; DRF's TokenAuthentication would
fetch it with a second query. The lookup runs on every API request, so its SQL is built
by the ORM once per database connection and reused (building it took more CPU than the
rest of a cheap request: ~0.5 ms of ~1.5 ms). The compiled query is kept on the
connection's wrapper (core.per_connection), never in a module-level map that would keep
the connection open after its thread ended (issue #14). The objects are made by the same Django
machinery a queryset uses (`from_db` and the select_related populators), so the token,
user and organisation are exactly what
`Token.objects.select_related("user__organization").get(key=key)` returns.

A request is looked up at most once: the idempotency middleware, which needs the caller
before the view runs, and the DRF authentication share the result (`request_token`).

The rate throttles (how often a caller may call) are here too: DRF's keep a list that
grows with the rate; ours cost the same at any rate (see _WindowCounterThrottle).
"""

import contextlib

from django.db import connections, router
from django.db.models.query import get_related_populators
from rest_framework import throttling as drf_throttling
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from core import per_connection

KEYWORD = "Token"
_PLACEHOLDER = "\x00token-key\x00"
_REQUEST_ATTRIBUTE = "_kjcxq_token"


def token_key(authorization: str | bytes | None) -> str | None:
    """The key of an `Authorization: Token <key>` header, parsed as DRF parses it.

    None when the header is absent or not a token header; "" when it is a malformed token
    header (DRF answers 401 to it).
    """
    if not authorization:
        return None
    if isinstance(authorization, str):
        authorization = authorization.encode("iso-8859-1", "replace")
    parts = authorization.split()
    if not parts or parts[0].lower() != b"token":
        return None
    if len(parts) != 2:
        return ""
    try:
        return parts[1].decode()
    except UnicodeError:
        return ""


class _TokenQuery:
    """The token + user + organisation SELECT, compiled once for one connection."""

    def __init__(self, connection):
        queryset = Token.objects.select_related("user__organization").filter(key=_PLACEHOLDER)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [_PLACEHOLDER]:
            raise RuntimeError(f"unexpected token query parameters: {params!r}")
        self.sql = sql
        self.alias = connection.alias
        self.compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        self.converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [s[0].target.attname for s in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, connection.alias)

    def fetch(self, connection, key: str) -> Token | None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        token = Token.from_db(self.alias, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, token)
        return token


def token_lookup(key: str) -> Token | None:
    """The token with its user and the user's organisation, in one round trip, or None."""
    connection = connections[router.db_for_read(Token)]
    cached = per_connection.cache(connection)
    query = cached.get(_TokenQuery)
    if query is None:
        query = cached[_TokenQuery] = _TokenQuery(connection)
    return query.fetch(connection, key)


def request_token(request, key: str) -> Token | None:
    """`token_lookup(key)`, done once per request (the Django HttpRequest)."""
    cached = getattr(request, _REQUEST_ATTRIBUTE, None)
    if cached is not None and cached[0] == key:
        return cached[1]
    token = token_lookup(key) if key else None
    setattr(request, _REQUEST_ATTRIBUTE, (key, token))
    return token


class OrganisationTokenAuthentication(TokenAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        key = token_key(request.META.get("HTTP_AUTHORIZATION"))
        if not key:  # absent, another scheme, or malformed: DRF says which
            return super().authenticate(request)
        return self._check(request_token(request._request, key))

    def authenticate_credentials(self, key):
        return self._check(token_lookup(key))

    @staticmethod
    def _check(token):
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return token.user, token


# --- throttling ---------------------------------------------------------------------------


class _WindowCounterThrottle:
    """DRF's rate throttles with two counters in place of a timestamp list (mixin).

    DRF's SimpleRateThrottle keeps every request time of the last period in one cache
    entry, read and rewritten whole on each request: its cost grows with the rate (at 100
    requests/s per worker and a one-minute period, 6,000 floats pickled twice a request).
    Here the cache holds a count per fixed window of one period; the rate is estimated over
    the sliding period as `previous window × the share of it still inside the period +
    current window`, so a burst across a window boundary is limited as with the list. Two
    cache operations per request whatever the rate; a refused request is not counted (as
    in DRF), so a client sending too fast still gets the allowed rate through.
    """

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window, elapsed = divmod(now, self.duration)
        current = f"{self.key}:{int(window)}"
        count = self._increment(current)  # this request included
        previous = self.cache.get(f"{self.key}:{int(window) - 1}", 0)
        weight = 1 - elapsed / self.duration
        if previous * weight + count <= self.num_requests:
            return True
        with contextlib.suppress(ValueError):  # ValueError: expired meanwhile
            self.cache.decr(current)  # not counted, as DRF does not count a refused request
        self._wait = self._wait_for(previous, count - 1, elapsed)
        return False

    def _increment(self, key: str) -> int:
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request
            if self.cache.add(key, 1, 2 * self.duration + 1):
                return 1
            return self.cache.incr(key)

    def _wait_for(self, previous: int, count: int, elapsed: float) -> float:
        """Seconds until one more request fits."""
        left_in_window = self.duration - elapsed
        if count >= self.num_requests:  # not before the next window, then as it decays
            if count == 0:  # a rate of 0 requests
                return left_in_window
            return left_in_window + self.duration * (1 - (self.num_requests - 1) / count)
        # previous × (1 − (elapsed + t) / duration) + count + 1 ≤ num_requests
        share = 1 - (self.num_requests - 1 - count) / previous
        return max(1.0, min(left_in_window, self.duration * share - elapsed))

    def wait(self):
        return self._wait


class AnonRateThrottle(_WindowCounterThrottle, drf_throttling.AnonRateThrottle):
    """DRF's AnonRateThrottle (scope `anon`, by client address), counted in windows."""


class UserRateThrottle(_WindowCounterThrottle, drf_throttling.UserRateThrottle):
    """DRF's UserRateThrottle (scope `user`, by user id), counted in windows."""
