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
    a ``pred_note``.

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
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import csv
import hashlib
import inspect
import io
import itertools
import json
import math
import multiprocessing
import numbers
import os
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from . import _validate as v
from .runner import train
from .schedule import log_steps

__all__ = ["DEFAULT_LEVEL", "DEFAULT_POINTS", "SweepResult", "first_crossing", "sweep"]

#: Accuracy level of Fig. 4 (``A(t*) = 0.95``).
DEFAULT_LEVEL = 0.95
#: Recorded (log-spaced) steps per run.
DEFAULT_POINTS = 400
THEORIES = ("flow", "gd", None)
_FORMAT = 1  # version of the JSON-line format (part of every key)

_INT_KEYS = ("d_in", "n_train", "d_out", "steps")
_OPTIONAL_INT_KEYS = ("hidden", "n_gen")
_REAL_KEYS = {  # name: (low, strict)
    "eta": (0.0, True),
    "gamma": (0.0, False),
    "eps": (0.0, True),
    "label_noise": (0.0, False),
    "student_scale": (0.0, False),
    "lam": (0.0, True),
}
_CHOICE_KEYS = {"activation": v.ACTIVATIONS, "engine": v.ENGINES}
#: ``sim.train`` arguments a grid may set (besides ``lam``); ``seed``/``record``/``progress`` are the sweep's.
TRAIN_KEYS = (
    "d_in",
    "n_train",
    "d_out",
    "eta",
    "gamma",
    "steps",
    "eps",
    "hidden",
    "activation",
    "n_gen",
    "label_noise",
    "student_scale",
    "engine",
)
GRID_KEYS = (*TRAIN_KEYS, "lam")
_RESERVED = {
    "seed": "pass the seeds as sweep(..., seeds=[...])",
    "record": "the sweep records `points` log-spaced steps (sweep(..., points=N))",
    "progress": "use sweep(..., progress=...)",
}
_DEFAULTS = {k: p.default for k, p in inspect.signature(train).parameters.items() if k in TRAIN_KEYS}

#: Columns of :attr:`SweepResult.rows`, in order.
COLUMNS = (
    "key",
    "seed",
    "d_in",
    "n_train",
    "lam",
    "lam_eff",
    "d_out",
    "eta",
    "gamma",
    "steps",
    "eps",
    "hidden",
    "activation",
    "n_gen",
    "label_noise",
    "student_scale",
    "engine",
    "level",
    "points",
    "t_train",
    "t_gen",
    "delta",
    "theory",
    "pred_t_train",
    "pred_t_gen",
    "pred_delta",
    "pred_note",
    "wall_time",
    "status",
    "error",
    "attempts",
)
#: Columns that do not depend on where or when a run was executed (compare these across executors).
DETERMINISTIC = tuple(c for c in COLUMNS if c not in ("wall_time", "attempts"))


# --------------------------------------------------------------------------------------------------- measurement


def first_crossing(t, acc, level: float) -> float | None:
    """First time the recorded accuracy ``acc`` (at steps ``t``) reaches ``level``; see the module docstring.

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


# ---------------------------------------------------------------------------------------------------- prediction


def _fin(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _predict_gd(inputs: dict, token: str) -> dict:
    """Worker task: ``numerics.grokking_time(..., dynamics="gd")`` at 15 digits.  Never raises."""
    del token
    import mpmath

    import numerics

    try:
        with mpmath.mp.workdps(15):
            g = numerics.grokking_time(
                inputs["lam"],
                eta=inputs["eta"],
                eps=inputs["eps"],
                level=inputs["level"],
                d_out=inputs["d_out"],
                gamma=inputs["gamma"],
                dynamics="gd",
            )
        vals = [None if x is None else float(x) for x in (g.t_train, g.t_gen, g.delta)]
        return {"pred_t_train": vals[0], "pred_t_gen": vals[1], "pred_delta": vals[2], "pred_note": None}
    except Exception as exc:
        return _pred_failed(exc)


def _pred_failed(exc) -> dict:
    return {"pred_t_train": None, "pred_t_gen": None, "pred_delta": None, "pred_note": f"prediction failed: {exc}"}


def _predict_flow(items: list[tuple[str, dict]]) -> dict[str, dict]:
    """``numerics.fast.grokking_time_grid`` for many points: one vectorised call per ``(eta, level)``."""
    from numerics.fast import grokking_time_grid

    out = {}
    groups: dict[tuple, list] = {}
    for pkey, inp in items:
        groups.setdefault((inp["eta"], inp["level"]), []).append((pkey, inp))
    for (eta, level), members in groups.items():

        def call(ms, eta=eta, level=level):
            arr = {k: np.array([m[1][k] for m in ms], dtype=float) for k in ("lam", "eps", "d_out", "gamma")}
            return grokking_time_grid(arr["lam"], eta=eta, level=level, **{k: arr[k] for k in arr if k != "lam"})

        try:
            res = [call(members)]
            chunks = [members]
        except ValueError:  # isolate the offending points
            res, chunks = [], []
            for m in members:
                try:
                    res.append(call([m]))
                    chunks.append([m])
                except ValueError as exc:
                    out[m[0]] = _pred_failed(exc)
        for (t_tr, t_gen, delta), ms in zip(res, chunks, strict=True):
            for i, (pkey, _) in enumerate(ms):
                out[pkey] = {
                    "pred_t_train": _fin(t_tr[i]),
                    "pred_t_gen": _fin(t_gen[i]),
                    "pred_delta": _fin(delta[i]),
                    "pred_note": None,
                }
    return out


def _skip_note(params: dict, theory) -> str | None:
    if theory is None:
        return "theory=None"
    if params["hidden"] is not None:
        return "no MP-limit prediction for two layers"
    if params["label_noise"] != 0:
        return "no MP-limit prediction with label noise"
    if params["student_scale"] != 1:
        return "no MP-limit prediction for student_scale != 1"
    return None


# ------------------------------------------------------------------------------------------------------ the grid


def _values(name: str, raw) -> list:
    if isinstance(raw, str | bytes) or raw is None or isinstance(raw, numbers.Number):
        vals = [raw]
    elif isinstance(raw, np.ndarray) and raw.ndim != 1:
        raise ValueError(f"grid[{name!r}] must be a 1-d list of values, got an array of shape {raw.shape}")
    elif isinstance(raw, Iterable):
        vals = list(raw)
    else:
        raise ValueError(f"grid[{name!r}] must be a list of values (or one value), got {raw!r}")
    if not vals:
        raise ValueError(f"grid[{name!r}] is empty: give at least one value")
    out = []
    for x in vals:
        x = x.item() if isinstance(x, np.generic) else x
        if name in _INT_KEYS:
            x = v.integer(name, x)
        elif name in _OPTIONAL_INT_KEYS:
            x = None if x is None else v.integer(name, x)
        elif name in _REAL_KEYS:
            low, strict = _REAL_KEYS[name]
            x = v.real(name, x, low=low, strict=strict)
        else:
            x = v.choice(name, x, _CHOICE_KEYS[name])
        out.append(x)
    dup = [x for i, x in enumerate(out) if x in out[:i]]
    if dup:
        raise ValueError(f"grid[{name!r}] has duplicate values {dup}")
    return out


def _points(grid) -> list[tuple[dict, float]]:
    """The Cartesian product as ``(sim.train kwargs without seed/record, nominal lam)``, in grid order."""
    if not isinstance(grid, Mapping):
        raise ValueError(f"grid must be a mapping of sim.train argument names to lists of values, got {grid!r}")
    for k in grid:
        if k in _RESERVED:
            raise ValueError(f"grid key {k!r} is not allowed: {_RESERVED[k]}")
        if k not in GRID_KEYS:
            raise ValueError(f"unknown grid key {k!r}; allowed: {', '.join(GRID_KEYS)}")
    for k in ("d_in", "steps"):
        if k not in grid:
            raise ValueError(f"grid must give {k!r}")
    if ("lam" in grid) == ("n_train" in grid):
        raise ValueError("grid must give exactly one of 'lam' (n_train = round(d_in / lam)) and 'n_train'")
    names = list(grid)
    values = [_values(k, grid[k]) for k in names]
    points, seen = [], {}
    for combo in itertools.product(*values):
        given = dict(zip(names, combo, strict=True))
        params = {k: given.get(k, _DEFAULTS[k]) for k in TRAIN_KEYS if k != "n_train"}
        if "lam" in given:
            n = round(params["d_in"] / given["lam"])
            if n < 1:
                raise ValueError(f"lam={given['lam']} with d_in={params['d_in']} gives n_train={n} < 1")
            lam = given["lam"]
        else:
            n = given["n_train"]
            lam = params["d_in"] / n
        params = {"d_in": params["d_in"], "n_train": n, **{k: x for k, x in params.items() if k != "d_in"}}
        if params["hidden"] is None and params["activation"] != "linear":
            raise ValueError(f"activation={params['activation']!r} needs a hidden layer (grid point {given})")
        if params["hidden"] is not None and params["engine"] == "spectral":
            raise ValueError(f"engine='spectral' needs hidden=None (grid point {given})")
        ident = json.dumps(params, sort_keys=True)
        if ident in seen:
            raise ValueError(f"grid points {seen[ident]} and {given} are the same run ({params}); remove one")
        seen[ident] = given
        points.append((params, lam))
    return points


def _seeds(seeds) -> list[int]:
    if isinstance(seeds, str | bytes | numbers.Number) or not isinstance(seeds, Iterable):
        raise ValueError(f"seeds must be a non-empty list of integers >= 0 (e.g. range(4)), got {seeds!r}")
    out = [v.seed(s.item() if isinstance(s, np.generic) else s) for s in seeds]
    if not out:
        raise ValueError("seeds is empty: give at least one seed")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds has duplicates: {out}")
    return out


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:20]


# --------------------------------------------------------------------------------------------------- the results


@dataclass
class SweepResult:
    """Tidy table returned by :func:`sweep`: one dict per (grid point, seed), in grid order (seeds innermost).

    Columns (:data:`COLUMNS`): ``key``, ``seed``, the ``sim.train`` arguments (``d_in`` ... ``engine``), ``lam`` (the
    grid's value, or ``d_in/n_train``), ``lam_eff = d_in / n_train``, ``level``, ``points``, the measured ``t_train``,
    ``t_gen``, ``delta = t_gen - t_train`` (GD steps; ``None`` where the level is not reached), ``theory`` and the
    prediction ``pred_t_train``, ``pred_t_gen``, ``pred_delta``, ``pred_note`` (why a prediction is missing),
    ``wall_time`` (seconds in the worker), ``status`` (``"ok"``/``"error"``), ``error``, ``attempts`` (in the call
    that produced the row).  ``ran``/``reused``/``failed`` count runs of this call; ``wall_time`` is its duration.
    """

    rows: list[dict[str, Any]]
    out: Path | None = None
    ran: int = 0
    reused: int = 0
    failed: int = 0
    wall_time: float = 0.0
    columns: tuple[str, ...] = field(default=COLUMNS)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def column(self, name: str) -> np.ndarray:
        """One column as a numpy array (``float`` with NaN for ``None`` if numeric, else ``object``)."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self.columns)}")
        vals = [r[name] for r in self.rows]
        if all(x is None or (isinstance(x, numbers.Real) and not isinstance(x, bool)) for x in vals):
            return np.array([np.nan if x is None else x for x in vals], dtype=float)
        return np.array(vals, dtype=object)

    def to_csv(self, path=None) -> str:
        """The table as CSV (header = :attr:`columns`; ``None`` as an empty cell); also written to ``path``."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        for r in self.rows:
            w.writerow(["" if r[c] is None else repr(r[c]) if isinstance(r[c], float) else r[c] for c in self.columns])
        text = buf.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


# ------------------------------------------------------------------------------------------------ the output log


class _Log:
    """The JSON-lines file: read back, cut a partial last line, append + fsync; ``flock``-ed while open."""

    def __init__(self, path):
        self.path = Path(path)
        self.f = open(self.path, "a+b")  # noqa: SIM115 -- closed in close()
        try:
            import fcntl

            fcntl.flock(self.f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover -- not POSIX: no locking
            pass
        except OSError as exc:
            self.f.close()
            raise RuntimeError(f"{self.path} is in use by another sweep") from exc
        self.f.seek(0)
        data = self.f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a crash mid-write: drop the partial line so appends start on a fresh line
            self.f.truncate(end)
            self.f.flush()
            os.fsync(self.f.fileno())
        self.records, self.bad = [], 0
        for line in data[:end].splitlines():
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or rec.get("format") != _FORMAT:
                    raise ValueError
            except ValueError:
                self.bad += 1
                continue
            self.records.append(rec)
        self.truncated = end < len(data)

    def append(self, rec: dict) -> None:
        self.f.write(json.dumps(rec, allow_nan=False).encode() + b"\n")
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self) -> None:
        self.f.close()


# --------------------------------------------------------------------------------------------------- executors


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


# -------------------------------------------------------------------------------------------------------- sweep


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
        ``hidden``, ``activation``, ``n_gen``, ``label_noise``, ``student_scale``, ``engine``) or ``lam`` (meaning
        ``n_train = round(d_in / lam)``) to lists of values; a single value counts as a one-element list.  The sweep
        is their Cartesian product.  ``d_in`` and ``steps`` are required, and exactly one of ``lam``, ``n_train``;
        the other arguments default to ``sim.train``'s.
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
        pkey = None if inputs is None else _hash({"format": _FORMAT, "theory": theory, **inputs})
        for seed in seed_list:
            ident = {"format": _FORMAT, "params": params, "lam": lam, "seed": seed, "level": level, "points": points}
            key = _hash(ident | {"theory": theory})
            base = {"key": key, "seed": seed, **params, "lam": lam, "lam_eff": lam_eff, "level": level}
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
                    rows.setdefault(rec["key"], {c: rec.get(c) for c in COLUMNS})
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
