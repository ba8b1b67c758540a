"""Worker processes that lay out a statement's chunks in parallel (reports.rendering).

Each worker is `python -m reports.render_worker`, fed over its stdin/stdout, one
document at a time, by a thread of this process. Plain subprocesses, not
multiprocessing: Celery's prefork pool marks its processes daemonic, and multiprocessing
refuses to start children from those ("daemonic processes are not allowed to have
children"); processes forked from the Celery process would also inherit its heap (the
copy-on-write faults and garbage collections over it cost 25-50 % more CPU per chunk).
A worker exits when its stdin closes, so none outlives the statement, even when the
process that started it is killed.
"""

import contextlib
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from reports import render_worker

logger = logging.getLogger(__name__)

#: the directory `reports` is imported from, for the workers' sys.path
_IMPORT_ROOT = str(Path(render_worker.__file__).resolve().parent.parent)


class RenderPool:
    """`size` workers, started at once (their ~0.5 s start-up then overlaps whatever the
    caller does next) and stopped by `close()` or the `with` block."""

    def __init__(self, size: int):
        self.size = size
        path = os.pathsep.join(filter(None, [_IMPORT_ROOT, os.environ.get("PYTHONPATH")]))
        self._workers: list[subprocess.Popen] = []
        try:
            for _ in range(size):
                self._workers.append(subprocess.Popen(  # noqa: S603 (our interpreter and module)
                    [sys.executable, "-m", render_worker.__name__],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    env={**os.environ, "PYTHONPATH": path}))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "RenderPool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def render(self, htmls: list[str],
               progress: Callable[[int, int], None] | None = None) -> list[bytes]:
        """The PDF of each document, in order; `progress(done, total)` as they finish."""
        jobs: queue.SimpleQueue = queue.SimpleQueue()
        for job in enumerate(htmls):
            jobs.put(job)
        finished: queue.SimpleQueue = queue.SimpleQueue()
        feeders = [threading.Thread(target=self._feed, args=(worker, jobs, finished),
                                    daemon=True) for worker in self._workers]
        for feeder in feeders:
            feeder.start()
        parts: list[bytes] = [b""] * len(htmls)
        for done in range(1, len(htmls) + 1):
            index, result = finished.get()
            if isinstance(result, Exception):
                self.close()  # the other feeders stop at their next read or write
                raise result
            parts[index] = result
            if progress:
                progress(done, len(htmls))
        for feeder in feeders:
            feeder.join()
        return parts

    @staticmethod
    def _feed(worker: subprocess.Popen, jobs: queue.SimpleQueue,
              finished: queue.SimpleQueue) -> None:
        while True:
            try:
                index, html = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                render_worker.write_frame(worker.stdin, html.encode())
                status = render_worker.read_exactly(worker.stdout, 1)
                size = int.from_bytes(render_worker.read_exactly(worker.stdout, 8), "big")
                payload = render_worker.read_exactly(worker.stdout, size)
            except (OSError, EOFError, ValueError) as exc:
                finished.put((index, RuntimeError(
                    f"statement render worker {worker.pid} stopped: {exc!r}")))
                return
            if status != render_worker.OK:
                finished.put((index, RuntimeError(
                    f"statement render worker failed:\n{payload.decode(errors='replace')}")))
                return
            finished.put((index, payload))

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.stdin.close()  # the worker's loop ends; it exits
        for worker in self._workers:
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                logger.warning("statement render worker %s did not stop; killed", worker.pid)
                worker.kill()
                worker.wait()
            worker.stdout.close()
        self._workers = []
