"""Real input data for the structured-input theory (issue 13): scikit-learn's bundled handwritten digits.

``sklearn.datasets.load_digits`` ships inside the scikit-learn wheel (no download): 1797 grey-scale 8 x 8 images,
64 pixels with integer values 0..16 (0 = background).  Install the extra ``digits``
(``pip install 'grokking-audit[digits]'``).

* :func:`digits_inputs` -- the standardised image matrix (rows = images), the data matrix for
  ``sim.train(inputs=...)``;
* :func:`digits_spectrum` -- the eigenvalues of its covariance, a population spectrum for
  ``numerics.train_loss/gen_loss/grokking_time(..., spectrum=...)`` (:mod:`numerics.structured`).

Normalisation.  The paper's inputs have ``E x = 0`` and ``tr Sigma / d = 1`` (Eq. 1 with ``x ~ N(0, I)``); each pixel
is centred and divided by its standard deviation over the 1797 images (``ddof = 0``), so every column has mean 0 and
mean square 1, and the covariance ``Sigma = X^T X / n`` (the second-moment matrix of the rows, which is what
``Sigma_tr = X_tr^T X_tr / N_tr`` of Eq. 1 estimates when training rows are drawn from the dataset) has trace ``d``:
its spectrum has mean exactly 1, like :func:`numerics.spectra.power_law`.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["DIGITS_N_IMAGES", "digits_inputs", "digits_spectrum"]

#: number of images in ``sklearn.datasets.load_digits``
DIGITS_N_IMAGES = 1797


def _load_digits_pixels() -> np.ndarray:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the digits data set needs scikit-learn: install the extra 'digits' (pip install 'grokking-audit[digits]')"
            " or scikit-learn>=1.3 directly"
        ) from exc
    return np.asarray(load_digits().data, dtype=np.float64)


def _min_images(min_images) -> int:
    if isinstance(min_images, bool) or not isinstance(min_images, int | np.integer):
        raise ValueError(f"min_images must be an integer in [1, {DIGITS_N_IMAGES}], got {min_images!r}")
    if not 1 <= min_images <= DIGITS_N_IMAGES:
        raise ValueError(f"min_images must be an integer in [1, {DIGITS_N_IMAGES}], got {min_images!r}")
    return int(min_images)


@functools.cache
def _digits(min_images: int) -> tuple[np.ndarray, np.ndarray]:
    """``(standardised matrix, kept pixel indices)``, computed once per ``min_images`` and returned read-only."""
    pixels = _load_digits_pixels()
    sd = pixels.std(axis=0)
    kept = np.flatnonzero((sd > 0) & (np.count_nonzero(pixels, axis=0) >= min_images))
    if kept.size < 2:
        raise ValueError(
            f"min_images={min_images} keeps {kept.size} pixel(s); at least 2 are needed (lower min_images)"
        )
    x = (pixels[:, kept] - pixels[:, kept].mean(axis=0)) / sd[kept]
    x.setflags(write=False)
    kept.setflags(write=False)
    return x, kept


def digits_inputs(*, min_images: int = 1, return_pixels: bool = False):
    """The standardised digits: a ``1797 x d`` float64 matrix, one row per image (``d = 61`` by default).

    Each pixel is centred and scaled to unit variance over the 1797 images (population standard deviation,
    ``ddof = 0``), so every column has mean 0 and mean square 1 (module docstring).  Pixels that are constant over the
    whole dataset cannot be standardised (zero variance) and carry no information: they are dropped.  In
    ``load_digits`` three pixels are always 0 (row-major indices 0, 32 and 39 of the 8 x 8 image, on the left edge),
    so ``d = 61 < 64``.

    Beware of the near-constant pixels that are kept: pixel 56 is non-zero in a single image, pixel 24 in two, pixels
    16, 31 and 48 in four, pixel 8 in seven, pixel 40 in nine.  After standardisation such a column is one or a few
    large entries (up to ``sqrt(1797) = 42``) among small ones, a strongly non-Gaussian direction: a random training
    set of ~100 images usually misses it, the student never learns it, and the *mean* test loss keeps a plateau from
    the few test images that have it (``docs/digits.md``).  ``min_images`` (an integer in ``[1, 1797]``) keeps only
    the pixels that are non-zero in at least that many images: ``1`` (the default) drops exactly the constant pixels;
    ``200`` gives ``d = 48``.

    ``return_pixels=True`` also returns the indices (``0..63``, row-major) of the kept pixels.  The returned arrays
    are read-only (shared between calls; copy before modifying).  Raises ``ValueError`` for a bad ``min_images``,
    ``ImportError`` without scikit-learn (extra ``digits``).
    """
    if not isinstance(return_pixels, bool | np.bool_):
        raise ValueError(f"return_pixels must be a bool, got {return_pixels!r}")
    x, kept = _digits(_min_images(min_images))
    return (x, kept) if return_pixels else x


def digits_spectrum(*, min_images: int = 1) -> np.ndarray:
    """Eigenvalues (ascending, float64, length ``d``) of the covariance ``Sigma = X^T X / n`` of
    :func:`digits_inputs` ``(min_images=min_images)`` (``n = 1797``; the columns are centred, so this is
    ``np.cov(X, rowvar=False, bias=True)``).

    They are all positive and well separated from 0: at the default ``d = 61`` the smallest is 0.0503, the largest
    7.34 (condition number 146), mean exactly 1 (``tr Sigma = d`` after standardisation).  No eigenvalue needs
    clipping: with the constant pixels dropped ``Sigma`` has full rank.  This is checked (smallest eigenvalue above
    ``1e-8`` times the largest; otherwise ``ArithmeticError``), rather than returning a spectrum that
    :func:`numerics.spectra.validate_spectrum` would accept but that rests on round-off.

    Why ``bias=True`` (divide by ``n``, not ``n - 1``): ``sim.train(inputs=X)`` draws training rows from this
    matrix, and the population that ``Sigma_tr = X_tr^T X_tr / N_tr`` estimates is the empirical distribution of the
    ``n`` rows, whose covariance is ``X^T X / n`` (the ``n - 1`` version is larger by the factor ``1797/1796``).
    This is the spectrum to pass as ``spectrum=`` when comparing :func:`numerics.grokking_time` with runs of
    ``sim.train(inputs=digits_inputs(), ...)`` (``docs/digits.md`` discusses the held-out set's covariance, which the
    simulator's generalisation loss uses).
    """
    x, _ = _digits(_min_images(min_images))
    ev = np.linalg.eigvalsh(x.T @ x / x.shape[0])
    if not ev[0] > 1e-8 * ev[-1]:  # pragma: no cover - a property of the bundled data, checked in the tests
        raise ArithmeticError(f"the digits covariance is numerically singular (smallest eigenvalue {ev[0]!r})")
    return ev
