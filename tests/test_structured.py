"""Structured inputs x ~ N(0, Sigma) (issue 13, part 1): numerics.structured and numerics.spectra."""

import mpmath
import numpy as np
import pytest
from mpmath import mp

import numerics
from numerics import spectra, structured

ETA = 0.01


@pytest.mark.parametrize("lam", [0.3, 0.95, 1.0, 2.5])
@pytest.mark.parametrize("t", [0.5, 300.0, 1e5])
def test_isotropic_reduction_to_mp_law(lam, t):
    # sigma_k = 1: generalised MP -> Eq. 6, losses -> Eq. 8/9 (numerics.train_loss, gen_loss incl. the lam > 1 atom)
    ones = np.ones(7)
    with mp.workdps(30):
        tr = structured.train_loss(t, lam, ones, eta=ETA)
        ge = structured.gen_loss(t, lam, ones, eta=ETA)
    with mp.workdps(45):
        tr_ref = numerics.train_loss(t, lam, eta=ETA)
        ge_ref = numerics.gen_loss(t, lam, eta=ETA)
        assert abs(tr / tr_ref - 1) < mpmath.mpf(10) ** -25
        assert abs(ge / ge_ref - 1) < mpmath.mpf(10) ** -25


def test_isotropic_reduction_fails_for_a_different_spectrum():
    # the comparison above can fail: a non-trivial spectrum of mean 1 gives different losses
    with mp.workdps(20):
        v = structured.gen_loss(300.0, 0.5, spectra.power_law(0.5, 8))
        assert abs(v / numerics.gen_loss(300.0, 0.5) - 1) > 1e-3


def _monte_carlo(sp, lam, ts, draws, seed):
    """(1/d) tr(Sigma_tr e^{-s Sigma_tr}) and (1/d) tr(Sigma e^{-s Sigma_tr}) over draws of Sigma_tr."""
    d = sp.size
    n = int(round(d / lam))
    rng = np.random.default_rng(seed)
    s = 4 * ETA * np.asarray(ts)
    rows = []
    for _ in range(draws):
        x = np.sqrt(sp)[:, None] * rng.standard_normal((d, n))
        nu, v = np.linalg.eigh(x @ x.T / n)
        weight = (v**2 * sp[:, None]).sum(axis=0)  # v_i^T Sigma v_i
        e = np.exp(-np.outer(s, nu))
        rows.append(np.concatenate([(e * nu).mean(axis=1), (e * weight).mean(axis=1), (e * weight * nu).mean(axis=1)]))
    rows = np.array(rows)
    return rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(draws)


def test_monte_carlo_power_law():
    sp = spectra.power_law(1.0, 1000)
    lam = 0.5
    ts = [10.0, 100.0, 1000.0, 1e4]
    mean, se = _monte_carlo(sp, lam, ts, draws=6, seed=1)
    tr, ge = structured.losses_float(ts, lam, sp, eta=ETA)
    rate = [float(structured.gen_loss_rate(t, lam, sp, eta=ETA)) / (-4 * ETA) for t in ts[:2]]
    theory = np.concatenate([tr, ge])
    mean, se = mean[: 2 * len(ts) + 2], se[: 2 * len(ts) + 2]
    theory = np.concatenate([theory, rate])
    assert np.all(se > 0)
    assert np.all(se < 0.05 * mean)  # the standard error resolves the values
    z = np.abs(mean - theory) / se
    assert np.all(z < 4), z
    # and the test can fail: the isotropic prediction is many standard errors off
    iso = np.array([float(numerics.train_loss(t, lam, eta=ETA)) for t in ts])
    assert np.max(np.abs(mean[: len(ts)] - iso) / se[: len(ts)]) > 20


def test_float_path_matches_mp_path():
    sp = spectra.power_law(1.0, 200)
    ts = [0.0, 3.0, 300.0, 3e4]
    for lam in (0.4, 1.7):
        tr, ge = structured.losses_float(ts, lam, sp, eta=ETA)
        for t, a, b in zip(ts, tr, ge, strict=True):
            assert a == pytest.approx(float(structured.train_loss(t, lam, sp, eta=ETA)), rel=1e-8)
            assert b == pytest.approx(float(structured.gen_loss(t, lam, sp, eta=ETA)), rel=1e-8)


@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_initial_values_are_the_mean_eigenvalue(lam):
    sp = spectra.power_law(1.5, 50) * 3.0
    with mp.workdps(20):
        assert structured.gen_loss(0, lam, sp) == pytest.approx(sp.mean(), rel=1e-15)
        assert structured.train_loss(0, lam, sp) == pytest.approx(sp.mean(), rel=1e-15)
        # continuity at t -> 0 through the contour path: mean - s mean(sigma^2) + O(s^2)
        s = 4 * ETA * 1e-6
        assert structured.gen_loss(1e-6, lam, sp) == pytest.approx(sp.mean() - s * (sp**2).mean(), rel=1e-9)


@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_small_t_moments(lam):
    # L_tr(s) = M1 - s M2 + O(s^2) with M1 = (1/d) tr Sigma, M2 = (1/d) E tr Sigma_tr^2 = mean sigma^2 + lam mean^2;
    # L_gen(s) = mean sigma - s mean sigma^2 + O(s^2) (E Sigma_tr = Sigma)
    sp = spectra.power_law(1.0, 40)
    m1, m2 = sp.mean(), (sp**2).mean()
    with mp.workdps(30):
        t = mpmath.mpf("1e-8")
        s = 4 * ETA * t
        tr = structured.train_loss(t, lam, sp, eta=ETA)
        ge = structured.gen_loss(t, lam, sp, eta=ETA)
    assert float((m1 - tr) / s) == pytest.approx(m2 + lam * m1**2, rel=1e-7)
    assert float((m1 - ge) / s) == pytest.approx(m2, rel=1e-7)


@pytest.mark.parametrize("lam", [0.6, 1.0, 3.0])
@pytest.mark.parametrize("t", [20.0, 2000.0])
def test_gen_derivative(lam, t):
    # d/dt (1/d) tr(Sigma e^{-4 eta t Sigma_tr}) -> -4 eta int nu e^{-s nu} dG: numerical derivative of the contour
    # integral of g against the contour integral of the Stieltjes transform of nu dG
    sp = spectra.power_law(1.0, 30)
    with mp.workdps(20):
        deriv = mpmath.diff(lambda x: structured.gen_loss(x, lam, sp, eta=ETA), t)
        rate = structured.gen_loss_rate(t, lam, sp, eta=ETA)
        assert abs(deriv / rate - 1) < mpmath.mpf(10) ** -12
        # Eq. 21 (dL_gen/dt = -4 eta L_tr) does not carry over to structured inputs ...
        assert abs(deriv / (-4 * ETA * structured.train_loss(t, lam, sp, eta=ETA)) - 1) > 1e-2


@pytest.mark.parametrize("lam", [0.6, 3.0])
def test_gen_derivative_isotropic_is_eq21(lam):
    # ... but it does for sigma_k = 1
    with mp.workdps(20):
        deriv = mpmath.diff(lambda x: structured.gen_loss(x, lam, np.ones(3), eta=ETA), 200)
        rhs = -4 * ETA * structured.train_loss(200, lam, np.ones(3), eta=ETA)
        assert abs(deriv / rhs - 1) < mpmath.mpf(10) ** -12
        assert abs(structured.gen_loss_rate(200, lam, np.ones(3), eta=ETA) / rhs - 1) < mpmath.mpf(10) ** -17


def test_atom_and_late_time_plateau():
    with mp.workdps(30):
        assert abs(structured.atom(2.5, np.ones(3)) - (1 - 1 / mpmath.mpf(2.5))) < mpmath.mpf(10) ** -28
        assert structured.atom(0.5, np.ones(3)) == 0
        sp = spectra.power_law(1.0, 30)
        a = structured.atom(2.0, sp)
        assert 0 < a < 1
        late = structured.gen_loss(1e7, 2.0, sp)
        assert abs(late / a - 1) < mpmath.mpf(10) ** -25


def test_left_edge_isotropic():
    for lam in (0.3, 2.5):
        assert structured.left_edge(lam, np.ones(4)) == pytest.approx((1 - np.sqrt(lam)) ** 2, rel=1e-12)
    assert structured.left_edge(1.0, np.ones(4)) == 0.0


def test_spectra_helpers():
    p = spectra.power_law(1.0, 5)
    assert p.mean() == pytest.approx(1.0)
    assert np.all(np.diff(p) < 0)
    assert p[0] / p[1] == pytest.approx(2.0)
    c = np.array([[2.0, 1.0], [1.0, 2.0]])
    assert spectra.from_covariance(c) == pytest.approx([1.0, 3.0])
    assert np.array_equal(spectra.power_law(0, 3), np.ones(3))


@pytest.mark.parametrize(
    "bad", [[], [[1.0, 2.0]], [1.0, -1.0], [1.0, 0.0], [1.0, np.nan], [np.inf], "abc", [[1.0], [2.0]]]
)
def test_bad_spectrum(bad):
    with pytest.raises(ValueError, match="spectrum"):
        spectra.validate_spectrum(bad)
    with pytest.raises(ValueError, match="spectrum"):
        structured.gen_loss(1.0, 0.5, bad)


@pytest.mark.parametrize(
    "bad",
    [
        [[1.0, 0.5], [0.0, 1.0]],  # not symmetric
        [[1.0, 2.0], [2.0, 1.0]],  # indefinite
        [[1.0, 0.0], [0.0, 0.0]],  # singular
        [[1.0, np.inf], [np.inf, 1.0]],
        [1.0, 2.0],
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    ],
)
def test_bad_covariance(bad):
    with pytest.raises(ValueError, match="input_cov"):
        spectra.from_covariance(bad)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"t": -1.0}, "t"),
        ({"lam": 0.0}, "lam"),
        ({"lam": -2.0}, "lam"),
        ({"eta": 0.0}, "eta"),
        ({"t": float("nan")}, "t"),
    ],
)
def test_bad_scalars(kwargs, name):
    args = {"t": 1.0, "lam": 0.5, "eta": ETA} | kwargs
    for f in (structured.train_loss, structured.gen_loss):
        with pytest.raises(ValueError, match=name):
            f(args["t"], args["lam"], np.ones(3), eta=args["eta"])
    with pytest.raises(ValueError):
        structured.losses_float([args["t"]], args["lam"], np.ones(3), eta=args["eta"])


def test_power_law_bad_arguments():
    with pytest.raises(ValueError, match="n"):
        spectra.power_law(1.0, 0)
    with pytest.raises(ValueError, match="alpha"):
        spectra.power_law(float("nan"), 3)


def test_scaled_isotropic_and_duplication():
    # Sigma = c I: Sigma_tr = c Sigma_tr^iso, so L(t; c) = c L_iso(c t) (train and gen), to 25 digits at 30
    c, lam, t = 0.7, 0.8, 150.0
    with mp.workdps(30):
        tr = structured.train_loss(t, lam, np.full(5, c), eta=ETA)
        ge = structured.gen_loss(t, lam, np.full(5, c), eta=ETA)
        ct = mpmath.mpf(c) * t
        assert abs(tr / (mpmath.mpf(c) * numerics.train_loss(ct, lam, eta=ETA)) - 1) < mpmath.mpf(10) ** -25
        assert abs(ge / (mpmath.mpf(c) * numerics.gen_loss(ct, lam, eta=ETA)) - 1) < mpmath.mpf(10) ** -25
        # only the spectral law counts: order and repetition of the eigenvalues do not matter (exact weights 1/3)
        a = structured.gen_loss(t, 1.5, [0.5, 2.0, 2.0], eta=ETA)
        b = structured.gen_loss(t, 1.5, [2.0, 0.5, 2.0, 2.0, 0.5, 2.0], eta=ETA)
        assert abs(a / b - 1) < mpmath.mpf(10) ** -27
