"""On-demand benchmark of numerics.grokking_time (not collected by pytest): python benchmarks/bench_grokking_time.py

For 20 cases (``gamma = 0``, gradient flow; ``lam`` from 0.05 to 3, ``eps``, ``eta``, ``d_out``, ``level``), all at 20
digits (``mpmath.mp.workdps(20)``), it times

1. ``numerics.grokking_time`` -- best of 5 calls per case (the machine is shared: the best call is the one least
   disturbed by other processes);
2. the previous implementation, kept as ``numerics.grokking._bracketed_times`` (bracket + Anderson root finder on the
   closed forms, seeded by the float64 path of ``numerics.fast``) -- one call per case;
3. a naive reference: ``mpmath.quad`` of the Eq. (8) / Eq. (6) MP integral (substitution ``nu = lam_- + w^2``, which
   keeps the ``lam = 1`` edge accurate) at every step of a bisection to 20 digits -- one call per case;

and prints the median over cases of each (wall clock and CPU time), the ratios, and the largest relative difference
between the new and the naive times.  Exits 1 if the median of (1) exceeds 7 ms or the naive/new ratio of the medians
is below 150 (wall clock or CPU time).  Takes about two minutes, nearly all of it in (3).
"""

from __future__ import annotations

import statistics
import sys
import time

import mpmath
from mpmath import mp

import numerics
from numerics.accuracy import level_value
from numerics.grokking import _bracketed_times

MAX_MEDIAN_MS = 7.0
MIN_RATIO = 150.0

# lam, eta, eps, d_out, level
CASES = [
    (0.05, 0.01, 1e-3, 1, None),
    (0.1, 0.01, 1e-5, 1, None),
    (0.2, 0.01, 1e-3, 1, None),
    (0.3, 0.05, 1e-4, 1, None),
    (0.4, 0.01, 1e-3, 2, None),
    (0.5, 0.01, 1e-3, 1, None),
    (0.5, 0.01, 1e-6, 1, None),
    (0.6, 0.1, 1e-3, 1, None),
    (0.7, 0.01, 1e-4, 4, None),
    (0.75, 0.05, 1e-2, 1, 0.95),
    (0.8, 0.01, 1e-3, 1, None),
    (0.9, 0.01, 1e-3, 1, None),
    (0.9, 0.01, 1e-3, 26, 0.95),
    (0.95, 0.01, 1e-5, 1, None),
    (0.99, 0.01, 1e-3, 1, None),
    (0.99, 0.02, 1e-4, 3, None),
    (1.0, 0.01, 1e-3, 1, None),
    (1.02, 0.01, 0.3, 1, None),  # L_gen crosses above its plateau
    (1.5, 0.01, 1e-3, 1, None),  # plateau above the level: t_gen is None
    (3.0, 0.01, 1e-3, 1, None),
]


def new_grokking_time(lam, eta, eps, d_out, level):
    return numerics.grokking_time(lam, eta=eta, eps=eps, d_out=d_out, level=level)


def old_grokking_time(lam, eta, eps, d_out, level):
    """The previous ``grokking_time`` for ``gamma = 0`` flow: same validation and threshold, bracketed root finder."""
    lam, eta, eps = mpmath.mpf(lam), mpmath.mpf(eta), mpmath.mpf(eps)
    lev = level_value(level)
    with mp.workprec(mp.prec + 20):
        thr = numerics.loss_at_accuracy(level, eps, d_out=d_out)
        t_tr, t_gen = _bracketed_times(lam, eta, eps, level, lev, d_out, mpmath.mpf(0), "flow", thr)
    return +t_tr, None if t_gen is None else +t_gen


def naive_loss(t, lam, eta, d_out, train):
    """``L(t) = (1/d_out) E[q exp(-4 eta nu t / d_out)]`` (Eqs. 8, 13) by mpmath.quad of the MP law of Eq. (6)."""
    lam = mpmath.mpf(lam)
    r = mpmath.sqrt(lam)
    lo, hi = (1 - r) ** 2, (1 + r) ** 2
    s = 4 * mpmath.mpf(eta) * t / d_out

    def integrand(w):  # p(nu) dnu, nu = lo + w^2
        nu = lo + w * w
        return (nu if train else 1) * mpmath.exp(-s * nu) * w * w * mpmath.sqrt(max(0, hi - nu)) / (mp.pi * lam * nu)

    top = mpmath.sqrt(hi - lo)
    pts = [mpmath.mpf(0), *(mpmath.sqrt(c / s) for c in (1, 4, 16, 64) if s > 0 and c / s < hi - lo), top]
    v = mp.quad(integrand, pts)
    if not train:
        v += max(0, 1 - 1 / lam)
    return v / d_out


def naive_crossing(loss, thr):
    """Doubling from ``t = 1`` to a bracket, then bisection until it is 1e-20 relative."""
    lo, hi = mpmath.mpf(0), mpmath.mpf(1)
    while loss(hi) > thr:
        lo, hi = hi, 2 * hi
    while hi - lo > hi * mpmath.mpf(10) ** -20:
        mid = (lo + hi) / 2
        if loss(mid) > thr:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def naive_grokking_time(lam, eta, eps, d_out, level):
    thr = numerics.loss_at_accuracy(level, eps, d_out=d_out)
    t_tr = naive_crossing(lambda t: naive_loss(t, lam, eta, d_out, True), thr)
    if max(0, 1 - 1 / mpmath.mpf(lam)) / d_out >= thr:
        return t_tr, None
    return t_tr, naive_crossing(lambda t: naive_loss(t, lam, eta, d_out, False), thr)


def timed(fn, *args):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> int:
    rows = []
    with mp.workdps(20):
        numerics.grokking_time(0.5)  # imports and caches outside the timings
        for case in CASES:
            lam, eta, eps, d_out, level = case
            runs = [timed(new_grokking_time, *case) for _ in range(5)]
            g = runs[0][0]
            new_wall, new_cpu = min(r[1] for r in runs), min(r[2] for r in runs)
            _, old_wall, old_cpu = timed(old_grokking_time, *case)
            naive, naive_wall, naive_cpu = timed(naive_grokking_time, *case)
            diff = max(
                abs(a / b - 1) if b else abs(a)
                for a, b in ((g.t_train, naive[0]), (g.t_gen, naive[1]))
                if a is not None and b is not None
            )
            assert (g.t_gen is None) == (naive[1] is None), case
            rows.append((new_wall, new_cpu, old_wall, old_cpu, naive_wall, naive_cpu, diff))
            print(
                f"lam={lam:<5} eta={eta:<5} eps={eps:<7g} d_out={d_out:<3} level={level!s:<5}"
                f"  new {new_wall * 1e3:6.2f} ms  old {old_wall * 1e3:7.1f} ms  naive {naive_wall:6.2f} s"
                f"  |new/naive - 1| {mpmath.nstr(diff, 2)}",
                flush=True,
            )
    med = [statistics.median(col) for col in zip(*rows, strict=True)]
    new_wall, new_cpu, old_wall, old_cpu, naive_wall, naive_cpu, _ = med
    worst = max(r[6] for r in rows)
    print(
        f"\nmedians over {len(rows)} cases at 20 digits (wall / CPU):"
        f"\n  numerics.grokking_time  {new_wall * 1e3:7.2f} ms / {new_cpu * 1e3:7.2f} ms"
        f"\n  previous implementation {old_wall * 1e3:7.1f} ms / {old_cpu * 1e3:7.1f} ms"
        f"  (x{old_wall / new_wall:.0f} / x{old_cpu / new_cpu:.0f})"
        f"\n  naive quad + bisection  {naive_wall:7.2f} s  / {naive_cpu:7.2f} s"
        f"  (x{naive_wall / new_wall:.0f} / x{naive_cpu / new_cpu:.0f})"
        f"\n  largest |new/naive - 1|: {mpmath.nstr(worst, 2)}"
    )
    ratio = min(naive_wall / new_wall, naive_cpu / new_cpu)
    failed = []
    if new_wall * 1e3 > MAX_MEDIAN_MS:
        failed.append(f"median {new_wall * 1e3:.2f} ms > {MAX_MEDIAN_MS} ms")
    if ratio < MIN_RATIO:
        failed.append(f"naive/new ratio {ratio:.0f} < {MIN_RATIO:.0f}")
    if failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    print(f"OK: median <= {MAX_MEDIAN_MS} ms and naive/new >= {MIN_RATIO:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
