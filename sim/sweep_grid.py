"""The grid of :func:`sim.sweep`: the keys a grid may set, their validation, and its expansion into runs.

* :data:`TRAIN_KEYS`, :data:`GRID_KEYS` -- the ``sim.train`` arguments a grid may set, and those plus ``lam``;
  ``seed``/``record``/``progress`` are reserved for the sweep (``_RESERVED``); unset ones default to
  ``sim.train``'s (``_DEFAULTS``).
* :data:`OPTIMIZER_KEYS` -- ``optimizer`` and its keywords (:mod:`sim.optimizers`).  At each grid point the keywords
  that its optimizer does not use are dropped (points that then coincide are one run); a keyword used by none of
  the grid's optimizers is an error.  A point with ``optimizer="gd"`` carries no optimizer key at all, so its
  ``sim.train`` arguments -- and its run key -- are those of a sweep from before optimizers existed; other points
  carry ``optimizer`` and every keyword it uses, resolved to its value (PyTorch's defaults filled in).
  :data:`ROW_DEFAULTS` fills the table's optimizer columns of GD rows.
* ``_values`` -- one grid entry as a validated, duplicate-free list of values.
* ``_points`` -- the Cartesian product as ``(sim.train kwargs without seed/record, nominal lam)``, in grid order.
* ``_seeds`` -- the validated seed list.
"""

from __future__ import annotations

import inspect
import itertools
import json
import numbers
from collections.abc import Iterable, Mapping

import numpy as np

from . import _validate as v
from . import optimizers as opt
from .runner import train

_INT_KEYS = ("d_in", "n_train", "d_out", "steps")
_OPTIONAL_INT_KEYS = ("hidden", "n_gen")
_REAL_KEYS = {  # name: (low, strict)
    "eta": (0.0, True),
    "gamma": (0.0, False),
    "eps": (0.0, True),
    "label_noise": (0.0, False),
    "student_scale": (0.0, False),
    "lam": (0.0, True),
    "momentum": (0.0, False),
    "adam_eps": (0.0, True),
    "weight_decay": (0.0, False),
}
_CHOICE_KEYS = {"activation": v.ACTIVATIONS, "engine": v.ENGINES, "optimizer": opt.OPTIMIZERS}
#: ``optimizer`` and its keywords (see the module docstring for how a grid uses them)
OPTIMIZER_KEYS = ("optimizer", *opt.KEYWORDS)
#: the optimizer columns of a GD row (and of rows written before optimizers existed)
ROW_DEFAULTS = opt.Spec().params()
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
    *OPTIMIZER_KEYS,
)
GRID_KEYS = (*TRAIN_KEYS, "lam")
_RESERVED = {
    "seed": "pass the seeds as sweep(..., seeds=[...])",
    "record": "the sweep records `points` log-spaced steps (sweep(..., points=N))",
    "progress": "use sweep(..., progress=...)",
}
_DEFAULTS = {k: p.default for k, p in inspect.signature(train).parameters.items() if k in TRAIN_KEYS}


def _is_pair(raw) -> bool:
    return (
        isinstance(raw, tuple | list)
        and len(raw) == 2
        and all(isinstance(b, numbers.Real) and not isinstance(b, bool) for b in raw)
    )


def _values(name: str, raw) -> list:
    if isinstance(raw, str | bytes) or raw is None or isinstance(raw, numbers.Number):
        vals = [raw]
    elif name == "betas" and _is_pair(raw):  # one (b1, b2) pair, not two values
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
        elif name == "betas":
            if not _is_pair(x):
                raise ValueError(f"grid['betas'] must be a pair (b1, b2) or a list of pairs, got {x!r}")
            x = [float(b) for b in x]
        elif name == "batch_size":
            x = v.integer(name, x)
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
    legacy = [k for k in TRAIN_KEYS if k not in OPTIMIZER_KEYS]
    optimizers = _values("optimizer", grid.get("optimizer", "gd"))
    for k in opt.KEYWORDS:
        if k in grid and not any(k in opt.USES[o] for o in optimizers):
            users = [o for o in opt.OPTIMIZERS if k in opt.USES[o]]
            raise ValueError(f"grid[{k!r}] is used by optimizer {', '.join(users)} only; the grid has {optimizers}")
    points, seen = [], {}
    for combo in itertools.product(*values):
        given = dict(zip(names, combo, strict=True))
        params = {k: given.get(k, _DEFAULTS[k]) for k in legacy if k != "n_train"}
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
        name = given.get("optimizer", "gd")
        dropped = [k for k in opt.KEYWORDS if k in given and k not in opt.USES[name]]
        try:
            spec = v.optimizer(name, **{k: None if k in dropped else given.get(k) for k in opt.KEYWORDS}, n_train=n)
        except ValueError as exc:
            raise ValueError(f"{exc} (grid point {given})") from None
        if name != "gd":
            if params["engine"] == "spectral":
                raise ValueError(f"engine='spectral' needs optimizer='gd' (grid point {given})")
            sp = spec.params()
            params |= {"optimizer": name} | {k: sp[k] for k in opt.USES[name]}
            if "betas" in params:
                params["betas"] = list(params["betas"])
        ident = json.dumps(params, sort_keys=True)
        if ident in seen:
            if dropped:  # differs from an earlier point only in keywords its optimizer does not use
                continue
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
