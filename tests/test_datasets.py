"""numerics.datasets: the standardised digits and their covariance spectrum (issue 13, item 4)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from numerics import datasets  # noqa: E402
from numerics.spectra import validate_spectrum  # noqa: E402


def test_digits_inputs_are_the_standardised_non_constant_pixels():
    from sklearn.datasets import load_digits

    raw = load_digits().data
    x, kept = datasets.digits_inputs(return_pixels=True)
    # the three pixels that are 0 in every image are dropped, nothing else
    assert x.shape == (1797, 61) and datasets.DIGITS_N_IMAGES == 1797
    assert sorted(set(range(64)) - set(kept.tolist())) == [0, 32, 39]
    assert np.all(raw[:, [0, 32, 39]] == 0) and np.all(raw[:, kept].min(0) < raw[:, kept].max(0))
    np.testing.assert_allclose(x.mean(0), 0, atol=1e-13)
    np.testing.assert_allclose((x**2).mean(0), 1, rtol=1e-13)
    # an affine image of the raw pixels, column by column (checked on two images: (x_a - x_b) * sd = raw_a - raw_b)
    sd = raw[:, kept].std(0)
    np.testing.assert_allclose((x[5] - x[9]) * sd, raw[5, kept] - raw[9, kept], atol=1e-12)
    assert not x.flags.writeable


def test_min_images_keeps_the_pixels_inked_often_enough():
    from sklearn.datasets import load_digits

    counts = np.count_nonzero(load_digits().data, axis=0)
    x, kept = datasets.digits_inputs(min_images=200, return_pixels=True)
    assert kept.tolist() == np.flatnonzero(counts >= 200).tolist() and x.shape == (1797, kept.size)
    for bad in (0, 1798, 2.5, True, "1"):
        with pytest.raises(ValueError, match="min_images"):
            datasets.digits_inputs(min_images=bad)
    with pytest.raises(ValueError, match="return_pixels"):
        datasets.digits_inputs(return_pixels=1)


def test_digits_spectrum_is_the_covariance_spectrum():
    x = datasets.digits_inputs()
    s = datasets.digits_spectrum()
    # the covariance of the centred rows with 1/n (np.cov's bias=True), eigenvalues ascending
    ref = np.linalg.eigvalsh(np.cov(x, rowvar=False, bias=True))
    np.testing.assert_allclose(s, ref, rtol=1e-10, atol=1e-13)
    assert s.shape == (61,) and np.all(np.diff(s) >= 0)
    assert validate_spectrum(s) is not None and s[0] > 0.05 and s[-1] < 7.35  # no tiny eigenvalue to clip
    assert s.mean() == pytest.approx(1.0, rel=1e-13)  # tr Sigma = d after standardisation
    # np.cov's default (n - 1) differs by the factor n / (n - 1)
    ref1 = np.linalg.eigvalsh(np.cov(x, rowvar=False))
    np.testing.assert_allclose(ref1 / s, 1797 / 1796, rtol=1e-10)
    s48 = datasets.digits_spectrum(min_images=200)
    assert s48.size == datasets.digits_inputs(min_images=200).shape[1] and s48.mean() == pytest.approx(1, rel=1e-13)
