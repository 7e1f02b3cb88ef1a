"""numerics.validity: the validity maps of the paper's approximations."""

import math

import mpmath
import numpy as np
import pytest
from mpmath import mp

import numerics
from numerics import approximations as ap
from numerics.validity import validity_map


def test_map_entry_matches_direct_computation():
    m = validity_map("eq12", [0.5], [1e-3, 1e-5])
    for j, eps in enumerate((1e-3, 1e-5)):
        with mp.workdps(20):
            exact = numerics.grokking_time(0.5, eps=eps).delta
            expected = float(abs(ap.delta_t_eq12(0.5) / exact - 1))
        assert m.rel_error[0, j] == pytest.approx(expected, rel=1e-12)


def test_region_and_undefined():
    m = validity_map("eq26", [0.3, 0.9], [1e-3])
    assert m.undefined() == [(0.9, 1e-3)]  # Eq. 26 takes the log of a negative number at the paper's setting
    assert np.isnan(m.rel_error[1, 0]) and not m.within(10.0)[1, 0]
    assert m.region(0.5) == [(0.3, 1e-3)]
    assert m.region(0.01) == []


@pytest.mark.parametrize(
    "args,match",
    [
        (("nope", [0.5], [1e-3]), "name"),
        (("eq12", [1.5], [1e-3]), "lams"),
        (("eq12", [0.5], [0.0]), "epss"),
        (("eq12", [], [1e-3]), "non-empty"),
        (("eq12", [math.nan], [1e-3]), "lams"),
    ],
)
def test_validation(args, match):
    with pytest.raises(ValueError, match=match):
        validity_map(*args)


def test_loss_approximation_map_uses_the_crossing_time():
    m = validity_map("eq22", [0.9], [1e-3])
    with mp.workdps(20):
        t = numerics.grokking_time(0.9).t_train
        expected = float(abs(ap.train_loss_eq22(t, 0.9) / numerics.train_loss(t, 0.9) - 1))
    assert m.rel_error[0, 0] == pytest.approx(expected, rel=1e-9)
    assert mpmath.mpf(m.rel_error[0, 0]) < 0.01


def test_wd_map_plateaus_against_independent_quadrature():
    import mpmath

    from numerics import mp_law
    from numerics.validity import validity_map_wd

    lams, gammas = [0.3, 0.8], [1e-4, 1e-2]
    for name, q in (("eq16_train", lambda nu: nu), ("eq16_gen", lambda nu: 1)):
        m = validity_map_wd(name, lams, gammas)
        for i, lam in enumerate(lams):
            for j, g in enumerate(gammas):
                with mpmath.mp.workdps(20):
                    exact = mp_law.expect(lambda nu, g=g, q=q: q(nu) * ((g / 2) / (nu + g / 2)) ** 2 / 2, lam)
                printed = g**2 / (4 * (1 - lam)) if name == "eq16_train" else g**2 / (4 * (1 - lam) ** 3)
                assert m.rel_error[i, j] == pytest.approx(abs(printed / float(exact) - 1), rel=1e-6)
    # small gamma: the printed plateaus are twice the exact ones (claim eq16-plateaus)
    assert validity_map_wd("eq16_train", [0.5], [1e-6]).rel_error[0, 0] == pytest.approx(1.0, abs=1e-4)


def test_wd_map_time_is_nan_beyond_the_threshold_and_validates():
    from numerics.validity import validity_map_wd

    m = validity_map_wd("eq16_time", [0.5], [1e-6, 0.5])
    assert np.isfinite(m.rel_error[0, 0]) and np.isnan(m.rel_error[0, 1])  # gamma = 0.5: plateau above eps/4
    assert m.region(1.0) == [(0.5, 1e-6)]
    with pytest.raises(ValueError, match="gammas"):
        validity_map_wd("eq16_time", [0.5], [0.0])
    with pytest.raises(ValueError, match="name"):
        validity_map_wd("eq17", [0.5], [0.1])
