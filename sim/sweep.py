"""``sim.sweep``: grokking times of simulated runs over a parameter grid, next to the MP-limit prediction (Fig. 4).

The paper's Fig. 4 (end of Section 3.3) shows the grokking time difference ``Delta t = t_gen* - t_tr*``
(Section 3.1.3) over slices of the ``(lam, d_out, gamma)`` phase diagram, where ``t*`` is the time at which an
accuracy reaches 95 % (``A(t*) = 0.95``), computed from the MP-limit losses (Eq. 8; Eq. 13 for ``d_out > 1``,
Eq. 15 with weight decay) and the accuracy-loss relation (Eq. 10, corrected reading; Eq. 13).  :func:`sweep`
measures the same times on simulated gradient-descent runs (:func:`sim.train`, Eqs. 1-3) over a Cartesian grid and
puts the theory beside them.

Measurement of ``t*`` (``first_crossing``)
    Each run records ``points`` log-spaced steps (:func:`sim.log_steps`, ``0`` and ``steps`` included).  ``t*`` is
    the first recorded step at which the accuracy is ``>= level``, refined by linear interpolation of the accuracy
    between that record and the previous one, in ``log t`` (in ``t`` when the previous record is step 0).  ``0`` if
    the level is met at step 0, ``None`` if it is never met up to ``steps``.  The recorded accuracies are fractions of
    ``n_train`` (train) or ``n_gen`` (held-out) samples, a noisy, not strictly monotone step function of ``t``; with
    the default 400 points, ``t*`` moves by ~0.1-1 % against a 3000-point record (measured at ``d_in = 300``,
    ``lam`` in {0.5, 0.9}), far below the seed-to-seed scatter of ``t*`` at such sizes (6-27 %).

Prediction (``theory=``), computed once per parameter point (not per seed), at ``lam_eff = d_in / n_train``:
    ``"flow"`` (default): :func:`numerics.fast.grokking_time_grid`, float64, the paper's gradient-flow theory, one
    vectorised call per ``(eta, level)`` (~0.1 s in all); ``"gd"``: :func:`numerics.grokking_time` with
    ``dynamics="gd"`` (exact discrete-time GD, the dynamics ``sim.train`` runs) under ``mpmath.mp.workdps(15)``,
    ~4-9 s per point, so those evaluations are submitted to the executor too; ``None``: no prediction.  At
    ``eta = 0.01`` the two theories differ by ~0.03 % in ``t*``, far below the finite-size scatter.  The MP-limit
    theory covers one linear layer without label noise and with ``student_scale = 1``; other runs get ``None`` and
    a ``pred_note``.  Runs with ``optimizer="momentum"``/``"nesterov"`` get, with ``theory="gd"``, the exact
    discrete-time momentum theory (``numerics.grokking_time(..., dynamics="momentum", momentum=, nesterov=)``) and,
    with ``"flow"``, a note; SGD, Adam and AdamW runs get no prediction (the theory is full-batch; compare them with
    a GD point of the same grid).

Output file (``out=``): JSON lines, appended and ``fsync``'d as runs finish, by the calling process only.
    ``{"kind": "run", ...}`` lines hold one full table row (parameters, seed, measured and predicted times, status),
    keyed by ``key`` (a hash of the ``sim.train`` arguments, nominal ``lam``, seed, ``level``, ``points`` and
    ``theory``); ``{"kind": "prediction", ...}`` lines cache predictions.  On a call with an existing ``out``, lines
    with ``status == "ok"`` are reused (not rerun), runs with only ``"error"`` lines are rerun, and an unparsable
    line (a crash mid-write leaves a truncated last line) is ignored; a partial last line is cut off before
    appending.  The returned table has exactly one row per (point, seed) of the grid; rows of the file that are not
    in the grid are left alone.  The file is locked (``fcntl.flock``) while a sweep uses it.

Failures: an exception in a run (or a lost worker) is caught; the run is resubmitted up to ``retries`` more times
in the same call, then recorded with ``status="error"`` and ``error="Type: message (at file:line)"``.  A later call
with the same ``out`` reruns it.  If the default process pool breaks (a worker killed), it is replaced.

Modules: this one holds :func:`sweep` (argument checks, run keys, resume from ``out``) and ``_execute`` (scheduling
on the executor, retries, writing rows); the parts are in :mod:`sim.sweep_grid` (grid keys, validation, expansion),
:mod:`sim.sweep_run` (one run, :func:`first_crossing`), :mod:`sim.sweep_predict` (the prediction),
:mod:`sim.sweep_result` (:class:`SweepResult`, :data:`COLUMNS`, :data:`DETERMINISTIC`), :mod:`sim.sweep_log` (the
output file and its keys) and :mod:`sim.sweep_exec` (the serial executor, the default pool).  Their public names are
re-exported here.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import numbers
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from . import _validate as v
from .runner import train
from .sweep_exec import _new_pool, _Serial, _single_threaded_blas_env
from .sweep_grid import GRID_KEYS as GRID_KEYS
from .sweep_grid import OPTIMIZER_KEYS as OPTIMIZER_KEYS
from .sweep_grid import ROW_DEFAULTS, _points, _seeds
from .sweep_grid import TRAIN_KEYS as TRAIN_KEYS
from .sweep_log import _FORMAT, _hash, _Log
from .sweep_predict import THEORIES, _pred_failed, _predict_flow, _predict_gd, _skip_note
from .sweep_result import COLUMNS, SweepResult
from .sweep_result import DETERMINISTIC as DETERMINISTIC
from .sweep_run import _run, _where, first_crossing

__all__ = ["DEFAULT_LEVEL", "DEFAULT_POINTS", "SweepResult", "first_crossing", "sweep"]

#: Accuracy level of Fig. 4 (``A(t*) = 0.95``).
DEFAULT_LEVEL = 0.95
#: Recorded (log-spaced) steps per run.
DEFAULT_POINTS = 400


def sweep(
    grid: Mapping[str, Any],
    *,
    seeds: Iterable[int],
    executor: cf.Executor | str | None = None,
    out=None,
    level: float = DEFAULT_LEVEL,
    points: int = DEFAULT_POINTS,
    theory: str | None = "flow",
    retries: int = 0,
    max_workers: int | None = None,
    progress: bool = True,
    train_fn: Callable | None = None,
) -> SweepResult:
    """Simulate every grid point for every seed; measure and predict the grokking times (Fig. 4, Section 3.1.3).

    For each run ``sim.train(**point, seed=seed, record=log_steps(steps, points))`` (Eqs. 1-3; one linear layer uses
    the exact spectral engine) is timed and its accuracies give ``t_train``, ``t_gen`` and ``delta = t_gen - t_train``
    (:func:`first_crossing`, accuracy ``level``; Fig. 4 uses 0.95); beside them, the MP-limit prediction (Eqs. 8, 10,
    13, 15; see the module docstring for ``theory``).  Returns a :class:`SweepResult`.

    Parameters
    ----------
    grid : mapping
        ``sim.train`` argument names (``d_in``, ``n_train``, ``d_out``, ``eta``, ``gamma``, ``steps``, ``eps``,
        ``hidden``, ``activation``, ``n_gen``, ``label_noise``, ``student_scale``, ``engine``, and ``optimizer``,
        ``momentum``, ``batch_size``, ``betas``, ``adam_eps``, ``weight_decay``) or ``lam`` (meaning
        ``n_train = round(d_in / lam)``) to lists of values; a single value counts as a one-element list (for
        ``betas`` one pair ``(b1, b2)`` counts as one value).  The sweep is their Cartesian product.  ``d_in`` and
        ``steps`` are required, and exactly one of ``lam``, ``n_train``; the other arguments default to
        ``sim.train``'s.  Optimizer keywords apply only to the points whose optimizer uses them (e.g.
        ``{"optimizer": ["gd", "sgd"], "batch_size": [10, 100]}`` is three runs per seed); a GD point has the run
        key it had before optimizers existed (:mod:`sim.sweep_grid`).  ``steps`` counts optimizer updates (for
        ``"sgd"`` mini-batches), and so do the measured times.
    seeds : iterable of int >= 0
        Every point runs once per seed (``sim.train(seed=...)``: the run is reproducible).
    executor : None, "serial" or concurrent.futures.Executor
        ``None``: a ``ProcessPoolExecutor`` (spawned workers, ``max_workers`` of them, default ``os.cpu_count()``;
        their BLAS runs single-threaded unless ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` are
        set), shut down at the end.  ``"serial"``: in this process, one run at a time.  Any ``Executor`` (e.g. Dask's
        ``Client.get_executor()``) is used as is and left running; tasks and ``train_fn`` must then be picklable.
    out : path or None
        JSON-lines file the results stream to; an existing file is resumed (see the module docstring).
    level : float in (0, 1)
        Accuracy level defining ``t*``.
    points : int >= 2
        Recorded log-spaced steps per run (the resolution of ``t*``).
    theory : "flow", "gd" or None
        The prediction (module docstring).
    retries : int >= 0
        In-call resubmissions of a failed run before it is recorded as ``"error"``.
    max_workers : int >= 1 or None
        Size of the default pool (only with ``executor=None``).
    progress : bool
        tqdm bar over the runs, with ETA.
    train_fn : callable or None
        Replaces ``sim.train`` (same keywords; returns an object with ``t``, ``train_acc``, ``gen_acc``): for tests
        and instrumentation.  Not part of the run key.

    Raises ``ValueError`` for invalid arguments (before anything runs), ``RuntimeError`` if ``out`` is in use.
    """
    start = time.perf_counter()
    points_list = _points(grid)
    seed_list = _seeds(seeds)
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    level = float(level)
    points = v.integer("points", points, low=2)
    retries = v.integer("retries", retries, low=0)
    if theory not in THEORIES:
        raise ValueError(f"theory must be one of {THEORIES}, got {theory!r}")
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be a bool, got {progress!r}")
    if isinstance(executor, str) and executor != "serial":
        raise ValueError(f"executor must be None, 'serial' or a concurrent.futures.Executor, got {executor!r}")
    if executor is not None and not isinstance(executor, str) and not isinstance(executor, cf.Executor):
        raise ValueError(f"executor must be None, 'serial' or a concurrent.futures.Executor, got {executor!r}")
    if max_workers is not None:
        if executor is not None:
            raise ValueError("max_workers only applies to the default pool (executor=None)")
        max_workers = v.integer("max_workers", max_workers)
    train_fn = train if train_fn is None else train_fn
    if not callable(train_fn):
        raise ValueError(f"train_fn must be callable, got {train_fn!r}")

    # the runs, their keys and prediction inputs
    runs = []  # (key, row template, params, seed, pkey or None, pred inputs or skip note)
    for params, lam in points_list:
        lam_eff = params["d_in"] / params["n_train"]
        note = _skip_note(params, theory)
        inputs = None
        if note is None:
            inputs = {k: params[k] for k in ("eta", "eps", "d_out", "gamma")} | {"lam": lam_eff, "level": level}
            if params.get("optimizer") in ("momentum", "nesterov"):  # GD points keep their prediction keys
                inputs |= {"momentum": params["momentum"], "nesterov": params["optimizer"] == "nesterov"}
        pkey = None if inputs is None else _hash({"format": _FORMAT, "theory": theory, **inputs})
        for seed in seed_list:
            ident = {"format": _FORMAT, "params": params, "lam": lam, "seed": seed, "level": level, "points": points}
            key = _hash(ident | {"theory": theory})
            base = {"key": key, "seed": seed, **ROW_DEFAULTS, **params, "lam": lam, "lam_eff": lam_eff, "level": level}
            base |= {"points": points, "theory": theory}
            runs.append((key, base, params, seed, pkey, inputs if inputs is not None else note))

    log = None if out is None else _Log(out)
    try:
        rows: dict[str, dict] = {}
        preds: dict[str, dict] = {}
        if log is not None:
            if log.bad:
                warnings.warn(f"{log.path}: ignored {log.bad} unreadable line(s) (a crash mid-write?)", stacklevel=2)
            wanted = {r[0] for r in runs}
            for rec in log.records:
                if rec.get("kind") == "prediction" and isinstance(rec.get("pkey"), str):
                    preds[rec["pkey"]] = {k: rec.get(k) for k in ("pred_t_train", "pred_t_gen", "pred_delta")}
                    preds[rec["pkey"]]["pred_note"] = None
                elif rec.get("kind") == "run" and rec.get("status") == "ok" and rec.get("key") in wanted:
                    rows.setdefault(rec["key"], {c: rec.get(c, ROW_DEFAULTS.get(c)) for c in COLUMNS})
        reused = len(rows)
        todo = [r for r in runs if r[0] not in rows]
        result = _execute(
            todo,
            preds=preds,
            log=log,
            executor=executor,
            max_workers=max_workers,
            theory=theory,
            level=level,
            points=points,
            retries=retries,
            train_fn=train_fn,
            bar={"total": len(runs), "initial": reused, "desc": "sweep", "unit": "run", "disable": not progress},
        )
        rows |= result
    finally:
        if log is not None:
            log.close()
    table = [rows[r[0]] for r in runs]
    failed = sum(1 for r in table if r["status"] != "ok")
    return SweepResult(
        rows=table,
        out=None if out is None else Path(out),
        ran=len(todo),
        reused=reused,
        failed=failed,
        wall_time=time.perf_counter() - start,
    )


def _execute(todo, *, preds, log, executor, max_workers, theory, level, points, retries, train_fn, bar) -> dict:
    """Run ``todo`` (and the missing predictions) on the executor; write and return the finished rows by key."""
    token = uuid.uuid4().hex
    rows: dict[str, dict] = {}
    pred_of: dict[str, dict] = {}  # pkey -> prediction (or note) for this call
    need = {}  # pkey -> inputs, predictions still to compute
    for _key, _base, _params, _seed, pkey, inp in todo:
        if pkey is not None:
            if pkey in preds:
                pred_of[pkey] = preds[pkey]
            else:
                need[pkey] = inp

    def record_pred(pkey, pred):
        pred_of[pkey] = pred
        if log is not None and pred["pred_note"] is None:
            log.append({"format": _FORMAT, "kind": "prediction", "pkey": pkey, "theory": theory, **need[pkey], **pred})

    if theory == "flow" and need:
        for pkey, pred in _predict_flow(list(need.items())).items():
            record_pred(pkey, pred)

    own = executor is None
    ex = _Serial() if executor == "serial" else executor
    waiting: dict[str, list] = {}  # pkey -> finished runs waiting for their prediction
    attempts: dict[str, int] = {}
    queue: collections.deque = collections.deque()  # tasks to submit: ("pred", pkey) or ("run", index in todo)
    if theory == "gd":
        queue += [("pred", pkey) for pkey in need]
    queue += [("run", i) for i in range(len(todo))]
    limit = 1 if executor == "serial" else None
    inflight: dict[cf.Future, tuple] = {}

    def finish(i, res):
        key, base, _params, _seed, pkey, inp = todo[i]
        if pkey is None:
            pred = {"pred_t_train": None, "pred_t_gen": None, "pred_delta": None, "pred_note": inp}
        else:
            pred = pred_of[pkey]
        row = {**base, **{k: res[k] for k in ("t_train", "t_gen", "delta")}, **pred}
        row |= {"wall_time": res["wall_time"], "status": res["status"], "error": res["error"]}
        row["attempts"] = attempts[key]
        row = {c: row[c] for c in COLUMNS}
        rows[key] = row
        if log is not None:
            log.append({"format": _FORMAT, "kind": "run", **row})
        bar.update(1)
        if res["status"] != "ok":
            bar.set_postfix(errors=sum(1 for r in rows.values() if r["status"] != "ok"))

    def submit(task):
        nonlocal ex
        kind, x = task
        for _ in range(2):
            try:
                if kind == "pred":
                    return ex.submit(_predict_gd, need[x], token)
                key, _base, params, seed, _pkey, _inp = todo[x]
                n = attempts.get(key, 0) + 1
                fut = ex.submit(_run, train_fn, params, seed, level, points, token, n)
                attempts[key] = n
                return fut
            except cf.BrokenExecutor:
                if not own:
                    raise
                ex.shutdown(wait=False, cancel_futures=True)
                ex = _new_pool(max_workers)
        raise RuntimeError("the process pool broke twice in a row")  # pragma: no cover

    stack = contextlib.ExitStack()
    bar = tqdm(**bar)
    try:
        if own:  # the pool spawns its workers on demand (at submit): keep the BLAS variables set while it runs
            stack.enter_context(_single_threaded_blas_env())
            ex = _new_pool(max_workers)
            stack.callback(lambda: ex.shutdown(wait=True, cancel_futures=True))
        while queue or inflight:
            while queue and (limit is None or len(inflight) < limit):
                task = queue.popleft()
                try:
                    inflight[submit(task)] = task
                except cf.BrokenExecutor as exc:  # a user's executor is broken: record, do not retry
                    f = cf.Future()
                    f.set_exception(exc)
                    inflight[f] = task
            done, _ = cf.wait(list(inflight), return_when=cf.FIRST_COMPLETED)
            for f in done:
                kind, x = inflight.pop(f)
                exc = cf.CancelledError("task cancelled") if f.cancelled() else f.exception()
                if kind == "pred":
                    record_pred(x, _pred_failed(exc) if exc is not None else f.result())
                    for i, res in waiting.pop(x, []):
                        finish(i, res)
                    continue
                if exc is not None:  # the executor failed, not the run (the worker catches those)
                    res = {"t_train": None, "t_gen": None, "delta": None, "status": "error", "error": _where(exc)}
                    res["wall_time"] = None
                else:
                    res = f.result()
                key, pkey = todo[x][0], todo[x][4]
                if res["status"] != "ok" and attempts[key] <= retries:
                    queue.appendleft(("run", x))
                    continue
                if pkey is not None and pkey not in pred_of:
                    waiting.setdefault(pkey, []).append((x, res))
                else:
                    finish(x, res)
    finally:
        bar.close()
        stack.close()
    return rows
