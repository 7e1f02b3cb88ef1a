"""Float64 fast path: vectorised MP-limit losses and grokking times for phase diagrams (Fig. 4).

Same model as :mod:`numerics.losses` (Eqs. 3, 8, 13, 15; gradient flow), evaluated with numpy on whole grids:

* quadrature: in the angle of :mod:`numerics.mp_law`, ``nu(theta) = (1 - r)^2 + 4 r sin^2(theta/2)``, where the MP
  density becomes the smooth weight ``(2/pi) sin^2(theta) / nu``; Gauss-Legendre panels per grid point, with
  breakpoints at multiples of the two feature widths (``1/sqrt(s r)`` of the ``exp(-s nu)`` boundary layer and
  ``|1 - r|/sqrt(r)`` of the ``1/nu`` factor near ``lam = 1``), as in the mpmath path;
* no underflow: for ``gamma = 0`` the losses are computed as ``exp(-2 kappa_min t)`` times a bounded average, and
  crossing times are found on ``log L``;
* crossing times: bisection in ``log t`` run simultaneously for every grid point (60 halvings); for a single point,
  :func:`grokking_time_point` uses Brent's method instead (about 10 loss evaluations instead of 120).

Agreement with the arbitrary-precision path (:func:`numerics.grokking_time`) is tested to 1e-6 relative.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.special import erfinv, gammaincinv

__all__ = ["grokking_time_grid", "grokking_time_point", "log_losses"]


_MULT = (1.0, 4.0, 16.0, 64.0)
_ORDER = 24


@functools.cache
def _legendre():
    return leggauss(_ORDER)


def _nodes(lam, s):
    """Nodes nu (..., P*k) and weights w with E_cont[g] = sum w g(nu) (continuous part of Eq. 6), per grid point.

    ``s`` is the decay scale of the integrand (``exp(-s nu)``); panels in theta are placed at multiples of
    ``1/sqrt(s r)`` and ``|1 - r|/sqrt(r)`` (clipped to [0, pi]).
    """
    r = np.sqrt(lam)
    w_s = 1 / np.sqrt(np.maximum(s, 1e-300) * r)
    w_l = np.abs(1 - r) / np.sqrt(r)
    cuts = [np.zeros_like(r), np.full_like(r, np.pi)]
    for w in (w_s, w_l):
        cuts += [np.clip(c * w, 0, np.pi) for c in _MULT]
    b = np.sort(np.stack(cuts, axis=-1), axis=-1)  # (..., 10) breakpoints, some panels possibly empty
    lo, hi = b[..., :-1, None], b[..., 1:, None]
    x, wx = _legendre()
    th = lo + (hi - lo) * (x + 1) / 2  # (..., 9, k)
    wt = (hi - lo) / 2 * wx
    th, wt = th.reshape(*r.shape, -1), wt.reshape(*r.shape, -1)
    h, c = np.sin(th / 2), np.cos(th / 2)
    rr = r[..., None]
    nu = (1 - rr) ** 2 + 4 * rr * h * h
    with np.errstate(invalid="ignore", divide="ignore"):  # empty panels put nodes at theta = 0, where nu = 0 at lam = 1
        weight = np.where(wt > 0, wt * (2 / np.pi) * 4 * h * h * c * c / nu, 0.0)  # (2/pi) sin^2/nu
    nu = np.where(wt > 0, nu, 1.0)
    return nu, weight, (1 - rr) ** 2


def log_losses(t, lam, *, eta=0.01, d_out=1, gamma=0.0):
    """``(log L_tr, log L_gen)`` in float64 for arrays ``t, lam, d_out, gamma`` that broadcast together (flow)."""
    t, lam, d_out, gamma = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (t, lam, d_out, gamma)))
    nu, wt, lo = _nodes(lam, 4 * eta * t / d_out)
    rate = (2 * eta / d_out)[..., None]
    tt, g = t[..., None], gamma[..., None]
    kmin = rate * (lo + g / 2)
    dec = np.exp(-(rate * (nu + g / 2) - kmin) * tt)  # c(nu) e^{+kappa_min t} <= 1
    log_base = -(kmin * tt)[..., 0]  # log e^{-kappa_min t}, kept in log form (no underflow)
    base = np.exp(log_base)
    atom = np.maximum(0.0, 1 - 1 / lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        # gamma = 0: L = (1/d_out) [E_cont(q c^2) + atom q(0)], factor e^{-2 kappa_min t} out of the continuous part
        tr0 = np.log(np.sum(wt * nu * dec**2, axis=-1)) + 2 * log_base - np.log(d_out)
        cont = np.sum(wt * dec**2, axis=-1)
        gen0 = np.where(atom > 0, np.log(cont * base**2 + atom), np.log(cont) + 2 * log_base) - np.log(d_out)
        # gamma > 0: m = (c^2 + r^2)/2, r = (c nu + gamma/2)/(nu + gamma/2);
        # the atom has c = e^{-eta gamma t/d_out} and r = 1
        c = dec * base[..., None]
        rr = (c * nu + g / 2) / (nu + g / 2)  # NaN only where gamma = 0 and nu = 0; that branch is not selected
        m = (c**2 + rr**2) / 2
        c0 = np.exp(-rate[..., 0] * gamma / 2 * t)
        trg = np.log(np.sum(wt * nu * m, axis=-1)) - np.log(d_out)
        geng = np.log(np.sum(wt * m, axis=-1) + atom * (c0**2 + 1) / 2) - np.log(d_out)
    pos = gamma > 0
    return np.where(pos, trg, tr0), np.where(pos, geng, gen0)


def _log_limits(lam, d_out, gamma):
    """log of the t -> inf plateaus (train, gen); -inf where the loss tends to 0."""
    nu, wt, _ = _nodes(lam, np.zeros_like(lam))
    g = gamma[..., None]
    rr = (g / 2) / (nu + g / 2)
    atom = np.maximum(0.0, 1 - 1 / lam)
    with np.errstate(divide="ignore"):
        tr = np.where(gamma > 0, np.log(np.sum(wt * nu * rr**2 / 2, axis=-1)), -np.inf) - np.log(d_out)
        gen_wd = np.log(np.sum(wt * rr**2 / 2, axis=-1) + atom / 2)
        gen = np.where(gamma > 0, gen_wd, np.log(atom)) - np.log(d_out)
    return tr, gen


def _log_threshold(eps, d_out, level):
    if level is None:
        lev = float(erfinv_level())
    else:
        lev = float(level)
    x = np.where(d_out == 1, erfinv(lev) ** 2, gammaincinv(d_out / 2, lev))
    return np.log(d_out * eps / (2 * x))


def erfinv_level():
    """The paper's default accuracy level Erf(sqrt 2)."""
    from scipy.special import erf

    return erf(np.sqrt(2.0))


def _validated(lam, eps, d_out, gamma, eta, level):
    """``(lam, eps, d_out, gamma)`` as broadcast float arrays, after checking every input (``ValueError`` naming it),
    including an unstable step ``eta >= d_out / (lam_+ + gamma/2)``."""
    lam, eps, d_out, gamma = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lam, eps, d_out, gamma)))
    for name, arr, ok in (
        ("lam", lam, lam > 0),
        ("eps", eps, eps > 0),
        ("d_out", d_out, (d_out >= 1) & (d_out == np.round(d_out))),
        ("gamma", gamma, gamma >= 0),
    ):
        if not np.all(np.isfinite(arr) & ok):
            raise ValueError(f"{name} must be finite and valid (lam > 0, eps > 0, integer d_out >= 1, gamma >= 0)")
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    if level is not None and not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    bound = d_out / ((1 + np.sqrt(lam)) ** 2 + gamma / 2)
    if np.any(eta >= bound):
        raise ValueError(f"eta={eta} is an unstable GD step somewhere on the grid: need eta < {float(bound.min()):.6g}")
    return lam, eps, d_out, gamma


def grokking_time_grid(lam, *, eta=0.01, eps=1e-3, d_out=1, gamma=0.0, level=None, halvings=60):
    """Vectorised ``(t_train, t_gen, delta)`` (float64 arrays, NaN where the level is never reached).

    All of ``lam, eps, d_out, gamma`` broadcast together (e.g. ``np.meshgrid`` outputs for a Fig. 4 panel).  Gradient
    flow only; ``level`` as in :func:`numerics.grokking_time` (``None``: Erf(sqrt 2)).  Raises ``ValueError`` on
    invalid input or an unstable step ``eta >= d_out / (lam_+ + gamma/2)``.
    """
    lam, eps, d_out, gamma = _validated(lam, eps, d_out, gamma, eta, level)
    log_thr = _log_threshold(eps, d_out, level)
    lim_tr, lim_gen = _log_limits(lam, d_out, gamma)
    out = []
    for which, lim in ((0, lim_tr), (1, lim_gen)):
        reach = lim < log_thr
        lo = np.full(lam.shape, np.log(1e-3))
        hi = np.full(lam.shape, np.log(1e15))
        at0 = log_losses(np.zeros(lam.shape), lam, eta=eta, d_out=d_out, gamma=gamma)[which] <= log_thr
        for _ in range(halvings):
            mid = (lo + hi) / 2
            val = log_losses(np.exp(mid), lam, eta=eta, d_out=d_out, gamma=gamma)[which]
            above = val > log_thr
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        t = np.exp((lo + hi) / 2)
        t = np.where(at0, 0.0, t)
        out.append(np.where(reach | at0, t, np.nan))
    t_tr, t_gen = out
    return t_tr, t_gen, t_gen - t_tr


def grokking_time_point(lam, *, eta=0.01, eps=1e-3, d_out=1, gamma=0.0, level=None):
    """``(t_train, t_gen, delta)`` for one parameter point (floats, NaN where never reached), by Brent's method on
    ``log L(e^u) - log L*``; same model and validation as :func:`grokking_time_grid` (used to seed the mpmath path)."""
    from scipy.optimize import brentq

    lam_a, eps_a, d_a, g_a = _validated(lam, eps, d_out, gamma, eta, level)
    args = {"eta": eta, "d_out": d_out, "gamma": gamma}
    log_thr = float(_log_threshold(eps_a, d_a, level))
    limits = _log_limits(lam_a, d_a, g_a)
    out = []
    for which in (0, 1):

        def f(u, which=which):
            return float(log_losses(np.exp(u), lam, **args)[which]) - log_thr

        if float(log_losses(0.0, lam, **args)[which]) <= log_thr:
            out.append(0.0)
        elif not float(limits[which]) < log_thr:
            out.append(float("nan"))
        else:
            lo, hi = np.log(1e-3), np.log(1e15)
            out.append(float(np.exp(brentq(f, lo, hi, xtol=1e-14, rtol=1e-15))) if f(lo) > 0 > f(hi) else np.nan)
    return out[0], out[1], out[1] - out[0]
