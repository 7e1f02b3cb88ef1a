"""report.structured_figure (issue 13): Delta t against lam for power-law input spectra, theory against sim.train.

Also the one check that the simulator itself (``sim.train(input_cov=...)``, discrete GD) agrees with the
proportional-limit losses of :mod:`numerics.structured` (tests/test_structured.py checks the theory against its own
Monte Carlo of ``Sigma_tr``, tests/test_sim_structured.py the simulator against hand computations; neither compares
the two).
"""

import math

import numpy as np
import pytest

import numerics
import sim
from numerics import spectra, structured
from report import structured_figure as sf
from report.figures import FIGURES, save_atomic

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_simulated_mean_losses_agree_with_the_theory():
    """d_in = 200, sigma_k ~ k^-1, lam = 0.5, eta = 1e-3 (eta nu_max ~ 0.04): the mean over 40 fixed seeds of the
    simulator's train loss and exact generalisation loss at four times against the flow theory, within 4 standard
    errors (measured from the seeds; 8 numbers).  The GD-flow gap (about 1/(4t) relative for the modes that
    dominate at step t, <0.3 % here) and the O(1/d) finite-size bias are far below the 2-6 % standard errors."""
    d_in, lam, eta, seeds = 200, 0.5, 1e-3, 40
    sp = spectra.power_law(1.0, d_in)
    ts = np.array([30, 300, 3000, 20000])
    runs = np.array(
        [
            np.concatenate([r.train_loss, r.gen_loss_exact])
            for r in (
                sim.train(
                    d_in=d_in,
                    n_train=round(d_in / lam),
                    eta=eta,
                    steps=int(ts[-1]),
                    record=ts,
                    n_gen=1,
                    input_cov=sp,
                    seed=s,
                    exact_accuracy=False,
                )  # fmt: skip
                for s in range(seeds)
            )
        ]
    )
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / math.sqrt(seeds)
    assert np.all(se < 0.08 * mean)  # the seeds resolve the losses
    tr, ge = structured.losses_float(ts, lam, sp, eta=eta)
    z = (mean - np.concatenate([tr, ge])) / se
    assert np.all(np.abs(z) < 4), z
    # the comparison can fail: the isotropic losses (Eqs. 8-9) and those of a flatter spectrum are many SE away
    iso = [float(numerics.train_loss(int(t), lam, eta=eta)) for t in ts]
    iso += [float(numerics.gen_loss(int(t), lam, eta=eta)) for t in ts]
    assert np.max(np.abs(mean - iso) / se) > 20
    flat = np.concatenate(structured.losses_float(ts, lam, spectra.power_law(0.5, d_in), eta=eta))
    assert np.max(np.abs(mean - flat) / se) > 10


def test_crossing_times_against_the_isotropic_closed_forms():
    """Sigma = c I (one eigenvalue perturbed by 1e-12 to take the contour path): L(t; c) = c L_iso(c t), so the
    crossings are those of numerics.grokking_time (the paper's Eqs. 8-9) at eta c and eps / c."""
    c = 2.5
    sp = np.full(5, c)
    sp[0] *= 1 + 1e-12
    t_tr, t_gen = sf.crossing_times(0.6, sp, eta=1e-3, eps=1e-3)
    g = numerics.grokking_time(0.6, eta=1e-3 * c, eps=1e-3 / c)
    assert t_tr == pytest.approx(float(g.t_train), rel=1e-6)
    assert t_gen == pytest.approx(float(g.t_gen), rel=1e-6)


def test_crossing_times_bad_input():
    with pytest.raises(ValueError, match="lam"):
        sf.crossing_times(1.2, np.ones(3))
    with pytest.raises(ValueError, match="spectrum"):
        sf.crossing_times(0.5, [1.0, -1.0])


def test_tiny_figure(tmp_path):
    plan = sf.Plan(d_in=40, alphas=(0.0, 1.0), curve_lams=(0.3, 0.6), sim_lams=(0.6,), seeds=3, records=60)
    data = sf.structured_delta_data(plan=plan)
    assert "structured_delta" in FIGURES and FIGURES["structured_delta"][0] == "fig_structured_delta"
    for a in plan.alphas:
        lams, t_tr, t_gen = data.curves[a]
        assert list(lams) == [0.3, 0.6] and np.all(t_gen > t_tr) and np.all(t_tr > 0)
        runs = data.runs[a][0.6]
        assert runs.shape == (3, 2) and np.all(np.isfinite(runs))
        plam, mean, se, th, n = data.points[a]
        delta = runs[:, 1] - runs[:, 0]  # the plotted point is the mean and SE of the per-run Delta t
        assert mean[0] == pytest.approx(delta.mean()) and se[0] == pytest.approx(delta.std(ddof=1) / math.sqrt(3))
        assert th[0] == pytest.approx(t_gen[1] - t_tr[1]) and n[0] == 3
    # power law alpha = 1 groks later than the isotropic case at the same lam (theory)
    assert data.curves[1.0][2][1] - data.curves[1.0][1][1] > data.curves[0.0][2][1] - data.curves[0.0][1][1]
    fig = sf.draw_structured_delta(data)
    path = save_atomic(fig, tmp_path / "s.png")
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 20_000


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"d_in": 1}, "d_in"),
        ({"seeds": 1}, "seeds"),
        ({"sim_lams": (1.5,)}, "sim_lams"),
        ({"alphas": ()}, "alphas"),
        ({"eta": 0.0}, "eta"),
    ],
)
def test_bad_plan(kw, name):
    base = {"d_in": 20, "alphas": (0.0,), "curve_lams": (0.5,), "sim_lams": (0.5,), "seeds": 2}
    with pytest.raises(ValueError, match=name):
        sf.Plan(**(base | kw))
