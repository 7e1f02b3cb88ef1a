"""numerics.finite_size: spectra, the representation of a run, crossing times, distributions and bands."""

import mpmath
import numpy as np
import pytest
from scipy import integrate, stats

import numerics
import sim
from numerics.finite_size import grokking_time_distribution, loss_bands, quantile
from numerics.finite_size import spectrum as spec
from numerics.finite_size.crossing import first_crossings
from numerics.finite_size.ensemble import Ensemble
from sim.problem import draw

# ----------------------------------------------------------------------------------------------- spectrum model


@pytest.mark.parametrize("d_in,n_train", [(12, 30), (20, 20), (30, 12)])
def test_bidiagonal_model_has_the_wishart_eigenvalue_law(d_in, n_train):
    """Dumitriu-Edelman spectra vs eigenvalues of X^T X / N for Gaussian X: smallest non-zero, largest and the
    mean of the non-zero eigenvalues, two-sample KS on 1500 draws each (lam < 1, = 1, > 1)."""
    rng = np.random.default_rng(1)
    n = min(d_in, n_train)
    model, direct = [], []
    for _ in range(1500):
        a, b = spec.bidiagonal(d_in, n_train, rng)
        nu = spec.nonzero_eigenvalues(a, b, n_train)
        x = rng.standard_normal((n_train, d_in))
        ev = np.linalg.eigvalsh(x.T @ x / n_train)[d_in - n :]  # the d_in - n smallest are zero for d_in > N
        model.append((nu[0], nu[-1], nu.mean()))
        direct.append((ev[0], ev[-1], ev.mean()))
    model, direct = np.array(model), np.array(direct)
    for j in range(3):
        assert stats.ks_2samp(model[:, j], direct[:, j]).pvalue > 1e-3


def test_bidiagonal_model_exact_moments():
    """E tr(Sigma) = d_in and E tr(Sigma^2) = d_in (N + d_in + 1) / N for the real Wishart matrix."""
    rng = np.random.default_rng(2)
    d_in, n_train = 25, 40
    tr1, tr2 = [], []
    for _ in range(4000):
        nu = spec.nonzero_eigenvalues(*spec.bidiagonal(d_in, n_train, rng), n_train)
        tr1.append(nu.sum())
        tr2.append((nu**2).sum())
    for vals, exact in ((tr1, d_in), (tr2, d_in * (n_train + d_in + 1) / n_train)):
        assert abs(np.mean(vals) - exact) < 4 * np.std(vals) / np.sqrt(len(vals))


@pytest.mark.parametrize("lam", [0.5, 0.9, 1.0, 1.5])
def test_lowest_eigenvalues_from_leading_blocks_are_exact(lam):
    rng = np.random.default_rng(3)
    d_in = 3000
    n_train = round(d_in / lam)
    a, b = spec.bidiagonal(d_in, n_train, rng)
    full = spec.nonzero_eigenvalues(a, b, n_train)
    low = spec.lowest_eigenvalues(a, b, n_train, 20, start=64)
    # relative 1e-9, or the absolute accuracy ~1e-16 ||T|| of the tridiagonal solvers (the hard edge at lam = 1)
    np.testing.assert_allclose(low, full[:20], rtol=1e-9, atol=1e-15 * full[-1])


@pytest.mark.parametrize("lam", [0.3, 1.0, 2.5])
def test_mp_cdf_is_the_integral_of_the_density(lam):
    lo, hi = numerics.mp_law.edges(lam)
    with mpmath.mp.workdps(20):
        dens = lambda v: float(numerics.mp_law.density(v, lam))  # noqa: E731
        for x in np.linspace(float(lo), float(hi), 7)[1:]:
            ref, _ = integrate.quad(dens, float(lo), x, limit=200, epsabs=1e-13)
            assert spec.mp_cdf(x, lam) == pytest.approx(ref, abs=1e-9)
    assert spec.mp_cdf(float(hi), lam) == pytest.approx(min(1, 1 / lam), abs=1e-14)
    assert spec.mp_cdf(float(lo), lam) == pytest.approx(0.0, abs=1e-15)


def test_classical_locations_invert_the_cdf():
    idx = np.array([1, 2, 10, 500, 999])
    for lam in (0.5, 1.0, 2.0):
        loc = spec.classical_locations(lam, 1000, idx[idx <= min(1000, 1000 / lam)])
        np.testing.assert_allclose(spec.mp_cdf(loc, lam), (idx[: len(loc)] - 0.5) / 1000, atol=1e-12)
    with pytest.raises(ValueError):
        spec.classical_locations(2.0, 1000, [501])  # only 500 non-zero eigenvalues


# ------------------------------------------------------------------------------------------ the representation


@pytest.mark.parametrize("gamma,d_out", [(0.0, 1), (2e-2, 1), (0.0, 3), (5e-2, 2)])
def test_representation_reproduces_a_simulated_run(gamma, d_out):
    """One run of sim.train and the representation built from the same draw (Sigma_tr's eigenbasis, s = V^T S0,
    tau = V^T T) give the same losses, exact generalisation accuracy and Gaussian-form train accuracy at every recorded
    step (GD dynamics)."""
    d_in, n_train, eta, eps, seed = 40, 60, 0.05, 1e-2, 4
    steps = [0, 1, 7, 50, 400, 3000]
    run = sim.train(d_in=d_in, n_train=n_train, d_out=d_out, eta=eta, gamma=gamma, steps=3000, record=steps,
                    eps=eps, seed=seed, n_gen=10)  # fmt: skip
    p = draw(d_in=d_in, n_train=n_train, d_out=d_out, hidden=None, activation="linear", n_gen=10, label_noise=0.0,
             student_scale=1.0, seed=seed)  # fmt: skip
    nu, v = np.linalg.eigh(p.gram)
    ens = Ensemble(nu[None], (v.T @ p.student[0])[None], (v.T @ p.teacher[0])[None], eta=eta, gamma=gamma,
                   dynamics="gd")  # fmt: skip
    for i, t in enumerate(steps):
        l_tr, l_gen = ens.losses(float(t))
        assert l_tr[0] == pytest.approx(run.train_loss[i], rel=1e-9)
        assert l_gen[0] == pytest.approx(run.gen_loss_exact[i], rel=1e-9)
        a_tr, a_gen = ens.accuracies(float(t), eps)
        assert a_gen[0] == pytest.approx(run.gen_acc_exact[i], abs=1e-10)
        assert a_tr[0] == pytest.approx(run.train_acc_gauss[i], abs=1e-10)


def test_initial_generalisation_loss_has_its_exact_chi_square_law():
    """L_gen(0) = ||S0 - T||^2 / d_out with iid N(0, 1/(d_in d_out)) entries, so ~ chi2_k / (k d_out), k = d_in d_out:
    quantiles over 4000 runs within their sampling error (the coordinate draw of the representation)."""
    d_in, d_out, draws = 50, 2, 4000
    bands = loss_bands([0.0], 0.5, d_in=d_in, d_out=d_out, draws=draws, seed=9, q=(0.1, 0.5, 0.9), eta=0.01)
    k = d_in * d_out
    for qi, q in enumerate((0.1, 0.5, 0.9)):
        exact = stats.chi2.ppf(q, k) / (k * d_out)
        # standard error of a sample quantile: sqrt(q (1 - q) / n) / density
        se = np.sqrt(q * (1 - q) / draws) / (stats.chi2.pdf(exact * k * d_out, k) * k * d_out)
        assert abs(bands.gen_loss[qi, 0] - exact) < 4 * se


# ------------------------------------------------------------------------------------------------- crossings


def test_first_crossings_of_known_functions():
    c = np.geomspace(1.0, 1e6, 40)
    out = first_crossings(lambda t: np.stack([np.log1p(c) - np.log1p(t), np.exp(-t / c) - 0.5]), 40, t_first=0.1)
    np.testing.assert_allclose(out[0], c, rtol=1e-10)
    np.testing.assert_allclose(out[1], c * np.log(2), rtol=1e-10)


def test_first_crossing_of_a_non_monotone_observable_and_never():
    # f dips below 0 on (1, 4) only, or never (offset > 0.25)
    offset = np.array([0.0, 0.1, 0.3])

    def f(t):
        with np.errstate(invalid="ignore"):
            u = np.log10(np.where(t == np.inf, 1e300, np.maximum(t, 1e-300))) / np.log10(4)
        return np.stack([(u - 0.5) ** 2 - 0.25 + offset])

    out = first_crossings(f, 3, t_first=1e-3, t_min_end=1e3, per_decade=16)[0]
    assert out[0] == pytest.approx(1.0, rel=1e-9)
    assert out[1] == pytest.approx(4 ** (0.5 - np.sqrt(0.15)), rel=1e-9)
    assert out[2] == np.inf


def test_quantile_is_numpy_for_finite_and_inf_safe():
    x = np.random.default_rng(0).random(37)
    np.testing.assert_allclose(quantile(x, [0.0, 0.1, 0.5, 0.93, 1.0]), np.quantile(x, [0.0, 0.1, 0.5, 0.93, 1.0]))
    y = np.array([1.0, 2.0, 3.0, np.inf])
    assert quantile(y, [0.0, 0.5])[1] == 2.5 and quantile(y, [0.9])[0] == np.inf and quantile(y, [1.0])[0] == np.inf
    with pytest.raises(ValueError):
        quantile([1.0, np.nan], [0.5])


# ----------------------------------------------------------------------------------------- distribution API


def test_distribution_is_reproducible_and_independent_of_chunking():
    a = grokking_time_distribution(0.7, d_in=60, draws=12, seed=5)
    b = grokking_time_distribution(0.7, d_in=60, draws=30, seed=5)
    np.testing.assert_array_equal(a.t_gen, b.t_gen[:12])
    np.testing.assert_array_equal(a.delta, a.t_gen - a.t_train)
    c = grokking_time_distribution(0.7, d_in=60, draws=12, seed=6)
    assert not np.array_equal(a.t_gen, c.t_gen)
    assert a.params["n_train"] == round(60 / 0.7) and len(a) == 12
    q = a.quantiles([0.5])
    assert set(q) == {"t_train", "t_gen", "delta"} and q["t_gen"][0] == np.median(a.t_gen)
    assert a.mean()["t_gen"] == pytest.approx(np.mean(a.t_gen))


def test_crossing_times_solve_the_threshold_equation():
    g = grokking_time_distribution(0.9, d_in=80, draws=6, seed=1)
    from numerics.finite_size.inputs import settings
    from numerics.finite_size.sampling import draw_ensemble

    s = settings(0.9, d_in=80, eta=0.01, eps=1e-3, d_out=1, gamma=0.0, level=None, dynamics="flow", draws=6, seed=1,
                 spectrum="auto", exact_modes=None, accuracy="exact")  # fmt: skip
    ens = draw_ensemble(range(6), **s.sampling())
    l_tr, _ = ens.losses(g.t_train)
    _, l_gen = ens.losses(g.t_gen)
    np.testing.assert_allclose(l_tr, 2.5e-4, rtol=1e-9)  # eps / 4 at Erf(sqrt 2)
    np.testing.assert_allclose(l_gen, 2.5e-4, rtol=1e-9)
    assert np.all(ens.losses(g.t_gen * (1 - 1e-6))[1] > 2.5e-4)


def test_overparameterised_runs_never_grok_and_weight_decay_plateaus():
    over = grokking_time_distribution(1.5, d_in=100, draws=20, seed=0)
    assert over.fraction_never == 1.0 and np.all(np.isinf(over.delta)) and np.all(np.isfinite(over.t_train))
    assert over.fraction_not_grokked_by(1e12) == 1.0
    # gamma far above the threshold: the generalisation plateau stays above eps/4 in every run
    wd = grokking_time_distribution(0.5, d_in=100, draws=20, seed=0, gamma=0.2)
    assert wd.fraction_never == 1.0


def test_hybrid_with_every_mode_exact_is_the_exact_spectrum():
    a = grokking_time_distribution(0.6, d_in=50, draws=5, seed=2, spectrum="exact")
    b = grokking_time_distribution(0.6, d_in=50, draws=5, seed=2, spectrum="hybrid", exact_modes=50)
    np.testing.assert_array_equal(a.t_gen, b.t_gen)


def test_hybrid_error_against_the_full_spectrum_at_d_in_1e4():
    """The default hybrid (lowest 16 eigenvalues exact, bulk at classical locations, every coordinate exact) against
    the full Dumitriu-Edelman spectrum of the same draws at d_in = 10^4 (lam = 0.9).  Measured over 12 draws:
    max relative error 4.4e-4 (t_train) and 6.9e-3 (t_gen); held here at 1.5e-3 and 1.5e-2 on 3 draws."""
    kw = {"d_in": 10_000, "draws": 3, "seed": 3}
    exact = grokking_time_distribution(0.9, spectrum="exact", **kw)
    hybrid = grokking_time_distribution(0.9, spectrum="hybrid", **kw)
    assert hybrid.params["exact_modes"] == 16
    assert np.max(np.abs(hybrid.t_train / exact.t_train - 1)) < 1.5e-3
    assert np.max(np.abs(hybrid.t_gen / exact.t_gen - 1)) < 1.5e-2


def test_exact_accuracy_for_d_out_above_one_delays_grokking():
    """d_out = 5: the exact accuracy given D (weighted chi-square) vs Eq. 13's chi-square on the same runs."""
    kw = {"d_in": 100, "d_out": 5, "draws": 40, "seed": 7}
    exact = grokking_time_distribution(0.9, **kw)
    eq13 = grokking_time_distribution(0.9, accuracy="eq13", **kw)
    assert np.all(exact.t_gen >= eq13.t_gen * (1 - 1e-9))  # the run's M has unequal eigenvalues: later crossing
    assert np.median(exact.t_gen / eq13.t_gen) > 1.05


def test_gd_and_flow_agree_at_small_steps():
    f = grokking_time_distribution(0.8, d_in=60, draws=8, seed=4, eta=1e-3)
    g = grokking_time_distribution(0.8, d_in=60, draws=8, seed=4, eta=1e-3, dynamics="gd")
    np.testing.assert_allclose(g.t_gen, f.t_gen, rtol=5e-3)


def test_loss_bands_shapes_and_order():
    b = loss_bands([0.0, 100.0, 1000.0], 0.9, d_in=50, draws=50, seed=1)
    assert b.train_loss.shape == (3, 3) and b.gen_acc.shape == (3, 3)
    assert np.all(np.diff(b.gen_loss, axis=0) >= 0)  # q = 0.1 <= 0.5 <= 0.9
    assert np.all(np.diff(b.gen_loss[1]) < 0) and np.all(np.diff(b.gen_acc[1]) > 0)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"lam": 0.0}, "lam"),
        ({"lam": float("nan")}, "lam"),
        ({"d_in": 0}, "d_in"),
        ({"d_in": 10.5}, "d_in"),
        ({"draws": 0}, "draws"),
        ({"seed": -1}, "seed"),
        ({"eta": 0.0}, "eta"),
        ({"eta": 0.5}, "eta"),  # unstable: eta >= d_out / lam_+
        ({"eps": 0.0}, "eps"),
        ({"d_out": 0}, "d_out"),
        ({"gamma": -1.0}, "gamma"),
        ({"level": 1.5}, "level"),
        ({"dynamics": "adam"}, "dynamics"),
        ({"spectrum": "fast"}, "spectrum"),
        ({"accuracy": "approx"}, "accuracy"),
        ({"lam": 1000.0, "d_in": 10}, "lam"),  # round(d_in / lam) = 0 training samples
        ({"workers": 0}, "workers"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, name):
    args = {"lam": 0.5, "d_in": 20, "draws": 2} | kwargs
    lam = args.pop("lam")
    with pytest.raises(ValueError, match=name):
        grokking_time_distribution(lam, **args)


def test_bad_band_input():
    with pytest.raises(ValueError, match="t must"):
        loss_bands([-1.0], 0.5, d_in=20, draws=2)
    with pytest.raises(ValueError, match="whole numbers"):
        loss_bands([1.5], 0.5, d_in=20, draws=2, dynamics="gd")
    with pytest.raises(ValueError, match="q must"):
        loss_bands([1.0], 0.5, d_in=20, draws=2, q=(1.5,))


@pytest.mark.parametrize("lam,dynamics", [(0.9, "flow"), (1.5, "flow"), (0.5, "gd")])
def test_loss_mode_cutoff_matches_the_full_sum(lam, dynamics):
    """Without weight decay the losses sum only modes whose share exceeds e^-60 of the slowest one (CUTOFF); the
    full sum over every mode agrees to 1e-12 at early and very late times, with zero modes (lam > 1) included."""
    from numerics.finite_size.inputs import settings
    from numerics.finite_size.sampling import draw_ensemble

    s = settings(lam, d_in=300, eta=0.01, eps=1e-3, d_out=2, gamma=0.0, level=None, dynamics=dynamics, draws=4,
                 seed=2, spectrum="exact", exact_modes=None, accuracy="exact")  # fmt: skip
    ens = draw_ensemble(range(4), **s.sampling())
    g = ens._decay_rate()
    w = np.einsum("bij,bij->bi", ens.s - ens.tau, ens.s - ens.tau)
    for t in (0.0, 10.0, 1e3, 1e5, 1e7, np.inf):
        c2 = np.where(g == 0, 1.0, np.exp(-2 * g * t)) if np.isfinite(t) else (g == 0).astype(float)
        full = (np.sum(ens.nu * c2 * w, axis=1) / 2, np.sum(c2 * w, axis=1) / 2)
        for got, ref in zip(ens.losses(np.full(4, t)), full, strict=True):
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=0)
