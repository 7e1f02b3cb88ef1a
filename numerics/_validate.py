"""Input validation shared by the public functions of :mod:`numerics`.

Every public function converts its real inputs with :func:`real`, so a bad value fails early with a
``ValueError`` that names the parameter and the allowed range.
"""

from __future__ import annotations

import numbers

import mpmath


def real(name: str, value, *, low=None, low_open: bool = True, high=None, high_open: bool = True):
    """Return ``value`` as an ``mpmath.mpf`` after checking it is a finite real in the given interval.

    ``low``/``high`` bound the interval (``None`` = unbounded); ``*_open`` says whether the bound itself
    is excluded.  Raises ``ValueError`` naming ``name`` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real | mpmath.mpf):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, numbers.Integral):  # numpy integers: mpmath accepts Python ints only
        x = mpmath.mpf(int(value))
    elif isinstance(value, mpmath.mpf | float):
        x = mpmath.mpf(value)
    else:  # other reals (numpy float32, fractions.Fraction): through float
        x = mpmath.mpf(float(value))
    if not mpmath.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    lo_txt = "(" if low_open else "["
    hi_txt = ")" if high_open else "]"
    allowed = f"{lo_txt}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi_txt}"
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"{name} must lie in {allowed}, got {value!r}")
    if high is not None and (x > high or (high_open and x == high)):
        raise ValueError(f"{name} must lie in {allowed}, got {value!r}")
    return x


def positive(name: str, value):
    """A finite real > 0 (``lam``, ``eta``, ``eps``)."""
    return real(name, value, low=0)


def nonnegative(name: str, value):
    """A finite real >= 0 (``t``, ``loss``)."""
    return real(name, value, low=0, low_open=False)


def output_dim(d_out):
    """``d_out`` as an ``int >= 1``."""
    return integer("d_out", d_out)


def stable_step(eta, lam, d_out=1, gamma=0):
    """Refuse GD step sizes for which full-batch GD on Eq. (3) diverges.

    Mode ``nu`` of ``D`` is multiplied by ``1 - (2 eta / d_out)(nu + gamma/2)`` per step (Eq. 3); it stays bounded iff
    ``(eta / d_out)(nu + gamma/2) < 1``.  In the MP limit the largest eigenvalue is ``lam_+ = (1 + sqrt(lam))^2``, so a
    prediction "after t GD steps" only describes a convergent run when ``eta < d_out / (lam_+ + gamma/2)``.
    """
    top = (1 + mpmath.sqrt(lam)) ** 2 + mpmath.mpf(gamma) / 2
    bound = d_out / top
    if eta >= bound:
        raise ValueError(
            f"eta={mpmath.nstr(eta, 6)} is an unstable GD step for lam={mpmath.nstr(lam, 6)}, d_out={d_out},"
            f" gamma={mpmath.nstr(mpmath.mpf(gamma), 6)}:"
            f" need 0 < eta < d_out/(lam_+ + gamma/2) = {mpmath.nstr(bound, 6)},"
            f" since modes near lam_+ are multiplied by |1 - 2 eta (lam_+ + gamma/2) / d_out| >= 1 per step"
        )


def integer(name: str, value, *, low: int = 1) -> int:
    """``value`` as an ``int >= low`` (numpy integers accepted; ``bool`` and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def momentum_value(momentum):
    """The momentum ``beta`` of ``torch.optim.SGD`` as an ``mpf`` in ``[0, 1)`` (``beta >= 1`` never converges: the
    product of the two roots of a mode is ``beta`` for heavy ball)."""
    if momentum is None:
        raise ValueError("momentum must be given (a real number in [0, 1)) with dynamics='momentum'")
    return real("momentum", momentum, low=0, low_open=False, high=1)


def stable_momentum_step(eta, momentum, nesterov, lam, d_out=1, gamma=0):
    """Refuse step sizes for which heavy-ball or Nesterov momentum on Eq. (3) diverges.

    Mode ``nu`` with ``h = (eta/d_out)(2 nu + gamma)`` follows ``x_{t+1} = p x_t - q x_{t-1}`` (``p = 1 + beta - h``,
    ``q = beta``; Nesterov ``p = (1 + beta)(1 - h)``, ``q = beta (1 - h)``).  Both roots of ``z^2 - p z + q`` lie in
    the open unit disc iff ``|q| < 1``, ``1 - p + q = h > 0`` and ``1 + p + q > 0`` (Jury), i.e.
    ``h < 2 (1 + beta)`` (heavy ball) or ``h < 2 (1 + beta)/(1 + 2 beta)`` (Nesterov), for ``0 <= beta < 1``.  The
    top mode of the MP law has ``nu = lam_+``, so ``eta < d_out (1 + beta)/(lam_+ + gamma/2)`` (heavy ball) or
    ``eta < d_out (1 + beta)/((1 + 2 beta)(lam_+ + gamma/2))`` (Nesterov); both are GD's bound at ``beta = 0``.
    """
    top = (1 + mpmath.sqrt(lam)) ** 2 + mpmath.mpf(gamma) / 2
    factor = (1 + momentum) / (1 + 2 * momentum) if nesterov else 1 + momentum
    bound = d_out * factor / top
    if eta >= bound:
        kind = "Nesterov" if nesterov else "heavy-ball"
        form = (
            "d_out (1 + momentum)/((1 + 2 momentum)(lam_+ + gamma/2))"
            if nesterov
            else ("d_out (1 + momentum)/(lam_+ + gamma/2)")
        )
        raise ValueError(
            f"eta={mpmath.nstr(eta, 6)} with momentum={mpmath.nstr(momentum, 6)} is an unstable {kind} step for"
            f" lam={mpmath.nstr(lam, 6)}, d_out={d_out}, gamma={mpmath.nstr(mpmath.mpf(gamma), 6)}: need"
            f" 0 < eta < {form} = {mpmath.nstr(bound, 6)}, else the modes near lam_+ have a root of modulus >= 1"
        )
