"""On-demand benchmark of numerics (not collected by pytest): python benchmarks/bench_numerics.py

1. numerics.grokking_time at 20 digits vs a straightforward mpmath.quad (MP density in nu) + bisection root finder.
2. A 50 x 50 Fig. 4 panel (gamma x d_out at lam = 0.9, eps = 1e-3, level 0.95) with the float64 path.
Prints wall times and ratios measured in this run.
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
from mpmath import mp

import numerics
from numerics.fast import grokking_time_grid


def naive_grokking_time(lam, eta=0.01, eps=1e-3):
    """Straightforward baseline: quad of the MP density in nu for both losses, bisection in t."""
    lo, hi = (1 - mpmath.sqrt(lam)) ** 2, (1 + mpmath.sqrt(lam)) ** 2
    atom = max(0, 1 - 1 / mpmath.mpf(lam))

    def dens(nu):
        return mpmath.sqrt((hi - nu) * (nu - lo)) / (2 * mpmath.pi * lam * nu)

    def loss(t, q):
        return mp.quad(lambda nu: q(nu) * mpmath.exp(-4 * eta * nu * t) * dens(nu), [lo, hi]) + (atom if q(0) else 0)

    thr = mpmath.mpf(eps) / 4
    out = []
    for q in (lambda nu: nu, lambda nu: 1):
        a, b = mpmath.mpf(0), mpmath.mpf(1)
        while loss(b, q) > thr:
            a, b = b, 2 * b
        out.append(mp.findroot(lambda t, q=q: loss(t, q) - thr, (a, b), solver="bisect"))
    return out


def main():
    lams = (0.3, 0.6, 0.9)
    with mp.workdps(20):
        t0 = time.perf_counter()
        fast = [numerics.grokking_time(lam) for lam in lams]
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        slow = [naive_grokking_time(lam) for lam in lams]
        t_naive = time.perf_counter() - t0
        agree = max(abs(f.t_gen / s[1] - 1) for f, s in zip(fast, slow, strict=True))
    print(
        f"grokking_time at 20 digits, lam in {lams}: numerics {t_ours:.2f} s, naive quad+bisection {t_naive:.2f} s,"
        f" ratio {t_naive / t_ours:.1f}x (t_gen agree to {mpmath.nstr(agree, 3)})"
    )
    g, d = np.meshgrid(np.logspace(-6, -1, 50), np.round(np.logspace(0, 3, 50)))
    t0 = time.perf_counter()
    out = grokking_time_grid(0.9, eps=1e-3, d_out=d, gamma=g, level=0.95)
    t_panel = time.perf_counter() - t0
    print(
        f"50 x 50 (gamma, d_out) panel at lam = 0.9, float64: {t_panel:.2f} s"
        f" ({np.isnan(out[2]).mean():.0%} of points without grokking)"
    )


if __name__ == "__main__":
    main()
