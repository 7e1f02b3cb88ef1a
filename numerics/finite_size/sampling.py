"""Draws of the finite-size representation: spectra (exact or hybrid) and coordinates, reproducibly seeded.

Draw ``i`` of a call with ``seed`` uses ``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))`` (the
``i``-th child of ``SeedSequence(seed).spawn``, whatever the number of draws) and draws, in this order: the
Dumitriu–Edelman bidiagonal (:func:`numerics.finite_size.spectrum.bidiagonal`), then the coordinates ``s`` and ``tau``
(each ``d_in x d_out``, iid ``N(0, 1/(2 d_in d_out))``).  The same seed therefore gives the same runs whatever the
chunking, the number of workers or the spectrum method, and ``gamma`` does not change which runs are drawn.

**Spectrum methods.**  ``"exact"``: all eigenvalues of the bidiagonal model (``dsterf``, O(d_in^2) per draw).
``"hybrid"``: the lowest ``exact_modes`` non-zero eigenvalues exactly (leading-block solver,
:func:`numerics.finite_size.spectrum.lowest_eigenvalues`) and the rest at their Marchenko–Pastur classical locations
(:func:`numerics.finite_size.spectrum.classical_locations`), with the coordinates of every mode exact.  Late times are
governed by the lowest modes, where the edge fluctuations live; in the bulk the eigenvalues are rigid (they deviate
from their classical locations by about one level spacing) and the run-to-run scatter of the losses there comes from
the coordinates, which stay exact.  Measured against ``"exact"`` on the same draws at ``d_in = 10^4``, ``lam = 0.9``
(12 draws): the default 16 exact modes give a largest relative error of 4.4e-4 in ``t_train`` and 6.9e-3 in ``t_gen``
(32 modes: 5.4e-3, 64: 3.4e-3, 128: 3.4e-4, 256: 5e-6); ``tests/test_finite_size.py`` holds it.  At ``d_in = 10^5``
against 128 exact modes (8 draws): 5e-6 (``t_train``) and 2.7e-4 (``t_gen``), 2.0e-4 with 32 modes.
"""

from __future__ import annotations

import functools

import numpy as np

from . import spectrum as spec
from .ensemble import Ensemble

__all__ = ["SPECTRUM_METHODS", "draw_ensemble", "resolve_method"]

SPECTRUM_METHODS = ("auto", "exact", "hybrid")
#: ``"auto"`` uses the exact spectrum up to this many non-zero eigenvalues and the hybrid above
AUTO_EXACT_MAX = 2000
#: default number of exactly computed lowest eigenvalues of the hybrid
DEFAULT_EXACT_MODES = 16


def resolve_method(method: str, n_nonzero: int) -> str:
    if method not in SPECTRUM_METHODS:
        raise ValueError(f"spectrum must be one of {SPECTRUM_METHODS}, got {method!r}")
    if method == "auto":
        return "exact" if n_nonzero <= AUTO_EXACT_MAX else "hybrid"
    return method


@functools.lru_cache(maxsize=16)
def _bulk(lam: float, d_in: int, first: int, last: int) -> np.ndarray:
    """Classical locations of the non-zero eigenvalues with 1-based indices ``first..last`` (cached per call shape)."""
    out = spec.classical_locations(lam, d_in, np.arange(first, last + 1))
    out.setflags(write=False)
    return out


#: block sizes that sufficed for the lowest eigenvalues at a given (d_in, n_train, exact_modes), the last 16: the next
#: draw starts at their median (a speed hint only: every draw is still verified by its own residual)
_BLOCK_HINT: dict[tuple[int, int, int], list[int]] = {}


def _spectrum(d_in: int, n_train: int, rng, method: str, exact_modes: int) -> np.ndarray:
    """Eigenvalues of ``Sigma_tr`` (length ``d_in``: zero modes first, then the non-zero ones ascending)."""
    n = min(d_in, n_train)
    a, b = spec.bidiagonal(d_in, n_train, rng)
    if method == "exact" or exact_modes >= n:
        nonzero = spec.nonzero_eigenvalues(a, b, n_train)
    else:
        key = (d_in, n_train, exact_modes)
        recent = _BLOCK_HINT.setdefault(key, [])
        start = max(32 * exact_modes, int(np.median(recent)) if recent else 0)
        low, used = spec.lowest_eigenvalues_block(a, b, n_train, exact_modes, start=start)
        recent[:] = [*recent[-15:], used]
        nonzero = np.concatenate([low, _bulk(d_in / n_train, d_in, exact_modes + 1, n)])
    return np.concatenate([np.zeros(d_in - n), nonzero])


def draw_ensemble(
    indices,
    *,
    d_in: int,
    n_train: int,
    d_out: int,
    eta: float,
    gamma: float,
    dynamics: str,
    seed: int,
    method: str,
    exact_modes: int,
) -> Ensemble:
    """The runs with the given draw ``indices`` (children of ``SeedSequence(seed)``) as an :class:`Ensemble`."""
    sigma = np.sqrt(1.0 / (2 * d_in * d_out))
    nus, ss, taus = [], [], []
    for i in indices:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(i),)))
        nus.append(_spectrum(d_in, n_train, rng, method, exact_modes))
        ss.append(rng.standard_normal((d_in, d_out)) * sigma)
        taus.append(rng.standard_normal((d_in, d_out)) * sigma)
    return Ensemble(np.array(nus), np.array(ss), np.array(taus), eta=eta, gamma=gamma, dynamics=dynamics)
