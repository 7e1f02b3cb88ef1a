"""Hypothesis properties of the exact MP-limit losses across the domain."""

import mpmath
from hypothesis import given
from hypothesis import strategies as st
from mpmath import mp

import numerics
from numerics import mp_law

lams = st.floats(0.02, 4.0)
times = st.floats(0.0, 5e4)


@given(lam=lams, t1=times, t2=times)
def test_losses_decrease_in_time(lam, t1, t2):
    lo, hi = sorted((t1, t2))
    with mp.workdps(15):
        assert numerics.train_loss(hi, lam) <= numerics.train_loss(lo, lam)
        assert numerics.gen_loss(hi, lam) <= numerics.gen_loss(lo, lam) * (1 + 1e-12)


@given(lam=lams, t=times)
def test_train_loss_bounded_by_spectrum(lam, t):
    # lam_- (L_gen - atom) <= L_tr <= lam_+ (L_gen - atom): nu ranges over [lam_-, lam_+] on the continuous part
    with mp.workdps(20):
        tr, gen, atom = numerics.train_loss(t, lam), numerics.gen_loss(t, lam), mp_law.atom(lam)
        lo, hi = mp_law.edges(lam)
        cont = gen - atom
        slack = mpmath.mpf(10) ** -15 * gen
        assert lo * cont - slack <= tr <= hi * cont + slack


@given(loss=st.floats(0, 1e6), eps=st.floats(1e-12, 1e3))
def test_accuracy_in_unit_interval_and_monotone(loss, eps):
    a = numerics.accuracy(loss, eps)
    assert 0 <= a <= 1
    assert numerics.accuracy(loss * 2 + 1e-300, eps) <= a
