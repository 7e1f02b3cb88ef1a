"""numerics.fast (float64 phase-diagram path) against the arbitrary-precision path."""

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp

import numerics
from numerics.fast import grokking_time_grid, log_losses


@given(
    lam=st.floats(0.05, 4.0),
    t=st.sampled_from([0.0, 1.0, 30.0, 1e3, 1e5, 1e7]),
    gamma=st.sampled_from([0.0, 1e-5, 1e-3]),
    d_out=st.sampled_from([1, 3, 40]),
)
@settings(max_examples=25)
def test_log_losses_match_mpmath(lam, t, gamma, d_out):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ltr, lgen = log_losses(t, lam, d_out=d_out, gamma=gamma)
    with mp.workdps(20):
        ref_tr = float(mpmath.log(numerics.train_loss(t, lam, d_out=d_out, gamma=gamma)))
        ref_gen = float(mpmath.log(numerics.gen_loss(t, lam, d_out=d_out, gamma=gamma)))
    assert abs(ltr - ref_tr) < 1e-6, (lam, t, gamma, d_out)
    assert abs(lgen - ref_gen) < 1e-6, (lam, t, gamma, d_out)


POINTS = [
    (0.1, 1e-3, 1, 0.0),
    (0.5, 1e-3, 1, 1e-3),
    (0.9, 1e-3, 26, 0.0),
    (0.7, 1e-4, 5, 1e-4),
    (1.0, 1e-3, 1, 0.0),
    (1.5, 1e-3, 1, 0.0),  # never generalises: NaN
    (0.9, 1e-3, 1, 0.05),  # weight decay above gamma_c: NaN
]


@pytest.mark.parametrize("level", [None, 0.95])
def test_grokking_times_agree_to_1e6(level):
    lam, eps, d, g = (np.array(x) for x in zip(*POINTS, strict=True))
    tt, tg, dd = grokking_time_grid(lam, eps=eps, d_out=d, gamma=g, level=level)
    with mp.workdps(20):
        for i, (l_, e_, k_, g_) in enumerate(POINTS):
            ref = numerics.grokking_time(l_, eps=e_, d_out=k_, gamma=g_, level=level)
            for fast, exact in ((tt[i], ref.t_train), (tg[i], ref.t_gen)):
                if exact is None:
                    assert np.isnan(fast)
                else:
                    assert abs(fast / float(exact) - 1) < 1e-6, POINTS[i]
            if ref.delta is not None:
                assert abs(dd[i] / float(ref.delta) - 1) < 1e-6


def test_grid_broadcasts_meshgrid():
    g, d = np.meshgrid([0.0, 1e-4], [1, 10])
    tt, tg, dd = grokking_time_grid(0.9, d_out=d, gamma=g)
    assert tt.shape == tg.shape == dd.shape == (2, 2)
    assert np.all(np.isfinite(dd))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"lam": -1.0}, "lam"),
        ({"lam": 0.5, "eps": 0.0}, "eps"),
        ({"lam": 0.5, "d_out": 1.5}, "d_out"),
        ({"lam": 0.5, "gamma": -1.0}, "gamma"),
        ({"lam": 0.5, "eta": 0.0}, "eta"),
        ({"lam": 0.5, "eta": 0.5}, "unstable"),
        ({"lam": 0.5, "level": 1.0}, "level"),
    ],
)
def test_validation(kwargs, match):
    lam = kwargs.pop("lam")
    with pytest.raises(ValueError, match=match):
        grokking_time_grid(lam, **kwargs)


@pytest.mark.parametrize(
    "kw",
    [
        {"lam": 0.5},
        {"lam": 0.9, "gamma": 1e-3, "d_out": 3, "level": 0.95},
        {"lam": 2.0},
        {"lam": 0.999, "eps": 1e-5},
    ],
)
def test_point_solver_matches_the_grid_bisection(kw):
    from numerics.fast import grokking_time_point

    a, b = grokking_time_point(**kw), grokking_time_grid(**kw)
    for x, y in zip(a, b, strict=True):
        assert (np.isnan(x) and np.isnan(y)) or x == pytest.approx(float(y), rel=1e-10)


@pytest.mark.parametrize(
    "kw, match",
    [({"lam": -1.0}, "lam"), ({"lam": 0.5, "eps": 0.0}, "eps"), ({"lam": 0.5, "eta": 1.0}, "unstable")],
)
def test_point_solver_validates_like_the_grid(kw, match):
    from numerics.fast import grokking_time_point

    with pytest.raises(ValueError, match=match):
        grokking_time_point(**kw)
    with pytest.raises(ValueError, match=match):
        grokking_time_grid(**kw)
