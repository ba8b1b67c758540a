#!/usr/bin/env python
"""Ledger benchmark (GitHub issue 3): our ledger against raw psycopg and django-hordak.

    make bench-ledger                          # full run (about 2-4 minutes here)
    DATABASE_URL=postgres://... python bench/ledger_bench.py --quick   # smaller, faster

On PostgreSQL, in one run on the same database (created if missing):
  (a) raw psycopg doing the same SQL work per transfer (lock both balances in id order,
      insert journal, insert two entries, two balance UPDATEs, commit), 1 and 4
      connections, and its batched form (100 transfers per transaction, executemany);
  (b) ledger.services.transfer(), one transfer per call, 1 and 4 threads;
  (c) ledger.services.batch_post(), 1,000 transfers per call;
  (d) django-hordak 2.x Account.transfer_to(), 1 and 4 threads (benchmark extra only);
  (e) reading the balance of an account with 1,000,000 entries: ours against hordak's
      Account.get_balance().
It prints transfers/s, p50 and p99 latency, and the ratios against the issue's targets.

The run resets the ledger, hordak and raw-baseline tables of the benchmark database (the
ledger tables with CASCADE). The 1,000,000-entry accounts are generated with
INSERT ... SELECT generate_series under session_replication_role = replica (triggers off
for the bulk load only: the rows are balanced by construction, and ledger_verify checks
them afterwards). The run stops by itself after --timeout seconds.
"""

import argparse
import os
import random
import signal
import statistics
import sys
import threading
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kjcxq_bench"

N_ACCOUNTS = 1000
N_HORDAK_ACCOUNTS = 200
FUNDING = 10**12  # fen per benchmark account: transfers never hit the limit


# --------------------------------------------------------------------------- set-up


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


RAW_SCHEMA = """
CREATE TABLE IF NOT EXISTS bench_raw_account (
    id bigint PRIMARY KEY,
    debits_posted bigint NOT NULL DEFAULT 0,
    credits_posted bigint NOT NULL DEFAULT 0,
    debits_pending bigint NOT NULL DEFAULT 0,
    credits_pending bigint NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 0,
    debits_must_not_exceed_credits boolean NOT NULL DEFAULT false,
    CHECK (NOT debits_must_not_exceed_credits
           OR debits_posted + debits_pending <= credits_posted)
);
CREATE TABLE IF NOT EXISTS bench_raw_journal (
    id bigserial PRIMARY KEY,
    idempotency_key varchar(255) NOT NULL UNIQUE,
    kind varchar(64) NOT NULL,
    effective_date date NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS bench_raw_entry (
    id bigserial PRIMARY KEY,
    journal_id bigint NOT NULL REFERENCES bench_raw_journal (id),
    account_id bigint NOT NULL REFERENCES bench_raw_account (id),
    side varchar(6) NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    pending boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS bench_raw_entry_journal ON bench_raw_entry (journal_id);
CREATE INDEX IF NOT EXISTS bench_raw_entry_account ON bench_raw_entry (account_id, journal_id);
"""


def reset(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(RAW_SCHEMA)
        conn.execute("SELECT set_config('kjcxq.maintenance', 'on', false)")
        conn.execute(
            "TRUNCATE ledger_entry, ledger_journal, ledger_account, bench_raw_entry, "
            "bench_raw_journal, bench_raw_account, hordak_leg, hordak_transaction, "
            "hordak_account RESTART IDENTITY CASCADE"
        )


def setup_accounts(url: str):
    """N_ACCOUNTS funded accounts for ours and for raw; hordak accounts; returns ids."""
    import psycopg
    from hordak.models import Account as HordakAccount
    from hordak.models import AccountType

    from ledger.models import Account
    from ledger.services import JournalSpec, Leg, account_open, batch_post

    source = account_open(code="bench:source", normal_side="debit")
    Account.objects.bulk_create(
        Account(code=f"bench:{i:04d}", normal_side="credit", debits_must_not_exceed_credits=True)
        for i in range(N_ACCOUNTS)
    )
    ours = list(
        Account.objects.filter(code__startswith="bench:0").order_by("id").values_list(
            "id", flat=True
        )
    )
    batch_post([
        JournalSpec(key=f"fund-{a}", kind="bench.fund",
                    legs=[Leg(source, "debit", FUNDING), Leg(a, "credit", FUNDING)])
        for a in ours
    ])
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "INSERT INTO bench_raw_account (id, credits_posted, debits_must_not_exceed_credits)"
            " VALUES (%s, %s, true)",
            [(i + 1, FUNDING) for i in range(N_ACCOUNTS)],
        )
    raw = list(range(1, N_ACCOUNTS + 1))
    hordak = [
        HordakAccount.objects.create(name=f"bench {i}", code=f"{i:04d}",
                                     type=AccountType.asset, currencies=["CNY"])
        for i in range(N_HORDAK_ACCOUNTS)
    ]
    return ours, raw, hordak


# --------------------------------------------------------------------------- measuring


class Result:
    def __init__(self, label, transfers, seconds, latencies_ms, per_call=1):
        self.label = label
        self.transfers = transfers
        self.seconds = seconds
        self.latencies = sorted(latencies_ms)
        self.per_call = per_call

        self.median_rate: float | None = None

    @property
    def rate(self) -> float:
        """The median of the interleaved rounds' rates (the mean if not measured so)."""
        if self.median_rate is not None:
            return self.median_rate
        return self.transfers / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        index = min(len(self.latencies) - 1, round(p / 100 * (len(self.latencies) - 1)))
        return self.latencies[index]


def measure_once(threads, seconds, make_worker, per_call=1, warmup=0.3):
    """Run make_worker(thread_index) -> op() in `threads` threads for `seconds`.

    Returns (transfers, elapsed seconds, latencies in ms).
    """
    from django.db import connections

    counts = [0] * threads
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)
    state = {"stop": False}

    def run(i):
        try:
            op = make_worker(i)
            warm_until = time.perf_counter() + warmup
            while time.perf_counter() < warm_until:
                op()
            barrier.wait()
            while not state["stop"]:
                t0 = time.perf_counter()
                op()
                latencies[i].append((time.perf_counter() - t0) * 1000)
                counts[i] += per_call
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    state["stop"] = True
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return sum(counts), elapsed, [x for lst in latencies for x in lst]


def vacuum_balances(url):
    """Every transfer rewrites two balance rows; vacuum them so no variant inherits
    another's dead row versions (autovacuum would, a minute later)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ledger_account, bench_raw_account, hordak_account")


def measure_all(url, variants, seconds, rounds):
    """Measure every variant in `rounds` interleaved rounds of seconds/rounds each.

    On a shared machine the load drifts; interleaving exposes every variant to the same
    drift, and the median round rate ignores a round that a neighbour's burst spoiled.
    """
    results = {key: Result(label, 0, 0.0, [], per_call)
               for key, label, _, _, per_call in variants}
    rates: dict[str, list[float]] = {key: [] for key, *_ in variants}
    for r in range(rounds):
        for key, _label, threads, make_worker, per_call in variants:
            vacuum_balances(url)
            n, elapsed, lat = measure_once(threads, seconds / rounds, make_worker, per_call)
            res = results[key]
            res.transfers += n
            res.seconds += elapsed
            res.latencies.extend(lat)
            rates[key].append(n / elapsed)
        print(f"  round {r + 1}/{rounds}: " + ", ".join(
            f"{key} {rates[key][-1]:,.0f}/s" for key, *_ in variants), flush=True)
    for key, res in results.items():
        res.latencies.sort()
        res.median_rate = statistics.median(rates[key])
    return results


def pair(rng, ids):
    a, b = rng.sample(ids, 2)
    return a, b


# (a) raw psycopg ------------------------------------------------------------------


def raw_worker(url, ids, run_id):
    import psycopg

    def make(i):
        conn = psycopg.connect(url)
        rng = random.Random(f"raw-{i}")
        seq = iter(range(10**9))
        tag = uuid.uuid4().hex[:8]

        def op():
            debit, credit = pair(rng, ids)
            key = f"raw-{tag}-{next(seq)}"
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT id FROM bench_raw_account WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                    [[debit, credit]],
                )
                cur.execute(
                    "INSERT INTO bench_raw_journal (idempotency_key, kind, effective_date, "
                    "created_at) VALUES (%s, 'bench', current_date, now()) RETURNING id",
                    [key],
                )
                (journal_id,) = cur.fetchone()
                cur.execute(
                    "INSERT INTO bench_raw_entry (journal_id, account_id, side, amount, pending)"
                    " VALUES (%s, %s, 'debit', 1, false), (%s, %s, 'credit', 1, false)",
                    [journal_id, debit, journal_id, credit],
                )
                cur.execute(
                    "UPDATE bench_raw_account SET debits_posted = debits_posted + 1, "
                    "version = version + 1 WHERE id = %s",
                    [debit],
                )
                cur.execute(
                    "UPDATE bench_raw_account SET credits_posted = credits_posted + 1, "
                    "version = version + 1 WHERE id = %s",
                    [credit],
                )
            conn.commit()

        return op

    return make


def raw_batch_worker(url, ids, run_id, size=100):
    import psycopg

    def make(i):
        conn = psycopg.connect(url)
        rng = random.Random(f"rawb-{i}")
        seq = iter(range(10**9))
        tag = uuid.uuid4().hex[:8]

        def op():
            moves = [(f"rawb-{tag}-{next(seq)}", *pair(rng, ids)) for _ in range(size)]
            deltas: dict[int, list[int]] = {}
            for _, debit, credit in moves:
                deltas.setdefault(debit, [0, 0])[0] += 1
                deltas.setdefault(credit, [0, 0])[1] += 1
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT id FROM bench_raw_account WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                    [sorted(deltas)],
                )
                cur.executemany(
                    "INSERT INTO bench_raw_journal (idempotency_key, kind, effective_date, "
                    "created_at) VALUES (%s, 'bench', current_date, now()) RETURNING id",
                    [(key,) for key, _, _ in moves],
                    returning=True,
                )
                journal_ids = []
                while True:
                    journal_ids.append(cur.fetchone()[0])
                    if not cur.nextset():
                        break
                rows = []
                for journal_id, (_, debit, credit) in zip(journal_ids, moves, strict=True):
                    rows.append((journal_id, debit, "debit"))
                    rows.append((journal_id, credit, "credit"))
                cur.executemany(
                    "INSERT INTO bench_raw_entry (journal_id, account_id, side, amount, pending)"
                    " VALUES (%s, %s, %s, 1, false)",
                    rows,
                )
                cur.executemany(
                    "UPDATE bench_raw_account SET debits_posted = debits_posted + %s, "
                    "credits_posted = credits_posted + %s, version = version + 1 WHERE id = %s",
                    [(d, c, account) for account, (d, c) in sorted(deltas.items())],
                )
            conn.commit()

        return op

    return make


# (b), (c) our ledger ---------------------------------------------------------------


def ledger_worker(ids, run_id):
    from ledger.services import transfer

    def make(i):
        rng = random.Random(f"ours-{i}")
        seq = iter(range(10**9))
        tag = uuid.uuid4().hex[:8]

        def op():
            debit, credit = pair(rng, ids)
            transfer(key=f"ours-{tag}-{next(seq)}", debit=debit, credit=credit,
                     amount=1, kind="bench")

        return op

    return make


def ledger_batch_worker(ids, run_id, size=1000):
    from ledger.services import JournalSpec, Leg, batch_post

    def make(i):
        rng = random.Random(f"oursb-{i}")
        seq = iter(range(10**9))
        tag = uuid.uuid4().hex[:8]

        def op():
            specs = []
            for _ in range(size):
                debit, credit = pair(rng, ids)
                specs.append(JournalSpec(key=f"oursb-{tag}-{next(seq)}", kind="bench",
                                         legs=[Leg(debit, "debit", 1), Leg(credit, "credit", 1)]))
            batch_post(specs)

        return op

    return make


# (d) hordak ------------------------------------------------------------------------


def hordak_worker(accounts):
    from djmoney.money import Money

    def make(i):
        rng = random.Random(f"hordak-{i}")
        amount = Money(Decimal("0.01"), "CNY")

        def op():
            source, target = rng.sample(accounts, 2)
            source.transfer_to(target, amount, description="bench")

        return op

    return make


# (e) balance of an account with many entries ----------------------------------------


def big_accounts(url: str, entries: int):
    """One account with `entries` entries in our ledger and one in hordak's."""
    import psycopg
    from hordak.models import Account as HordakAccount
    from hordak.models import AccountType

    from ledger.services import account_open

    per_journal = 100
    journals = entries // per_journal
    big = account_open(code="bench:big", normal_side="debit")
    other = account_open(code="bench:big-other", normal_side="credit")
    h_big = HordakAccount.objects.create(name="bench big", code="B1", type=AccountType.asset,
                                         currencies=["CNY"])
    h_other = HordakAccount.objects.create(name="bench big other", code="B2",
                                           type=AccountType.liability, currencies=["CNY"])
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # bulk load, triggers off
        cur.execute(
            "INSERT INTO ledger_journal (public_id, idempotency_key, request_digest, kind, "
            "effective_date, actor, memo, metadata, pending, resolution, created_at) "
            "SELECT gen_random_uuid(), 'big-' || g, md5(g::text), 'bench.big', current_date, "
            "'', '', '{}', false, '', now() FROM generate_series(1, %s) g",
            [journals],
        )
        cur.execute(
            "INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, release) "
            "SELECT j.id, %s, 'debit', 1, false, false FROM ledger_journal j "
            "CROSS JOIN generate_series(1, %s) WHERE j.kind = 'bench.big'",
            [big.pk, per_journal],
        )
        cur.execute(
            "INSERT INTO ledger_entry (journal_id, account_id, side, amount, pending, release) "
            "SELECT j.id, %s, 'credit', %s, false, false FROM ledger_journal j "
            "WHERE j.kind = 'bench.big'",
            [other.pk, per_journal],
        )
        cur.execute(
            "UPDATE ledger_account SET debits_posted = debits_posted + %s, "
            "version = version + 1 WHERE id = %s",
            [journals * per_journal, big.pk],
        )
        cur.execute(
            "UPDATE ledger_account SET credits_posted = credits_posted + %s, "
            "version = version + 1 WHERE id = %s",
            [journals * per_journal, other.pk],
        )
        cur.execute(
            "INSERT INTO hordak_transaction (uuid, timestamp, date, description) "
            "SELECT gen_random_uuid(), now(), current_date, 'big-' || g "
            "FROM generate_series(1, %s) g",
            [journals],
        )
        cur.execute(
            "INSERT INTO hordak_leg (uuid, description, account_id, transaction_id, debit, "
            "currency) SELECT gen_random_uuid(), '', %s, t.id, 0.01, 'CNY' "
            "FROM hordak_transaction t CROSS JOIN generate_series(1, %s) "
            "WHERE t.description LIKE 'big-%%'",
            [h_big.pk, per_journal],
        )
        cur.execute(
            "INSERT INTO hordak_leg (uuid, description, account_id, transaction_id, credit, "
            "currency) SELECT gen_random_uuid(), '', %s, t.id, %s, 'CNY' "
            "FROM hordak_transaction t WHERE t.description LIKE 'big-%%'",
            [h_other.pk, Decimal(per_journal) / 100],
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("ledger_journal", "ledger_entry", "hordak_transaction", "hordak_leg"):
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"  generated 2 x {journals * per_journal:,} entries in "
          f"{time.perf_counter() - t0:.1f}s", flush=True)
    return big, h_big


def time_reads(label, op, n):
    op()  # warm
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        op()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    print(f"  {label:<46} p50 {p50:>9.3f} ms", flush=True)
    return samples


# --------------------------------------------------------------------------- report


def ratio_line(name, value, target, op=">="):
    ok = value >= target if op == ">=" else value <= target
    mark = "ok" if ok else "MISSED"
    return f"  {name:<58} {value:>8.2f}   target {op} {target:<6} {mark}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0,
                        help="measuring time per variant, split over the rounds")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds")
    parser.add_argument("--entries", type=int, default=1_000_000, help="size of the (e) account")
    parser.add_argument("--quick", action="store_true", help="2 s per measurement, 100k entries")
    parser.add_argument("--timeout", type=int, default=590, help="stop after this many seconds")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.entries = 4.0, 2, 100_000

    def give_up(signum, frame):
        print(f"\nbenchmark stopped: still running after {args.timeout}s", file=sys.stderr)
        os._exit(2)

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        print("the ledger benchmark needs PostgreSQL (DATABASE_URL=postgres://...)")
        return 2
    os.environ["DATABASE_URL"] = url
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    reset(url)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        server = cur.fetchone()[0].split(",")[0]
    print(f"ledger benchmark on {server}, {os.cpu_count()} CPUs")

    ours, raw, hordak = setup_accounts(url)
    run_id = uuid.uuid4().hex[:8]
    print(f"throughput ({args.rounds} interleaved rounds, {args.seconds:g}s per variant):")
    variants = [
        ("a1", "(a) raw psycopg, 1 connection", 1, raw_worker(url, raw, run_id), 1),
        ("a4", "(a) raw psycopg, 4 connections", 4, raw_worker(url, raw, run_id), 1),
        ("ab", "(a) raw psycopg, 100 per transaction", 1,
         raw_batch_worker(url, raw, run_id), 100),
        ("b1", "(b) ledger transfer(), 1 thread", 1, ledger_worker(ours, run_id), 1),
        ("b4", "(b) ledger transfer(), 4 threads", 4, ledger_worker(ours, run_id), 1),
        ("c1", "(c) ledger batch_post(), 1,000 per call", 1,
         ledger_batch_worker(ours, run_id), 1000),
        ("d1", "(d) hordak transfer_to(), 1 thread", 1, hordak_worker(hordak), 1),
        ("d4", "(d) hordak transfer_to(), 4 threads", 4, hordak_worker(hordak), 1),
    ]
    results = measure_all(url, variants, args.seconds, args.rounds)
    a1, a4, ab, b1, b4, c1, d1, d4 = (results[k] for k, *_ in variants)

    print(f"balance of an account with {args.entries:,} entries:")
    big, h_big = big_accounts(url, args.entries)
    from ledger.selectors import balance, ledger_verify

    ours_reads = time_reads("(e) ours: ledger.selectors.balance()", lambda: balance(big.pk), 500)
    hordak_reads = time_reads("(e) hordak: Account.get_balance()", h_big.get_balance,
                              5 if args.entries >= 1_000_000 else 20)
    expected = balance(big.pk)
    assert expected.posted == args.entries // 100 * 100, expected
    assert h_big.get_balance().monies()[0].amount == Decimal(args.entries // 100 * 100) / 100
    t0 = time.perf_counter()
    report = ledger_verify()
    verify_s = time.perf_counter() - t0
    print(f"  ledger_verify over the whole database: {'ok' if report.ok else 'BROKEN'} "
          f"in {verify_s:.1f}s ({report.journals_checked:,} journals)")

    rows = [a1, a4, ab, b1, b4, c1, d1, d4]
    print()
    print(f"{'variant':<48} {'transfers/s':>12} {'p50 ms':>9} {'p99 ms':>9}")
    print("-" * 81)
    for r in rows:
        unit = f" (per {r.per_call:,})" if r.per_call > 1 else ""
        print(f"{r.label + unit:<48} {r.rate:>12,.0f} {r.pct(50):>9.2f} {r.pct(99):>9.2f}")
    e_ours, e_hordak = statistics.median(ours_reads), statistics.median(hordak_reads)
    print(f"{'(e) balance read, ours':<48} {'':>12} {e_ours:>9.3f} {ours_reads[-1]:>9.3f}")
    print(f"{'(e) balance read, hordak':<48} {'':>12} {e_hordak:>9.1f} {hordak_reads[-1]:>9.1f}")
    print()
    print("ratios:")
    print(ratio_line("(b) 1 thread / (a) 1 connection", b1.rate / a1.rate, 0.5))
    print(ratio_line("(b) 4 threads / (a) 4 connections", b4.rate / a4.rate, 0.5))
    print(ratio_line("(c) batch / (a) 100 per transaction", c1.rate / ab.rate, 0.5))
    print(ratio_line("(b) 1 thread / (d) hordak 1 thread", b1.rate / d1.rate, 1.5))
    print(ratio_line("(b) 4 threads / (d) hordak 4 threads", b4.rate / d4.rate, 1.5))
    print(ratio_line("(e) ours p50 in ms", e_ours, 2.0, op="<="))
    print(ratio_line("(e) hordak p50 / ours p50", e_hordak / e_ours, 100))
    print(f"\ndate {date.today()}, run {run_id}")
    signal.alarm(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
