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
between the new and the naive times.

Then, for 12 cases with weight decay (``gamma > 0``, gradient flow: the three ``lam`` of claim eq16-grokking-time at
fractions of their ``gamma_c``, ``d_out``, ``level``, ``lam >= 1``) and under discrete GD (``dynamics="gd"``, with and
without weight decay), at 20 digits:

4. ``numerics.grokking_time`` (Halley steps on the fixed-point quadrature of :mod:`numerics._mode_quad`) -- best of 3;
5. the previous implementation, kept as the fallback ``numerics.grokking._bracketed_times`` (bracket + Anderson on
   ``mpmath.quad`` of the MP law) -- one call per case;

with the median times, their ratio, and the largest relative difference between (4) and (5) (0 when both round to
the same 20-digit number).

Exits 1 if the median of (1) exceeds 7 ms, the naive/new ratio of the medians is below 150 (wall clock or CPU time),
the median of (4) exceeds 150 ms, the ratio (5)/(4) of the medians is below 10, or (4) and (5) differ by more than
1e-18 relative.  Takes about two and a half minutes, nearly all of it in (3) and (5).
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
MAX_DECAY_MEDIAN_MS = 150.0
MIN_DECAY_RATIO = 10.0
MAX_DECAY_DIFF = mpmath.mpf(10) ** -18

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


# lam, eta, eps, d_out, level, gamma, dynamics
DECAY_CASES = [
    (0.3, 0.01, 1e-3, 1, None, 0.0271 * 0.5, "flow"),
    (0.3, 0.01, 1e-3, 1, None, 0.0271 * 0.99, "flow"),
    (0.5, 0.01, 1e-3, 1, None, 0.0166 * 0.1, "flow"),
    (0.5, 0.01, 1e-3, 1, None, 0.0166 * 0.9, "flow"),
    (0.7, 0.01, 1e-3, 1, None, 0.00788 * 0.99, "flow"),
    (0.7, 0.01, 1e-3, 1, None, 0.00788 * 1.01, "flow"),  # plateau above the level: t_gen is None
    (0.9, 0.01, 1e-3, 5, None, 1e-4, "flow"),
    (1.5, 0.02, 0.3, 2, 0.95, 1e-3, "flow"),  # the atom decays too
    (0.1, 0.01, 1e-3, 1, None, 0.0, "gd"),
    (0.9, 0.01, 1e-3, 1, None, 0.0, "gd"),
    (0.6, 0.02, 1e-4, 3, 0.95, 1e-3, "gd"),
    (1.3, 0.01, 1e-3, 1, None, 1e-3, "gd"),
]


def new_decay_time(lam, eta, eps, d_out, level, gamma, dynamics):
    g = numerics.grokking_time(lam, eta=eta, eps=eps, d_out=d_out, level=level, gamma=gamma, dynamics=dynamics)
    return g.t_train, g.t_gen


def old_decay_time(lam, eta, eps, d_out, level, gamma, dynamics):
    """The previous ``grokking_time`` for weight decay / GD: same validation and threshold, bracketed root finder on
    ``mpmath.quad`` (the fallback of the new one)."""
    lam, eta, eps, gamma = mpmath.mpf(lam), mpmath.mpf(eta), mpmath.mpf(eps), mpmath.mpf(gamma)
    lev = level_value(level)
    with mp.workprec(mp.prec + 20):
        thr = numerics.loss_at_accuracy(level, eps, d_out=d_out)
        t_tr, t_gen = _bracketed_times(lam, eta, eps, level, lev, d_out, gamma, dynamics, thr)
    return +t_tr, None if t_gen is None else +t_gen


def decay_section() -> list[str]:
    """Time (4) and (5) on DECAY_CASES; returns the failed conditions."""
    rows = []
    with mp.workdps(20):
        new_decay_time(*DECAY_CASES[0])  # caches outside the timings
        for case in DECAY_CASES:
            runs = [timed(new_decay_time, *case) for _ in range(3)]
            new = runs[0][0]
            new_wall, new_cpu = min(r[1] for r in runs), min(r[2] for r in runs)
            old, old_wall, old_cpu = timed(old_decay_time, *case)
            assert [x is None for x in new] == [x is None for x in old], case
            diff = max((abs(a / b - 1) for a, b in zip(new, old, strict=True) if a is not None), default=0)
            rows.append((new_wall, new_cpu, old_wall, old_cpu, diff))
            print(
                f"lam={case[0]:<5} gamma={case[5]:<9.3g} {case[6]:<4} d_out={case[3]:<2} level={case[4]!s:<5}"
                f"  new {new_wall * 1e3:6.1f} ms  old {old_wall:6.2f} s  |new/old - 1| {mpmath.nstr(diff, 2)}",
                flush=True,
            )
    med = [statistics.median(col) for col in zip(*rows, strict=True)]
    new_wall, new_cpu, old_wall, old_cpu, _ = med
    worst = max(r[4] for r in rows)
    print(
        f"\nweight decay / GD, medians over {len(rows)} cases at 20 digits (wall / CPU):"
        f"\n  numerics.grokking_time  {new_wall * 1e3:7.1f} ms / {new_cpu * 1e3:7.1f} ms"
        f"\n  previous implementation {old_wall * 1e3:7.1f} ms / {old_cpu * 1e3:7.1f} ms"
        f"  (x{old_wall / new_wall:.0f} / x{old_cpu / new_cpu:.0f})"
        f"\n  largest |new/old - 1|: {mpmath.nstr(worst, 2)}"
    )
    failed = []
    if new_wall * 1e3 > MAX_DECAY_MEDIAN_MS:
        failed.append(f"weight decay / GD median {new_wall * 1e3:.1f} ms > {MAX_DECAY_MEDIAN_MS} ms")
    if min(old_wall / new_wall, old_cpu / new_cpu) < MIN_DECAY_RATIO:
        failed.append(f"weight decay / GD old/new ratio below {MIN_DECAY_RATIO:.0f}")
    if worst > MAX_DECAY_DIFF:
        failed.append(f"weight decay / GD: new and old differ by {mpmath.nstr(worst, 2)}")
    return failed


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
    print()
    failed += decay_section()
    if failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    print(
        f"OK: median <= {MAX_MEDIAN_MS} ms and naive/new >= {MIN_RATIO:.0f}; weight decay / GD median <="
        f" {MAX_DECAY_MEDIAN_MS:.0f} ms, old/new >= {MIN_DECAY_RATIO:.0f}, agreement within 1e-18"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
