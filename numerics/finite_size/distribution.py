"""The distribution of grokking times over runs at finite ``(d_in, N_tr)`` (Section 3.1.3 at finite size)."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .._validate import integer
from .crossing import first_crossings
from .inputs import Settings, check_gd_factors, settings
from .sampling import draw_ensemble

__all__ = ["GrokkingTimeDistribution", "grokking_time_distribution", "quantile"]

#: elements of one ``(runs, d_in, d_out)`` coordinate block processed at once
CHUNK_ELEMENTS = 2_000_000


def quantile(x, qs) -> np.ndarray:
    """Quantiles of ``x`` (linear interpolation between order statistics, numpy's default), ``inf``-safe.

    An ``inf`` order statistic next to the requested position makes the quantile ``inf`` (a run that never groks is
    later than any that does); NaNs are refused.
    """
    x = np.sort(np.asarray(x, dtype=float).ravel())
    if x.size == 0 or np.any(np.isnan(x)):
        raise ValueError("quantile needs a non-empty array without NaN")
    qs = np.asarray(qs, dtype=float)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"quantile levels must lie in [0, 1], got {qs!r}")
    pos = qs * (x.size - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, x.size - 1)
    frac = pos - lo
    with np.errstate(invalid="ignore"):
        v = x[lo] + frac * (x[hi] - x[lo])
    return np.where(frac == 0, x[lo], np.where(np.isinf(x[hi]), np.inf, v))


@dataclass(frozen=True)
class GrokkingTimeDistribution:
    """Grokking times of ``draws`` independent runs (result of :func:`grokking_time_distribution`).

    ``t_train``, ``t_gen``: GD steps at which the train / generalisation accuracy first reaches the level, one entry per
    run, ``inf`` where it never does; ``delta = t_gen - t_train`` (``inf`` where ``t_gen`` is; ``-inf`` in the rare
    run whose train accuracy never reaches the level while the generalisation accuracy does).  ``params``: every
    setting, including ``n_train = round(d_in / lam)``, the spectrum method used and the loss threshold.
    """

    t_train: np.ndarray
    t_gen: np.ndarray
    delta: np.ndarray
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("t_train", "t_gen", "delta"):
            a = np.array(getattr(self, name), dtype=float)
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    def __len__(self) -> int:
        return len(self.t_gen)

    def quantiles(self, qs=(0.1, 0.5, 0.9)) -> dict[str, np.ndarray]:
        """``{"t_train", "t_gen", "delta"}`` -> their quantiles at levels ``qs`` (:func:`quantile`, ``inf``-safe)."""
        return {name: quantile(getattr(self, name), qs) for name in ("t_train", "t_gen", "delta")}

    def mean(self) -> dict[str, float]:
        """Means over runs of ``t_train``, ``t_gen``, ``delta`` (``inf`` if any run never reaches the level)."""
        return {name: float(np.mean(getattr(self, name))) for name in ("t_train", "t_gen", "delta")}

    @property
    def fraction_never(self) -> float:
        """Fraction of runs whose generalisation accuracy never reaches the level (they never grok)."""
        return float(np.mean(np.isinf(self.t_gen)))

    @property
    def fraction_never_train(self) -> float:
        """Fraction of runs whose training accuracy never reaches the level."""
        return float(np.mean(np.isinf(self.t_train)))

    def fraction_not_grokked_by(self, t_max: float) -> float:
        """Fraction of runs whose generalisation accuracy has not reached the level by step ``t_max``."""
        if not t_max >= 0:
            raise ValueError(f"t_max must be a number >= 0, got {t_max!r}")
        return float(np.mean(self.t_gen > t_max))


def _times(s: Settings, indices) -> np.ndarray:
    """``(2, len(indices))`` crossing times (train, gen) of the given runs."""
    ens = draw_ensemble(indices, **s.sampling())
    check_gd_factors(ens, s)
    n = len(indices)
    if s.on_loss:
        log_thr = np.log(s.loss_threshold)

        def f(t):
            with np.errstate(divide="ignore"):
                return np.log(np.stack(ens.losses(t))) - log_thr
    else:

        def f(t):
            return s.level - np.stack(ens.accuracies(t, s.eps))

    rate = 2 * s.eta / s.d_out
    t_first = 1e-2 / rate
    if s.gamma > 0:  # non-monotone: scan until every mode has decayed to 1e-8 of its start
        slowest = rate * s.gamma / 2 if s.dynamics == "flow" else -np.log1p(-rate * s.gamma / 2)
        return first_crossings(f, n, t_first=t_first, t_min_end=18.5 / slowest, per_decade=16)
    return first_crossings(f, n, t_first=t_first, per_decade=4)


def _chunks(s: Settings) -> list[range]:
    size = max(1, min(s.draws, CHUNK_ELEMENTS // (s.d_in * s.d_out)))
    return [range(i, min(i + size, s.draws)) for i in range(0, s.draws, size)]


def grokking_time_distribution(
    lam,
    *,
    d_in,
    eta=0.01,
    eps=1e-3,
    d_out=1,
    gamma=0.0,
    level=None,
    dynamics="flow",
    draws=1000,
    seed=0,
    spectrum="auto",
    exact_modes=None,
    accuracy="exact",
    workers=1,
    progress=False,
) -> GrokkingTimeDistribution:
    """Grokking times of ``draws`` independent runs at finite ``d_in`` and ``N_tr = round(d_in / lam)``.

    Each run is drawn from the exact finite-size representation (:mod:`numerics.finite_size.ensemble`: the spectrum of
    ``Sigma_tr`` from the Dumitriu–Edelman model, and Gaussian coordinates of ``S_0`` and ``T`` in its eigenbasis), so
    the times have the law of one linear layer trained on isotropic Gaussian data with the paper's initialisation
    (Eqs. 1-3; weight decay ``gamma`` as in Eq. 3; ``dynamics="flow"`` the paper's gradient flow or ``"gd"`` exact GD
    continued to real ``t``).  ``level=None`` is the paper's Erf(sqrt 2), as in :func:`numerics.grokking_time`.

    Accuracy: for ``d_out = 1`` Eq. (10) of the run's loss; for ``d_out > 1``, ``accuracy="exact"`` (default) uses the
    exact accuracy given ``D`` (a weighted chi-square law, :mod:`numerics.quadform`) and ``accuracy="eq13"`` Eq. (13)'s
    chi-square with ``d_out`` degrees of freedom.  A crossing time is the first time the level is reached (found on a
    log-time grid, then refined to relative precision 1e-11; :mod:`numerics.finite_size.crossing`).

    ``spectrum``: ``"exact"`` (all eigenvalues), ``"hybrid"`` (the lowest ``exact_modes`` exact, the bulk at its
    Marchenko–Pastur classical locations) or ``"auto"`` (exact up to 2000 non-zero eigenvalues);
    see :mod:`numerics.finite_size.sampling`.  ``seed``: draw ``i`` is seeded by ``SeedSequence(seed, spawn_key=(i,))``,
    so results do not depend on ``workers`` (processes; 1 runs in this process).  ``progress`` shows a tqdm bar.

    Raises ``ValueError`` naming the parameter for ``lam <= 0``, ``d_in < 1``, ``draws < 1``, ``seed < 0``,
    ``eta <= 0``, ``eps <= 0``, ``d_out < 1``, ``gamma < 0``, non-finite input, ``round(d_in / lam) < 1``, an unstable
    step ``eta >= d_out / (lam_+ + gamma/2)``, or (GD) a run whose top mode factor is not positive.
    """
    s = settings(
        lam,
        d_in=d_in,
        eta=eta,
        eps=eps,
        d_out=d_out,
        gamma=gamma,
        level=level,
        dynamics=dynamics,
        draws=draws,
        seed=seed,
        spectrum=spectrum,
        exact_modes=exact_modes,
        accuracy=accuracy,
    )
    workers = integer("workers", workers)
    chunks = _chunks(s)
    bar = tqdm(total=s.draws, desc="finite-size runs", unit="run", disable=not progress)
    parts = []
    if workers == 1:
        for ch in chunks:
            parts.append(_times(s, ch))
            bar.update(len(ch))
    else:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_times, s, ch) for ch in chunks]
            for fut, ch in zip(futures, chunks, strict=True):
                parts.append(fut.result())
                bar.update(len(ch))
    bar.close()
    t_tr, t_gen = np.concatenate(parts, axis=1)
    with np.errstate(invalid="ignore"):
        delta = np.where(np.isinf(t_gen), np.inf, t_gen - t_tr)
    return GrokkingTimeDistribution(t_tr, t_gen, delta, params=s.as_dict())
