"""`gunicorn -c config/gunicorn.conf.py config.wsgi` (production entry point).

Sync workers, 2 × CPUs + 1: a request spends part of its time waiting on PostgreSQL, so a
few more processes than cores keep the CPUs busy. Threaded workers (gthread) were measured
on the 2-core machine that also runs PostgreSQL (bench/http_overhead.py --worker-class
gthread): no more requests/s, and a p99 two to three times the sync workers' (threads of
one process take turns on the GIL).

No access log by default: RequestLogMiddleware writes one structured JSON line per request
(request id, method, path, status, duration, user), and gunicorn's own line would cost as
much again (~20 µs a request) to say less. GUNICORN_ACCESSLOG=- brings it back on stdout.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# The workers' heartbeat file, in memory: a disk-backed /tmp (containers) can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
timeout = 60
