"""What every API request pays outside the services: token lookup, Idempotency-Key, throttles,
content negotiation, the request log line. Each cut keeps the behaviour; these tests hold both.
"""

import json
import logging

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient

import core.idempotency
from accounts.models import Role
from core.authentication import (
    UserRateThrottle,
    request_token,
    token_key,
    token_lookup,
)
from core.logging import RequestLogMiddleware
from core.models import IdempotencyRecord
from core.views import ContentNegotiation
from tests.factories import UserFactory, staff_user

ME = "/api/v1/me/"


class Statements:
    """Every statement sent through Django's connection while active."""

    def __init__(self):
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def touching(self, table: str) -> list[str]:
        return [s for s in self.sql if table in s]


def _token_client(user) -> tuple[Client, Token]:
    token = Token.objects.create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}"), token


# --- token lookup --------------------------------------------------------------------------


@pytest.mark.parametrize("header, key", [
    (None, None), ("", None), ("Basic abc", None), ("Token abc", "abc"), ("token abc", "abc"),
    (b"Token abc", "abc"), ("Token", ""), ("Token a b", ""), ("Token  abc ", "abc"),
])
def test_token_key_reads_the_header_as_drf_does(header, key):
    assert token_key(header) == key


@pytest.mark.django_db
@pytest.mark.parametrize("staff", [False, True])
def test_token_lookup_is_the_orm_query_in_one_round_trip(staff, django_assert_num_queries):
    user = staff_user(Role.REVIEWER) if staff else UserFactory()
    token = Token.objects.create(user=user)
    expected = Token.objects.select_related("user__organization").get(key=token.key)
    for _ in range(2):  # the compiled statement is reused
        with django_assert_num_queries(1):
            found = token_lookup(token.key)
        with django_assert_num_queries(0):  # user and organisation came with it
            organization = found.user.organization
        assert (found.key, found.user_id, found.created) == (token.key, user.pk, expected.created)
        assert found.user.__dict__.keys() >= {"username", "role", "is_active", "password"}
        assert {k: v for k, v in vars(found.user).items() if k != "_state"} == {
            k: v for k, v in vars(expected.user).items() if k != "_state"
        }
        assert found.user._state.adding is False
        if staff:
            assert organization is None
        else:
            assert vars(organization).keys() == vars(expected.user.organization).keys()
            assert organization.pk == user.organization_id
            assert organization.status == expected.user.organization.status
    assert token_lookup("no-such-token") is None


@pytest.mark.django_db
def test_a_request_looks_its_token_up_once(django_assert_num_queries):
    token = Token.objects.create(user=UserFactory())
    request = RequestFactory().get(ME)
    with django_assert_num_queries(1):
        assert request_token(request, token.key).pk == token.pk
        assert request_token(request, token.key).pk == token.pk
    with django_assert_num_queries(1):  # another key on the same request is its own lookup
        assert request_token(request, "other") is None


@pytest.mark.django_db
def test_bad_tokens_are_401_problems():
    user = UserFactory()
    client, _ = _token_client(user)
    assert client.get(ME).status_code == 200
    user.is_active = False
    user.save()
    inactive = client.get(ME)
    assert inactive.status_code == 401
    assert inactive.json()["code"] == "not_authenticated"
    for header in ("Token nope", "Token", "Token a b"):
        response = Client(HTTP_AUTHORIZATION=header).get(ME)
        assert response.status_code == 401, header
        assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_me_costs_one_query_with_a_token(django_assert_num_queries):
    client, _ = _token_client(UserFactory())
    client.get(ME)
    with django_assert_num_queries(1):
        assert client.get(ME).status_code == 200


# --- Idempotency-Key -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_post_without_idempotency_key_makes_no_idempotency_query_nor_hash(monkeypatch):
    def no_hashing(request):
        raise AssertionError("hashed a request without Idempotency-Key")

    monkeypatch.setattr(core.idempotency, "_digest", no_hashing)
    client, _ = _token_client(UserFactory())
    statements = Statements()
    with connection.execute_wrapper(statements):
        response = client.post(ME, b"{}", content_type="application/json")
    assert response.status_code == 405
    assert statements.touching("core_idempotencyrecord") == []
    assert len(statements.touching("authtoken_token")) == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_post_with_a_key_looks_the_token_up_once_and_claims_under_the_user():
    user = UserFactory()
    client, _ = _token_client(user)
    statements = Statements()
    with connection.execute_wrapper(statements):
        first = client.post(ME, b"{}", content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY="once")
    assert first.status_code == 405
    assert len(statements.touching("authtoken_token")) == 1
    assert [s.split()[0] for s in statements.touching("core_idempotencyrecord")] == [
        "INSERT", "UPDATE"]
    record = IdempotencyRecord.objects.get()
    assert (record.principal, record.key, record.state) == (f"user:{user.pk}", "once", "done")
    replay = client.post(ME, b"{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="once")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


@pytest.mark.django_db
def test_keys_are_per_user_and_a_bad_token_claims_nothing_of_theirs():
    one_user, two_user = UserFactory(), UserFactory()
    one, _ = _token_client(one_user)
    two, _ = _token_client(two_user)
    for client in (one, two):
        response = client.post(ME, b"{}", content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY="shared")
        assert "Idempotent-Replayed" not in response
    bad = Client(HTTP_AUTHORIZATION="Token nope").post(
        ME, b"{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="shared")
    assert bad.status_code == 401
    assert set(IdempotencyRecord.objects.values_list("principal", flat=True)) == {
        f"user:{one_user.pk}", f"user:{two_user.pk}", "token:invalid"}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_key_is_claimed_without_begin_and_commit(monkeypatch):
    """In autocommit the INSERT commits by itself: no atomic block, no extra round trips."""

    def no_atomic(*args, **kwargs):
        raise AssertionError("transaction.atomic used in autocommit")

    client, _ = _token_client(UserFactory())
    monkeypatch.setattr(core.idempotency.transaction, "atomic", no_atomic)
    first = client.post(ME, b"{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    again = client.post(ME, b"{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    other = client.post(ME, b'{"a": 1}', content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == again.status_code == 405
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


# --- session-authenticated API requests keep CSRF ------------------------------------------


@pytest.mark.django_db
def test_session_authenticated_api_posts_still_need_the_csrf_token():
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(ME).json()["username"] == user.username
    response = client.post(ME, {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# --- throttles -----------------------------------------------------------------------------


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _throttle(rate: str, clock: _Clock, cache) -> UserRateThrottle:
    throttle = UserRateThrottle()
    throttle.rate = rate
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    throttle.timer = clock
    throttle.cache = cache
    return throttle


def _request_as(user):
    request = Request(RequestFactory().get(ME))
    request.user = user
    return request


@pytest.mark.django_db
def test_user_throttle_allows_the_rate_then_refuses_without_counting_refusals():
    cache, clock = LocMemCache("throttle-test", {}), _Clock(6000.0)  # a window starts
    user, other = UserFactory(), UserFactory()

    def allowed(who=user):
        return _throttle("3/min", clock, cache).allow_request(_request_as(who), None)

    assert [allowed() for _ in range(3)] == [True, True, True]
    throttle = _throttle("3/min", clock, cache)
    assert throttle.allow_request(_request_as(user), None) is False
    assert 1 <= throttle.wait() <= 120
    assert allowed(other)  # per user
    clock.now += 30  # still the same window
    assert not allowed()
    clock.now += 45  # next window, 15 s in: the previous 3 count for 3 × 0.75 = 2.25
    assert not allowed()
    clock.now += 15  # 30 s in: 3 × 0.5 = 1.5, room for one
    assert allowed()
    assert not allowed()
    clock.now += 120  # two windows later: all forgotten
    assert [allowed() for _ in range(3)] == [True, True, True]


@pytest.mark.django_db
def test_a_throttled_api_request_is_a_429_problem_with_retry_after(monkeypatch):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "rate", "2/min", raising=False)
    client, _ = _token_client(UserFactory())
    assert [client.get(ME).status_code for _ in range(2)] == [200, 200]
    refused = client.get(ME)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 120
    cache.clear()


# --- content negotiation -------------------------------------------------------------------


class _PdfRenderer(JSONRenderer):
    media_type = "application/pdf"
    format = "pdf"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html",
                                    "application/json; indent=4", "text/html, */*;q=0.8"])
@pytest.mark.parametrize("renderers", [
    [JSONRenderer(), BrowsableAPIRenderer()], [_PdfRenderer(), JSONRenderer()],
])
def test_negotiation_answers_as_drf_does(accept, renderers):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    def select(negotiation):
        request = Request(RequestFactory().get(ME, **headers))
        try:
            return negotiation.select_renderer(request, renderers)
        except NotAcceptable:
            return "406"

    assert select(ContentNegotiation()) == select(DefaultContentNegotiation())


@pytest.mark.django_db
def test_api_answers_json_without_accept_and_the_browsable_page_for_browsers():
    client, _ = _token_client(UserFactory())
    assert client.get(ME)["Content-Type"] == "application/json"
    assert client.get(ME, HTTP_ACCEPT="*/*")["Content-Type"] == "application/json"
    assert client.get(ME, HTTP_ACCEPT="text/html")["Content-Type"].startswith("text/html")
    assert client.get(ME + "?format=api")["Content-Type"].startswith("text/html")
    assert client.get(ME + "?format=json")["Content-Type"] == "application/json"
    assert Client().get(ME)["Content-Type"] == "application/problem+json"


# --- request log ---------------------------------------------------------------------------


def _lazy_user_that_must_not_load():
    def load():
        raise AssertionError("the user was loaded for the log line")

    return SimpleLazyObject(load)


def test_below_info_the_request_line_does_not_load_the_user(caplog):
    request = RequestFactory().get("/healthz")
    request.user = _lazy_user_that_must_not_load()
    caplog.set_level(logging.WARNING, logger="kjcxq.request")
    response = RequestLogMiddleware(lambda r: json_response())(request)
    assert response["X-Request-ID"] == request.request_id
    assert not [r for r in caplog.records if r.name == "kjcxq.request"]


def test_at_info_the_request_line_carries_the_fields(caplog):
    request = RequestFactory().post("/api/v1/x/", HTTP_X_REQUEST_ID="rid-1")
    caplog.set_level(logging.INFO, logger="kjcxq.request")
    response = RequestLogMiddleware(lambda r: json_response(201))(request)
    assert response["X-Request-ID"] == "rid-1"
    (record,) = [r for r in caplog.records if r.name == "kjcxq.request"]
    assert (record.request_id, record.method, record.path, record.status, record.user_id) == (
        "rid-1", "POST", "/api/v1/x/", 201, None)
    assert record.duration_ms >= 0


def json_response(status=200):
    from django.http import HttpResponse

    return HttpResponse(json.dumps({}), status=status, content_type="application/json")


# --- settings: persistent, prepared database connections; the production server ---------


def _in_a_fresh_process(load: str, code: str, **environ) -> str:
    """`print(code)` after `load` (which binds `s`), in a process with `environ`."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    ours = ("DB_", "UWSGI_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(environ)
    result = subprocess.run(
        [sys.executable, "-c", f"{load}; print(repr(({code},)))"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )
    return result.stdout.strip()


SETTINGS = "import config.settings.base as s"


def test_postgres_connections_persist_and_prepare_their_statements():
    url = "postgres://postgres@127.0.0.1:5432/x"
    code = "s.DATABASES['default'].get('OPTIONS') or {}, s.DATABASES['default']['CONN_MAX_AGE'], " \
           "s.LEDGER_PREPARED_STATEMENTS"
    on = _in_a_fresh_process(SETTINGS, code, DATABASE_URL=url)
    assert on == "({'server_side_binding': True, 'prepare_threshold': 5}, 60, True)"
    off = _in_a_fresh_process(SETTINGS, code, DATABASE_URL=url, DB_PREPARED_STATEMENTS="0")
    assert off == "({}, 60, False)"
    sqlite = _in_a_fresh_process(SETTINGS, "s.DATABASES['default']['OPTIONS']['timeout']")
    assert sqlite == "(30,)"


def test_the_production_server_serves_the_app(tmp_path):
    """`uwsgi --ini config/uwsgi.ini` starts, answers /healthz through the whole middleware
    stack, accepts 16 kB of request headers (a browser's cookies), and stops on SIGTERM."""
    import http.client
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "DATABASE_URL"))}
    env.update(UWSGI_HTTP_SOCKET=f"127.0.0.1:{port}", UWSGI_PROCESSES="2",
               DATABASE_URL=f"sqlite:///{tmp_path / 'server.sqlite3'}")
    server = subprocess.Popen([str(Path(sys.executable).parent / "uwsgi"), "--ini",
                               "config/uwsgi.ini"], cwd=Path(__file__).resolve().parents[2],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz", headers={"Cookie": "c=" + "x" * 16_000})
                response = conn.getresponse()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.2)
        assert response.status == 200
        assert response.read() == b'{"status": "ok", "database": "ok"}'
        assert response.getheader("X-Request-ID")
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def test_the_wsgi_module_hides_the_loaded_app_from_the_garbage_collector():
    """config.wsgi loads the URL conf and freezes: a worker's full collections then skip
    the ~100,000 objects that live as long as the process (130-165 ms each when they
    did not, measured under load)."""
    frozen = _in_a_fresh_process("import gc, config.wsgi; s = gc",
                                 "s.get_freeze_count() > 50_000, "
                                 "'vouchers.api' in __import__('sys').modules")
    assert frozen == "(True, True)"
