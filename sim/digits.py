"""Teacher-student grokking on real images (issue 13, item 4): scikit-learn's handwritten digits against the
structured theory.

:func:`digits_experiment` trains the paper's one-layer linear student (Eqs. 1-3, full-batch GD, no weight decay, one
output) on a random teacher's labels of ``N_tr`` real standardised images (:func:`numerics.datasets.digits_inputs`,
``d = 61`` pixels) and tests on the other ``1797 - N_tr`` images, over many random training subsets (one per seed).
It measures the train and test grokking times of every run and compares them with
:func:`numerics.grokking_time` ``(lam, spectrum=digits_spectrum())``: the proportional-limit theory for
``x ~ N(0, Sigma)`` with ``Sigma`` the covariance of the 1797 images (:mod:`numerics.structured`, gradient flow).

Two input sources at the same ``d`` and ``N_tr``:

* ``"digits"`` -- ``sim.train(inputs=X)``: training rows drawn without replacement, the rest held out;
* ``"gaussian"`` -- ``sim.train(input_cov=digits_spectrum())``: Gaussian inputs with the same spectrum (the theory's
  model at finite size; ``Sigma`` diagonal, which is no loss of generality for an isotropic teacher and student), with
  as many held-out samples as the digits have.  Its gap to the theory is the finite-size effect; the rest of the
  digits' gap is the images' non-Gaussianity (and the finite pool they are drawn from).

Measured times (GD steps; first crossings on a log-spaced record, interpolated linearly in ``log t``; ``nan`` when a
run never crosses within ``steps``), keyed as in :attr:`DigitsRow.times`:

* ``"train_loss"``, ``"gen_loss"`` -- the training loss and the test loss reach the threshold
  ``loss_at_accuracy(level, eps)`` (``eps/4`` at the default level; Section 3.1.3: the Gaussian accuracy of Eq. 10
  reaches ``level`` there), the quantity the theory predicts.  The test loss is the mean over the held-out images
  (``sim``'s ``gen_loss``, which equals ``gen_loss_exact``, ``D^T Sigma_ho D`` with the held-out rows' covariance)
  for the digits, and the exact population loss ``D^T Sigma D`` (``gen_loss_exact``) for Gaussian inputs;
* ``"gen_loss_pop"`` -- the test loss against the covariance ``Sigma`` of all 1797 images, the theory's ``Sigma``:
  ``D^T Sigma D = (N_tr L_tr + n_ho L_ho) / 1797`` (without label noise ``L_tr = D^T Sigma_tr D``, and
  ``1797 Sigma = N_tr Sigma_tr + n_ho Sigma_ho``).  For Gaussian inputs it is ``"gen_loss"``;
* ``"train_acc"``, ``"gen_acc"`` -- the empirical accuracies (fraction of training / held-out samples with squared
  error below ``eps``) reach ``level``: the grokking observables a user sees.  The theory predicts them through
  Eq. 10 (``D^T x`` Gaussian with variance the loss), which real images need not satisfy.

Which ``Sigma`` the theory should use.  Training rows are a uniform draw from the 1797 images, so the population
behind ``Sigma_tr`` is their empirical distribution, covariance ``Sigma = X^T X / 1797`` (``digits_spectrum``).  The
held-out set is the complement of the training rows, so its covariance ``Sigma_ho = (1797 Sigma - N_tr Sigma_tr) /
n_ho`` is *anti*-correlated with the training set: directions that the training rows over-represent are
under-represented in the test rows, and after training the error ``D`` lives where ``Sigma_tr`` is small, where
``Sigma_ho`` is larger than ``Sigma``.  Using ``Sigma_ho`` in the theory instead would make the prediction depend on
the run; we keep the population ``Sigma`` and measure both test losses (``"gen_loss"`` and ``"gen_loss_pop"``), whose
difference is the size of this effect.

Gradient flow against GD.  The theory is gradient flow (``e^{-4 eta nu t}`` per mode of ``Sigma_tr``); ``sim`` runs
GD (``(1 - 2 eta nu)^{2t}``), i.e. flow with ``nu -> nu (1 + eta nu + O(eta^2 nu^2))``.  At the crossings the
relevant modes have ``4 eta nu t ~ 1``, so the relative time shift is ``~ 1/(4 t*)``, negligible for ``t* >> 1``
(``benchmarks/digits_experiment.py`` prints the isotropic ``dynamics="gd"`` against ``"flow"`` difference at the
same ``eta`` and ``lam``).  ``sim.train`` refuses steps with ``|1 - 2 eta nu_max| >= 1``; the top eigenvalue of a
digits ``Sigma_tr`` reaches ~37 at ``N_tr = 68`` (a rare-pixel image), so ``eta < 0.027``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np

import numerics
from numerics.datasets import digits_inputs, digits_spectrum

from .runner import train
from .schedule import log_steps
from .sweep_run import first_crossing

__all__ = ["MEASURES", "SOURCES", "DigitsExperiment", "DigitsRow", "digits_experiment", "run_times"]

SOURCES = ("digits", "gaussian")
#: the measured times of every run (module docstring)
MEASURES = ("train_loss", "gen_loss", "gen_loss_pop", "train_acc", "gen_acc")
#: the Delta t of each pairing: (name, train measure, test measure)
DELTAS = (
    ("loss", "train_loss", "gen_loss"),
    ("loss_pop", "train_loss", "gen_loss_pop"),
    ("acc", "train_acc", "gen_acc"),
)


@dataclass(frozen=True)
class DigitsRow:
    """One ``(source, N_tr)`` cell of :func:`digits_experiment`.

    ``times[measure]`` is a float array over ``seeds`` (``nan``: never within ``steps``); ``theory`` holds the
    structured theory's ``t_train``, ``t_gen``, ``delta`` (floats; ``None`` if a crossing never happens);
    ``loss_at_theory`` the seed means and standard errors of the simulated losses at the integer steps nearest to
    the theory's crossing times, next to the theory's losses there.
    """

    source: str
    n_train: int
    d: int
    lam: float
    eta: float
    eps: float
    steps: int
    seeds: tuple[int, ...]
    threshold: float
    times: dict[str, np.ndarray]
    theory: dict[str, float | None]
    loss_at_theory: dict[str, dict[str, float]] = field(default_factory=dict)

    def delta(self, name: str) -> np.ndarray:
        """Per-seed ``Delta t`` of the pairing ``name`` in ``("loss", "loss_pop", "acc")``."""
        for key, tr, ge in DELTAS:
            if key == name:
                return self.times[ge] - self.times[tr]
        raise ValueError(f"name must be one of {[k for k, _, _ in DELTAS]}, got {name!r}")

    def summary(self, values) -> dict[str, float]:
        """``{"mean", "se", "n", "never"}`` of per-seed values (``values``: a measure name, a Delta name, or an
        array); ``mean`` and ``se`` (standard error ``std(ddof=1)/sqrt(n)``) over the runs that crossed."""
        if isinstance(values, str):
            values = self.times[values] if values in self.times else self.delta(values)
        v = np.asarray(values, dtype=float)
        ok = v[np.isfinite(v)]
        n = int(ok.size)
        return {
            "mean": float(ok.mean()) if n else math.nan,
            "se": float(ok.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
            "n": n,
            "never": int(v.size - n),
        }


@dataclass(frozen=True)
class DigitsExperiment:
    """The rows of :func:`digits_experiment` (one per source and ``N_tr``) and the spectrum used by the theory."""

    rows: tuple[DigitsRow, ...]
    spectrum: np.ndarray

    def row(self, source: str, n_train: int) -> DigitsRow:
        for r in self.rows:
            if r.source == source and r.n_train == n_train:
                return r
        raise KeyError(f"no row for source={source!r}, n_train={n_train}")


def run_times(result, *, threshold: float, level: float, n_total: int | None = None) -> dict[str, float]:
    """The measured times (module docstring) of one :class:`sim.TrainResult`; ``nan`` for a crossing not reached.

    ``n_total``: the size of the data pool for ``sim.train(inputs=...)`` runs (enables ``"gen_loss_pop"``, the test
    loss against the pool's covariance); ``None`` for Gaussian runs, where ``"gen_loss"`` and ``"gen_loss_pop"`` are
    both ``gen_loss_exact`` (``D^T Sigma D``).
    """
    p = result.params
    if n_total is None:
        gen = gen_pop = np.asarray(result.gen_loss_exact)
    else:
        n_tr, n_ho = p["n_train"], p["n_gen"]
        if n_tr + n_ho != n_total:
            raise ValueError(f"n_total must be n_train + n_gen = {n_tr + n_ho}, got {n_total}")
        gen = np.asarray(result.gen_loss)
        gen_pop = (n_tr * np.asarray(result.train_loss) + n_ho * gen) / n_total
    t = result.t

    def loss_time(loss):
        with np.errstate(divide="ignore"):
            return first_crossing(t, -np.log(loss), -math.log(threshold))

    out = {
        "train_loss": loss_time(result.train_loss),
        "gen_loss": loss_time(gen),
        "gen_loss_pop": loss_time(gen_pop),
        "train_acc": first_crossing(t, result.train_acc, level),
        "gen_acc": first_crossing(t, result.gen_acc, level),
    }
    return {k: math.nan if v is None else float(v) for k, v in out.items()}


def _theory(lam, spectrum, eta, eps, level, dps):
    with mpmath.mp.workdps(dps):
        g = numerics.grokking_time(lam, eta=eta, eps=eps, level=level, spectrum=spectrum)
        return {
            "t_train": None if g.t_train is None else float(g.t_train),
            "t_gen": None if g.t_gen is None else float(g.t_gen),
            "delta": None if g.delta is None else float(g.delta),
            "threshold": float(g.loss_threshold),
            "level": float(g.level),
        }


def _theory_losses(steps_at, lam, spectrum, eta, dps):
    out = {}
    with mpmath.mp.workdps(dps):
        for key, step in steps_at.items():
            out[key] = (
                float(numerics.train_loss(step, lam, eta=eta, spectrum=spectrum)),
                float(numerics.gen_loss(step, lam, eta=eta, spectrum=spectrum)),
            )
    return out


def _sizes(lams, n_train, d, n_total):
    if n_train is None:
        vals = tuple(lams)
        for lam in vals:
            if isinstance(lam, bool) or not isinstance(lam, int | float | np.floating) or not math.isfinite(lam):
                raise ValueError(f"lams must be finite reals in [d/{n_total - 1}, d/2], got {lam!r}")
        sizes = tuple(int(round(d / lam)) if lam > 0 else 0 for lam in vals)
    else:
        sizes = tuple(n_train)
    if not sizes:
        raise ValueError("lams (or n_train) must not be empty")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2 <= n <= n_total - 1:
            raise ValueError(f"n_train must be integers in [2, {n_total - 1}] (lam = d / n_train), got {n!r}")
    return tuple(int(n) for n in sizes)


def _run_cell(source, x, spectrum, n, seeds, th, at, kw):
    """Runs of one ``(source, N_tr)`` cell: the per-seed times and the losses at the theory's crossing steps."""
    n_total, d = x.shape
    kw = {"d_in": d, "n_train": n, **kw}
    if source == "digits":
        kw["inputs"] = x
    else:
        kw |= {"input_cov": spectrum, "n_gen": n_total - n}
    times = {m: np.empty(len(seeds)) for m in MEASURES}
    at_vals = {k: ([], []) for k in at}
    for i, seed in enumerate(seeds):
        r = train(seed=seed, **kw)
        pool = n_total if source == "digits" else None
        got = run_times(r, threshold=th["threshold"], level=th["level"], n_total=pool)
        for m in MEASURES:
            times[m][i] = got[m]
        gen_pop = r.gen_loss_exact if pool is None else (n * r.train_loss + (n_total - n) * r.gen_loss) / n_total
        for k, step in at.items():
            j = int(np.flatnonzero(r.t == step)[0])
            at_vals[k][0].append(r.train_loss[j])
            at_vals[k][1].append(gen_pop[j])
    lat = {}
    for k, (tr, ge) in at_vals.items():
        tr, ge = np.array(tr), np.array(ge)
        lat[k] = {
            "step": at[k],
            "train_mean": float(tr.mean()),
            "train_se": float(tr.std(ddof=1) / math.sqrt(tr.size)),
            "gen_pop_mean": float(ge.mean()),
            "gen_pop_se": float(ge.std(ddof=1) / math.sqrt(ge.size)),
        }
    return times, lat


def digits_experiment(
    *,
    lams=(0.5, 0.9),
    n_train=None,
    seeds=range(20),
    eta: float = 0.01,
    eps: float = 1e-3,
    level=None,
    steps: int | None = None,
    points: int = 600,
    sources=SOURCES,
    dps: int = 15,
    min_images: int = 1,
) -> DigitsExperiment:
    """Grokking times on the digits (and on Gaussian inputs with their spectrum) against the structured theory.

    Parameters
    ----------
    lams : iterable of float
        Target ratios ``lam = d / N_tr``; ``N_tr = round(d / lam)`` and the theory uses the realised ``d / N_tr``
        (``d = 61``: ``lam = 0.5, 0.9`` give ``N_tr = 122, 68``, ``lam = 0.5, 0.897``).
    n_train : None or iterable of int
        Training-set sizes in ``[2, 1796]`` instead of ``lams``.
    seeds : iterable of int >= 0
        One run per seed and ``(source, N_tr)``: the seed draws the training subset (digits) or the inputs
        (Gaussian), the teacher and the student (:mod:`sim.problem`).  At least 2 distinct seeds (standard errors).
    eta : float > 0
        GD step (``sim.train`` refuses unstable ones); the theory is gradient flow at the same ``eta`` (module
        docstring).
    eps : float > 0, level : None or float in (0, 1)
        Accuracy threshold and level (default Erf(sqrt 2), Section 3.1.3).
    steps : None or int >= 1
        GD steps of every run; ``None``: ``20 x`` the theory's largest finite crossing time.
    points : int >= 10
        Recorded steps per run (log-spaced, :func:`sim.log_steps`), plus the theory's crossing times rounded.
    sources : iterable of ``"digits"``, ``"gaussian"``
        Input sources (module docstring).
    dps : int
        Working precision of the theory.
    min_images : int
        Keep the pixels that are non-zero in at least this many images (:func:`numerics.datasets.digits_inputs`;
        ``1``: all 61 non-constant pixels).

    Returns a :class:`DigitsExperiment`.  BLAS runs single-threaded inside (the matrices are tiny; threads only
    contend).  Needs scikit-learn (extra ``digits``).
    """
    from threadpoolctl import threadpool_limits

    x = digits_inputs(min_images=min_images)
    n_total, d = x.shape
    sizes = _sizes(lams, n_train, d, n_total)
    seeds = tuple(seeds)
    if any(isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be integers >= 0, got {seeds!r}")
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be at least 2 distinct integers >= 0, got {seeds!r}")
    seeds = tuple(int(s) for s in seeds)
    sources = tuple(sources)
    if not sources or any(s not in SOURCES for s in sources):
        raise ValueError(f"sources must be a non-empty subset of {SOURCES}, got {sources!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 10:
        raise ValueError(f"points must be an integer >= 10, got {points!r}")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1):
        raise ValueError(f"steps must be None or an integer >= 1, got {steps!r}")
    spectrum = digits_spectrum(min_images=min_images)
    theories = {n: _theory(d / n, spectrum, eta, eps, level, dps) for n in sizes}
    if steps is None:
        finite = [v for th in theories.values() for v in (th["t_train"], th["t_gen"]) if v is not None]
        steps = int(math.ceil(20 * max(finite)))
    rows = []
    for n in sizes:
        th = theories[n]
        at = {k: int(round(th[k])) for k in ("t_train", "t_gen") if th[k] is not None and 1 <= round(th[k]) <= steps}
        record = np.union1d(log_steps(int(steps), points), np.array(list(at.values()), dtype=np.int64))
        th_loss = _theory_losses(at, d / n, spectrum, eta, dps)
        kw = {"eta": eta, "eps": eps, "steps": int(steps), "record": record}
        for source in sources:
            with threadpool_limits(limits=1):
                times, lat = _run_cell(source, x, spectrum, n, seeds, th, at, kw)
            for k in lat:
                lat[k]["train_theory"], lat[k]["gen_theory"] = th_loss[k]
            rows.append(
                DigitsRow(
                    source=source,
                    n_train=n,
                    d=d,
                    lam=d / n,
                    eta=float(eta),
                    eps=float(eps),
                    steps=int(steps),
                    seeds=seeds,
                    threshold=th["threshold"],
                    times=times,
                    theory={k: th[k] for k in ("t_train", "t_gen", "delta")},
                    loss_at_theory=lat,
                )
            )
    return DigitsExperiment(rows=tuple(rows), spectrum=spectrum)
