"""Step 4 of bench/settlement_bench.py alone, repeatable: for working on the import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjcxq_bench .venv/bin/python \
        bench/settlement_import.py prepare      # once, ~2 min: 10,000 sent lines
    ... bench/settlement_import.py run [--profile]

`prepare` builds a database `<name>_import_src` as the benchmark's set-up does (10,000
approved claims across 500 providers, sent in 20 batches) and writes the bank statement
that answers them next to it. `run` copies that database (CREATE DATABASE ... TEMPLATE),
imports the statement once, committed, and prints the seconds, the peak memory, the
garbage collections, the commit's share (the deferred checks) and the slowest SQL
statements; `--profile` adds cProfile's top functions.
"""

import argparse
import collections
import gc
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")

STATEMENT = Path(tempfile.gettempdir()) / "kjcxq_settlement_import.csv"


def _database(suffix: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kjcxq_bench")
    return f"{base.rsplit('/', 1)[0]}/{base.rsplit('/', 1)[1]}_{suffix}"


def _recreate(name: str, template: str | None = None) -> None:
    import psycopg

    url = _database(name)
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
        if template:
            admin.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}" '
                          f'TEMPLATE "{_database(template).rsplit("/", 1)[1]}"')


def prepare() -> None:
    _recreate("import_src")  # ensure_database creates and migrates it
    os.environ["DATABASE_URL"] = _database("import_src")
    import django

    django.setup()
    import settlement_bench as sb
    from vouchers_bench import analyse_without_autovacuum, ensure_database

    ensure_database()
    from accounts.models import User
    from settlement import services
    from settlement.models import PaymentLine
    from vouchers.models import Programme

    ids = sb.set_up(secrets.token_hex(3).upper(), 500)
    run = secrets.token_hex(3).upper()
    programme = Programme.objects.get(pk=ids["programme"])
    finance, finance2 = User.objects.get(pk=ids["finance"]), User.objects.get(pk=ids["finance2"])
    for r in range(20):
        sb.approved_claims(ids, run, range(r * 500, (r + 1) * 500), 2)
        batch = services.batch_build(programme=programme, actor=finance)
        services.batch_send(batch=services.batch_approve(batch=batch, actor=finance2),
                            actor=finance)
    sent = list(PaymentLine.objects.filter(batch__programme=programme, status="sent")
                .order_by("pk"))
    analyse_without_autovacuum()
    STATEMENT.write_bytes(sb.statement_for(sent))
    STATEMENT.with_suffix(".actor").write_text(str(finance.pk))
    print(f"{len(sent):,} sent lines in {os.environ['DATABASE_URL']}; statement {STATEMENT}")


def run(profile: bool) -> None:
    _recreate("import", template="import_src")
    os.environ["DATABASE_URL"] = _database("import")
    import django

    django.setup()
    import settlement_bench as sb
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from accounts.models import User
    from settlement import services

    committing = [0.0]
    commit = BaseDatabaseWrapper._commit

    def timed_commit(self):
        begun = time.perf_counter()
        try:
            return commit(self)
        finally:
            committing[0] += time.perf_counter() - begun

    BaseDatabaseWrapper._commit = timed_commit

    statements: dict = collections.defaultdict(lambda: [0, 0.0])

    def timed(execute, sql, params, many, context):
        begun = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements[" ".join(sql.split())[:100]]
            entry[0] += 1
            entry[1] += time.perf_counter() - begun

    collections_seen = [0, 0.0, 0.0]

    def collected(phase, info):
        if phase == "start":
            collections_seen[2] = time.perf_counter()
        else:
            collections_seen[0] += 1
            collections_seen[1] += time.perf_counter() - collections_seen[2]

    actor = User.objects.get(pk=int(STATEMENT.with_suffix(".actor").read_text()))
    content = STATEMENT.read_bytes()
    gc.callbacks.append(collected)
    connection.execute_wrappers.append(timed)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    with sb.PeakMemory() as memory:
        begun = time.perf_counter()
        call = lambda: services.bank_statement_import(  # noqa: E731
            content=content, filename="bench.csv", actor=actor)
        result = profiler.runcall(call) if profiler else call()
        seconds = time.perf_counter() - begun
    s = result.statement
    print(f"import and reconcile {s.line_count:,} lines: {seconds:.2f} s, peak "
          f"{memory.peak / 2**20:.0f} MB ({(memory.peak - memory.start) / 2**20:+.0f} MB); "
          f"matched {s.matched:,}, returned {s.returned}, exceptions {s.exceptions}")
    print(f"commit (the deferred checks): {committing[0]:.2f} s; garbage collections: "
          f"{collections_seen[0]} ({collections_seen[1]:.2f} s)")
    print("slowest statements through Django's cursors (the ledger's and the commit's "
          "are not among them):")
    for sql, (count, spent) in sorted(statements.items(), key=lambda kv: -kv[1][1])[:8]:
        print(f"  {spent:6.2f} s {count:4d}x  {sql}")
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["prepare", "run"])
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    prepare() if args.what == "prepare" else run(args.profile)


if __name__ == "__main__":
    main()
