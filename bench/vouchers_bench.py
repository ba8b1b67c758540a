"""Voucher lifecycle benchmark (PostgreSQL). Prints figures; changes nothing but its own data.

    make bench-vouchers
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjcxq_bench .venv/bin/python \
        bench/vouchers_bench.py [--lifecycles 10000] [--workers 4] [--http-claims 4000] \
        [--clients 20] [--rate 100] [--http-workers 3] [--skip-http]

1. Round trips: one lifecycle (apply → approve → submit claim → confirm → approve claim),
   every exchange with the server counted from libpq's protocol trace (ORM, the ledger's
   raw SQL, BEGIN, COMMIT).
2. Services: `--lifecycles` full lifecycles through the services, spread over `--workers`
   processes (one connection each); lifecycles per second (= approved claims per second).
   If the server runs without autovacuum, tables are analysed during the run as
   autovacuum would (common.autovacuum_stand_in).
3. HTTP: the production server (uWSGI, config/uwsgi.ini, `--http-workers` processes) on
   127.0.0.1 (loopback only, stopped at the end); `--http-claims` claims are confirmed (by
   their enterprises), then approved (by a reviewer): the first `--serial` of each by one
   client alone; half the rest by `--clients` concurrent clients offering `--rate`
   requests/s together (open loop, latency counted from when each request was due); the
   other half by `--clients` clients with no think time (closed loop: the throughput at
   saturation). p50 / p99 latency and throughput per endpoint and run.

Each run makes its own programme (BENCH-<run>), organisations and users in the database
named by DATABASE_URL (created and migrated if missing); nothing else is touched.
"""

import argparse
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"  # no query log in memory
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("THROTTLE_USER", "1000000/min")  # one reviewer token, 20 clients

import django  # noqa: E402
from common import (  # noqa: E402  (bench/, the script's folder)
    CpuMeter,
    HostSpeed,
    autovacuum_stand_in,
    create_database_if_missing,
    drive_http,
    production_server,
    round_trips,
)

TARGET_LIFECYCLES_PER_S = 100
TARGET_P99_MS = 50
FACE = 100_000  # 1,000.00 per voucher
SUBSIDY = 50_000  # 500.00 of a 1,000.00 invoice (科技型中小企业: 0.50)
ENTERPRISES = 200
PROVIDERS = 20


def ensure_database() -> None:
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    create_database_if_missing()

    call_command("migrate", verbosity=0)
    analyse_without_autovacuum()


def analyse_without_autovacuum() -> None:
    """ANALYZE when autovacuum is off, after each bulk set-up.

    This machine's PostgreSQL runs with autovacuum off (a test box), so nothing would
    ever gather statistics: the planner then guesses ~1,000 entries per journal and plans
    the ledger's commit-time checks as parallel scans (~10 ms a commit), and with stale
    figures for the organisations, users and tokens made by the set-up it plans the token
    lookup and the claim lock as scans. Gather them, as autovacuum does in production
    (docs/performance.md).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "off":
            cursor.execute("ANALYZE")


def database_size() -> str:
    """The database's size against PostgreSQL's shared buffers: each run adds ~120 MB, and
    once the database is well past the buffers, runs get slower (docs/performance.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())),"
                       " current_setting('shared_buffers')")
        size, buffers = cursor.fetchone()
    return f"{size}; shared_buffers {buffers}"


def uscc(run: str, n: int) -> str:
    from stdnum.cn import uscc as uscc_check

    body = f"91430100{run[:3]}{n:06d}"
    return body + uscc_check.calc_check_digit(body)


def set_up(run: str) -> dict:
    """Programme, enterprises, providers and their users, made through the services where
    the rules live (programme, funding) and in bulk where they do not (organisations)."""
    from django.utils import timezone

    from accounts.identity import person_ref
    from accounts.models import Organization, Role, User
    from vouchers import services

    today = timezone.localdate()
    reviewer = User.objects.create(username=f"bench-{run}-reviewer", role=Role.REVIEWER)
    finance = User.objects.create(username=f"bench-{run}-finance", role=Role.FINANCE)
    programme = services.programme_create(
        code=f"BENCH-{run}", name=f"Benchmark {run}", region_code="430100", year=today.year,
        application_opens=today, application_closes=today, valid_until=today,
        claim_deadline=today, enterprise_annual_cap=10**12, provider_annual_cap=10**12,
        ratios={"high_tech": 4000, "sme_tech": 5000, "default": 3000},
        categories=["testing"], partner_regions=[], actor=reviewer,
    )
    services.programme_fund(programme=programme, amount=10**13, actor=finance)
    orgs = [
        Organization(kind="enterprise", name=f"基准企业{run}-{n}", uscc=uscc(run, n),
                     region_code="430100", status="active",
                     legal_representative_ref=person_ref(f"bench-{run}-person-{n}"),
                     sme_tech_number=f"B{run}{n}", sme_tech_year=today.year)
        for n in range(ENTERPRISES)
    ] + [
        Organization(kind="provider", name=f"基准服务机构{run}-{n}",
                     uscc=uscc(run, 500_000 + n), region_code="430100", status="active",
                     legal_representative_ref=person_ref(f"bench-{run}-person-p{n}"),
                     categories=["testing"], bank_account_name="x", bank_name="x",
                     bank_account_number="6222000000000")
        for n in range(PROVIDERS)
    ]
    Organization.objects.bulk_create(orgs)
    users = User.objects.bulk_create(
        User(username=f"bench-{run}-{org.kind}-{n}", role=org.kind, organization=org)
        for n, org in enumerate(orgs)
    )
    return {
        "programme": programme.pk,
        "reviewer": reviewer.pk,
        "enterprises": [u.pk for u in users[:ENTERPRISES]],
        "providers": [u.pk for u in users[ENTERPRISES:]],
    }


class Actors:
    """The objects a process needs, loaded once with its own connection."""

    def __init__(self, ids: dict):
        from accounts.models import User
        from vouchers.models import Programme

        self.programme = Programme.objects.select_related(
            "pool_account", "appropriation_account").get(pk=ids["programme"])
        users = User.objects.select_related("organization").in_bulk(
            [ids["reviewer"], *ids["enterprises"], *ids["providers"]])
        self.reviewer = users[ids["reviewer"]]
        self.enterprises = [users[i] for i in ids["enterprises"]]
        self.providers = [users[i] for i in ids["providers"]]


def issue_and_submit(actors: Actors, run: str, i: int):
    from django.utils import timezone

    from vouchers import services

    enterprise = actors.enterprises[i % len(actors.enterprises)]
    provider = actors.providers[i % len(actors.providers)]
    application = services.application_submit(
        enterprise=enterprise.organization, programme=actors.programme, amount=FACE,
        actor=enterprise)
    application = services.application_approve(application=application, actor=actors.reviewer)
    claim = services.claim_submit(
        provider=provider.organization, voucher_code=application.voucher.code,
        category="testing", contract_number=f"HT-{i}", contract_date=timezone.localdate(),
        invoice_number=f"BENCH{run}{i:07d}", invoice_amount=2 * SUBSIDY, amount=SUBSIDY,
        actor=provider)
    return enterprise, claim


def lifecycle(actors: Actors, run: str, i: int) -> None:
    from vouchers import services

    enterprise, claim = issue_and_submit(actors, run, i)
    claim = services.claim_confirm(claim=claim, actor=enterprise)
    services.claim_approve(claim=claim, actor=actors.reviewer)


# --- 1. round trips ----------------------------------------------------------------------


def count_round_trips(ids: dict, run: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from vouchers import services

    actors = Actors(ids)
    lifecycle(actors, run, 9_000_000)  # warm-up: the provider's payable account exists
    enterprise, provider = actors.enterprises[0], actors.providers[0]
    steps = []

    def measure(name, call):
        with CaptureQueriesContext(connection) as captured:
            result, trips = round_trips(call)
        orm = [q["sql"].split()[0].upper() for q in captured.captured_queries]
        savepoints = sum(1 for s in orm if s in ("SAVEPOINT", "RELEASE"))
        steps.append((name, trips, savepoints))
        return result

    application = measure("apply", lambda: services.application_submit(
        enterprise=enterprise.organization, programme=actors.programme, amount=FACE,
        actor=enterprise))
    application = measure("approve application (issue)", lambda: services.
                          application_approve(application=application,
                                              actor=actors.reviewer))
    claim = measure("submit claim", lambda: services.claim_submit(
        provider=provider.organization, voucher_code=application.voucher.code,
        category="testing", contract_number="HT-RT", contract_date=timezone.localdate(),
        invoice_number=f"BENCH{run}RT", invoice_amount=2 * SUBSIDY, amount=SUBSIDY,
        actor=provider))
    claim = measure("confirm (hold)", lambda: services.claim_confirm(claim=claim,
                                                                     actor=enterprise))
    measure("approve claim (post)", lambda: services.claim_approve(
        claim=claim, actor=actors.reviewer))
    print("\n1. Database round trips per lifecycle (every exchange with the server, "
          "BEGIN and COMMIT included)")
    print(f"   {'step':<30}{'round trips':>12}{'of which savepoint':>20}")
    for name, count, savepoints in steps:
        print(f"   {name:<30}{count:>12}{savepoints:>20}")
    total = sum(s[1] for s in steps)
    print(f"   {'total':<30}{total:>12}{sum(s[2] for s in steps):>20}")
    return total


# --- 2. services -------------------------------------------------------------------------


def _service_worker(args):
    ids, run, indexes, start_at = args
    from django.db import connection

    actors = Actors(ids)
    while time.time() < start_at:
        time.sleep(0.001)
    started = time.perf_counter()
    errors = 0
    for i in indexes:
        try:
            lifecycle(actors, run, i)
        except Exception as exc:
            errors += 1
            if errors <= 3:
                print(f"   worker error: {exc!r}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    connection.close()
    return len(indexes), errors, elapsed


def bench_services(ids: dict, run: str, lifecycles: int, workers: int) -> None:
    from django.db import connections

    connections.close_all()  # children open their own connections
    shares = [list(range(w, lifecycles, workers)) for w in range(workers)]
    start_at = time.time() + 1.0
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool, autovacuum_stand_in():
        begun = time.perf_counter()
        results = pool.map(_service_worker, [(ids, run, s, start_at) for s in shares])
        wall = time.perf_counter() - begun - max(0.0, start_at - time.time())
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    slowest = max(r[2] for r in results)
    print(f"\n2. Services: {done} full lifecycles, {workers} processes, "
          f"{slowest:.1f} s (slowest process; wall {wall:.1f} s)")
    rate = (done - errors) / slowest
    print(f"   {rate:,.1f} lifecycles/s (= approved claims/s), {errors} errors; "
          f"target {TARGET_LIFECYCLES_PER_S}/s: ratio {rate / TARGET_LIFECYCLES_PER_S:.2f}")


# --- 3. HTTP -----------------------------------------------------------------------------


def _prepare_worker(args):
    ids, run, indexes = args
    from django.db import connection

    actors = Actors(ids)
    made = []
    for i in indexes:
        enterprise, claim = issue_and_submit(actors, run, i)
        made.append((enterprise.pk, str(claim.public_id)))
    connection.close()
    return made


def tokens_for(ids: dict) -> dict:
    """An API token for the reviewer and each enterprise user of the set-up."""
    from rest_framework.authtoken.models import Token

    return {pk: Token.objects.get_or_create(user_id=pk)[0].key
            for pk in [ids["reviewer"], *ids["enterprises"]]}


def prepare_claims(ids: dict, run: str, claims: int, workers: int) -> list[tuple[int, str]]:
    """`claims` submitted claims, made by `workers` processes: (enterprise user id, claim
    public id) each; statistics gathered afterwards (this machine runs without autovacuum)."""
    from django.db import connections

    connections.close_all()  # children open their own connections
    offset = 5_000_000
    shares = [list(range(offset + w, offset + claims, workers)) for w in range(workers)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        prepared = [c for part in pool.map(_prepare_worker, [(ids, run, s) for s in shares])
                    for c in part]
    analyse_without_autovacuum()
    connections.close_all()
    return prepared


def claim_action_jobs(action: str, claims: list, ids: dict, tokens: dict
                      ) -> list[tuple[str, str]]:
    """(path, token) per claim: confirmed by its enterprise, or approved by the reviewer."""
    if action == "confirm":
        return [(f"/api/v1/claims/{cid}/confirm/", tokens[ent]) for ent, cid in claims]
    return [(f"/api/v1/claims/{cid}/approve/", tokens[ids["reviewer"]]) for _, cid in claims]


def _drive(port: int, jobs: list[tuple[str, str]], clients: int,
           rate: float | None = None) -> tuple[list[float], dict]:
    """POST {} to each (path, token) of `jobs` (common.drive_http: closed loop, or open
    loop at `rate` requests/s in all)."""
    requests = [("POST", path, {"Authorization": f"Token {token}",
                                "Content-Type": "application/json"}, b"{}")
                for path, token in jobs]
    return drive_http(port, requests, clients, rate)


def _report(name: str, latencies: list[float], statuses: dict, seconds: float) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"   {name:<12} {len(ordered):>6} requests  {len(ordered) / seconds:>7,.0f} req/s  "
          f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms (target p99 < {TARGET_P99_MS} ms: ratio "
          f"{p99 / TARGET_P99_MS:.2f})  statuses {statuses}")


def bench_http(ids: dict, run: str, claims: int, clients: int, http_workers: int,
               workers: int, serial: int, rate: float) -> None:
    from django.conf import settings

    tokens = tokens_for(ids)
    prepared = prepare_claims(ids, run, claims, workers)
    host = HostSpeed()  # the idle machine's speed, before the server starts

    with production_server(http_workers) as (port, server_pid):
        # warm every worker (imports, connections) before measuring
        _drive(port, [("/api/v1/me/", "x")] * (http_workers * 4), http_workers * 2)
        meter = CpuMeter(server_pid, settings.DATABASES["default"]["NAME"])

        print(f"\n3. HTTP: uWSGI (config/uwsgi.ini), {http_workers} processes on 127.0.0.1; "
              f"per endpoint: one client alone; {clients} clients offering {rate:g} "
              f"requests/s in all (open loop, latency counted from when each request was "
              f"due); {clients} clients with no think time (closed loop: saturation)")
        serial = min(serial, len(prepared) // 4)
        rest = len(prepared) - serial
        for name in ("confirm", "approve"):
            jobs = claim_action_jobs(name, prepared, ids, tokens)
            runs = ((f"{name} x1", jobs[:serial], 1, None),
                    (f"{name} {rate:g}/s", jobs[serial:serial + rest // 2], clients, rate),
                    (f"{name} x{clients}", jobs[serial + rest // 2:], clients, None))
            for label, part, n, offered in runs:
                began = time.perf_counter()
                with meter.measure() as cpu, host.watch() as speed:
                    latencies, statuses = _drive(port, part, n, offered)
                _report(label, latencies, statuses, time.perf_counter() - began)
                print(f"   {'':<12} CPU ms per request: {cpu.per_request(len(part))}; "
                      f"{speed.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lifecycles", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--http-claims", type=int, default=4_000)
    parser.add_argument("--clients", type=int, default=20)
    # 3 = cores + 1 did best on the 2-core machine PostgreSQL shares (docs/performance.md)
    parser.add_argument("--http-workers", type=int, default=3)
    parser.add_argument("--serial", type=int, default=100,
                        help="requests per endpoint sent by one client first (latency alone)")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="requests/s offered by the clients together in the open-loop run")
    parser.add_argument("--skip-http", action="store_true")
    options = parser.parse_args()

    django.setup()
    ensure_database()
    run = secrets.token_hex(3).upper()
    print(f"Voucher benchmark, run {run}, {os.cpu_count()} CPU(s), "
          f"database {django.conf.settings.DATABASES['default']['NAME']} ({database_size()})")
    ids = set_up(run)
    analyse_without_autovacuum()
    count_round_trips(ids, run)
    bench_services(ids, run, options.lifecycles, options.workers)
    if not options.skip_http:
        bench_http(ids, run, options.http_claims, options.clients, options.http_workers,
                   options.workers, options.serial, options.rate)
    from vouchers.models import Programme
    from vouchers.selectors import assert_budget_identity, programme_budget

    budget = assert_budget_identity(programme_budget(Programme.objects.get(pk=ids["programme"])))
    print(f"\nBudget identity holds: funded {budget.funded} fen = sum of buckets "
          f"(approved_unpaid {budget.approved_unpaid} fen)")
    print(json.dumps({"run": run}))


if __name__ == "__main__":
    main()
