"""numerics beyond Section 3.1: d_out (Eq. 13), weight decay (Eqs. 3, 15) and exact discrete-time GD."""

import mpmath
import pytest
from mpmath import mp

import numerics
from numerics import mp_law

from .test_numerics import series

ETA = 0.01


@pytest.mark.parametrize("d_out", [2, 7])
def test_d_out_rescales_rate_and_loss(d_out):
    # Eq. 13: L^{d_out}(t) = L^{1}(eta/d_out, t) / d_out; the moment series is written independently in test_numerics
    t, lam = 300.0, 0.6
    with mp.workdps(60):  # the alternating series loses ~7 digits to cancellation at s ~ 6
        s = 4 * mpmath.mpf(ETA) * t / d_out
        ref_tr, ref_gen = series(lam, s, 1), series(lam, s, 0)
    with mp.workdps(30):
        assert abs(numerics.train_loss(t, lam, d_out=d_out) * d_out / ref_tr - 1) < 1e-25
        assert abs(numerics.train_loss_quad(t, lam, d_out=d_out) * d_out / ref_tr - 1) < 1e-25
        assert abs(numerics.gen_loss(t, lam, d_out=d_out) * d_out / ref_gen - 1) < 1e-25


@pytest.mark.parametrize("gamma", [1e-4, 1e-2])
@pytest.mark.parametrize("lam", [0.4, 1.8])
def test_weight_decay_initial_value_and_limit(gamma, lam):
    with mp.workdps(20):
        # t = 0: E||D_0||^2 = 1 whatever gamma; L_tr(0) = E[nu]/d_out
        assert abs(numerics.gen_loss(0, lam, gamma=gamma, d_out=2) - mpmath.mpf(1) / 2) < 1e-18
        assert abs(numerics.train_loss(0, lam, gamma=gamma, d_out=2) - mpmath.mpf(1) / 2) < 1e-18
        late = 50 / (ETA * gamma)  # every mode has decayed by e^{-100} at least
        for which, fn in (("gen", numerics.gen_loss), ("train", numerics.train_loss)):
            lim = numerics.loss_limit(lam, which=which, gamma=gamma)
            assert abs(fn(late, lam, gamma=gamma) / lim - 1) < 1e-15


@pytest.mark.parametrize("lam", [0.1, 0.5])
def test_weight_decay_small_gamma_plateau(lam):
    # D_inf = -(gamma/2)(Sigma + gamma/2)^{-1} T with |T|^2 = 1/2: L_tr(inf) ~ (gamma^2/8) E[1/nu] = gamma^2/(8(1-lam)),
    # L_gen(inf) ~ (gamma^2/8) E[1/nu^2] = gamma^2/(8(1-lam)^3) (MP inverse moments, lam < 1)
    g = 1e-5
    with mp.workdps(20):
        assert abs(numerics.loss_limit(lam, which="train", gamma=g) / (g**2 / (8 * (1 - lam))) - 1) < 1e-3
        assert abs(numerics.loss_limit(lam, which="gen", gamma=g) / (g**2 / (8 * (1 - lam) ** 3)) - 1) < 1e-3


def test_weight_decay_vanishing_is_continuous():
    with mp.workdps(25):
        for fn in (numerics.gen_loss, numerics.train_loss):
            assert abs(fn(800, 1.4, gamma=1e-40) / fn(800, 1.4) - 1) < 1e-20


def test_discrete_time_identity():
    # gamma = 0, d_out = 1: mode factor a = 1 - 2 eta nu, so L_gen(t) - L_gen(t+1) = E[(1 - a^2) a^{2t}]
    # = 4 eta L_tr(t) - 4 eta^2 E[nu^2 a^{2t}]: the discrete analogue of Eq. 21
    with mp.workdps(30):
        lam, t, eta = 0.8, 200, mpmath.mpf(ETA)
        lhs = numerics.gen_loss(t, lam, dynamics="gd") - numerics.gen_loss(t + 1, lam, dynamics="gd")
        second = mp_law.expect(lambda nu: nu**2 * (1 - 2 * eta * nu) ** (2 * t), lam)
        rhs = 4 * eta * numerics.train_loss(t, lam, dynamics="gd") - 4 * eta**2 * second
        assert abs(lhs / rhs - 1) < 1e-25


def test_discrete_time_converges_to_flow():
    # at fixed eta t, GD approaches gradient flow as eta -> 0, with an O(eta) difference
    with mp.workdps(20):
        errs = []
        for eta in (1e-2, 1e-3):
            t = round(10 / eta)
            errs.append(abs(numerics.gen_loss(t, 0.7, eta=eta, dynamics="gd") / numerics.gen_loss(t, 0.7, eta=eta) - 1))
        assert errs[1] < errs[0] / 5


def test_accuracy_chi_square_d_out_2_closed_form():
    # d_out = 2: P(1, x) = 1 - e^{-x}, x = eps / L
    with mp.workdps(30):
        L, e = mpmath.mpf("0.002"), mpmath.mpf("0.001")
        assert abs(numerics.accuracy(L, e, d_out=2) - (1 - mpmath.exp(-e / L))) < 1e-28
        level = mpmath.mpf("0.95")
        assert abs(numerics.loss_at_accuracy(level, e, d_out=2) - e / -mpmath.log(1 - level)) < 1e-28


def test_accuracy_tends_to_one_with_d_out():
    # Sec. 3.2: at fixed L < eps the accuracy approaches 1 as d_out grows (chi-square concentrates at its mean)
    accs = [numerics.accuracy(0.8e-3, 1e-3, d_out=k) for k in (1, 10, 100, 1000)]
    assert all(b > a for a, b in zip(accs, accs[1:], strict=False)) and accs[-1] > 0.999


def test_grokking_time_general_parameters():
    with mp.workdps(20):
        g = numerics.grokking_time(0.9, d_out=5, gamma=1e-4)
        thr = numerics.loss_at_accuracy(None, 1e-3, d_out=5)
        assert abs(numerics.train_loss(g.t_train, 0.9, d_out=5, gamma=1e-4) / thr - 1) < 1e-15
        assert abs(numerics.gen_loss(g.t_gen, 0.9, d_out=5, gamma=1e-4) / thr - 1) < 1e-15
        # weight decay large enough that the plateau exceeds the threshold: no generalisation
        assert numerics.grokking_time(0.9, gamma=0.05).t_gen is None


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"d_out": 0}, "d_out"),
        ({"d_out": 1.5}, "d_out"),
        ({"d_out": True}, "d_out"),
        ({"gamma": -1e-3}, "gamma"),
        ({"gamma": float("nan")}, "gamma"),
        ({"dynamics": "euler"}, "dynamics"),
    ],
)
def test_general_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        numerics.gen_loss(10, 0.5, **kwargs)


def test_discrete_time_needs_whole_steps():
    with pytest.raises(ValueError, match=r"\bt\b"):
        numerics.gen_loss(10.5, 0.5, dynamics="gd")


def test_unstable_step_with_weight_decay():
    # lam = 1, lam_+ = 4, gamma = 2: bound d_out / (lam_+ + gamma/2) = 1/5
    with pytest.raises(ValueError, match=r"eta=0\.2.*0\.2"):
        numerics.train_loss(1.0, 1.0, eta=0.2, gamma=2)
    numerics.train_loss(1.0, 1.0, eta=0.19, gamma=2)
