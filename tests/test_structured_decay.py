"""Structured inputs with weight decay and discrete GD (issue 13): numerics.structured beyond gamma = 0 flow.

The isotropic spectrum must reproduce the paper's numbers (Eq. 15 and exact GD of Eq. 3, computed by the
Clenshaw-Curtis quadrature of the MP law in numerics.losses, an independent code path), and an anisotropic spectrum must
agree with the exact finite-size average over draws of Sigma_tr.
"""

import mpmath
import numpy as np
import pytest
from mpmath import mp

import numerics
from numerics import _silverstein, _structured_contour, spectra, structured

ETA = 0.01


@pytest.mark.parametrize(
    ("t", "lam", "gamma", "dynamics"),
    [
        (1, 0.5, 0.1, "flow"),  # the pole of 1/(nu + gamma/2) inside the contour (residue added)
        (1, 2.0, 0.1, "gd"),
        (50, 0.5, 1.0, "gd"),  # the pole outside the contour
        (3000, 2.0, 0.3, "flow"),
        (20000, 0.5, 0.0, "gd"),
        (400, 0.9, 0.05, "gd"),
    ],
)
def test_isotropic_reduction_with_decay_and_gd(t, lam, gamma, dynamics):
    ones = np.ones(5)
    kw = {"eta": ETA, "gamma": gamma, "dynamics": dynamics}
    with mp.workdps(30):
        tr = structured.train_loss(t, lam, ones, **kw)
        ge = structured.gen_loss(t, lam, ones, **kw)
    with mp.workdps(45):
        assert abs(tr / numerics.train_loss(t, lam, **kw) - 1) < mpmath.mpf(10) ** -25
        assert abs(ge / numerics.gen_loss(t, lam, **kw) - 1) < mpmath.mpf(10) ** -25


def test_isotropic_plateau_and_public_api():
    ones = np.ones(3)
    with mp.workdps(30):
        for lam in (0.5, 2.0):
            for train in (True, False):
                got = structured.loss_limit(lam, ones, gamma=0.4, train=train)
                ref = numerics.loss_limit(lam, which="train" if train else "gen", gamma=0.4)
                assert abs(got / ref - 1) < mpmath.mpf(10) ** -25
        # d_out rescaling through numerics.gen_loss(spectrum=) and the grokking times (gamma > 0, GD)
        kw = {"eta": ETA, "d_out": 3, "gamma": 0.02, "dynamics": "gd"}
        a = numerics.gen_loss(700, 0.7, spectrum=ones, **kw)
        assert abs(a / numerics.gen_loss(700, 0.7, **kw) - 1) < mpmath.mpf(10) ** -25
    with mp.workdps(20):  # gamma = 2e-4: the plateau (~1e-5) is below eps/4, so both accuracies grok
        got = numerics.grokking_time(0.7, spectrum=ones, gamma=2e-4, dynamics="gd")
        ref = numerics.grokking_time(0.7, gamma=2e-4, dynamics="gd")
        assert abs(got.t_train / ref.t_train - 1) < 1e-17 and abs(got.t_gen / ref.t_gen - 1) < 1e-17
        # gamma = 0.02: the plateau is above eps/4 and neither structured nor isotropic theory groks
        never = numerics.grokking_time(0.7, spectrum=ones, gamma=0.02, dynamics="gd")
        assert never.t_gen is None and numerics.grokking_time(0.7, gamma=0.02, dynamics="gd").t_gen is None


def test_real_axis_derivative():
    # S'(-g) by implicit differentiation against mpmath.diff of S on the real axis (anisotropic spectrum)
    sp = spectra.power_law(1.0, 6)
    with mp.workdps(30):
        for kind in ("train", "gen"):
            s1 = _structured_contour._real_stieltjes(kind, mpmath.mpf(-0.2), 1.5, sp)[1]
            num = mpmath.diff(lambda z, k=kind: _structured_contour._real_stieltjes(k, z, 1.5, sp)[0], mpmath.mpf(-0.2))
            assert abs(s1 / num - 1) < mpmath.mpf(10) ** -20


def test_right_edge():
    assert _silverstein.right_edge(0.5, np.ones(4)) == pytest.approx((1 + 0.5**0.5) ** 2, rel=1e-14)
    # scaling the spectrum scales the support
    sp = spectra.power_law(0.7, 9)
    assert _silverstein.right_edge(0.5, 3 * sp) == pytest.approx(3 * _silverstein.right_edge(0.5, sp), rel=1e-12)


def _exact_average(sp, lam, ts, gamma, eta, draws, seed):
    """Finite-size truth: (1/(2d)) tr(M (c^2 + r^2)(Sigma_tr)) with GD factors c = (1 - 2 eta (nu + g))^t over draws
    of Sigma_tr (M = Sigma_tr or the Sigma-weight of each eigenvector)."""
    d = sp.size
    n = int(round(d / lam))
    rng = np.random.default_rng(seed)
    g = gamma / 2
    rows = []
    for _ in range(draws):
        x = np.sqrt(sp)[:, None] * rng.standard_normal((d, n))
        nu, v = np.linalg.eigh(x @ x.T / n)
        weight = (v**2 * sp[:, None]).sum(axis=0)
        c = (1 - 2 * eta * (nu + g))[None, :] ** np.asarray(ts, dtype=float)[:, None]
        mode = (c**2 + ((c * nu + g) / (nu + g)) ** 2) / 2
        rows.append(np.concatenate([(mode * nu).mean(axis=1), (mode * weight).mean(axis=1)]))
    rows = np.array(rows)
    return rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(draws)


def test_monte_carlo_power_law_gd_with_weight_decay():
    sp = spectra.power_law(1.0, 400)
    lam, gamma, eta = 0.5, 0.05, 0.002  # 2 eta (nu_+ + g) ~ 0.4: positive GD factors
    ts = [10, 300, 3000, 30000]
    mean, se = _exact_average(sp, lam, ts, gamma, eta, draws=5, seed=3)
    tr, ge = structured.losses_float(ts, lam, sp, eta=eta, gamma=gamma, dynamics="gd")
    theory = np.concatenate([tr, ge])
    assert np.all(se > 0) and np.all(se < 0.05 * mean)
    z = np.abs(mean - theory) / se
    assert np.all(z < 4), z
    # the test can fail: without the weight decay the late-time losses are many standard errors away
    nodecay = np.concatenate(structured.losses_float(ts, lam, sp, eta=eta, dynamics="gd"))
    assert np.max(np.abs(mean - nodecay) / se) > 10
    with mp.workdps(15):  # the float64 path against the working-precision path
        assert float(structured.gen_loss(3000, lam, sp, eta=eta, gamma=gamma, dynamics="gd")) == pytest.approx(
            ge[2], rel=1e-9
        )


def test_crossing_with_weight_decay_plateau():
    sp = spectra.power_law(0.5, 12)
    lim = structured.loss_limit(0.5, sp, gamma=0.5)
    assert structured.crossing_time(lim * 0.99, 0.5, sp, train=False, gamma=0.5) is None
    with mp.workdps(20):
        t = structured.crossing_time(lim * 1.2, 0.5, sp, train=False, gamma=0.5, dynamics="gd")
        assert t > 0
        v = _structured_contour._loss_mp(t, 0.5, sp, 0.01, "gen", 0.5, "gd", whole_steps=False)
        assert abs(v / (lim * 1.2) - 1) < mpmath.mpf(10) ** -15
    tf = structured.crossing_time_float(float(lim) * 1.2, 0.5, sp, train=False, gamma=0.5, dynamics="gd")
    assert tf == pytest.approx(float(t), rel=1e-8)
    assert structured.crossing_time_float(float(lim) * 0.99, 0.5, sp, train=False, gamma=0.5) is None


def test_gd_step_limits():
    sp = spectra.power_law(1.0, 200)  # nu_+ ~ 38 at lam = 0.5
    with pytest.raises(ValueError, match="eta"):
        structured.train_loss(10, 0.5, sp, eta=0.05, dynamics="gd")
    with pytest.raises(NotImplementedError, match="positive"):
        structured.train_loss(10, 0.5, sp, eta=0.02, dynamics="gd")
    with pytest.raises(ValueError, match="whole number"):
        structured.gen_loss(10.5, 0.5, sp, eta=0.001, dynamics="gd")
    with pytest.raises(NotImplementedError, match="spectrum"):
        numerics.gen_loss(10, 0.5, spectrum=sp, dynamics="momentum", momentum=0.5, eta=0.001)


def test_public_step_bound_uses_the_spectrum():
    # the isotropic bound eta < 1/(lam_+ + gamma/2) does not apply: a scaled-down spectrum allows larger steps, a
    # power law (nu_+ ~ 38 at lam = 0.5) smaller ones
    small = 0.1 * np.ones(4)
    assert numerics.train_loss(5, 0.5, eta=0.5, dynamics="gd", spectrum=small) > 0
    with pytest.raises(ValueError, match="eta"):
        numerics.train_loss(5, 0.5, eta=0.5, dynamics="gd")
    with pytest.raises(ValueError, match="eta"):
        numerics.gen_loss(5, 0.5, eta=0.05, spectrum=spectra.power_law(1.0, 200))
    with pytest.raises(ValueError, match="eta"):
        numerics.grokking_time(0.5, eta=0.05, spectrum=spectra.power_law(1.0, 200))


def test_public_loss_limit_with_spectrum():
    with mp.workdps(25):
        got = numerics.loss_limit(0.5, which="gen", d_out=2, gamma=0.3, spectrum=np.ones(4))
        assert abs(got / numerics.loss_limit(0.5, which="gen", d_out=2, gamma=0.3) - 1) < mpmath.mpf(10) ** -22
        sp = spectra.power_law(1.0, 8)
        assert numerics.loss_limit(2.0, which="gen", spectrum=sp) == structured.atom(2.0, sp)
        assert numerics.loss_limit(0.5, which="train", spectrum=sp) == 0


def test_float_path_at_late_times():
    # the contour hugs the left edge (a ~ 1/t): the float64 Newton continuation must not stall at round-off there
    sp = spectra.power_law(1.0, 200)
    tr, ge = structured.losses_float([1e6, 1e7], 0.5, sp, gamma=1e-3)
    with mp.workdps(20):
        plateau = [float(structured.loss_limit(0.5, sp, gamma=1e-3, train=k)) for k in (True, False)]
    assert tr == pytest.approx([plateau[0]] * 2, rel=1e-9) and ge == pytest.approx([plateau[1]] * 2, rel=1e-9)
    tr0, ge0 = structured.losses_float([1e5, 1e7], 0.5, sp)
    assert tr0[0] == pytest.approx(float(structured.train_loss(1e5, 0.5, sp)), rel=1e-8) and tr0[1] == ge0[1] == 0
