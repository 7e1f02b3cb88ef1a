"""Which GD steps :func:`sim.train` records."""

from __future__ import annotations

import numpy as np

DEFAULT_POINTS = 200


def log_steps(steps: int, n: int = DEFAULT_POINTS) -> np.ndarray:
    """About ``n`` unique integer steps, log-spaced in ``[1, steps]``, plus ``0``; always includes ``0`` and ``steps``.

    Every step is returned when ``steps + 1 <= n``.  Otherwise the geometric grid is refined until rounding to
    integers leaves at least ``n`` unique steps (rounding merges many of the early points).
    """
    if n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if steps + 1 <= n:
        return np.arange(steps + 1, dtype=np.int64)
    m = n
    while True:
        grid = np.unique(np.rint(np.geomspace(1, steps, max(m - 1, 2))).astype(np.int64))
        if len(grid) + 1 >= n:
            return np.concatenate([[0], grid])
        m += max(1, n - len(grid) - 1)
