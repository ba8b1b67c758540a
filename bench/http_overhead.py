"""Per-request cost outside the services: middleware, authentication, throttling, rendering.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjcxq_bench .venv/bin/python \
        bench/http_overhead.py [--requests 2000] [--profile] [--log-level WARNING] \
        [--server] [--processes 3] [--clients 20] [--http-requests 4000]

1. In process (django.test.Client, the whole middleware stack): per request CPU ms, wall
   ms, ORM statements (an execute wrapper) and database round trips (every psycopg
   exchange, BEGIN and COMMIT included) for
     - GET  /api/v1/me/                       token-authenticated, the cheapest API read;
     - POST /api/v1/me/ without Idempotency-Key  (405 problem: no service runs);
     - POST /api/v1/me/ with a fresh Idempotency-Key (the key is claimed, the 405 stored);
     - POST /api/v1/me/ replaying that key.
2. `--profile`: cProfile of the GET, top functions by own time and the time spent under
   each middleware and in DRF's dispatch stages.
3. `--server`: GET /api/v1/me/ through the production server (uWSGI, config/uwsgi.ini) on
   127.0.0.1 (a new connection per request, as bench/vouchers_bench.py does), one client,
   then `--clients` concurrent closed-loop clients; requests/s, p50/p99 and CPU ms per
   request of the server's workers, this database's PostgreSQL backends and this process.

Makes one user and token (`overhead-<run>`) in the database named by DATABASE_URL
(created and migrated if missing); its idempotency records are deleted at the end.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"  # no query log in memory
os.environ.setdefault("THROTTLE_USER", "1000000/min")  # as bench/vouchers_bench.py

import django  # noqa: E402
from common import (  # noqa: E402  (bench/, the script's folder)
    CpuMeter,
    create_database_if_missing,
    drive_http,
    production_server,
    round_trips,
)


def ensure_database() -> None:
    from django.core.management import call_command

    create_database_if_missing()
    call_command("migrate", verbosity=0)


def make_user(run: str) -> str:
    from rest_framework.authtoken.models import Token

    from accounts.models import Role, User

    user = User.objects.create(username=f"overhead-{run}", role=Role.REVIEWER)
    return Token.objects.create(user=user).key


def clean_up(run: str) -> None:
    from core.models import IdempotencyRecord

    IdempotencyRecord.objects.filter(key__startswith=f"overhead-{run}-").delete()


# --- 1. in process -----------------------------------------------------------------------


def _shape(sql: str) -> str:
    """`SELECT authtoken_token`, `INSERT core_idempotencyrecord`, ..."""
    words = sql.replace('"', "").split()
    verb = words[0].upper()
    if verb == "SELECT" and "FROM" in words:
        return f"SELECT {words[words.index('FROM') + 1]}"
    if verb in ("INSERT", "DELETE") and len(words) > 2:
        return f"{verb} {words[2]}"
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    return verb


def in_process(token: str, run: str, n: int) -> None:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    keys = iter(range(10**9))

    def get_me():
        return client.get("/api/v1/me/")

    def post_plain():
        return client.post("/api/v1/me/", b"{}", content_type="application/json")

    def post_key():
        return client.post("/api/v1/me/", b"{}", content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=f"overhead-{run}-{next(keys)}")

    client.post("/api/v1/me/", b"{}", content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"overhead-{run}-replay")

    def post_replay():
        return client.post("/api/v1/me/", b"{}", content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=f"overhead-{run}-replay")

    cases = [
        ("GET me/", get_me, 200),
        ("POST, no key", post_plain, 405),
        ("POST, new key", post_key, 405),
        ("POST, replay", post_replay, 405),
    ]
    print(f"\n1. In process (django.test.Client, whole middleware stack), {n} requests each")
    print(f"   {'request':<16}{'CPU ms':>9}{'wall ms':>9}{'queries':>9}{'round trips':>13}"
          f"   queries")
    for name, call, expected in cases:
        for _ in range(50):  # warm: imports, connection, caches
            response = call()
        assert response.status_code == expected, (name, response.status_code, response.content)
        statements: list[str] = []

        def capture(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            _, trips = round_trips(call)
        shapes = ", ".join(_shape(sql) for sql in statements)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            call()
        cpu = (time.process_time() - cpu0) / n * 1000
        wall = (time.perf_counter() - wall0) / n * 1000
        print(f"   {name:<16}{cpu:>9.3f}{wall:>9.3f}{len(statements):>9}"
              f"{trips:>13}   {shapes[:90]}")


# --- 2. profile --------------------------------------------------------------------------


def profile(token: str, n: int, top: int) -> None:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    for _ in range(50):
        client.get("/api/v1/me/")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get("/api/v1/me/")
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"\n2. cProfile of {n} x GET /api/v1/me/: {total / n * 1000:.3f} ms per request "
          "(profiler overhead included; compare shares, not absolutes)")
    entries = stats.stats  # (file, line, name) -> (cc, nc, tt, ct, callers)

    def cumulative(match) -> float:
        best = 0.0
        for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in entries.items():
            if match(file, name):
                best += ct
        return best

    print("   time under (cumulative, µs per request):")
    probes = [
        ("test Client (request building)", lambda f, n: f.endswith("django/test/client.py")
         and n == "request"),
        ("SecurityMiddleware", lambda f, n: f.endswith("middleware/security.py")
         and n in ("process_request", "process_response")),
        ("WhiteNoiseMiddleware", lambda f, n: "whitenoise/middleware" in f and n == "__call__"),
        ("RequestLogMiddleware", lambda f, n: f.endswith("core/logging.py")
         and n == "__call__"),
        ("  logging (the JSON line)", lambda f, n: f.endswith("logging/__init__.py")
         and n == "info"),
        ("SessionMiddleware", lambda f, n: f.endswith("sessions/middleware.py")
         and n in ("process_request", "process_response")),
        ("LocaleMiddleware", lambda f, n: f.endswith("middleware/locale.py")
         and n in ("process_request", "process_response")),
        ("CommonMiddleware", lambda f, n: f.endswith("middleware/common.py")
         and n in ("process_request", "process_response")),
        ("CsrfViewMiddleware", lambda f, n: f.endswith("middleware/csrf.py")
         and n in ("process_request", "process_view", "process_response")),
        ("AuthenticationMiddleware", lambda f, n: f.endswith("auth/middleware.py")
         and n == "process_request"),
        ("MessageMiddleware", lambda f, n: f.endswith("messages/middleware.py")
         and n in ("process_request", "process_response")),
        ("XFrameOptionsMiddleware", lambda f, n: f.endswith("middleware/clickjacking.py")
         and n == "process_response"),
        ("IdempotencyMiddleware", lambda f, n: f.endswith("core/idempotency.py")
         and n == "__call__"),
        ("URL resolving", lambda f, n: f.endswith("core/handlers/base.py")
         and n == "resolve_request"),
        ("APIView.dispatch", lambda f, n: f.endswith("rest_framework/views.py")
         and n == "dispatch"),
        ("  initialize_request", lambda f, n: f.endswith("rest_framework/views.py")
         and n == "initialize_request"),
        ("  authentication", lambda f, n: f.endswith("rest_framework/request.py")
         and n == "_authenticate"),
        ("    token query (execute)", lambda f, n: f.endswith("django/db/backends/utils.py")
         and n == "execute"),
        ("  content negotiation", lambda f, n: f.endswith("rest_framework/views.py")
         and n == "perform_content_negotiation"),
        ("  permissions", lambda f, n: f.endswith("rest_framework/views.py")
         and n == "check_permissions"),
        ("  throttles", lambda f, n: f.endswith("rest_framework/views.py")
         and n == "check_throttles"),
        ("  view (get)", lambda f, n: f.endswith("accounts/api.py") and n == "get"),
        ("  finalize_response", lambda f, n: f.endswith("rest_framework/views.py")
         and n == "finalize_response"),
        ("rendering (Response.rendered_content)", lambda f, n:
         f.endswith("rest_framework/response.py") and n == "rendered_content"),
        ("request_finished signal", lambda f, n: f.endswith("django/http/response.py")
         and n == "close"),
    ]
    for label, match in probes:
        print(f"     {label:<40}{cumulative(match) / n * 1e6:>9.1f}")
    print(f"   top {top} by own time:")
    ranked = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (file, line, name), (_cc, nc, tt, ct, _callers) in ranked:
        short = "/".join(file.split("/")[-3:])
        print(f"     {tt / n * 1e6:8.1f} µs own {ct / n * 1e6:8.1f} µs cum "
              f"{nc / n:6.1f} calls  {short}:{line} {name}")


# --- 3. the production server ------------------------------------------------------------


def _drive(port: int, token: str, requests: int, clients: int) -> tuple[list[float], dict]:
    return drive_http(port, [("GET", "/api/v1/me/", {"Authorization": f"Token {token}"}, b"")]
                      * requests, clients)


def server(token: str, processes: int, clients: int, requests: int) -> None:
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    with production_server(processes) as (port, server_pid):
        _drive(port, token, processes * 50, clients)  # warm every worker
        meter = CpuMeter(server_pid, settings.DATABASES["default"]["NAME"])
        print(f"\n3. uWSGI (config/uwsgi.ini): {processes} processes, {clients} concurrent "
              f"closed-loop clients, {requests} x GET /api/v1/me/")
        for label, count, concurrency in (("1 client", min(requests, 500), 1),
                                          (f"{clients} clients", requests, clients)):
            began = time.perf_counter()
            with meter.measure() as cpu:
                latencies, statuses = _drive(port, token, count, concurrency)
            seconds = time.perf_counter() - began
            ordered = sorted(latencies)
            p50 = statistics.median(ordered) * 1000
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
            print(f"   {label:<11}{len(ordered) / seconds:>7,.0f} req/s  p50 {p50:6.1f} ms  "
                  f"p99 {p99:6.1f} ms  CPU ms/req: {cpu.per_request(len(ordered))}  "
                  f"statuses {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--log-level", default="WARNING",
                        help="WARNING (as the voucher benchmark) or INFO (a request log line "
                        "per request, as in production)")
    parser.add_argument("--server", action="store_true")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--http-requests", type=int, default=4000)
    parser.add_argument("--skip-in-process", action="store_true")
    options = parser.parse_args()
    os.environ["LOG_LEVEL"] = options.log_level
    if options.log_level != "WARNING":
        # the request log goes to stderr: keep it off the terminal, but pay for it
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    django.setup()
    if options.log_level != "WARNING":
        import logging

        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sys.stderr)

    import logging

    # the POSTs answer 405, which django.request logs as a warning: not what is measured
    logging.getLogger("django.request").setLevel(logging.ERROR)
    ensure_database()
    run = secrets.token_hex(3).upper()
    db = django.conf.settings.DATABASES["default"]
    print(f"HTTP overhead, run {run}, {os.cpu_count()} CPU(s), {db['ENGINE'].rsplit('.', 1)[1]} "
          f"{db['NAME']}, CONN_MAX_AGE {db.get('CONN_MAX_AGE')}, log level {options.log_level}")
    token = make_user(run)
    try:
        if not options.skip_in_process:
            in_process(token, run, options.requests)
        if options.profile:
            profile(token, options.requests, options.top)
        if options.server:
            server(token, options.processes, options.clients, options.http_requests)
    finally:
        clean_up(run)


if __name__ == "__main__":
    main()
