"""Settlement benchmark (PostgreSQL). Prints figures; changes nothing but its own data.

    make bench-settlement
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjcxq_bench .venv/bin/python \
        bench/settlement_bench.py [--claims 10000] [--providers 500] [--workers 2]

Steps measured (issue #12), each timed on its own with the peak memory of this process
while it ran (resident set size sampled every 5 ms, and its growth over the step):

1. build: one payout batch of `--claims` approved claims across `--providers` providers;
2. approve (another finance user) and send: one ledger hold per line, every claim
   `in_payment`, one audit event per claim;
3. export: the payment file (CSV) of that batch;
4. import and reconcile: a statement of `--claims` lines answering `--claims` sent payment
   lines. The first batch has one line per provider, so the set-up (not timed) sends
   `--claims / --providers - 1` more batches of one claim per provider first. Of the
   statement's lines, 1 in 100 is a return; the rest settle their lines.

The set-up makes the claims through the services (apply, approve, submit, confirm,
approve claim) in `--workers` processes, as bench/vouchers_bench.py does. Target: each
step under 10 s on this 2-core machine.
"""

import argparse
import csv
import io
import multiprocessing
import os
import secrets
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"  # no query log in memory
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402
from vouchers_bench import analyse_without_autovacuum, ensure_database, uscc  # noqa: E402

TARGET_SECONDS = 10.0
SUBSIDY = 50_000  # 500.00 a claim, of a 1,000.00 invoice at the SME ratio 0.50
ENTERPRISES = 200


class PeakMemory:
    """Peak resident set size of this process while the block runs (a 5 ms sampler)."""

    def __enter__(self):
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def set_up(run: str, providers: int) -> dict:
    from django.utils import timezone

    from accounts.identity import person_ref
    from accounts.models import Organization, Role, User
    from vouchers import services

    today = timezone.localdate()
    staff = {name: User.objects.create(username=f"sbench-{run}-{name}", role=role)
             for name, role in (("reviewer", Role.REVIEWER), ("finance", Role.FINANCE),
                                ("finance2", Role.FINANCE))}
    programme = services.programme_create(
        code=f"SBENCH-{run}", name=f"Settlement benchmark {run}", region_code="430100",
        year=today.year, application_opens=today, application_closes=today,
        valid_until=today, claim_deadline=today, enterprise_annual_cap=10**12,
        provider_annual_cap=10**12, ratios={"high_tech": 4000, "sme_tech": 5000,
                                            "default": 3000},
        categories=["testing"], partner_regions=[], actor=staff["reviewer"],
    )
    services.programme_fund(programme=programme, amount=10**13, actor=staff["finance"])
    orgs = [
        Organization(kind="enterprise", name=f"结算基准企业{run}-{n}", uscc=uscc(run, n),
                     region_code="430100", status="active",
                     legal_representative_ref=person_ref(f"sbench-{run}-person-{n}"),
                     sme_tech_number=f"S{run}{n}", sme_tech_year=today.year)
        for n in range(ENTERPRISES)
    ] + [
        Organization(kind="provider", name=f"结算基准服务机构{run}-{n}",
                     uscc=uscc(run, 500_000 + n), region_code="430100", status="active",
                     legal_representative_ref=person_ref(f"sbench-{run}-person-p{n}"),
                     categories=["testing"], bank_account_name=f"结算基准服务机构{run}-{n}",
                     bank_name="中国工商银行长沙分行", bank_account_number=f"62220{n:014d}")
        for n in range(providers)
    ]
    Organization.objects.bulk_create(orgs)
    users = User.objects.bulk_create(
        User(username=f"sbench-{run}-{org.kind}-{n}", role=org.kind, organization=org)
        for n, org in enumerate(orgs))
    return {"programme": programme.pk, **{k: u.pk for k, u in staff.items()},
            "enterprises": [u.pk for u in users[:ENTERPRISES]],
            "providers": [u.pk for u in users[ENTERPRISES:]]}


def _claims_worker(args):
    try:
        return _approved_claims(*args)
    except Exception as exc:  # a domain error may not unpickle in the parent: say it here
        return repr(exc)


def _approved_claims(ids, run, indexes):
    """Approved claims i in `indexes`: claim i is provider i % P's, on a voucher of
    enterprise i % E (one voucher per enterprise and worker, big enough for its claims)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from vouchers import services
    from vouchers.models import Programme

    programme = Programme.objects.get(pk=ids["programme"])
    users = User.objects.select_related("organization").in_bulk(
        [ids["reviewer"], *ids["enterprises"], *ids["providers"]])
    reviewer = users[ids["reviewer"]]
    enterprises = [users[i] for i in ids["enterprises"]]
    providers = [users[i] for i in ids["providers"]]
    claims_of = Counter(i % len(enterprises) for i in indexes)
    vouchers = {}
    for i in indexes:
        enterprise = enterprises[i % len(enterprises)]
        if enterprise.pk not in vouchers:
            application = services.application_submit(
                enterprise=enterprise.organization, programme=programme,
                amount=claims_of[i % len(enterprises)] * SUBSIDY, actor=enterprise)
            vouchers[enterprise.pk] = services.application_approve(
                application=application, actor=reviewer).voucher
        provider = providers[i % len(providers)]
        claim = services.claim_submit(
            provider=provider.organization, voucher_code=vouchers[enterprise.pk].code,
            category="testing", contract_number=f"HT-{i}", contract_date=timezone.localdate(),
            invoice_number=f"SB{run}{i:07d}", invoice_amount=2 * SUBSIDY, amount=SUBSIDY,
            actor=provider)
        claim = services.claim_confirm(claim=claim, actor=enterprise)
        services.claim_approve(claim=claim, actor=reviewer)
    connection.close()
    return len(indexes)


def approved_claims(ids: dict, run: str, indexes: range, workers: int) -> float:
    from django.db import connections

    connections.close_all()  # children open their own connections
    begun = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        made = pool.map(_claims_worker, [(ids, run, indexes[w::workers])
                                         for w in range(workers)])
    failed = [m for m in made if not isinstance(m, int)]
    if failed:
        sys.exit(f"set-up failed: {failed[0]}")
    analyse_without_autovacuum()
    return time.perf_counter() - begun


PROFILE = False  # --profile: where each step's time goes (cProfile, top functions)


def step(results: list, name: str, call):
    profiler = None
    if PROFILE:
        import cProfile

        profiler = cProfile.Profile()
    with PeakMemory() as memory:
        begun = time.perf_counter()
        value = profiler.runcall(call) if profiler else call()
        seconds = time.perf_counter() - begun
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    results.append((name, seconds, memory.peak, memory.peak - memory.start))
    print(f"   {name:<44}{seconds:>8.2f} s{memory.peak / 2**20:>10.0f} MB"
          f"{(memory.peak - memory.start) / 2**20:>+9.0f} MB", flush=True)
    return value


def statement_for(lines) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "reference", "amount", "account", "status", "note"])
    for n, line in enumerate(lines):
        returned = n % 100 == 99
        writer.writerow(["2026-12-05", line.reference,
                         f"{line.amount // 100}.{line.amount % 100:02d}", line.payee_account,
                         "returned" if returned else "ok", "账户已冻结" if returned else "代发"])
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile each step")
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    if args.claims % args.providers:
        sys.exit("--claims must be a multiple of --providers")
    django.setup()
    ensure_database()

    from accounts.models import User
    from settlement import files, services
    from settlement.models import PaymentLine, PayoutBatch
    from vouchers.models import Programme
    from vouchers.selectors import assert_budget_identity, programme_budget

    run = secrets.token_hex(3).upper()
    print(f"Settlement benchmark, run {run}: {args.claims:,} claims, {args.providers} "
          f"providers (PostgreSQL)")
    ids = set_up(run, args.providers)
    seconds = approved_claims(ids, run, range(args.claims), args.workers)
    print(f"   set-up: {args.claims:,} approved claims through the services in "
          f"{seconds:.0f} s ({args.workers} processes)")
    programme = Programme.objects.get(pk=ids["programme"])
    finance, finance2 = User.objects.get(pk=ids["finance"]), User.objects.get(pk=ids["finance2"])

    results: list = []
    print(f"\n   {'step':<44}{'seconds':>10}{'peak RSS':>13}{'growth':>12}")
    batch = step(results, f"1. build a batch of {args.claims:,} claims",
                 lambda: services.batch_build(programme=programme, actor=finance))
    lines = batch.lines.count()
    step(results, f"2. approve and send ({lines} lines)", lambda: services.batch_send(
        batch=services.batch_approve(batch=batch, actor=finance2), actor=finance))
    content = step(results, "3. export the payment file",
                   lambda: files.payment_file(PayoutBatch.objects.get(pk=batch.pk)
                                              .lines.order_by("pk")))
    rows = content.count(b"\n") - 1
    print(f"      ({len(content):,} bytes, {rows} rows)")

    rounds = args.claims // args.providers - 1
    begun = time.perf_counter()
    for r in range(rounds):  # untimed: more sent lines for a statement of --claims lines
        first = args.claims + r * args.providers
        approved_claims(ids, run, range(first, first + args.providers), args.workers)
        more = services.batch_build(programme=programme, actor=finance)
        services.batch_send(batch=services.batch_approve(batch=more, actor=finance2),
                            actor=finance)
    sent = list(PaymentLine.objects.filter(batch__programme=programme, status="sent")
                .order_by("pk"))
    print(f"\n   set-up: {rounds} more batches sent in {time.perf_counter() - begun:.0f} s; "
          f"{len(sent):,} payment lines await the bank")
    analyse_without_autovacuum()
    statement = statement_for(sent)
    result = step(results, f"4. import and reconcile {len(sent):,} bank lines",
                  lambda: services.bank_statement_import(content=statement,
                                                         filename="bench.csv", actor=finance))
    s = result.statement
    print(f"      matched {s.matched:,}, returned {s.returned:,}, exceptions {s.exceptions}")
    budget = assert_budget_identity(programme_budget(programme))
    print(f"      budget identity holds: paid {budget.paid / 100:,.2f}, approved unpaid "
          f"{budget.approved_unpaid / 100:,.2f}, in payment {budget.in_payment / 100:,.2f}")

    print(f"\n   target: each step under {TARGET_SECONDS:.0f} s")
    for name, seconds, _, _ in results:
        verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
        print(f"   {name:<44} {seconds:>6.2f} s  ratio {seconds / TARGET_SECONDS:.2f}  "
              f"{verdict}")


if __name__ == "__main__":
    main()
