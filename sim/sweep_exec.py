"""The executors :func:`sim.sweep` makes itself (a user's ``concurrent.futures.Executor`` is used as is).

* ``_Serial`` -- ``executor="serial"``: each task runs in the calling process at ``submit``.
* ``_new_pool`` -- the default ``ProcessPoolExecutor`` (spawned workers); ``_single_threaded_blas_env`` keeps the
  BLAS of its workers single-threaded while it spawns them (``_BLAS_ENV``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os


class _Serial(cf.Executor):
    """Runs each task in the calling process at ``submit`` (the serial mode)."""

    def submit(self, fn, /, *args, **kwargs):
        f = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as exc:
            f.set_exception(exc)
        return f


_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _single_threaded_blas_env():
    """Set the BLAS thread variables to 1 (unless already set) while the default pool spawns its workers."""
    added = [k for k in _BLAS_ENV if k not in os.environ]
    for k in added:
        os.environ[k] = "1"
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def _new_pool(max_workers):
    return cf.ProcessPoolExecutor(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"))
