"""Train and generalisation losses in the Marchenko–Pastur limit (Eqs. 8, 9, 13, 15, 21).

Per eigenmode ``nu`` of ``Sigma_tr`` and output column, the update of Eq. (3),
``D_{t+1} = (I - 2 eta/d_out Sigma) D_t - (eta gamma/d_out)(D_t + T)``, contracts by
``a(nu) = 1 - (2 eta/d_out)(nu + gamma/2)`` per step towards ``D_inf = -(gamma/2)/(nu + gamma/2) T``.  With ``S_0, T``
iid ``N(0, 1/(2 d_in d_out))``, averaging over the initialisation gives, for either dynamics,

    L_tr/gen(t) = (1 / (2 d_out)) E_MP[ q(nu) (c(nu)^2 + r(nu)^2) ],  r = (c nu + gamma/2) / (nu + gamma/2),

with ``q = nu`` (train) or ``1`` (gen) and the decay ``c(nu) = exp(-(2 eta/d_out)(nu + gamma/2) t)`` for gradient flow
(``dynamics="flow"``, the paper's Eqs. 8, 13, 15) or ``c(nu) = a(nu)^t`` for the exact discrete-time GD of Eq. (3)
(``dynamics="gd"``).  For ``gamma = 0`` this is ``(1/d_out) E[q c^2]``, i.e. Eq. (8) with ``eta -> eta / d_out`` and the
``1/d_out`` of Eq. (13); for ``d_out = 1`` it is Eq. (15).  ``t`` is counted in GD steps of size ``eta`` (the paper's
``eta_0``).

Fast path: for ``gamma = 0`` under gradient flow the train loss has the closed form of Eq. (9) (proved in
:mod:`derivations.claims.mp_limit`) and the generalisation loss the Marcum-Q closed form of :mod:`numerics.marcum`
(which the paper did not find; quadrature again at very late times, where it is cheaper); everything else is
evaluated by quadrature of the MP law, atom included: the plateau in closed form (:func:`loss_limit`) plus the
decaying part by the fixed-point Clenshaw–Curtis quadrature of :mod:`numerics._mode_quad` (``mpmath.quad`` where that
does not apply; :func:`train_loss_quad`, :func:`gen_loss_quad` force ``mpmath.quad`` of the whole loss).
All results are correct to the working precision of ``mpmath.mp`` (computed with 20 guard bits).
"""

from __future__ import annotations

import mpmath
from mpmath import mp

from . import _mode_quad, marcum, mp_law, structured
from . import momentum as _momentum
from ._validate import momentum_value, nonnegative, output_dim, positive, real, stable_momentum_step, stable_step

__all__ = ["DYNAMICS", "gen_loss", "gen_loss_quad", "loss_limit", "train_loss", "train_loss_quad", "train_loss_rate"]

#: ``"flow"``: gradient flow (the paper's equations); ``"gd"``: exact discrete-time full-batch GD of Eq. (3);
#: ``"momentum"``: heavy-ball or Nesterov momentum in PyTorch's convention (``momentum=``, ``nesterov=``; beyond the
#: paper, :mod:`numerics.momentum`).
DYNAMICS = ("flow", "gd", "momentum")


def _common(lam, eta, d_out, gamma, dynamics, momentum=None, nesterov=False, spectrum=None):
    """Validate the shared arguments; the isotropic step bound applies unless ``spectrum`` is given (the structured
    bound, :func:`numerics.structured.stable_step`, is checked by the callers)."""
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    d_out = output_dim(d_out)
    gamma = real("gamma", gamma, low=0, low_open=False)
    if dynamics not in DYNAMICS:
        raise ValueError(f"dynamics must be one of {DYNAMICS}, got {dynamics!r}")
    if spectrum is not None and dynamics == "momentum":
        raise NotImplementedError("spectrum= supports dynamics 'flow' and 'gd', got 'momentum'")
    if dynamics == "momentum":
        beta = momentum_value(momentum)
        if not isinstance(nesterov, bool):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        stable_momentum_step(eta, beta, nesterov, lam, d_out, gamma)
    else:
        if momentum is not None or nesterov is not False:
            raise ValueError(
                f"momentum= and nesterov= apply to dynamics='momentum' only, got dynamics={dynamics!r} with"
                f" momentum={momentum!r}, nesterov={nesterov!r}"
            )
        if spectrum is None:
            stable_step(eta, lam, d_out, gamma)
    return lam, eta, d_out, gamma


def _args(t, lam, eta, d_out, gamma, dynamics, momentum=None, nesterov=False, spectrum=None):
    t = nonnegative("t", t)
    if dynamics in ("gd", "momentum") and t != int(t):
        raise ValueError(f"t must be a whole number of steps with dynamics={dynamics!r}, got {t}")
    return (t, *_common(lam, eta, d_out, gamma, dynamics, momentum, nesterov, spectrum))


def _mode_loss(t, eta, d_out, gamma, dynamics):
    """``nu -> (c^2 + r^2) / 2``: the initialisation-averaged loss of one mode, times ``d_out`` (see module doc)."""
    rate = 2 * eta / d_out

    def decay(nu):
        if dynamics == "flow":
            return mpmath.exp(-rate * (nu + gamma / 2) * t)
        return (1 - rate * (nu + gamma / 2)) ** t

    if gamma == 0:
        return lambda nu: decay(nu) ** 2

    def m(nu):
        c = decay(nu)
        r = (c * nu + gamma / 2) / (nu + gamma / 2)
        return (c * c + r * r) / 2

    return m


def _closed_train(t, lam, eta, d_out):
    """Eq. (9) with ``eta -> eta / d_out`` and the ``1/d_out`` of Eq. (13) (``gamma = 0``, gradient flow)."""
    s = 4 * eta * t / d_out
    return mpmath.exp(-s * (1 + lam)) * mpmath.hyp0f1(2, s * s * lam) / d_out


#: longest Bessel recurrence for which the Marcum-Q form beats quadrature (measured: ~3000 terms at 20 digits; the
#: recurrence grows like sqrt(s) while the quadrature's cost does not grow with s)
MARCUM_MAX_TERMS = 3000


def _closed_gen(t, lam, eta, d_out):
    """``L_gen`` for ``gamma = 0`` under gradient flow: the Marcum-Q closed form (:mod:`numerics.marcum`), or
    quadrature at very late times, where the closed form's Bessel recurrence would be longer than the quadrature."""
    s = 4 * eta * t / d_out
    if marcum._start_index(2 * s * mpmath.sqrt(lam), mp.prec + 40) > MARCUM_MAX_TERMS:
        return _quad_loss(t, lam, eta, d_out, 0, "flow", train=False)
    return marcum.gen_loss_closed(s, lam) / d_out


def _decay_loss(t, lam, eta, d_out, gamma, dynamics, train):
    """``L`` for weight decay or GD: the fixed-point Clenshaw–Curtis quadrature of :mod:`numerics._mode_quad` (closed
    plateau plus the decaying part, no cancellation), or :func:`_quad_loss` where that does not apply (GD with a
    negative mode factor, no convergence)."""
    try:
        return _mode_quad.loss(t, lam, eta, d_out, gamma, dynamics, train)
    except _mode_quad.QuadratureError:
        return _quad_loss(t, lam, eta, d_out, gamma, dynamics, train)


def _quad_loss(t, lam, eta, d_out, gamma, dynamics, train):
    m = _mode_loss(t, eta, d_out, gamma, dynamics)
    scale = 4 * eta * t / d_out
    f = (lambda nu: nu * m(nu)) if train else m
    return mp_law.expect(f, lam, scale=scale) / d_out


def _structured_loss(t, lam, eta, d_out, gamma, dynamics, spectrum, train):
    """``spectrum=`` given: inputs ``x ~ N(0, Sigma)`` (:mod:`numerics.structured`, beyond the paper).  ``d_out``
    enters as in Eq. (13): each output column follows the one-output flow with ``eta / d_out``, and the loss is
    divided by ``d_out`` (weight decay included: the mode factor is ``1 - (2 eta/d_out)(nu + gamma/2)``)."""
    structured.stable_step(lam, spectrum, eta=eta / d_out, gamma=gamma)
    f = structured.train_loss if train else structured.gen_loss
    return f(t, lam, spectrum, eta=eta / d_out, gamma=gamma, dynamics=dynamics) / d_out


def train_loss(t, lam, *, eta=0.01, d_out=1, gamma=0, dynamics="flow", spectrum=None, momentum=None, nesterov=False):
    """Training loss after ``t`` GD steps (Eqs. 8, 9, 13, 15; see the module docstring for the general formula).

    ``lam = d_in / N_tr``; ``eta`` the step size (``eta_0``); ``d_out`` the output dimension (Eq. 13); ``gamma`` the
    weight decay of Eq. (3); ``dynamics`` ``"flow"`` (the paper) or ``"gd"`` (exact discrete steps; integer ``t``).
    ``L_tr(0) = E[nu] / d_out = 1/d_out``.  Raises ``ValueError`` for ``t < 0``, ``lam <= 0``, ``eta <= 0``,
    ``d_out < 1``, ``gamma < 0``, non-finite input, or an unstable step ``eta >= d_out / (lam_+ + gamma/2)``.

    ``spectrum``: ``None`` for the paper's isotropic inputs; otherwise the eigenvalues of the input covariance
    ``Sigma`` (1-D, positive; :mod:`numerics.spectra`), and the loss is the proportional-limit loss for
    ``x ~ N(0, Sigma)`` (:mod:`numerics.structured`; gradient flow or GD, with weight decay; the step bound is
    ``eta < d_out/(nu_+ + gamma/2)`` with ``nu_+`` the right edge of that law).  A bad spectrum raises a
    ``ValueError`` naming ``spectrum``.

    ``dynamics="momentum"`` (beyond the paper): ``t`` whole steps of PyTorch's ``torch.optim.SGD`` with
    ``momentum=beta`` in ``[0, 1)`` (required) and ``nesterov``, exact in the MP limit (:mod:`numerics.momentum`;
    ``momentum=0`` is ``dynamics="gd"``); the step must satisfy ``eta < d_out (1 + beta)/(lam_+ + gamma/2)``
    (Nesterov: ``d_out (1 + beta)/((1 + 2 beta)(lam_+ + gamma/2))``).  ``momentum``/``nesterov`` with another
    ``dynamics`` raise ``ValueError``.
    """
    t, lam, eta, d_out, gamma = _args(t, lam, eta, d_out, gamma, dynamics, momentum, nesterov, spectrum)
    if spectrum is not None:
        return _structured_loss(t, lam, eta, d_out, gamma, dynamics, spectrum, train=True)
    if dynamics == "momentum":
        return _momentum.train_loss(t, lam, eta=eta, momentum=momentum, nesterov=nesterov, d_out=d_out, gamma=gamma)
    with mp.workprec(mp.prec + 20):
        if gamma == 0 and dynamics == "flow":
            v = _closed_train(t, lam, eta, d_out)
        else:
            v = _decay_loss(t, lam, eta, d_out, gamma, dynamics, train=True)
    return +v


def train_loss_quad(t, lam, *, eta=0.01, d_out=1, gamma=0, dynamics="flow"):
    """``L_tr`` by direct quadrature of the MP expectation (independent of the closed form Eq. 9)."""
    if dynamics == "momentum":
        raise ValueError(
            "dynamics must be 'flow' or 'gd' for train_loss_quad (momentum: use train_loss(..., dynamics='momentum'))"
        )
    t, lam, eta, d_out, gamma = _args(t, lam, eta, d_out, gamma, dynamics)
    with mp.workprec(mp.prec + 20):
        v = _quad_loss(t, lam, eta, d_out, gamma, dynamics, train=True)
    return +v


def gen_loss(t, lam, *, eta=0.01, d_out=1, gamma=0, dynamics="flow", spectrum=None, momentum=None, nesterov=False):
    """Generalisation loss ``||D_t||^2 / d_out`` after ``t`` GD steps, in the MP limit (Eqs. 8, 13, 15).

    Includes the atom of Eq. (6): for ``gamma = 0`` it tends to ``(1 - 1/lam)^+ / d_out``.  For ``gamma = 0`` under
    gradient flow it is evaluated in closed form (Marcum Q-function, :mod:`numerics.marcum`), otherwise by
    quadrature.  Same arguments (``spectrum=``, ``dynamics="momentum"`` with ``momentum=``, ``nesterov=``
    included) and validation as :func:`train_loss`.
    """
    t, lam, eta, d_out, gamma = _args(t, lam, eta, d_out, gamma, dynamics, momentum, nesterov, spectrum)
    if spectrum is not None:
        return _structured_loss(t, lam, eta, d_out, gamma, dynamics, spectrum, train=False)
    if dynamics == "momentum":
        return _momentum.gen_loss(t, lam, eta=eta, momentum=momentum, nesterov=nesterov, d_out=d_out, gamma=gamma)
    with mp.workprec(mp.prec + 20):
        if gamma == 0 and dynamics == "flow":
            v = _closed_gen(t, lam, eta, d_out)
        else:
            v = _decay_loss(t, lam, eta, d_out, gamma, dynamics, train=False)
    return +v


def gen_loss_quad(t, lam, *, eta=0.01, d_out=1, gamma=0, dynamics="flow"):
    """``L_gen`` by direct quadrature of the MP expectation (independent of the closed form of :mod:`marcum`)."""
    if dynamics == "momentum":
        raise ValueError(
            "dynamics must be 'flow' or 'gd' for gen_loss_quad (momentum: use gen_loss(..., dynamics='momentum'))"
        )
    t, lam, eta, d_out, gamma = _args(t, lam, eta, d_out, gamma, dynamics)
    with mp.workprec(mp.prec + 20):
        v = _quad_loss(t, lam, eta, d_out, gamma, dynamics, train=False)
    return +v


def loss_limit(
    lam, *, which="gen", d_out=1, gamma=0, eta=0.01, dynamics="flow", momentum=None, nesterov=False, spectrum=None
):
    """``lim_{t -> inf}`` of the train (``which="train"``) or gen loss, for every dynamics.

    ``(1/(2 d_out)) E[q(nu) ((gamma/2)/(nu + gamma/2))^2]`` for ``gamma > 0``, in closed form from the Stieltjes
    transform of the MP law (:func:`numerics.mp_law.resolvent`); for ``gamma = 0`` the train loss tends to 0 and the
    gen loss to the atom ``(1 - 1/lam)^+ / d_out``.  The fixed point does not depend on the optimizer, so
    ``dynamics`` (with ``momentum=``, ``nesterov=`` for ``"momentum"``) only selects the step-size check.
    ``spectrum``: structured inputs, :func:`numerics.structured.loss_limit` divided by ``d_out``.
    """
    lam, eta, d_out, gamma = _common(lam, eta, d_out, gamma, dynamics, momentum, nesterov, spectrum)
    if which not in ("train", "gen"):
        raise ValueError(f"which must be 'train' or 'gen', got {which!r}")
    if spectrum is not None:
        structured.stable_step(lam, spectrum, eta=eta / d_out, gamma=gamma)
        return structured.loss_limit(lam, spectrum, gamma=gamma, train=which == "train") / d_out
    with mp.workprec(mp.prec + 20):
        v = _mode_quad.plateau(lam, gamma / 2, which == "train") / d_out
    return +v


def train_loss_rate(t, lam, *, eta=0.01):
    """``dL_tr/dt = -4 eta E[nu^2 exp(-s nu)]`` in closed form (``d_out = 1``, ``gamma = 0``, gradient flow).

    From Eq. 9 and ``d/dz 0F1(;2;z) = 0F1(;3;z)/2``:
    ``dL_tr/dt = 4 eta exp(-s(1+lam)) [-(1+lam) 0F1(;2;z) + s lam 0F1(;3;z)]``, ``z = s^2 lam``.
    """
    t, lam, eta, _, _ = _args(t, lam, eta, 1, 0, "flow")
    with mp.workprec(mp.prec + 20):
        s = 4 * eta * t
        z = s * s * lam
        v = 4 * eta * mpmath.exp(-s * (1 + lam)) * (-(1 + lam) * mpmath.hyp0f1(2, z) + s * lam * mpmath.hyp0f1(3, z))
    return +v
