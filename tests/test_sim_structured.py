"""Structured inputs in ``sim.train``: ``input_cov`` (x ~ N(0, Sigma)) and ``inputs`` (rows of a data matrix).

Sigma != I goes beyond the paper (its Eqs. 2, 10, 13 assume isotropic inputs); these tests check the simulator's
generalisation: ``gen_loss_exact = tr(D^T Sigma D) / d_out`` and the accuracies of ``z = D^T x ~ N(0, D^T Sigma D)``.
"""

import json

import numpy as np
import pytest
from scipy import integrate, special

import sim

ARRAYS = ("train_loss", "gen_loss", "gen_loss_exact", "train_acc", "gen_acc", "gen_acc_exact", "train_acc_gauss")


def power_law(d_in, alpha=1.5):
    s = np.arange(1, d_in + 1, dtype=float) ** -alpha
    return s * d_in / s.sum()  # tr(Sigma) = d_in, as for Sigma = I


def rotated(spectrum, seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(spectrum), len(spectrum))))
    return (q * spectrum) @ q.T


def assert_identical(a, b):
    np.testing.assert_array_equal(a.t, b.t)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def close(x, y):
    """1e-9 relative plus the round-off floor of tests/test_sim_properties.py::test_spectral_equals_loop."""
    return np.abs(x - y) <= 1e-9 * np.abs(y) + 1e-12 * np.sqrt(np.maximum(x, y) * y[0])


# --- the default path and the identity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        dict(d_in=20, n_train=30, d_out=2, label_noise=0.1, gamma=0.01),
        dict(d_in=20, n_train=10, engine="loop"),
        dict(d_in=10, n_train=30, d_out=2, hidden=5),
    ],
)
def test_none_is_bit_identical(kw):
    a = sim.train(steps=100, seed=4, **kw)
    b = sim.train(steps=100, seed=4, input_cov=None, inputs=None, **kw)
    assert_identical(a, b)
    assert b.params["input_cov"] is None and b.params["inputs"] is None


@pytest.mark.parametrize("engine", ["spectral", "loop"])
def test_identity_covariance_reproduces_isotropic_numbers(engine):
    kw = dict(d_in=15, n_train=25, d_out=2, steps=150, seed=2, engine=engine, label_noise=0.05)
    iso = sim.train(**kw)
    assert_identical(iso, sim.train(input_cov=np.ones(15), **kw))
    assert_identical(iso, sim.train(input_cov=np.eye(15), **kw))
    # and a non-trivial Sigma does change them (the keyword is not ignored)
    assert not np.array_equal(iso.gen_loss_exact, sim.train(input_cov=power_law(15), **kw).gen_loss_exact)


# --- engines ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cov", ["spectrum", "matrix"])
@pytest.mark.parametrize("d_out,gamma,lam,noise", [(1, 0.0, 0.5, 0.0), (2, 0.02, 2.0, 0.3), (3, 0.0, 1.5, 0.1)])
def test_spectral_matches_loop_anisotropic(cov, d_out, gamma, lam, noise):
    d_in = 30
    s = power_law(d_in)
    kw = dict(
        d_in=d_in, n_train=round(d_in / lam), d_out=d_out, eta=0.05, gamma=gamma, steps=600, label_noise=noise, seed=1
    )
    kw["input_cov"] = s if cov == "spectrum" else rotated(s)
    a, b = sim.train(engine="spectral", **kw), sim.train(engine="loop", **kw)
    for name in ("train_loss", "gen_loss", "gen_loss_exact"):
        x, y = getattr(a, name), getattr(b, name)
        ok = close(x, y)
        assert ok.all(), (name, x[~ok], y[~ok])
    for name in ("gen_acc_exact", "train_acc_gauss"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-8, atol=1e-12, err_msg=name)
    for name in ("train_acc", "gen_acc"):  # a sample can only flip if it sits within round-off of eps
        assert np.max(np.abs(getattr(a, name) - getattr(b, name))) <= 1.0 / kw["n_train"], name


# --- recomputation by hand --------------------------------------------------------------------------------------


def by_hand(seed, d_in, n_train, d_out, eta, steps, sigma=None, data=None):
    """Plain numpy GD (gamma = 0, no label noise) following the documented draw order; returns D_t per step."""
    rng = np.random.default_rng(seed)
    if data is None:
        x = rng.standard_normal((n_train, d_in)) @ np.linalg.cholesky(sigma).T
        held_out = None
    else:
        order = rng.permutation(data.shape[0])
        x, held_out = data[order[:n_train]], data[order[n_train:]]
    scale = np.sqrt(1.0 / (2 * d_in * d_out))
    t = rng.standard_normal((d_in, d_out)) * scale
    s = rng.standard_normal((d_in, d_out)) * scale
    ds = []
    for _ in range(steps + 1):
        ds.append(s - t)
        s = s - eta * (2.0 / (n_train * d_out)) * x.T @ (x @ (s - t))
    return ds, x, t, held_out


def acc_2d(m, eps):
    """P(z^T z / 2 < eps) for z ~ N(0, m), m 2 x 2, by quadrature over the first principal component."""
    w1, w2 = np.linalg.eigvalsh(m)[::-1]
    c = 2.0 * eps
    f = lambda u: np.exp(-u * u / 2) / np.sqrt(2 * np.pi) * special.erf(np.sqrt((c - w1 * u * u) / (2 * w2)))  # noqa: E731
    edge = np.sqrt(c / w1)
    return integrate.quad(f, -edge, edge, epsabs=1e-13, epsrel=1e-11)[0]


@pytest.mark.parametrize("d_out", [1, 2])
def test_exact_quantities_from_hand_recomputation(d_out):
    d_in, n_train, steps, eps, eta = 12, 20, 60, 0.05, 0.04
    sigma = rotated(power_law(d_in, 2.0), seed=3)
    r = sim.train(
        d_in=d_in, n_train=n_train, d_out=d_out, eta=eta, steps=steps, eps=eps, seed=5, input_cov=sigma, n_gen=20,
        record=range(steps + 1), engine="loop",
    )  # fmt: skip
    ds, x, _, _ = by_hand(5, d_in, n_train, d_out, eta, steps, sigma=sigma)
    exact = np.array([np.trace(d.T @ sigma @ d) / d_out for d in ds])
    np.testing.assert_allclose(r.gen_loss_exact, exact, rtol=1e-10)
    np.testing.assert_allclose(r.train_loss, [np.mean((x @ d) ** 2) for d in ds], rtol=1e-10)
    # Sigma matters: tr(D^T D) is far from tr(D^T Sigma D) here, so this test would notice an ignored Sigma
    assert np.max(np.abs(np.array([np.sum(d * d) / d_out for d in ds]) / exact - 1)) > 0.3
    for k in (0, 10, steps):
        m = ds[k].T @ sigma @ ds[k]
        want = special.erf(np.sqrt(eps / (2 * m[0, 0]))) if d_out == 1 else acc_2d(m, eps)
        assert r.gen_acc_exact[k] == pytest.approx(want, rel=1e-8, abs=1e-10), k
        # train_acc_gauss uses the training residuals' second moment D^T Sigma_tr D
        mt = ds[k].T @ (x.T @ x / n_train) @ ds[k]
        want = special.erf(np.sqrt(eps / (2 * mt[0, 0]))) if d_out == 1 else acc_2d(mt, eps)
        assert r.train_acc_gauss[k] == pytest.approx(want, rel=1e-8, abs=1e-10), k


@pytest.mark.parametrize("cov", ["spectrum", "matrix"])
def test_sampled_gen_loss_agrees_with_exact(cov):
    """For d_out = 1, ||D^T x||^2 with x ~ N(0, Sigma) has mean v = tr(D^T Sigma D) and sd sqrt(2) v, so the held-out
    mean over n_gen samples has standard error sqrt(2 / n_gen) v; 5 of them at each of a few steps (correlated)."""
    d_in, n_gen = 20, 20000
    s = power_law(d_in, 2.0)
    r = sim.train(
        d_in=d_in, n_train=40, steps=300, eta=0.03, seed=7, n_gen=n_gen, record=[0, 30, 300],
        input_cov=s if cov == "spectrum" else rotated(s, seed=1),
    )  # fmt: skip
    se = np.sqrt(2.0 / n_gen) * r.gen_loss_exact
    assert np.all(np.abs(r.gen_loss - r.gen_loss_exact) < 5 * se), (r.gen_loss, r.gen_loss_exact, se)
    # the sampled accuracy against the exact one: binomial standard error
    p = r.gen_acc_exact
    assert np.all(np.abs(r.gen_acc - p) < 5 * np.sqrt(p * (1 - p) / n_gen) + 1e-12), (r.gen_acc, p)


# --- inputs= ----------------------------------------------------------------------------------------------------


def gaussian_rows(n, sigma, seed):
    return np.random.default_rng(seed).standard_normal((n, len(sigma))) @ np.linalg.cholesky(sigma).T


def test_inputs_split_and_exact_loss():
    d_in, n_train, steps, eta = 10, 25, 30, 0.2
    sigma = rotated(power_law(d_in, 1.0), seed=2)
    data = gaussian_rows(4000, sigma, seed=11)
    r = sim.train(d_in=d_in, n_train=n_train, steps=steps, eta=eta, seed=9, inputs=data, record=range(steps + 1))
    assert r.params["n_gen"] == 4000 - n_train and r.params["inputs"] == "matrix(4000x10)"
    ds, x, _, held = by_hand(9, d_in, n_train, 1, eta, steps, data=data)
    # the split is without replacement: training and held-out rows partition the data
    both = np.concatenate([x, held])
    assert len(np.unique(both, axis=0)) == 4000 and np.array_equal(np.sort(both, axis=0), np.sort(data, axis=0))
    np.testing.assert_allclose(r.train_loss, [np.mean((x @ d) ** 2) for d in ds], rtol=1e-10)
    held_mean = np.array([np.mean((held @ d) ** 2) for d in ds])
    np.testing.assert_allclose(r.gen_loss_exact, held_mean, rtol=1e-10)
    np.testing.assert_allclose(r.gen_loss, held_mean, rtol=1e-10)
    # and the held-out rows are N(0, Sigma): the population value within 5 standard errors (d_out = 1)
    pop = np.array([(d.T @ sigma @ d)[0, 0] for d in ds])
    assert np.all(np.abs(held_mean - pop) < 5 * np.sqrt(2.0 / len(held)) * pop)
    m = np.mean((held @ ds[-1]) ** 2)  # gen_acc_exact: Gaussian form with the held-out second moment
    assert r.gen_acc_exact[-1] == pytest.approx(special.erf(np.sqrt(1e-3 / (2 * m))), rel=1e-9)


def test_inputs_statistically_consistent_with_input_cov():
    """Mean over seeds of the final gen loss: rows of a Gaussian data matrix vs fresh N(0, Sigma) draws."""
    d_in, n_train = 12, 24
    sigma = rotated(power_law(d_in), seed=4)
    data = gaussian_rows(3000, sigma, seed=0)
    kw = dict(d_in=d_in, n_train=n_train, steps=200, eta=0.05, gamma=0.02, record=[200])
    a = np.array([sim.train(seed=k, inputs=data, **kw).gen_loss_exact[0] for k in range(40)])
    b = np.array([sim.train(seed=k, input_cov=sigma, **kw).gen_loss_exact[0] for k in range(40)])
    c = np.array([sim.train(seed=k, **kw).gen_loss_exact[0] for k in range(40)])  # isotropic: should differ
    se = np.hypot(a.std(ddof=1), b.std(ddof=1)) / np.sqrt(40)
    assert abs(a.mean() - b.mean()) < 4 * se, (a.mean(), b.mean(), se)
    assert abs(c.mean() - b.mean()) > 4 * np.hypot(c.std(ddof=1), b.std(ddof=1)) / np.sqrt(40)


def test_structured_two_layer_linear():
    """The two-layer linear engine records tr(D^T Sigma D) / d_out too: the held-out estimate agrees within SE."""
    r = sim.train(
        d_in=10, n_train=30, hidden=6, steps=200, eta=0.1, seed=3, n_gen=20000, record=[0, 200],
        input_cov=power_law(10, 2.0),
    )  # fmt: skip
    assert np.all(np.abs(r.gen_loss - r.gen_loss_exact) < 5 * np.sqrt(2.0 / 20000) * r.gen_loss_exact)


# --- params and validation --------------------------------------------------------------------------------------


def test_params_are_compact():
    kw = dict(d_in=4, n_train=5, steps=3)
    p = sim.train(input_cov=[1.0, 2.0, 3.0, 4.0], **kw).params
    assert p["input_cov"] == "spectrum(n=4)" and p["inputs"] is None
    assert sim.train(input_cov=np.diag([1.0, 2.0, 3.0, 4.0]), **kw).params["input_cov"] == "matrix(n=4)"
    p = sim.train(inputs=np.ones((9, 4)) + np.eye(9, 4), **kw).params
    assert p["inputs"] == "matrix(9x4)" and p["n_gen"] == 4
    assert len(json.dumps(p)) < 600


BAD_COV = [
    ([1.0, 2.0, 3.0], "length"),
    (np.ones((4, 3)), "shape"),
    (np.ones((2, 2, 2)), "shape"),
    ([1.0, np.nan, 1.0, 1.0], "finite"),
    (np.where(np.eye(4) > 0, np.inf, 0.0), "finite"),
    ([1.0, 0.0, 1.0, 1.0], "positive"),
    ([1.0, -1.0, 1.0, 1.0], "positive"),
    (np.eye(4) + np.triu(np.ones((4, 4)), 1) * 0.1, "symmetric"),
    (np.diag([1.0, 1.0, -1.0, 1.0]), "positive definite"),
    (np.ones((4, 4)), "positive definite"),
    (np.zeros((4, 4)), "positive definite"),
    ("abc", "input_cov"),
]


@pytest.mark.parametrize("value,word", BAD_COV)
def test_bad_input_cov(value, word):
    with pytest.raises(ValueError, match="input_cov") as e:
        sim.train(d_in=4, n_train=5, steps=3, input_cov=value)
    assert word in str(e.value)


BAD_INPUTS = [
    (np.ones(20), "2-D"),
    (np.ones((20, 3)), "columns"),
    (np.where(np.eye(20, 4) > 0, np.nan, 1.0), "finite"),
    (np.ones((5, 4)), "rows"),
    ([["a"] * 4] * 10, "inputs"),
]


@pytest.mark.parametrize("value,word", BAD_INPUTS)
def test_bad_inputs(value, word):
    with pytest.raises(ValueError, match="inputs") as e:
        sim.train(d_in=4, n_train=5, steps=3, inputs=value)
    assert word in str(e.value)


def test_inputs_and_input_cov_are_exclusive():
    with pytest.raises(ValueError, match="mutually exclusive"):
        sim.train(d_in=4, n_train=5, steps=3, inputs=np.ones((10, 4)), input_cov=np.ones(4))
    with pytest.raises(ValueError, match="n_gen"):
        sim.train(d_in=4, n_train=5, steps=3, inputs=np.ones((10, 4)), n_gen=3)
    sim.train(d_in=4, n_train=5, steps=3, inputs=np.ones((6, 4)))  # n_train + 1 rows is enough
