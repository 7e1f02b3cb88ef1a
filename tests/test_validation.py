"""Invalid input raises ValueError naming the parameter."""

import math

import pytest

import numerics
import sim
from numerics import approximations as ap

BAD_POSITIVE = [0, -1.0, math.nan, math.inf, -math.inf, "1", None, True, 1j]


@pytest.mark.parametrize("bad", BAD_POSITIVE)
@pytest.mark.parametrize("fn", [numerics.train_loss, numerics.gen_loss, numerics.train_loss_quad])
def test_loss_rejects_bad_lambda(fn, bad):
    with pytest.raises(ValueError, match="lam"):
        fn(1.0, bad)


@pytest.mark.parametrize("bad", BAD_POSITIVE)
def test_loss_rejects_bad_eta(bad):
    with pytest.raises(ValueError, match="eta"):
        numerics.gen_loss(1.0, 0.5, eta=bad)


@pytest.mark.parametrize("bad", [-1.0, -1e-300, math.nan, math.inf])
def test_loss_rejects_bad_t(bad):
    with pytest.raises(ValueError, match=r"\bt\b"):
        numerics.train_loss(bad, 0.5)


def test_unstable_step_is_refused_with_numbers():
    # lam = 1: lam_+ = 4, GD diverges for eta >= 1/4
    with pytest.raises(ValueError, match=r"eta=0\.3.*unstable.*0\.25"):
        numerics.train_loss(1.0, 1.0, eta=0.3)
    numerics.train_loss(1.0, 1.0, eta=0.24)


@pytest.mark.parametrize("bad", [0, -1e-3, math.nan, math.inf])
def test_accuracy_rejects_bad_eps(bad):
    with pytest.raises(ValueError, match="eps"):
        numerics.accuracy(0.1, bad)
    with pytest.raises(ValueError, match="eps"):
        numerics.grokking_time(0.5, eps=bad)


@pytest.mark.parametrize("bad", [-0.1, math.nan])
def test_accuracy_rejects_bad_loss(bad):
    with pytest.raises(ValueError, match="loss"):
        numerics.accuracy(bad, 1e-3)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.2, math.nan])
def test_grokking_time_rejects_bad_level(bad):
    with pytest.raises(ValueError, match="level"):
        numerics.grokking_time(0.5, level=bad)


@pytest.mark.parametrize("bad", [0, 1, 1.2, -0.5])
def test_approximations_need_lambda_below_one(bad):
    with pytest.raises(ValueError, match="lam"):
        ap.delta_t_eq12(bad)


@pytest.mark.parametrize("args", [(0, 10), (10, 0), (-3, 10), (2.5, 10), (True, 10)])
def test_sim_rejects_bad_dims(args):
    with pytest.raises(ValueError, match="d_in|n_train"):
        sim.train_gram(*args)


def test_numpy_scalars_are_accepted():
    import numpy as np

    import numerics

    assert numerics.train_loss(np.int64(30), np.float32(0.5)) == numerics.train_loss(30, float(np.float32(0.5)))
