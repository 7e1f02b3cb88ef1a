"""``spectrum=`` on the public functions (issue 13): isotropic inputs reproduce the paper's numbers, structured
inputs go through :mod:`numerics.structured`, unsupported combinations and bad spectra raise clear errors."""

import mpmath
import numpy as np
import pytest
from mpmath import mp

import numerics
from numerics import spectra, structured


@pytest.mark.parametrize(("lam", "d_out"), [(0.5, 1), (0.9, 3), (2.0, 1), (2.0, 2)])
def test_isotropic_spectrum_reproduces_the_paper(lam, d_out):
    ones = np.ones(7)
    with mp.workdps(30):
        for t in (0, 30, 2000):
            for f in (numerics.train_loss, numerics.gen_loss):
                a, b = f(t, lam, d_out=d_out, spectrum=ones), f(t, lam, d_out=d_out)
                assert abs(a - b) <= mpmath.mpf(10) ** -25 * abs(b), (f.__name__, t, a, b)
    with mp.workdps(20):
        a, b = numerics.grokking_time(lam, d_out=d_out, spectrum=ones), numerics.grokking_time(lam, d_out=d_out)
        assert abs(a.t_train / b.t_train - 1) < mpmath.mpf(10) ** -17
        if b.t_gen is None:
            assert a.t_gen is None and a.delta is None
        else:
            assert abs(a.t_gen / b.t_gen - 1) < mpmath.mpf(10) ** -17


def test_structured_grokking_time_solves_the_crossing():
    spec = spectra.power_law(1.0, 20)
    with mp.workdps(20):
        g = numerics.grokking_time(0.5, spectrum=spec)
        thr = g.loss_threshold
        for t, f in ((g.t_train, structured.train_loss), (g.t_gen, structured.gen_loss)):
            assert abs(f(t, 0.5, spec) / thr - 1) < mpmath.mpf(10) ** -15
            assert f(t * (1 - mpmath.mpf(10) ** -4), 0.5, spec) > thr  # the first crossing: above it just before
        iso = numerics.grokking_time(0.5)
        assert g.delta != iso.delta  # a power law moves the grokking time


def test_crossing_time_edges():
    spec = spectra.power_law(0.5, 10)
    mean = float(np.mean(spec))
    assert structured.crossing_time(mean * 1.01, 0.5, spec) == 0
    with mp.workdps(20):  # a target just below L(0) is crossed almost at once (t ~ 1e-5, below the first decade)
        target = mpmath.mpf(mean) * (1 - mpmath.mpf(10) ** -6)
        t = structured.crossing_time(target, 0.5, spec)
        assert 0 < t < 1e-3 and abs(structured.train_loss(t, 0.5, spec) / target - 1) < mpmath.mpf(10) ** -15
    atom = structured.atom(2.0, spec)  # L_gen decreases to the atom: a target below it is never reached
    assert structured.crossing_time(atom * 0.99, 2.0, spec, train=False) is None
    assert structured.crossing_time(atom * 1.01, 2.0, spec, train=False) > 0


def test_unsupported_combinations_raise():
    kw = {"dynamics": "momentum", "momentum": 0.5}
    with pytest.raises(NotImplementedError, match="spectrum"):
        numerics.gen_loss(10, 0.5, spectrum=np.ones(3), **kw)
    with pytest.raises(NotImplementedError, match="spectrum"):
        numerics.grokking_time(0.5, spectrum=np.ones(3), **kw)


@pytest.mark.parametrize("bad", [[], [1.0, np.nan], [1.0, -2.0], [[1.0, 2.0]], [0.0, 1.0]])
def test_bad_spectrum_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="spectrum"):
        numerics.train_loss(10, 0.5, spectrum=np.asarray(bad, dtype=float))
