"""numerics.certify: rigorous Arb enclosures contain the independently computed high-precision values."""

import flint
import mpmath
import pytest
from mpmath import mp

import numerics
from numerics.certify import gen_loss_ball, grokking_time_ball, train_loss_ball

CASES = [(lam, t) for lam in (0.3, 0.9, 1.0, 1.5) for t in (0.0, 100.0, 1e4, 1e6)]


def _contains(ball, value, digits=55):
    """``ball`` overlaps the decimal ``value`` parsed at 256 bits (the default 53 bits would make a 1e-17-wide ball)."""
    old = flint.ctx.prec
    flint.ctx.prec = 256
    try:
        ref = flint.arb(mpmath.nstr(value, digits))
    finally:
        flint.ctx.prec = old
    assert float(ref.rad()) <= 1e-45 * abs(float(ref.mid())) or ref.rad() == 0
    return ball.overlaps(ref)


@pytest.mark.parametrize("lam,t", CASES)
def test_balls_contain_mpmath_values_and_are_tight(lam, t):
    tb, gb = train_loss_ball(t, lam), gen_loss_ball(t, lam)
    with mp.workdps(60):
        tr, ge = numerics.train_loss(t, lam), numerics.gen_loss(t, lam)
    assert _contains(tb, tr) and _contains(gb, ge), (lam, t)
    for ball in (tb, gb):
        assert float(ball.rad()) <= 1e-30 * abs(float(ball.mid())), (lam, t, ball)


def test_overlap_check_can_fail():
    tb = train_loss_ball(100.0, 0.5)
    with mp.workdps(60):
        wrong = numerics.train_loss(100.0, 0.5) * (1 + mpmath.mpf(10) ** -25)
    assert not _contains(tb, wrong)


def test_d_out_matches():
    tb = train_loss_ball(500.0, 0.7, d_out=4)
    with mp.workdps(60):
        assert _contains(tb, numerics.train_loss(500.0, 0.7, d_out=4))


def test_certified_grokking_times():
    a, b = grokking_time_ball(0.5)
    with mp.workdps(30):
        g = numerics.grokking_time(0.5)
    assert _contains(a, g.t_train, 25) and _contains(b, g.t_gen, 25)
    assert float(a.rad()) < 1e-9 * float(a.mid())
    # certificate: the loss balls are strictly on either side of eps/4 at the ends of the enclosure
    lo, hi = a.lower(), a.upper()
    thr = flint.arb(1e-3) / 4
    assert train_loss_ball(float(lo.mid()), 0.5) > thr and train_loss_ball(float(hi.mid()), 0.5) < thr
    assert grokking_time_ball(1.5)[1] is None  # never generalises


def test_validation():
    with pytest.raises(ValueError, match="lam"):
        train_loss_ball(1.0, -1)
    with pytest.raises(ValueError, match=r"\bt\b"):
        gen_loss_ball(-1.0, 0.5)
