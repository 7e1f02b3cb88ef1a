"""Exact finite-size checks of the simulator: engines agree, closed form and identities hold to round-off."""

import numpy as np
import pytest

import sim
from sim import linear, problem, two_layer

LOSSES = ("train_loss", "gen_loss", "gen_loss_exact")


def draw(seed=0, *, d_in=30, n_train=40, d_out=1, label_noise=0.0, hidden=None, activation="linear"):
    return problem.draw(
        d_in=d_in,
        n_train=n_train,
        d_out=d_out,
        hidden=hidden,
        activation=activation,
        n_gen=5 * d_in,
        label_noise=label_noise,
        student_scale=1.0,
        seed=seed,
    )


def max_rel(a, b):
    return float(np.max(np.abs(a / b - 1)))


@pytest.mark.parametrize("d_out", [1, 3])
@pytest.mark.parametrize("gamma", [0.0, 0.02])
@pytest.mark.parametrize("lam", [0.5, 2.0])
@pytest.mark.parametrize("label_noise", [0.0, 0.3])
def test_spectral_matches_loop(d_out, gamma, lam, label_noise):
    # 600 steps keep every loss far above the loop's round-off floor (~1e-30), where 1e-9 relative is meaningful
    kw = dict(d_in=40, n_train=round(40 / lam), d_out=d_out, eta=0.05, gamma=gamma, steps=600, label_noise=label_noise)
    a, b = sim.train(engine="spectral", **kw), sim.train(engine="loop", **kw)
    assert a.params["engine"] == "spectral" and b.params["engine"] == "loop"
    np.testing.assert_array_equal(a.t, b.t)
    for name in LOSSES:
        err = max_rel(getattr(a, name), getattr(b, name))
        assert err < 1e-9, f"{name}: spectral vs loop rel. error {err:.3g} at {kw}"
    for name in ("train_acc", "gen_acc"):  # a sample can only flip if it sits within ~1e-12 of eps
        assert np.max(np.abs(getattr(a, name) - getattr(b, name))) <= 1.0 / kw["n_train"], (name, kw)


def test_auto_engine_choice():
    assert sim.train(d_in=5, n_train=5, steps=3).params["engine"] == "spectral"
    assert sim.train(d_in=5, n_train=5, steps=3, hidden=4).params["engine"] == "loop"


def test_training_data_is_train_gram_draw():
    p = draw(seed=7, d_in=12, n_train=9)
    np.testing.assert_array_equal(p.gram, sim.train_gram(12, 9, seed=7))


@pytest.mark.parametrize("gamma,label_noise,d_out", [(0.0, 0.0, 1), (0.03, 0.0, 2), (0.0, 0.4, 1), (0.03, 0.4, 3)])
def test_closed_form_equals_literal_recursion(gamma, label_noise, d_out):
    p = draw(d_in=25, n_train=20, d_out=d_out, label_noise=label_noise)  # lam > 1: zero eigenvalues present
    (t_mat,), (s0,) = p.teacher, p.student
    sigma, eta = p.gram, 0.07
    nu, v = np.linalg.eigh(sigma)
    b = linear.forcing(t_mat, p.noise_drive, eta=eta, gamma=gamma, d_out=d_out)
    steps = np.arange(0, 301, 10)
    closed = linear.closed_form(steps, s0 - t_mat, b, nu, v, eta=eta, gamma=gamma, d_out=d_out)
    d = s0 - t_mat
    for t in range(steps[-1] + 1):
        if t % 10 == 0:
            ref = closed[:, t // 10, :]
            assert np.max(np.abs(ref - d)) < 1e-12 * np.max(np.abs(d)), (t, gamma, label_noise, d_out)
        d = linear.step(d, sigma, b, eta=eta, gamma=gamma, d_out=d_out)


@pytest.mark.parametrize("label_noise", [0.0, 0.5])
def test_weight_decay_fixed_point(label_noise):
    gamma, eta, d_out = 0.05, 0.05, 2
    p = draw(d_in=25, n_train=20, d_out=d_out, label_noise=label_noise)
    (t_mat,), (s0,) = p.teacher, p.student
    d_inf = linear.fixed_point(p.gram, t_mat, gamma, p.noise_drive)
    if label_noise == 0:  # Appendix D, Eq. (31): D_inf = -(gamma/2)(Sigma + gamma/2 I)^{-1} T
        expect = -0.5 * gamma * np.linalg.inv(p.gram + 0.5 * gamma * np.eye(25)) @ t_mat
        np.testing.assert_allclose(d_inf, expect, rtol=1e-10, atol=0)
    b = linear.forcing(t_mat, p.noise_drive, eta=eta, gamma=gamma, d_out=d_out)
    # D_inf solves the recursion D = A D + b (Eq. 3)
    after = linear.step(d_inf, p.gram, b, eta=eta, gamma=gamma, d_out=d_out)
    assert np.max(np.abs(after - d_inf)) < 1e-14 * np.max(np.abs(d_inf))
    # closed form = A^t (D_0 - D_inf) + D_inf, and it reaches D_inf
    nu, v = np.linalg.eigh(p.gram)
    t = np.array([0, 7, 100, 10**6])
    closed = linear.closed_form(t, s0 - t_mat, b, nu, v, eta=eta, gamma=gamma, d_out=d_out)
    a = np.eye(25) - (eta / d_out) * (2 * p.gram + gamma * np.eye(25))
    for k, tk in enumerate(t[:3]):
        ref = np.linalg.matrix_power(a, int(tk)) @ (s0 - t_mat - d_inf) + d_inf
        np.testing.assert_allclose(closed[:, k, :], ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))
    np.testing.assert_allclose(closed[:, -1, :], d_inf, rtol=0, atol=1e-12 * np.max(np.abs(d_inf)))


@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_discrete_gen_loss_identity(lam):
    """Discrete-time Eq. (21).  For gamma = 0, d_out = 1, no noise, D_{t+1} = (I - 2 eta Sigma) D_t, hence

        L_gen(t) - L_gen(t+1) = 4 eta L_tr(t) - 4 eta^2 D_t^T Sigma^2 D_t       (L_gen = ||D||^2, L_tr = D^T Sigma D)

    exactly; the gradient-flow limit drops the eta^2 term and gives dL_gen/dt = -4 eta L_tr.
    """
    eta, d_in, n = 0.05, 30, round(30 / lam)
    steps = 60
    res = sim.train(d_in=d_in, n_train=n, eta=eta, steps=steps, record=range(steps + 1), seed=3, n_gen=5 * d_in)
    p = draw(seed=3, d_in=d_in, n_train=n)
    (t_mat,), (s0,) = p.teacher, p.student
    nu, v = np.linalg.eigh(p.gram)
    d = linear.closed_form(res.t, s0 - t_mat, np.zeros_like(t_mat), nu, v, eta=eta, gamma=0.0, d_out=1)[:, :, 0]
    curv = np.sum((p.gram @ d) ** 2, axis=0)  # D_t^T Sigma^2 D_t
    lhs = res.gen_loss_exact[:-1] - res.gen_loss_exact[1:]
    rhs = 4 * eta * res.train_loss[:-1] - 4 * eta**2 * curv[:-1]
    scale = res.gen_loss_exact[:-1]
    assert np.max(np.abs(lhs - rhs) / scale) < 1e-12
    assert np.max(np.abs(lhs - 4 * eta * res.train_loss[:-1]) / scale) > 1e-4  # the eta^2 term is really there


def test_two_layer_linear_gram_loop_equals_data_backprop():
    """The Gram-matrix shortcut (linear two layers) reproduces literal GD through the data matrix (Eq. 17)."""
    kw = dict(d_in=20, n_train=30, d_out=3, hidden=8, eta=0.2, gamma=0.01, label_noise=0.2, seed=5)
    steps, d_out = 200, 3
    res = sim.train(steps=steps, record=[0, 50, 200], n_gen=100, **kw)
    p = draw(seed=5, d_in=20, n_train=30, d_out=3, hidden=8, label_noise=0.2)
    s0, s1 = (w.copy() for w in p.student)
    x, y = p.x, p.y
    losses = {}
    for t in range(steps + 1):
        r = x @ s0 @ s1 - y  # literal: forward, residual, back-propagate
        losses[t] = np.mean(r**2)
        g = 2 * r / r.size
        g0, g1 = x.T @ g @ s1.T + kw["gamma"] / d_out * s0, (x @ s0).T @ g + kw["gamma"] / d_out * s1
        s0, s1 = s0 - kw["eta"] * g0, s1 - kw["eta"] * g1
    ref = np.array([losses[t] for t in res.t])
    assert max_rel(res.train_loss, ref) < 1e-10


def test_two_layer_tanh_matches_reference_and_gradient():
    kw = dict(d_in=10, n_train=15, d_out=2, hidden=6, activation="tanh", eta=0.5, label_noise=0.1, seed=2)
    res = sim.train(steps=100, record=[0, 100], n_gen=50, **kw)
    p = draw(seed=2, d_in=10, n_train=15, d_out=2, hidden=6, activation="tanh", label_noise=0.1)
    t0, t1 = p.teacher
    y = np.tanh(p.x @ t0) @ t1 + p.noise
    assert np.isnan(res.gen_loss_exact).all()
    s0, s1 = (w.copy() for w in p.student)

    def loss(a, b):
        return np.mean((np.tanh(p.x @ a) @ b - y) ** 2)

    assert abs(res.train_loss[0] / loss(s0, s1) - 1) < 1e-13
    # back-propagation against central finite differences
    _, g0, g1 = two_layer.gradients_data(s0, s1, p.x, y, gamma=0.0, activation="tanh")
    h = 1e-6
    for g, which in ((g0, 0), (g1, 1)):
        w = (s0, s1)[which]
        for idx in [(0, 0), (1, 1), (w.shape[0] - 1, w.shape[1] - 1)]:
            wp, wm = w.copy(), w.copy()
            wp[idx] += h
            wm[idx] -= h
            args_p = (wp, s1) if which == 0 else (s0, wp)
            args_m = (wm, s1) if which == 0 else (s0, wm)
            fd = (loss(*args_p) - loss(*args_m)) / (2 * h)
            assert abs(fd - g[idx]) < 1e-7 * max(1e-3, abs(g[idx])), (which, idx, fd, g[idx])
    for _ in range(100):
        _, g0, g1 = two_layer.gradients_data(s0, s1, p.x, y, gamma=0.0, activation="tanh")
        s0, s1 = s0 - 0.5 * g0, s1 - 0.5 * g1
    assert abs(res.train_loss[1] / loss(s0, s1) - 1) < 1e-12
