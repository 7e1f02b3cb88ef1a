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
