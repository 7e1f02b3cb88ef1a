"""One run of :func:`sim.sweep` and its grokking times.

* :func:`first_crossing` -- ``t*``, the first time a recorded accuracy reaches a level (the measurement is described
  in the :mod:`sim.sweep` module docstring).
* ``_run`` -- the worker task: one ``train_fn`` run and its ``t_train``, ``t_gen``, ``delta`` (``_delta``); an
  exception is returned as ``"Type: message (at file:line)"`` (``_where``), never raised.
"""

from __future__ import annotations

import math
import time
import traceback
from pathlib import Path

import numpy as np

from .schedule import log_steps


def first_crossing(t, acc, level: float) -> float | None:
    """First time the recorded accuracy ``acc`` (at steps ``t``) reaches ``level``; see the :mod:`sim.sweep` docstring.

    ``t`` ascending, ``acc`` the same length.  Returns ``float(t[0])`` if ``acc[0] >= level``; otherwise the first
    index ``k`` with ``acc[k] >= level`` is interpolated linearly against ``acc[k-1]`` in ``log t`` (in ``t`` if
    ``t[k-1] == 0``).  ``None`` if the level is never reached.
    """
    t = np.asarray(t, dtype=float)
    acc = np.asarray(acc, dtype=float)
    if t.shape != acc.shape or t.ndim != 1:
        raise ValueError(f"t and acc must be 1-d arrays of the same length, got shapes {t.shape}, {acc.shape}")
    hit = np.flatnonzero(acc >= level)
    if hit.size == 0:
        return None
    k = int(hit[0])
    if k == 0:
        return float(t[0])
    t0, t1, a0, a1 = t[k - 1], t[k], acc[k - 1], acc[k]
    frac = (level - a0) / (a1 - a0)  # a0 < level <= a1, so 0 < frac <= 1
    if frac >= 1:
        return float(t1)
    if t0 > 0:
        return float(math.exp(math.log(t0) + frac * (math.log(t1) - math.log(t0))))
    return float(t0 + frac * (t1 - t0))


def _delta(a, b):
    return None if a is None or b is None else b - a


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    loc = f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno} in {tb[-1].name})" if tb else ""
    return f"{type(exc).__name__}: {exc}{loc}"


def _run(train_fn, params: dict, seed: int, level: float, points: int, token: str, attempt: int) -> dict:
    """Worker task: one ``train_fn`` run and its grokking times.  Never raises (errors are returned).

    ``token`` (per sweep call) and ``attempt`` only make the task unique, so executors that deduplicate pure tasks
    (Dask's ``Client.submit``) really rerun a retry.
    """
    del token, attempt
    start = time.perf_counter()
    try:
        r = train_fn(**params, seed=seed, record=log_steps(params["steps"], points))
        t_tr = first_crossing(r.t, r.train_acc, level)
        t_gen = first_crossing(r.t, r.gen_acc, level)
        out = {"t_train": t_tr, "t_gen": t_gen, "delta": _delta(t_tr, t_gen), "status": "ok", "error": None}
    except Exception as exc:  # recorded in the table, retried by the caller
        out = {"t_train": None, "t_gen": None, "delta": None, "status": "error", "error": _where(exc)}
    out["wall_time"] = time.perf_counter() - start
    return out
