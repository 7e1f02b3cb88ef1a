"""The paper's closed-form approximations, exactly as printed (Section 3.1.3 and Appendix B).

Each function evaluates one printed formula; none is used by the exact functions of :mod:`numerics`.
They exist so that users (and :mod:`derivations`) can measure how far each is from the exact result.
All require ``0 < lam < 1`` (Appendix B's domain) unless stated otherwise.

Reading of a garbled formula: in Eq. (26) the extracted text shows ``3^{3/pi}`` in the denominator of the
inner logarithm; we read it as ``3 pi^{1/3}`` (``3\\sqrt[3]{\\pi}``), the only reading under which the
inner logarithm is ``log z_gen`` of Eq. (25) (see claim ``eq26-next-order``).
"""

from __future__ import annotations

import mpmath

from ._validate import positive, real

__all__ = [
    "delta_t_eq12",
    "delta_t_eq16",
    "delta_t_eq26",
    "delta_t_lambda1_law",
    "gen_loss_eq11",
    "gen_loss_eq23",
    "plateaus_eq16",
    "t_gen_eq25",
    "t_train_eq24",
    "train_loss_eq22",
]


def _lam_under(lam):
    return real("lam", lam, low=0, high=1)


def train_loss_eq22(t, lam, *, eta=0.01):
    """Eq. (22) = first half of Eq. (11): ``e^{-4 eta (1-sqrt lam)^2 t} / (16 sqrt(pi) lam^{3/4} (eta t)^{3/2})``."""
    t, lam, eta = positive("t", t), _lam_under(lam), positive("eta", eta)
    return mpmath.exp(-4 * eta * (1 - mpmath.sqrt(lam)) ** 2 * t) / (
        16 * mpmath.sqrt(mpmath.pi) * lam ** mpmath.mpf(0.75) * (eta * t) ** mpmath.mpf(1.5)
    )


def gen_loss_eq11(t, lam, *, eta=0.01):
    """Eq. (11), second half: ``L_gen ~ L_tr^{(22)} / (1 - sqrt lam)^2``."""
    return train_loss_eq22(t, lam, eta=eta) / (1 - mpmath.sqrt(_lam_under(lam))) ** 2


def gen_loss_eq23(t, lam, *, eta=0.01):
    """Eq. (23): the late-time generalisation loss obtained by integrating Eq. (22) through Eq. (21)."""
    t, lam, eta = positive("t", t), _lam_under(lam), positive("eta", eta)
    r = mpmath.sqrt(lam)
    et = eta * t
    y = 4 * et * (1 - r) ** 2
    sp = mpmath.sqrt(mpmath.pi)
    return mpmath.sqrt(et) * mpmath.exp(-y) / (2 * sp * et * lam ** mpmath.mpf(0.75)) - (1 - r) * mpmath.gammainc(
        mpmath.mpf(0.5), y
    ) / (sp * lam ** mpmath.mpf(0.75))


def _eps(eps):
    return positive("eps", eps)


def t_train_eq24(lam, *, eta=0.01, eps=1e-3):
    """Eq. (24), as printed (with its sixth-degree polynomial in ``lam^{1/4}`` under the cube root)."""
    lam, eta, eps = _lam_under(lam), positive("eta", eta), _eps(eps)
    pi, r = mpmath.pi, mpmath.sqrt(lam)
    x = lam**1.5 / pi + 1 / (pi * lam**1.5) - 6 * lam / pi + 15 * r / pi - 6 / (pi * lam) + 15 / (pi * r) - 20 / pi
    z = 2 * mpmath.cbrt(4) * mpmath.cbrt(x) / (3 * eps ** (mpmath.mpf(2) / 3))
    return 3 / (8 * eta * (1 - r) ** 2) * mpmath.lambertw(z).real


def t_gen_eq25(lam, *, eta=0.01, eps=1e-3):
    """Eq. (25), as printed (its ``eta`` is the ``eta_0`` of Eq. 24)."""
    lam, eta, eps = _lam_under(lam), positive("eta", eta), _eps(eps)
    pi, r = mpmath.pi, mpmath.sqrt(lam)
    y = 1 / (pi * lam**1.5) + 1 / (pi * r) - 2 / (pi * lam)
    z = mpmath.mpf(2) ** (mpmath.mpf(5) / 3) * mpmath.cbrt(y) / (3 * eps ** (mpmath.mpf(2) / 3))
    return 3 / (8 * eta * (1 - r) ** 2) * mpmath.lambertw(z).real


def delta_t_eq12(lam, *, eta=0.01):
    """Eq. (12): ``Delta t ~ log(1/(1 - sqrt lam)) / (2 eta (1 - sqrt lam)^2)`` (independent of eps)."""
    lam, eta = _lam_under(lam), positive("eta", eta)
    q = 1 - mpmath.sqrt(lam)
    return mpmath.log(1 / q) / (2 * eta * q**2)


def delta_t_eq26(lam, *, eta=0.01, eps=1e-3):
    """Eq. (26): Eq. (12) plus the next-order correction (``3^{3/pi}`` read as ``3 pi^{1/3}``).

    Returns NaN where the printed formula is undefined (argument of its outer logarithm <= 0, which happens
    for large ``eps`` and small ``lam``): there Eq. (26) makes no prediction.
    """
    lam, eta, eps = _lam_under(lam), positive("eta", eta), _eps(eps)
    q = 1 - mpmath.sqrt(lam)
    inner = mpmath.log(
        2
        * (2 - 2 * mpmath.sqrt(lam)) ** (mpmath.mpf(2) / 3)
        / (3 * mpmath.cbrt(mpmath.pi) * mpmath.sqrt(lam) * eps ** (mpmath.mpf(2) / 3))
    )
    arg = 1 + mpmath.log(q ** (mpmath.mpf(4) / 3)) / inner
    if inner <= 0 or arg <= 0:
        return mpmath.mpf("nan")
    return delta_t_eq12(lam, eta=eta) + 3 / (8 * eta * q**2) * mpmath.log(arg)


def delta_t_lambda1_law(lam, *, eta=0.01):
    """The ``lam -> 1`` law stated after Eq. (12): ``log(4/(1-lam)^2) / (eta (lam-1)^2)`` (``lam != 1``)."""
    lam, eta = positive("lam", lam), positive("eta", eta)
    if lam == 1:
        raise ValueError("lam must differ from 1 for the lam -> 1 law, got 1")
    return mpmath.log(4 / (1 - lam) ** 2) / (eta * (lam - 1) ** 2)


def plateaus_eq16(lam, gamma):
    """Eq. (16), as printed: late-time plateaus with weight decay, ``(gamma^2/(4(1-lam)), gamma^2/(4(1-lam)^3))``.

    The audit (claim ``eq16-plateaus``) finds the exact small-``gamma`` limits are half of these.
    """
    lam, gamma = _lam_under(lam), positive("gamma", gamma)
    return gamma**2 / (4 * (1 - lam)), gamma**2 / (4 * (1 - lam) ** 3)


def delta_t_eq16(lam, *, eta=0.01):
    """Eq. (16), as printed: ``Delta t ~ log(1 + sqrt lam) / (2 eta (1 - sqrt lam)^2)`` below the WD threshold."""
    lam, eta = _lam_under(lam), positive("eta", eta)
    return mpmath.log(1 + mpmath.sqrt(lam)) / (2 * eta * (1 - mpmath.sqrt(lam)) ** 2)
