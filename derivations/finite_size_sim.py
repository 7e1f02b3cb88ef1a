"""The finite-size theory (:mod:`numerics.finite_size`) held against the simulator (:func:`sim.train`).

For one :class:`Case` (``lam``, ``d_in``, ``gamma``, ``d_out``), :func:`validate` trains ``seeds`` students by full GD
(the spectral engine: exact GD, full data) and measures per run, as :func:`sim.sweep` does (first recorded step at
which the accuracy reaches the level, interpolated in ``log t`` between 400 log-spaced records):

* ``t_gen`` from ``gen_acc_exact``, the generalisation accuracy exact given ``D``;
* ``t_train`` from ``train_acc``, the empirical fraction over the ``N_tr`` training samples, and ``t_train_gauss``
  from ``train_acc_gauss``, its Gaussian (Erf / chi-square) form, which is what the theory predicts;
* ``delta = t_gen - t_train_gauss`` (``inf`` where ``t_gen`` is, as in the theory).

The theory draws ``theory_draws`` runs of :func:`numerics.finite_size.grokking_time_distribution` (a different random
stream).  Runs slower than the horizon ``steps`` (1.5 times the theory's 99.5 % quantile of ``t_gen``, at most 1e9)
count as censored on both sides.  Measures: the two-sample Kolmogorov–Smirnov p-value (censored runs tie above the
horizon), the 10/50/90 % quantiles with bootstrap standard errors (1000 resamples), and the mean of
``log min(t, horizon)`` with its standard error (the same censored functional on both sides; the most powerful of the
three for a shift of the whole distribution).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from tqdm.auto import tqdm

import sim
from numerics.finite_size import GrokkingTimeDistribution, grokking_time_distribution, quantile
from sim.schedule import log_steps
from sim.sweep import first_crossing

__all__ = ["Case", "CaseResult", "Comparison", "QS", "simulate", "validate"]

QS = (0.1, 0.5, 0.9)
#: the horizon: this factor times the theory's 99.5 % quantile of t_gen, capped at MAX_STEPS
HORIZON_FACTOR, MAX_STEPS = 1.5, 10**9


@dataclass(frozen=True)
class Case:
    """One validation setting (``eta``, ``eps`` and the level are the paper's Fig. 1 values by default)."""

    lam: float
    d_in: int
    seeds: int
    gamma: float = 0.0
    d_out: int = 1
    eta: float = 0.01
    eps: float = 1e-3

    @property
    def n_train(self) -> int:
        return round(self.d_in / self.lam)

    @property
    def label(self) -> str:
        extra = (f", gamma={self.gamma:g}" if self.gamma else "") + (f", d_out={self.d_out}" if self.d_out > 1 else "")
        return f"lam={self.lam:g}, d_in={self.d_in}{extra}"


@dataclass(frozen=True)
class Comparison:
    """Theory against simulation for one observable (times in GD steps; ``inf`` = censored or never)."""

    name: str
    theory_q: np.ndarray
    theory_se: np.ndarray
    sim_q: np.ndarray
    sim_se: np.ndarray
    ks_p: float
    mean_log: tuple[float, float]  #: (sim - theory) of the mean of log min(t, horizon), and its standard error
    censored: tuple[float, float]  #: censored fraction (theory, sim)

    def z_scores(self) -> np.ndarray:
        """``(sim_q - theory_q) / sqrt(se_sim^2 + se_theory^2)`` per quantile (NaN where a quantile is censored)."""
        with np.errstate(invalid="ignore"):
            z = (self.sim_q - self.theory_q) / np.hypot(self.sim_se, self.theory_se)
        return np.where(np.isfinite(self.sim_q) & np.isfinite(self.theory_q), z, np.nan)


@dataclass(frozen=True)
class CaseResult:
    case: Case
    steps: int
    comparisons: dict[str, Comparison]
    train_gap: dict[str, float]  #: per-run t_train (empirical fraction) / t_train (Gaussian form) - 1: mean, sd, q90
    theory: GrokkingTimeDistribution = field(repr=False)
    simulated: dict[str, np.ndarray] = field(repr=False)


def simulate(case: Case, steps: int, *, seed0: int = 0, points: int = 400, progress: bool = False) -> dict:
    """Per-run crossing times of ``case.seeds`` simulated runs (seeds ``seed0 ..``), recorded up to ``steps``."""
    from scipy.special import erf

    level = float(erf(np.sqrt(2.0)))
    record = log_steps(steps, points)
    out = {k: [] for k in ("t_train", "t_train_gauss", "t_gen")}
    for s in tqdm(range(seed0, seed0 + case.seeds), desc=case.label, disable=not progress, leave=False):
        r = sim.train(
            d_in=case.d_in,
            n_train=case.n_train,
            d_out=case.d_out,
            eta=case.eta,
            gamma=case.gamma,
            eps=case.eps,
            steps=steps,
            record=record,
            seed=s,
            n_gen=10,  # the generalisation accuracy is taken exact given D (gen_acc_exact)
        )
        for key, acc in (("t_train", r.train_acc), ("t_train_gauss", r.train_acc_gauss), ("t_gen", r.gen_acc_exact)):
            t = first_crossing(r.t, acc, level)
            out[key].append(np.inf if t is None else t)
    out = {k: np.array(v) for k, v in out.items()}
    # Delta t with the train time of the Gaussian form (what the theory predicts), inf where t_gen is (as the theory's)
    out["delta"] = np.where(np.isinf(out["t_gen"]), np.inf, out["t_gen"] - out["t_train_gauss"])
    return out


def _boot_se(x: np.ndarray, rng: np.random.Generator, reps: int = 1000) -> np.ndarray:
    idx = rng.integers(0, len(x), size=(reps, len(x)))
    qs = np.array([quantile(x[i], QS) for i in idx])
    with np.errstate(invalid="ignore"):
        return np.where(np.all(np.isfinite(qs), axis=0), np.std(qs, axis=0, ddof=1), np.inf)


def _compare(name, th, sm, steps, rng) -> Comparison:
    th = np.where(th > steps, np.inf, th)
    sm = np.where(sm > steps, np.inf, sm)
    big = 10.0 * steps  # censored runs tie above the horizon for the rank-based KS test
    ks = stats.ks_2samp(np.where(np.isinf(sm), big, sm), np.where(np.isinf(th), big, th)).pvalue
    floor = 1e-300  # a crossing at t = 0 (level reached at once) stays finite in log
    lt, ls = (np.log(np.clip(np.minimum(x, steps), floor, None)) for x in (th, sm))
    se = np.hypot(ls.std(ddof=1) / np.sqrt(len(ls)), lt.std(ddof=1) / np.sqrt(len(lt)))
    mean_log = (float(ls.mean() - lt.mean()), float(se))
    return Comparison(
        name=name,
        theory_q=quantile(th, QS),
        theory_se=_boot_se(th, rng),
        sim_q=quantile(sm, QS),
        sim_se=_boot_se(sm, rng),
        ks_p=float(ks),
        mean_log=mean_log,
        censored=(float(np.mean(np.isinf(th))), float(np.mean(np.isinf(sm)))),
    )


def validate(case: Case, *, theory_draws: int = 2000, seed: int = 2026, progress: bool = False) -> CaseResult:
    """Simulate ``case`` and compare it with the finite-size theory (module docstring)."""
    theory = grokking_time_distribution(
        case.lam,
        d_in=case.d_in,
        eta=case.eta,
        eps=case.eps,
        d_out=case.d_out,
        gamma=case.gamma,
        draws=theory_draws,
        seed=seed,
        progress=progress,
    )
    finite = theory.t_gen[np.isfinite(theory.t_gen)]
    tail = float(quantile(finite, [0.995])[0]) if finite.size else float(quantile(theory.t_train, [0.995])[0])
    steps = int(min(MAX_STEPS, max(10, np.ceil(HORIZON_FACTOR * tail))))
    simulated = simulate(case, steps, progress=progress)
    rng = np.random.default_rng(seed)
    pairs = (
        ("t_train", theory.t_train, simulated["t_train_gauss"]),
        ("t_gen", theory.t_gen, simulated["t_gen"]),
        ("delta", theory.delta, simulated["delta"]),
    )
    comparisons = {name: _compare(name, th, sm, steps, rng) for name, th, sm in pairs}
    comparisons["t_train_empirical"] = _compare("t_train_empirical", theory.t_train, simulated["t_train"], steps, rng)
    ok = np.isfinite(simulated["t_train"]) & np.isfinite(simulated["t_train_gauss"])
    gap = simulated["t_train"][ok] / simulated["t_train_gauss"][ok] - 1
    train_gap = {"mean": float(gap.mean()), "sd": float(gap.std(ddof=1)), "abs_q90": float(np.quantile(abs(gap), 0.9))}
    return CaseResult(case, steps, comparisons, train_gap, theory, simulated)
