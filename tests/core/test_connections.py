"""Database connections of a thread-per-request server are released when the thread ends.

Django's `runserver` (and any thread-per-request WSGI server) opens one connection per
request thread; with DB_CONN_MAX_AGE > 0 nothing closes it at the end of the request, and
it goes when the thread's `DatabaseWrapper` is garbage-collected. A per-connection cache
whose value referenced the connection kept every wrapper alive (the token query cache,
core/authentication.py): ~1 idle PostgreSQL connection per request, until "too many
clients" (issue #14). These tests serve real threaded HTTP requests the way runserver
does and count what stays open.
"""

import gc
import socketserver
import threading
import time
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler

import pytest
from django.core.servers.basehttp import WSGIServer, get_internal_wsgi_application
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from rest_framework.authtoken.models import Token

from accounts.models import Organization
from core import rows
from tests.factories import OrganizationFactory, UserFactory

REQUESTS = 40


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _RunserverLikeServer(socketserver.ThreadingMixIn, WSGIServer):
    """What `manage.py runserver` builds (django.core.servers.basehttp.run): a thread per
    request, and no `connections.close_all()` when a request ends (unlike the test
    server `live_server` uses, which would hide the leak)."""

    daemon_threads = True
    request_threads: list[threading.Thread]

    def process_request_thread(self, request, client_address):
        self.request_threads.append(threading.current_thread())
        super().process_request_thread(request, client_address)

    def wait_for_requests(self) -> None:
        """The client has its response a moment before the request's thread ends."""
        for thread in self.request_threads:
            thread.join(timeout=30)


@pytest.fixture
def threaded_server(transactional_db, monkeypatch):
    # persistent connections, as DATABASE_URL gives them by default (DB_CONN_MAX_AGE=60)
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "CONN_MAX_AGE", 60)
    server = _RunserverLikeServer(("127.0.0.1", 0), _QuietHandler)
    server.request_threads = []
    server.set_app(get_internal_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _serve(server: _RunserverLikeServer, token: Token, paths: list[str]) -> None:
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    for path in paths:
        request = urllib.request.Request(base_url + path,
                                         headers={"Authorization": f"Token {token.key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200, path
            response.read()
    server.wait_for_requests()


def _paths() -> list[str]:
    """Authenticated API reads (each looks its token up) and the health check."""
    return ["/api/v1/programmes/", "/api/v1/me/", "/healthz"] * (REQUESTS // 3) + [
        "/api/v1/programmes/"] * (REQUESTS % 3)


def _other_threads_wrappers() -> list[BaseDatabaseWrapper]:
    """Connection wrappers still alive, after a full collection, other than this thread's."""
    gc.collect()
    own = connections[DEFAULT_DB_ALIAS]
    return [w for w in gc.get_objects() if isinstance(w, BaseDatabaseWrapper) and w is not own]


def test_request_threads_leave_no_connection_behind(threaded_server):
    token = Token.objects.create(user=UserFactory(organization=OrganizationFactory()))
    before = len(_other_threads_wrappers())
    _serve(threaded_server, token, _paths())
    # Every request ran in its own thread, which has ended: nothing may still hold the
    # thread's connection (open or not) once the collector has run.
    assert len(_other_threads_wrappers()) == before


@pytest.mark.postgres
def test_postgres_backends_stay_bounded_under_threaded_requests(threaded_server):
    token = Token.objects.create(user=UserFactory(organization=OrganizationFactory()))

    def backends() -> int:
        """Other sessions on the test database. A closed connection's backend process
        takes a moment to exit: a count above 0 is read again for up to 5 s."""
        gc.collect()
        for _ in range(50):
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity"
                               " WHERE datname = current_database()"
                               " AND pid <> pg_backend_pid()")
                count = cursor.fetchone()[0]
            if count == 0:
                break
            time.sleep(0.1)
        return count

    assert backends() == 0
    for _ in range(3):  # batch after batch: no connection of a finished request stays
        _serve(threaded_server, token, _paths())
        assert backends() == 0


def test_core_rows_converters_keep_no_thread_connection(transactional_db):
    """core.rows caches a model's converters; on SQLite they are methods of the
    connection's `ops`, so a module-level cache kept the first connection that filled it."""
    organization = OrganizationFactory()
    built = []

    def in_a_thread():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {rows.columns(Organization, 'o')}"
                           " FROM accounts_organization o WHERE o.id = %s", [organization.pk])
            built.append(rows.build(Organization, cursor.fetchone()))

    before = len(_other_threads_wrappers())
    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert built[0].public_id == organization.public_id  # converted (a UUID on SQLite too)
    assert len(_other_threads_wrappers()) == before
