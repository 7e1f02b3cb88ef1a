"""Heavy-ball and Nesterov momentum in the MP limit (numerics.momentum, issue 14).

Independent references: the PyTorch update run step by step on one mode (for the closed form), tanh-sinh quadrature
of the MP law (numerics.mp_law.expect) of that step-by-step mode (for the MP average), numpy's polynomial roots (for
the stable range), and the GD path of numerics.losses / numerics._mode_quad (for momentum = 0).
"""

import math

import mpmath
import numpy as np
import pytest
from mpmath import mp

import numerics
from numerics import momentum as M
from numerics import mp_law
from numerics._momentum_modes import _mode


def _direct(t, h, beta, nesterov):
    """x_t by running torch.optim.SGD's update (dampening 0, buffer b_1 = g_1) on one mode, eta = 1, g = h x."""
    x, b = mpmath.mpf(1), None
    for _ in range(t):
        g = h * x
        b = g if b is None else beta * b + g
        x = x - (g + beta * b if nesterov else b)
    return x


# (h, beta, nesterov): GD, overdamped, exactly critical ((1 - sqrt(1/4))^2 = 1/4), just above critical, underdamped
# with theta near 0 and near pi, heavy-ball negative roots, Nesterov overdamped / underdamped / h > 1 / h = 1
MODES = [
    (0.3, 0.0, False),
    (1.5, 0.0, False),
    (0.01, 0.5, False),
    (0.25, 0.25, False),
    (0.2500001, 0.25, False),
    (0.02, 0.9, False),
    (1.9, 0.9, False),
    (2.95, 0.5, False),
    (0.001, 0.99, True),
    (0.6, 0.5, True),
    (1.2, 0.5, True),
    (1.0, 0.5, True),
]


@pytest.mark.parametrize("h,beta,nesterov", MODES)
def test_closed_form_matches_the_update_rule(h, beta, nesterov):
    with mp.workdps(40):
        hm, bm = mpmath.mpf(h), mpmath.mpf(beta)
        p, q, _ = M.recurrence(hm, bm, nesterov)
        disc = p * p - 4 * q
        m = (abs(p) + mpmath.sqrt(abs(disc))) / 2 if disc >= 0 else mpmath.sqrt(q)  # largest root modulus
        for t in (0, 1, 2, 3, 10, 57, 200):
            want = _direct(t, hm, bm, nesterov)
            got = M.mode_factor(t, h, momentum=beta, nesterov=nesterov)
            scale = max(abs(want), (t + 1) * m**t)  # oscillating modes: relative to their envelope
            assert abs(got - want) <= mpmath.mpf(10) ** -36 * scale, (t, got, want)


def test_float_mode_factors():
    ts = np.array([0, 1, 2, 7, 40, 150])
    hs = [m[0] for m in MODES]
    for beta, nesterov in ((0.5, False), (0.5, True), (0.9, False)):
        ok = [h for h in hs if h < float(M.step_bound(beta, nesterov=nesterov))]
        got = M.mode_factors_float(ts, ok, momentum=beta, nesterov=nesterov)
        with mp.workdps(30):
            want = np.array(
                [[float(_direct(int(t), mpmath.mpf(h), mpmath.mpf(beta), nesterov)) for h in ok] for t in ts]
            )
        m = [max(abs(np.roots([1, -p, q]))) for p, q, _ in (M.recurrence(h, beta, nesterov) for h in ok)]
        envelope = (ts[:, None] + 1) * np.array(m)[None, :] ** ts[:, None]  # oscillating modes: relative to it
        assert np.all(np.abs(got - want) <= 1e-12 * np.maximum(np.abs(want), envelope)), (beta, nesterov)


def test_critical_mode_is_detected_exactly():
    with mp.workdps(30):
        assert _mode(mpmath.mpf(0.25), mpmath.mpf(0.25), False)[0] == "crit"


def test_continuation_between_steps():
    """Overdamped modes decrease monotonically in real t (module docstring); whole-t-only modes refuse real t."""
    with mp.workdps(30):
        xs = [M.mode_factor(t, 0.01, momentum=0.5) for t in np.arange(0, 6, 0.25)]
        assert all(b < a for a, b in zip(xs, xs[1:], strict=False))
        with pytest.raises(ValueError, match="whole number"):
            M.mode_factor(2.5, 2.95, momentum=0.5)


def _reference_loss(t, lam, eta, beta, nesterov, d_out, gamma, train):
    """(1/(2 d_out)) E_MP[q (x^2 + r^2)] by tanh-sinh quadrature of the step-by-step mode (atom included)."""
    k, g2 = 2 * mpmath.mpf(eta) / d_out, mpmath.mpf(gamma) / 2

    def m(nu):
        x = _direct(t, k * (nu + g2), mpmath.mpf(beta), nesterov)
        if g2 == 0:
            return x * x
        u = g2 / (nu + g2)
        r = x * (1 - u) + u
        return (x * x + r * r) / 2

    return mp_law.expect((lambda nu: nu * m(nu)) if train else m, lam) / d_out


@pytest.mark.parametrize(
    "t,lam,eta,beta,nesterov,d_out,gamma",
    [
        (40, 0.5, 0.05, 0.9, False, 1, 0.0),  # mixed over/underdamped
        (31, 0.3, 0.3, 0.5, True, 1, 0.0),  # Nesterov with modes of h > 1 (roots of opposite signs)
        (25, 2.5, 0.3, 0.8, False, 2, 0.01),  # atom of Eq. 6, weight decay, d_out > 1
    ],
)
def test_mp_average_against_direct_quadrature(t, lam, eta, beta, nesterov, d_out, gamma):
    with mp.workdps(20):
        for train, f in ((True, M.train_loss), (False, M.gen_loss)):
            got = f(t, lam, eta=eta, momentum=beta, nesterov=nesterov, d_out=d_out, gamma=gamma)
            want = _reference_loss(t, lam, eta, beta, nesterov, d_out, gamma, train)
            assert abs(got / want - 1) < 1e-17, (train, got, want)


def test_momentum_zero_is_gd():
    with mp.workdps(30):
        for lam, gamma, d_out, t, nesterov in (
            (0.5, 0, 1, 1000, False),
            (0.5, 0, 1, 1000, True),
            (2.0, 1e-3, 3, 700, False),
        ):
            kw = {"eta": 0.01, "gamma": gamma, "d_out": d_out}
            for f in (numerics.train_loss, numerics.gen_loss):
                a = f(t, lam, dynamics="momentum", momentum=0, nesterov=nesterov, **kw)
                b = f(t, lam, dynamics="gd", **kw)
                assert abs(a / b - 1) < 1e-25, (f.__name__, lam, t, a, b)
        g = numerics.grokking_time(0.5, dynamics="gd")
        m = numerics.grokking_time(0.5, dynamics="momentum", momentum=0)
        assert abs(m.t_train / g.t_train - 1) < 1e-25 and abs(m.t_gen / g.t_gen - 1) < 1e-25
        assert m.dynamics == "momentum" and m.momentum == 0


def test_float_path_and_limit():
    ts = np.array([0, 40, 4000])
    tr, ge = M.losses_float(ts, 0.5, eta=0.01, momentum=0.9, gamma=1e-3)
    with mp.workdps(15):
        for i, t in enumerate(ts):
            assert tr[i] == pytest.approx(
                float(M.train_loss(int(t), 0.5, eta=0.01, momentum=0.9, gamma=1e-3)), rel=1e-10
            )
            assert ge[i] == pytest.approx(float(M.gen_loss(int(t), 0.5, eta=0.01, momentum=0.9, gamma=1e-3)), rel=1e-10)
        lim = numerics.loss_limit(0.5, gamma=1e-3, dynamics="momentum", momentum=0.9)
        assert lim == numerics.loss_limit(0.5, gamma=1e-3)
        assert ge[-1] == pytest.approx(float(lim), rel=1e-6)  # the gen loss has reached GD's plateau


def test_grokking_time_is_the_first_crossing():
    """Underdamped modes (oscillating losses): the crossing lies in the first whole step where the loss is below the
    level, and the loss there equals the level (its residual, independently of the root finder)."""
    with mp.workdps(20):
        g = numerics.grokking_time(0.5, eta=0.01, dynamics="momentum", momentum=0.9)
        n = int(mpmath.ceil(g.t_train))
        steps = np.arange(0, n + 1)
        tr, _ = M.losses_float(steps, 0.5, eta=0.01, momentum=0.9)
        assert np.all(tr[:-1] > float(g.loss_threshold)) and tr[-1] <= float(g.loss_threshold)
        assert n - 1 < g.t_train <= n
        f = M.grokking_time_float(0.5, eta=0.01, momentum=0.9)
        assert f[0] == pytest.approx(float(g.t_train), rel=1e-10) and f[1] == pytest.approx(float(g.t_gen), rel=1e-10)
        assert 0.2 < float(g.delta / g.t_train) < 0.4  # the delay is changed, not rescaled (flow: 0.595)


@pytest.mark.parametrize("nesterov", [False, True])
def test_stable_range_matches_the_roots(nesterov):
    """step_bound against numpy's roots of z^2 - p z + q, and the ValueError at the MP edge lam_+."""
    for beta in (0.0, 0.3, 0.9):
        bound = float(M.step_bound(beta, nesterov=nesterov))
        for h, stable in ((bound * (1 - 1e-6), True), (bound * (1 + 1e-6), False)):
            p, q = ((1 + beta) * (1 - h), beta * (1 - h)) if nesterov else (1 + beta - h, beta)
            assert (max(abs(np.roots([1, -p, q]))) < 1) == stable
        lam_p = (1 + math.sqrt(0.5)) ** 2
        eta_max = bound / (2 * lam_p)
        M.train_loss(3, 0.5, eta=eta_max * 0.999, momentum=beta, nesterov=nesterov)
        with pytest.raises(ValueError, match="eta=.*momentum=.*unstable"):
            M.train_loss(3, 0.5, eta=eta_max * 1.001, momentum=beta, nesterov=nesterov)


def test_validation():
    with pytest.raises(ValueError, match="momentum must lie in"):
        numerics.train_loss(3, 0.5, dynamics="momentum", momentum=1.0)
    with pytest.raises(ValueError, match="momentum must lie in"):
        numerics.gen_loss(3, 0.5, dynamics="momentum", momentum=-0.1)
    with pytest.raises(ValueError, match="momentum must be given"):
        numerics.train_loss(3, 0.5, dynamics="momentum")
    with pytest.raises(ValueError, match="apply to dynamics='momentum' only"):
        numerics.train_loss(3, 0.5, dynamics="gd", momentum=0.9)
    with pytest.raises(ValueError, match="apply to dynamics='momentum' only"):
        numerics.grokking_time(0.5, nesterov=True)
    with pytest.raises(ValueError, match="nesterov must be True or False"):
        numerics.gen_loss(3, 0.5, dynamics="momentum", momentum=0.5, nesterov=1)
    with pytest.raises(ValueError, match="whole number"):
        numerics.train_loss(2.5, 0.5, dynamics="momentum", momentum=0.5)
    with pytest.raises(ValueError, match="dynamics must be 'flow' or 'gd'"):
        numerics.train_loss_quad(3, 0.5, dynamics="momentum")
    # stable, but the top modes have roots of negative real part: no real-t crossing times
    with pytest.raises(ValueError, match="eta=.*momentum=.*no continuation"):
        numerics.grokking_time(0.5, eta=0.3, dynamics="momentum", momentum=0.5)


def test_simulated_momentum_runs_follow_the_theory_at_d_in_1000():
    # sim.train(optimizer="momentum") (PyTorch's update on the data, no shared code) against the MP-limit theory:
    # mean train and generalisation losses of 16 seeds at lam = 0.5, PyTorch-like eta = 0.01, beta = 0.9 (grokking
    # within ~100 steps), tolerance 4 measured standard errors (1-4 % of the mean: a 5 % error at t = 5 fails)
    import sim

    ts = [5, 20, 40, 70, 100]
    rows = []
    for seed in range(16):
        r = sim.train(
            d_in=1000, n_train=2000, steps=100, eta=0.01, optimizer="momentum", momentum=0.9, record=ts, seed=seed
        )
        assert list(r.t) == ts
        rows.append(np.concatenate([r.train_loss, r.gen_loss_exact]))
    rows = np.array(rows)
    mean, se = rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(len(rows))
    kw = {"eta": 0.01, "dynamics": "momentum", "momentum": 0.9}
    with mp.workdps(15):
        theory = np.array(
            [float(numerics.train_loss(t, 0.5, **kw)) for t in ts]
            + [float(numerics.gen_loss(t, 0.5, **kw)) for t in ts]
        )
        gd = np.array(
            [float(numerics.train_loss(t, 0.5, eta=0.01, dynamics="gd")) for t in ts]
            + [float(numerics.gen_loss(t, 0.5, eta=0.01, dynamics="gd")) for t in ts]
        )
    assert np.all(se > 0)
    assert np.all(np.abs(mean - theory) < 4 * se), (mean - theory) / se
    assert np.min(np.abs(mean - gd) / se) > 10  # the test can fail: plain GD at the same eta is far off
