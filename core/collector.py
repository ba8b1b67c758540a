"""Pausing Python's garbage collector around a large set-based write.

A bank statement of 10,000 lines builds ~100,000 objects (rows, model instances, audit
changes) that all stay reachable until the import ends. Python collects every 700 new
objects and, now and then, walks the whole heap: ~1,500 collections that free nothing,
1.0-1.5 s of a 7-10 s import (bench/settlement_bench.py). `paused()` switches automatic
collection off for the block and back on after it; reference counting still frees
everything that is not in a cycle, and the next collection finds the rest.

The switch is process-wide: threads of the same process run without collections while
a block runs; nested and concurrent blocks count, and the last one out switches back on.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
