"""A/B of two versions of the code at saturation over HTTP (PostgreSQL). Prints figures.

    make bench-ab BASE=<commit>        # A = <commit>, B = this working tree
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kjcxq_bench .venv/bin/python \
        bench/ab_http.py --base <commit> [--claims 12000] [--chunks 24] [--clients 20]

Why: on the benchmark machine (a Firecracker VM) the same requests run up to 1.9x slower
from one minute to the next, so two full `make bench-vouchers` runs of two versions
compare the host's moods more than the code (docs/performance.md). Here both versions
serve at once, each from its own uWSGI (config/uwsgi.ini) on loopback: A from a temporary
git worktree of `--base`, B from this checkout. One data set of claims is prepared; after
a warm-up of each server on each endpoint, the rest is cut into `--chunks` chunks that go
to A, B, B, A, A, B, ... by `--clients` closed-loop clients (no think time), confirm
first, then approve. Adjacent chunks ran seconds apart, so comparing A and B within each
pair cancels most of the host's drift.

Per chunk: requests/s, p50/p99 and CPU ms per request (server workers + this database's
PostgreSQL backends + the load generator, from /proc). Per endpoint: the means of each
arm, B/A, and in how many pairs B was lower. Trust a difference that is lower in most
pairs, not a mean alone. The migrations of B are applied; A must work on that schema.
"""

import argparse
import contextlib
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import vouchers_bench as vb  # sets up Django's environment (bench/, the script's folder)
from common import CpuMeter, HostSpeed, production_server

ROOT = Path(__file__).resolve().parent.parent
MEASURES = ("cpu", "server", "postgres", "rps", "p99")
WARM = 100


@contextlib.contextmanager
def worktree(commit: str):
    """A detached git worktree of `commit`, removed on exit."""
    path = Path(tempfile.mkdtemp(prefix="kjcxq-ab-")) / "base"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(path), commit],
                   cwd=ROOT, check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                       check=False)


def measure_chunk(port: int, pid: int, jobs: list, clients: int, host: HostSpeed) -> dict:
    from django.conf import settings

    meter = CpuMeter(pid, settings.DATABASES["default"]["NAME"])
    began = time.perf_counter()
    with meter.measure() as cpu, host.watch() as speed:
        latencies, statuses = vb._drive(port, jobs, clients)
    seconds = time.perf_counter() - began
    latencies.sort()
    n = len(jobs)
    ms = {"server": cpu.server, "postgres": cpu.postgres, "client": cpu.client}
    row = {name: spent / n * 1000 for name, spent in ms.items()}
    row.update(cpu=sum(row.values()), rps=n / seconds,
               p50=statistics.median(latencies) * 1000,
               p99=latencies[min(n - 1, int(n * 0.99))] * 1000,
               host=speed.ratios[len(speed.ratios) // 2] if speed.ratios else 0.0,
               errors={s: c for s, c in statuses.items() if s != 200})
    return row


def summarise(endpoint: str, results: dict) -> None:
    for key in MEASURES:
        a = [r[key] for r in results["A"]]
        b = [r[key] for r in results["B"]]
        lower = sum(y < x for x, y in zip(a, b, strict=True))  # adjacent chunks pair up
        print(f"   {endpoint:<8} {key:<9} A {statistics.mean(a):8.2f}  B {statistics.mean(b):8.2f}"
              f"  B/A {statistics.mean(b) / statistics.mean(a):.3f}"
              f"  B lower in {lower} of {len(a)} pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="HEAD", help="commit served by arm A")
    parser.add_argument("--claims", type=int, default=12_000)
    parser.add_argument("--chunks", type=int, default=24, help="a multiple of 4")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--http-workers", type=int, default=3)
    options = parser.parse_args()
    if options.chunks % 4:
        parser.error("--chunks must be a multiple of 4 (A B B A ...)")

    import django

    django.setup()
    vb.ensure_database()
    run = secrets.token_hex(3).upper()
    ids = vb.set_up(run)
    tokens = vb.tokens_for(ids)
    prepared = vb.prepare_claims(ids, run, options.claims, workers=4)
    order = ["A", "B", "B", "A"] * (options.chunks // 4)
    # Each arm's first requests of an endpoint are slow (per worker: the backend's catalogue
    # caches, PL/pgSQL compiled, statements planned until psycopg prepares them: ~20 ms,
    # then ~5 ms for a dozen requests): WARM claims per arm and endpoint go first, unmeasured.
    warm, prepared = {"A": prepared[:WARM], "B": prepared[WARM:2 * WARM]}, prepared[2 * WARM:]
    size = len(prepared) // len(order)
    host = HostSpeed()  # the idle machine's speed, before the servers start
    print(f"A/B: A = {options.base}, B = this working tree; {size} claims per chunk, "
          f"{options.clients} closed-loop clients, {options.http_workers} uWSGI processes each")
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(worktree(options.base))
        servers = {"A": stack.enter_context(production_server(options.http_workers, root=base)),
                   "B": stack.enter_context(production_server(options.http_workers))}
        for port, _ in servers.values():  # warm every worker (imports, connections)
            vb._drive(port, [("/api/v1/me/", "x")] * (options.http_workers * 4), 6)
        for endpoint in ("confirm", "approve"):
            for arm, (port, _) in servers.items():
                warm_jobs = vb.claim_action_jobs(endpoint, warm[arm], ids, tokens)
                vb._drive(port, warm_jobs, options.http_workers)
            results = {"A": [], "B": []}
            for k, arm in enumerate(order):
                port, pid = servers[arm]
                jobs = vb.claim_action_jobs(endpoint, prepared[k * size:(k + 1) * size], ids,
                                             tokens)
                row = measure_chunk(port, pid, jobs, options.clients, host)
                results[arm].append(row)
                print(f"   {endpoint:<8} {k:>2} {arm} {row['rps']:6.0f} req/s  p50 "
                      f"{row['p50']:5.1f}  p99 {row['p99']:5.1f} ms  CPU ms {row['server']:.2f}"
                      f" + {row['postgres']:.2f} + {row['client']:.2f} = {row['cpu']:.2f}"
                      f"  host x{row['host']:.2f}  {row['errors'] or ''}", flush=True)
            summarise(endpoint, results)


if __name__ == "__main__":
    sys.exit(main())
