"""The table :func:`sim.sweep` returns: :data:`COLUMNS` (in order), :data:`DETERMINISTIC` (the columns that do not
depend on the executor) and :class:`SweepResult` (rows, counts, column access, CSV)."""

from __future__ import annotations

import csv
import io
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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
    "optimizer",
    "momentum",
    "batch_size",
    "betas",
    "adam_eps",
    "weight_decay",
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


@dataclass
class SweepResult:
    """Tidy table returned by :func:`sim.sweep`: one dict per (grid point, seed), in grid order (seeds innermost).

    Columns (:data:`COLUMNS`): ``key``, ``seed``, the ``sim.train`` arguments (``d_in`` ... ``engine``, then
    ``optimizer`` ... ``weight_decay``: ``None`` where the optimizer does not use the keyword), ``lam`` (the
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
