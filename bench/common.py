"""Helpers the benchmarks share (no Django set-up here: each script sets its own settings)."""

import contextlib
import os
import socket
import time


def round_trips(call):
    """(call(), the round trips it made to PostgreSQL on Django's default connection).

    A round trip is one wait of the client for the server: it ends with the server's
    ReadyForQuery message, sent once per simple query (BEGIN, COMMIT) and once per
    extended-protocol Sync (a prepared statement), whoever sends it (the ORM, or the
    ledger's raw psycopg cursors). Counted from libpq's own protocol trace, so a BEGIN that
    psycopg sends before the first statement of a transaction is one, and switching
    autocommit (no message) is none.
    """
    import tempfile

    from django.db import connection
    from psycopg import pq

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            result = call()
        finally:
            pgconn.untrace()  # flushes libpq's buffer into the file
        trace.seek(0)
        count = sum(1 for line in trace if line.startswith("B\t") and "\tReadyForQuery" in line)
    return result, count


def create_database_if_missing() -> None:
    """Create the PostgreSQL database DATABASE_URL names, if it does not exist yet (Django
    must be set up; nothing to do for SQLite, which makes its file itself)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    import psycopg

    name, params = _connection_params()
    try:
        psycopg.connect(dbname=name, **params).close()
    except psycopg.OperationalError:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


def _connection_params() -> tuple[str, dict]:
    """(database name, psycopg keyword arguments) of Django's default database."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    return db["NAME"], {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432,
                        "user": db["USER"], "password": db["PASSWORD"] or None}


@contextlib.contextmanager
def autovacuum_stand_in(check_every: float = 1.0):
    """While the block runs, ANALYZE each table autovacuum would analyse, if autovacuum is
    off, as on this test box's PostgreSQL (production runs it).

    Why: the benchmark grows the tables from (almost) nothing. Plans cached early in a
    session, the ledger trigger's and the prepared statements' generic plans, were made
    for tables of a page or two (sequential scans) and are kept until an ANALYZE of the
    table invalidates them; with nothing analysing, a first run on a fresh database ran at
    ~36 lifecycles/s instead of ~160. The rule is autovacuum's own: analyse once the rows
    changed since the last ANALYZE exceed autovacuum_analyze_threshold +
    autovacuum_analyze_scale_factor x rows; only the nap is shorter than its 60 s default,
    since the benchmark compresses weeks of growth into a minute.
    """
    import threading

    import psycopg

    name, params = _connection_params()
    conn = psycopg.connect(dbname=name, autocommit=True, **params)
    if conn.execute("SHOW autovacuum").fetchone()[0] == "on":
        conn.close()
        yield
        return
    stop = threading.Event()

    def analyse_as_autovacuum_would():
        while not stop.wait(check_every):
            due = conn.execute(
                "SELECT format('%I.%I', s.schemaname, s.relname) FROM pg_stat_user_tables s"
                " JOIN pg_class c ON c.oid = s.relid"
                " WHERE s.n_mod_since_analyze > current_setting("
                "'autovacuum_analyze_threshold')::float8 + current_setting("
                "'autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)"
            ).fetchall()
            for (table,) in due:
                conn.execute(f"ANALYZE {table}")

    thread = threading.Thread(target=analyse_as_autovacuum_would, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        conn.close()


class HostSpeed:
    """How fast this machine's CPU runs while a measurement runs, against the idle machine.

    On the benchmark machine (a Firecracker VM) the host slows the virtual CPU without
    reporting steal time: a fixed pure-Python loop, on an otherwise idle machine, took
    277-524 ms from one second to the next (2026-11-26), and the same requests cost up to
    1.6x the CPU. Every latency at saturation scales with that, so the benchmarks print this
    beside their figures.

    `watch()` forks a process that times a ~1 ms loop in its own thread CPU time every
    `every` seconds (under 1 % of one core): its time depends on how fast the vCPU
    executes, not on how the scheduler shares it. Each sample is divided by the fastest of
    50 loops on the idle machine, taken when this object is made. It sees a slower vCPU;
    it cannot see a neighbour thrashing the shared caches, which slows our processes (large
    working sets) more than its tiny loop.
    """

    LOOP = 20_000

    def __init__(self, every: float = 0.2):
        self.every = every
        self.idle = min(self._loop() for _ in range(50))

    @classmethod
    def _loop(cls) -> float:
        began = time.thread_time()
        total = 0
        for i in range(cls.LOOP):
            total += i * i
        return time.thread_time() - began

    def _sample(self, sink, stop) -> None:
        samples = []
        while not stop.is_set():
            samples.append(self._loop())
            stop.wait(self.every)
        sink.send(samples)

    @contextlib.contextmanager
    def watch(self):
        """Yields a _Slowdowns, filled in when the block ends."""
        import multiprocessing

        context = multiprocessing.get_context("fork")
        stop = context.Event()
        receiving, sending = context.Pipe(duplex=False)
        sampler = context.Process(target=self._sample, args=(sending, stop), daemon=True)
        result = _Slowdowns()
        sampler.start()
        try:
            yield result
        finally:
            stop.set()
            result.ratios = sorted(s / self.idle for s in receiving.recv())
            sampler.join()


class _Slowdowns:
    ratios: list[float] = []

    def summary(self) -> str:
        if not self.ratios:
            return "host speed: no sample"
        r = self.ratios
        return (f"host: a probe loop took x{r[len(r) // 2]:.2f} its idle time "
                f"(p90 x{r[int(len(r) * 0.9)]:.2f})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive_http(port: int, requests: list[tuple[str, str, dict, bytes]], clients: int,
               rate: float | None = None, timeout: float = 60.0) -> tuple[list[float], dict]:
    """Send `requests` (method, path, headers, body) to 127.0.0.1:`port` from `clients`
    concurrent clients; returns (latencies in seconds, {status: count}).

    One thread and non-blocking sockets, a new connection per request (the server's
    workers close after each): 20 Python threads with http.client cost ~0.3 ms of CPU per
    request on the cores the server shares, and the time a thread waits for the GIL after
    its answer arrived was counted as server latency.

    Closed loop (`rate` None): a client sends its next request as soon as its last one is
    answered (no think time): the throughput at saturation; by Little's law the latency is
    then clients / throughput whatever the server does.
    Open loop (`rate` requests/s in all): request k is due at k / rate seconds; a free
    client takes the next request, waits until it is due, and its latency is counted from
    that moment, so time spent queued behind a slow server is counted (no coordinated
    omission).
    """
    import gc
    import heapq
    import selectors
    import time

    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_job = 0
    waiting: list[tuple[float, int]] = []  # (due, job index) of clients pausing until due
    start = time.perf_counter() + 0.05
    deadline = start + timeout + len(requests) / (rate or 1e9)

    def take() -> None:
        """A free client takes the next request: now (closed loop) or when due."""
        nonlocal next_job
        if next_job >= len(requests):
            return
        k = next_job
        next_job += 1
        due = start + k / rate if rate else time.perf_counter()
        heapq.heappush(waiting, (due, k))

    def send(k: int, due: float) -> None:
        method, path, headers, body = requests[k]
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_WRITE,
                          {"out": memoryview(message), "in": bytearray(), "due": due})

    def run() -> None:
        for _ in range(clients):
            take()
        while waiting or selector.get_map():
            now = time.perf_counter()
            if now > deadline:
                raise TimeoutError(f"{len(latencies)} of {len(requests)} answered in time")
            while waiting and waiting[0][0] <= now:
                due, k = heapq.heappop(waiting)
                send(k, due)
            if not selector.get_map():  # every client is pausing until its request is due
                time.sleep(max(0.0, waiting[0][0] - time.perf_counter()))
                continue
            pause = max(0.0, waiting[0][0] - now) if waiting else 1.0
            for key, events in selector.select(pause):
                sock, state = key.fileobj, key.data
                try:
                    if events & selectors.EVENT_WRITE:
                        sent = sock.send(state["out"])
                        state["out"] = state["out"][sent:]
                        if not state["out"]:
                            selector.modify(sock, selectors.EVENT_READ, state)
                        continue
                    chunk = sock.recv(65536)
                    if chunk:
                        state["in"] += chunk
                        continue
                except BlockingIOError:
                    continue
                except OSError:  # refused or reset: counted as status 0
                    state["in"] = bytearray()
                latencies.append(time.perf_counter() - state["due"])
                selector.unregister(sock)
                sock.close()
                head = bytes(state["in"][9:12])
                status = int(head) if head.isdigit() else 0
                statuses[status] = statuses.get(status, 0) + 1
                take()

    # No garbage collection while measuring: a full collection of this process (Django
    # loaded, thousands of requests queued) pauses it ~20-40 ms, and every answer that
    # arrives meanwhile (one per client) would be timed that much late.
    collecting = gc.isenabled()
    gc.disable()
    try:
        run()
    finally:
        if collecting:
            gc.enable()
    selector.close()
    return latencies, statuses


class CpuMeter:
    """CPU time (user + system, from /proc) spent by a server's worker processes, by this
    database's PostgreSQL backends and by this process (the load generator) while a block
    runs: where the CPU of a request goes when they all share the machine's cores."""

    def __init__(self, server_pid: int, database: str):
        self.server_pid = server_pid
        self.database = database

    @contextlib.contextmanager
    def measure(self):
        spent = _CpuSpent()
        workers, backends = _children(self.server_pid), _postgres_backends(self.database)
        before = (_cpu_seconds(workers), _cpu_seconds(backends), time.process_time())
        yield spent
        # Read the processes again: a worker or backend may have been replaced meanwhile
        # (uWSGI's harakiri, Django's CONN_MAX_AGE reconnecting); new ones count whole.
        workers, backends = _children(self.server_pid), _postgres_backends(self.database)
        spent.server = _spent(before[0], _cpu_seconds(workers))
        spent.postgres = _spent(before[1], _cpu_seconds(backends))
        spent.client = time.process_time() - before[2]


class _CpuSpent:
    server = postgres = client = 0.0

    def per_request(self, requests: int) -> str:
        ms = [seconds / requests * 1000 for seconds in (self.server, self.postgres, self.client)]
        return (f"server {ms[0]:.2f} + postgres {ms[1]:.2f} + load generator {ms[2]:.2f}"
                f" = {sum(ms):.2f}")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return found


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings: by the processes alive at both, and all of
    it for those that started in between (a process that ended in between is lost)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _postgres_backends(database: str) -> list[int]:
    """This database's PostgreSQL backends (their title names it); other databases' load
    (other people's benchmarks on a shared machine) is not counted."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres:") and f" {database} " in title:
                pids.append(int(entry))
    return pids


@contextlib.contextmanager
def production_server(processes: int, environ: dict | None = None, root=None):
    """uWSGI with the production config (config/uwsgi.ini), `processes` workers, on a free
    loopback port, started and answering /healthz; stopped on exit. Yields (port, pid).

    `root`: the checkout whose code it serves (default: this one), e.g. another commit's
    worktree for bench/ab_http.py; this virtualenv's uWSGI serves either."""
    import http.client
    import subprocess
    import sys
    from pathlib import Path

    root = Path(root or Path(__file__).resolve().parent.parent)
    port = free_port()
    env = {**os.environ, **(environ or {}), "UWSGI_HTTP_SOCKET": f"127.0.0.1:{port}",
           "UWSGI_PROCESSES": str(processes)}
    server = subprocess.Popen([str(Path(sys.executable).parent / "uwsgi"), "--ini",
                               "config/uwsgi.ini"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("uWSGI did not start (config/uwsgi.ini)")
            time.sleep(0.2)
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
