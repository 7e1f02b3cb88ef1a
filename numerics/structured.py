"""Train and generalisation losses for structured inputs ``x ~ N(0, Sigma)`` in the proportional limit.

Setting (issue 13): ``Sigma`` has the population spectrum ``sigma_k`` (equal weights, :mod:`numerics.spectra`),
``lam = d / N``, ``Sigma_tr = (1/N) sum_i x_i x_i^T``, one output (``d_out`` enters through
:func:`numerics.train_loss` by Eq. 13's rescaling), isotropic teacher and student initialisation
(``S_0, T`` iid ``N(0, 1/(2d))``), and Eq. (3)'s update with weight decay ``gamma``: each eigenmode ``nu`` of
``Sigma_tr`` has the factor ``c(nu) = e^{-2 eta (nu + g) t}`` (gradient flow) or ``(1 - 2 eta (nu + g))^t`` (GD),
``g = gamma/2``, towards ``r(nu) = (c nu + g)/(nu + g)`` of the teacher (as :mod:`numerics.losses`).  Averaging
over the initialisation, ``E[D D^T] = h(Sigma_tr)/d`` with ``h = (c^2 + r^2)/2``, so

    L_tr(t) = (1/d) tr(Sigma_tr h(Sigma_tr)) -> int nu h(nu) dF(nu),
    L_gen(t) = (1/d) tr(Sigma h(Sigma_tr))   -> int h(nu) dG(nu),

``F`` the generalised Marchenko–Pastur law of ``Sigma_tr`` and ``G`` its ``Sigma``-weighted version (the limit of
``(1/d) sum_i (v_i^T Sigma v_i) delta(nu - nu_i)``).  For ``gamma = 0`` under gradient flow, ``h = e^{-s nu}``,
``s = 4 eta t``.  With ``y = nu + g``, ``2h = c^2 (2 - 2g/y + g^2/y^2) + 2c (g/y - g^2/y^2) + g^2/y^2``: decaying
exponentials times rational functions with a pole at ``nu = -g``, left of the support, plus the plateau
``int g^2/(2 y^2) dM = (g^2/2) S'(-g)`` (:func:`loss_limit`).

Resolvents.  The companion Stieltjes transform ``mu(z)`` (of the ``N x N`` matrix ``Z^T Sigma Z / N``) solves
Silverstein's equation, explicit in its inverse,

    z(mu) = -1/mu + lam q(mu),   q(mu) = (1/d) sum_k sigma_k / (1 + sigma_k mu),

and the deterministic equivalent ``(Sigma_tr - z)^{-1} ~ -(1/z)(I + mu Sigma)^{-1}`` (Bai & Silverstein,
*Spectral Analysis of Large Dimensional Random Matrices*, Thm 4.3 / Silverstein 1995; Couillet & Liao, *Random Matrix
Methods for Machine Learning*, Thm 2.6 with ``1 - lam - lam z m = -z mu``) gives

    m(z) = (1/d) tr(Sigma_tr - z)^{-1}           -> -(1/z)(1/d) sum_k 1/(1 + sigma_k mu),
    g(z) = (1/d) tr Sigma (Sigma_tr - z)^{-1}    -> -(1/z) q(mu),
    S_tr(z) = int nu dF(nu)/(nu - z) = 1 + z m   -> mu q(mu).

For ``sigma_k = 1``, ``mu`` solves ``lam z mu^2 + (z + lam - 1) mu + 1 = 0`` and these reduce to the MP law (Eq. 6).
For ``lam > 1`` the atom of ``G`` at 0 is ``q(mu_0)``, ``mu_0 > 0`` the root of ``z(mu_0) = 0`` (``1 - 1/lam`` in
the isotropic case); ``S_tr`` has no atom.

Evaluation (``gamma = 0``, flow; the general case below).  ``int f dmu = (1/pi) Im int_0^inf f(z(u)) S(z(u)) z'(u)
du`` on the parabola
``z(u) = c + a (u^2 + 2 i u)`` that crosses the real axis once, at ``c`` left of the support, and encloses it
(``f = e^{-s z}`` decays along it; the paper's Laplace-transform structure).  With ``a = kappa / s`` and
``c = nu_lo - a`` (``nu_lo`` the left edge of the measure: the MP-type edge of ``F``, or 0 for ``G`` when
``lam > 1``), the integrand is analytic in the strip ``|Im u| < 1`` of the ``u`` plane, so the trapezoidal rule
converges geometrically (Weideman & Trefethen, Math. Comp. 76 (2007)); ``kappa`` trades cancellation
(``e^{kappa}``, absorbed by guard digits) against the number of nodes.  At every node ``mu`` is found by Newton's
method on ``z(mu) - z`` (float64 continuation from far away in the upper half plane, keeping ``Im mu > 0``, then
polished at the working precision); every root's residual is checked.

General case.  The parabola lives in the decay variable ``w``, ``c = e^{-t w}``: ``w = 2 eta y`` (flow) or
``w = -log(1 - 2 eta y)`` (GD, which needs every factor ``1 - 2 eta y`` positive on the support), mapped back by
``z = (1 - e^{-w})/(2 eta) - g`` (:func:`_contour` for the limits on ``a``: the ``2 pi i``-periodic copies of the
support under GD, the pole at ``y = 0`` whose residue is added when the contour passes left of it).  For GD with
fewer than a few steps a Bernstein ellipse around the support replaces the parabola (:func:`_ellipse_sum`).  The
isotropic spectrum reproduces :mod:`numerics.losses` (Eqs. 8, 9, 15 and exact GD) to 25 digits
(``tests/test_structured_decay.py``).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from mpmath import mp

from ._silverstein import StructuredError, _exact_moment, atom, left_edge, right_edge
from ._structured_contour import _check_gd, _loss_float, _loss_mp, _real_stieltjes, _Setting
from ._validate import nonnegative, positive

__all__ = [
    "StructuredError",
    "atom",
    "crossing_time",
    "crossing_time_float",
    "gen_loss",
    "gen_loss_rate",
    "left_edge",
    "loss_limit",
    "losses_float",
    "right_edge",
    "stable_step",
    "train_loss",
]


# ---------------------------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------------------------


def stable_step(lam, spectrum, *, eta, gamma=0):
    """Refuse a step ``eta`` for which GD on this spectrum diverges: every mode factor ``1 - 2 eta (nu + gamma/2)``
    must lie in ``(-1, 1)`` on the support of ``Sigma_tr``'s law, i.e. ``eta < 1/(nu_+ + gamma/2)`` with ``nu_+``
    its right edge (:func:`right_edge`; the structured form of :func:`numerics._validate.stable_step`, which
    :func:`numerics.train_loss` applies under gradient flow as well).  Raises ``ValueError`` naming ``eta``."""
    eta = float(positive("eta", eta))
    _check_gd(
        _Setting(eta, nonnegative("gamma", gamma), "gd"), right_edge(lam, spectrum) * (1 + 1e-9), need_positive=False
    )


def train_loss(t, lam, spectrum, *, eta=0.01, gamma=0, dynamics="flow"):
    """``L_tr(t) = int nu (c^2 + r^2)/2 dF(nu)`` for inputs with population spectrum ``spectrum`` (module doc; for
    ``gamma = 0`` under gradient flow ``int nu e^{-4 eta t nu} dF``), at the working precision of ``mpmath.mp``.
    ``L_tr(0)`` is the mean of ``spectrum``; for ``spectrum = ones`` it is :func:`numerics.train_loss` (Eqs. 8, 9,
    15).  ``dynamics="gd"`` (integer ``t``) needs every mode factor ``1 - 2 eta (nu + gamma/2)`` positive on the
    support (else ``NotImplementedError``).  Raises ``ValueError`` for ``t < 0``, ``lam <= 0``, ``eta <= 0``,
    ``gamma < 0`` or a bad spectrum, :class:`StructuredError` if a root find fails its residual check."""
    return _loss_mp(t, lam, spectrum, eta, "train", gamma, dynamics)


def gen_loss(t, lam, spectrum, *, eta=0.01, gamma=0, dynamics="flow"):
    """``L_gen(t) = int (c^2 + r^2)/2 dG(nu)`` (module doc; ``int e^{-4 eta t nu} dG`` for ``gamma = 0`` under gradient
    flow), atom included for ``lam > 1``, at the working precision; arguments as :func:`train_loss`.  ``L_gen(0)`` is
    the mean of ``spectrum``; under gradient flow with ``gamma = 0`` its time derivative is :func:`gen_loss_rate`,
    which is ``-4 eta L_tr`` (Eq. 21) only for isotropic inputs."""
    return _loss_mp(t, lam, spectrum, eta, "gen", gamma, dynamics)


def loss_limit(lam, spectrum, *, gamma, train=False):
    """``t -> inf`` limit of :func:`train_loss` / :func:`gen_loss` (either dynamics): ``(g^2/2) S'(-g)``, ``g =
    gamma/2``, ``S`` the Stieltjes transform of ``nu dF`` / ``G`` (for ``gamma = 0``: ``0`` / the atom)."""
    lam = positive("lam", lam)
    g = nonnegative("gamma", gamma) / 2
    if g == 0:
        return mpmath.mpf(0) if train else atom(lam, spectrum)
    with mp.workprec(mp.prec + 20):
        v = g * g * _real_stieltjes("train" if train else "gen", -g, lam, spectrum)[1] / 2
    return +v


def gen_loss_rate(t, lam, spectrum, *, eta=0.01):
    """``dL_gen/dt = -4 eta int nu e^{-s nu} dG(nu)``, the limit of ``-(4 eta/d) tr(Sigma Sigma_tr e^{-s Sigma_tr})``,
    at the working precision (gradient flow, ``gamma = 0``; Stieltjes transform of ``nu dG``: ``mean(sigma) - q(mu)``).

    For isotropic inputs this is Eq. 21, ``-4 eta L_tr``; for a general spectrum it is *not*: gradient flow gives
    ``dL_gen/dt = -4 eta D^T Sigma Sigma_tr D`` while ``L_tr = D^T Sigma_tr D`` (at ``t = 0``: ``-4 eta mean(sigma^2)``
    against ``-4 eta mean(sigma)``)."""
    return -4 * positive("eta", eta) * _loss_mp(t, lam, spectrum, eta, "rate")


def losses_float(times, lam, spectrum, *, eta=0.01, gamma=0, dynamics="flow", which="both"):
    """``(L_tr, L_gen)`` as float64 arrays over ``times`` (same formulas as :func:`train_loss`, :func:`gen_loss`;
    about 10 correct digits); ``which="train"`` or ``"gen"`` returns only that array."""
    lam = float(positive("lam", lam))
    eta = float(positive("eta", eta))
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError("times must be a 1-D array of finite reals >= 0")
    if which not in ("both", "train", "gen"):
        raise ValueError(f"which must be 'both', 'train' or 'gen', got {which!r}")
    st = _Setting(eta, nonnegative("gamma", gamma), dynamics)
    cache = {}
    kinds = ("train", "gen") if which == "both" else (which,)
    out = [np.array([_loss_float(float(t), lam, spectrum, st, kind, cache) for t in times]) for kind in kinds]
    return tuple(out) if which == "both" else out[0]


def _illinois(f, a, fa, b, fb, tol=1e-10, maxit=60):
    """Root ``y`` of the decreasing ``f`` in ``[a, b]`` (``fa > 0 >= fb``) by the Illinois method, ``|f(y)| <= tol``
    (float64)."""
    side = 0
    for _ in range(maxit):
        y = b - fb * (b - a) / (fb - fa)
        fy = f(y)
        if abs(fy) <= tol:
            return y
        if fy > 0:
            a, fa = y, fy
            if side == 1:
                fb /= 2
            side = 1
        else:
            b, fb = y, fy
            if side == -1:
                fa /= 2
            side = -1
    raise StructuredError("float64 crossing did not converge")


def _float_crossing(target, lam, spectrum, eta, kind, st):
    """``(y, slope)``: ``log t`` of the crossing of ``log L = log target`` on the float64 path (bracketed by decades
    from ``t = 1e-12/eta``, then the Illinois method) and ``d log L/d log t`` there (central difference)."""
    cache = {}
    log_target = math.log(target)

    def f_float(log_t):
        return math.log(_loss_float(math.exp(log_t), float(lam), spectrum, st, kind, cache)) - log_target

    lo, hi = math.log(1e-12 / float(eta)), math.log(1e-3 / float(eta))  # L(lo) ~ mean > target
    f_lo, f_hi = f_float(lo), f_float(hi)
    while f_hi > 0:  # grow the bracket by decades
        lo, f_lo, hi = hi, f_hi, hi + math.log(10)
        if hi > math.log(1e300):
            raise StructuredError(f"no crossing of {target} below t = 1e300")
        f_hi = f_float(hi)
    y = _illinois(f_float, lo, f_lo, hi, f_hi)
    return y, (f_float(y + 1e-4) - f_float(y - 1e-4)) / 2e-4


def _trivial_crossing(target, lam, spectrum, train, gamma):
    """``0`` if ``target >= L(0)``, ``None`` if the loss never reaches it, else ``False`` (a root to find)."""
    if target >= _exact_moment(spectrum):
        return mpmath.mpf(0)
    if loss_limit(lam, spectrum, gamma=gamma, train=train) >= target:
        return None
    return False


def crossing_time_float(target, lam, spectrum, *, eta=0.01, train=True, gamma=0, dynamics="flow"):
    """Float64 :func:`crossing_time` (about 10 digits; for grids and figures): ``0.0``, ``None`` or the first ``t``
    with ``L(t) = target`` on :func:`losses_float`."""
    target, lam, eta = positive("target", target), positive("lam", lam), positive("eta", eta)
    with mp.workdps(20):
        trivial = _trivial_crossing(target, lam, spectrum, train, gamma)
    if trivial is not False:
        return None if trivial is None else 0.0
    st = _Setting(eta, nonnegative("gamma", gamma), dynamics)
    return math.exp(_float_crossing(float(target), lam, spectrum, eta, "train" if train else "gen", st)[0])


def crossing_time(target, lam, spectrum, *, eta=0.01, train=True, gamma=0, dynamics="flow"):
    """First ``t`` with ``L(t) = target`` (``L`` = :func:`train_loss` or :func:`gen_loss`, GD continued to real
    ``t``), at the working precision.

    ``0`` if ``target >= L(0)`` (the mean of ``spectrum``); ``None`` if the loss never gets there (its limit
    :func:`loss_limit` is ``>= target``: the atom of ``G`` for ``lam > 1``, or the weight-decay plateau).  Every mode
    loss decreases in ``t`` (``c`` and ``r`` do), so the root is unique: bracketed by decades on the float64 path,
    solved there by the Illinois method in ``log t`` (:func:`crossing_time_float`), then Newton steps in ``log t`` at
    the working precision with a float64 central-difference slope, and residual-checked (:class:`StructuredError`)."""
    target = positive("target", target)
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    trivial = _trivial_crossing(target, lam, spectrum, train, gamma)
    if trivial is not False:
        return trivial
    st = _Setting(eta, nonnegative("gamma", gamma), dynamics)
    kind = "train" if train else "gen"
    y, slope = _float_crossing(float(target), lam, spectrum, eta, kind, st)
    tol = mpmath.mpf(2) ** (-mp.prec + 12)

    def loss(t):
        return _loss_mp(t, lam, spectrum, eta, kind, gamma, dynamics, whole_steps=False)

    with mp.workprec(mp.prec + 10):
        target_mp, y = mpmath.mpf(target), mpmath.mpf(y)
        for _ in range(5 + mp.dps // 5):  # Newton in log t with the float64 slope: each step gains ~6 digits
            t = mpmath.exp(y)
            res = mpmath.log(loss(t) / target_mp)  # the residual of the returned t once it passes
            if abs(res) <= tol:
                break
            y -= res / slope
    if not abs(res) <= tol:
        raise StructuredError(f"crossing time residual {mpmath.nstr(res, 3)} (log) at t = {mpmath.nstr(t, 10)}")
    return +t
