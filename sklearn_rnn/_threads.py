"""One BLAS thread while small networks train or predict, safe under concurrency.

The matrices of a small recurrent network (hidden size below a few hundred) are so small
that a second BLAS thread only adds synchronisation: OpenBLAS on two threads runs them
several times slower than on one. BLAS thread counts are process-wide, though, so a limit
set around one call is seen by every thread of the process while it lasts.

A threadpoolctl limit restores on exit the counts it found on entry. Entered around every
call from several threads at once, such limits overlap: a call that starts while another
holds the limit finds 1 thread and restores 1 when it ends, possibly after the first call
restored the user's setting, and the process stays pinned at one thread for good.

So at most one limit is held at a time, process-wide, by the call that set it: a call
that finds no limit held sets one (under a lock) and restores it when it ends, in its own
thread (threadpoolctl >= 3.8 only lets the thread that set a limit change it back); a call
that starts while another one holds the limit runs inside it, and if that call ends first,
goes on with the user's setting (slower, never wrong). Whatever the interleaving, the
settings afterwards are exactly those before; while a call holds the limit, BLAS calls of
other threads run on one thread too (the price of a process-wide setting).
"""

import contextlib
import functools
import threading

from threadpoolctl import ThreadpoolController

# below this hidden size BLAS runs on one thread: more threads only add overhead
SINGLE_THREAD_HIDDEN = 512

_lock = threading.Lock()
_held = False  # whether a call holds the limit


@functools.cache
def _controller():
    # finding the loaded BLAS libraries reads the process's memory map: do it once
    return ThreadpoolController()


@contextlib.contextmanager
def blas_single_thread():
    """Run the body with BLAS on one thread where it can; see the module docstring."""
    global _held
    with _lock:
        limiter = None
        if not _held:
            limiter = _controller().limit(limits=1, user_api="blas")
            _held = True
    if limiter is None:
        yield
        return
    try:
        with limiter:
            yield
    finally:
        with _lock:
            _held = False


def blas_limits(hidden_size):
    """One BLAS thread for a network of fewer than 512 hidden units (more threads only
    add overhead to its small products), else the user's setting, as it is."""
    if hidden_size >= SINGLE_THREAD_HIDDEN:
        return contextlib.nullcontext()
    return blas_single_thread()
