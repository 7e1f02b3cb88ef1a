"""Accuracy as a function of the loss (Eq. 10, corrected reading).

A sample is correct when its squared error ``z^2 = (D^T x)^2`` is below ``eps``.  For ``z ~ N(0, L)``
(variance ``L``; the paper writes "standard deviation") the probability is
``P(|z| <= sqrt(eps)) = erf(sqrt(eps / (2 L)))``.  The paper prints ``2 P(|z| <= sqrt(eps))`` on the
left, which would exceed 1; see claim ``eq10-accuracy``.
"""

from __future__ import annotations

import mpmath
from mpmath import mp

from ._validate import nonnegative, positive, real

__all__ = ["DEFAULT_LEVEL", "accuracy", "loss_at_accuracy"]

#: The paper's accuracy level Erf(sqrt 2) ~ 0.9545, reached when L = eps / 4 (Section 3.1.3).
DEFAULT_LEVEL = "erf(sqrt(2))"


def accuracy(loss, eps):
    """Fraction of samples with squared error below ``eps`` when the loss is ``loss`` (Eq. 10).

    ``A = erf(sqrt(eps / (2 loss)))``; ``A = 1`` at ``loss = 0``.  Raises ``ValueError`` for
    ``loss < 0``, ``eps <= 0`` or non-finite input.
    """
    loss = nonnegative("loss", loss)
    eps = positive("eps", eps)
    if loss == 0:
        return mpmath.mpf(1)
    with mp.workprec(mp.prec + 10):
        v = mpmath.erf(mpmath.sqrt(eps / (2 * loss)))
    return +v


def level_value(level):
    """The accuracy level as an ``mpf`` in (0, 1); ``None`` means the paper's Erf(sqrt 2)."""
    if level is None or level == DEFAULT_LEVEL:
        return mpmath.erf(mpmath.sqrt(2))
    return real("level", level, low=0, high=1)


def loss_at_accuracy(level, eps):
    """The loss ``L*`` at which Eq. (10) gives accuracy ``level``: ``L* = eps / (2 erfinv(level)^2)``.

    For the default level Erf(sqrt 2) this is exactly ``eps / 4``.
    """
    eps = positive("eps", eps)
    with mp.workprec(mp.prec + 10):
        if level is None or level == DEFAULT_LEVEL:
            v = eps / 4
        else:
            v = eps / (2 * mpmath.erfinv(level_value(level)) ** 2)
    return +v
