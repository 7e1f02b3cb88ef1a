"""One random instance of the teacher-student problem (Section 3, Section 4.1, Appendix A).

:func:`draw` uses a single ``np.random.default_rng(seed)`` and draws, in this fixed order:

1. the training inputs ``X`` (``n_train x d_in``, iid standard normal) -- the very same draw as
   :func:`sim.data.train_gram`, so ``X^T X / n_train == sim.data.train_gram(d_in, n_train, seed=seed)``;
2. the teacher weights (one layer: ``T``; two layers: ``T0`` then ``T1``);
3. the student's initial weights, same shapes and law, then multiplied by ``student_scale``;
4. the held-out inputs ``X_gen`` (``n_gen x d_in``);
5. the label noise ``E`` (``n_train x d_out``, standard normal, always drawn; scaled by ``label_noise``).

Weights of a layer mapping ``d_{l-1} -> d_l`` are ``N(0, 1/(2 d_{l-1} d_l))`` (variance; Appendix A), so that
``E||S0 - T||_F^2 / d_out = (1 + student_scale^2) / (2 d_out)`` for one layer.

Structured inputs (beyond the paper, whose inputs are isotropic, ``Sigma = I``):

* ``input_cov`` (already validated into ``(kind, F)`` with ``Sigma = F^T F`` by :func:`sim._validate.input_cov`):
  steps 1 and 4 draw the same standard normal matrix ``G`` and use ``X = G * sqrt(spectrum)`` (a spectrum) or
  ``X = G L^T`` (a matrix, ``Sigma = L L^T``), so rows are ``N(0, Sigma)`` and an all-ones spectrum reproduces the
  isotropic numbers bit for bit.
* ``inputs`` (a data matrix with ``n_rows`` rows): step 1 is ``rng.permutation(n_rows)``; its first ``n_train``
  entries index the training rows (drawn without replacement), the remaining rows, in permuted order, are the
  held-out set; step 4 draws nothing.  The "population" covariance is then the empirical one of the held-out rows,
  ``Sigma = X_gen^T X_gen / n_gen``, with ``F`` the R factor of the QR decomposition of ``X_gen / sqrt(n_gen)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def init_weights(rng: np.random.Generator, d_prev: int, d_next: int) -> np.ndarray:
    """A ``d_prev x d_next`` matrix with iid ``N(0, 1/(2 d_prev d_next))`` entries (Appendix A)."""
    return rng.standard_normal((d_prev, d_next)) * np.sqrt(1.0 / (2.0 * d_prev * d_next))


def forward(weights: tuple[np.ndarray, ...], x: np.ndarray, activation: str) -> np.ndarray:
    """Network output: ``x S`` for one layer (Eq. 1), ``sigma(x S0) S1`` for two layers (Eq. 17); rows are samples."""
    if len(weights) == 1:
        return x @ weights[0]
    s0, s1 = weights
    h = x @ s0
    return (np.tanh(h) if activation == "tanh" else h) @ s1


@dataclass(frozen=True)
class Problem:
    """Data, teacher, initial student and label noise of one run (see the module docstring for the draw order)."""

    x: np.ndarray  # training inputs, n_train x d_in
    teacher: tuple[np.ndarray, ...]  # (T,) or (T0, T1)
    student: tuple[np.ndarray, ...]  # initial student, same shapes
    x_gen: np.ndarray  # held-out inputs, n_gen x d_in
    noise: np.ndarray  # label noise already scaled by label_noise, n_train x d_out
    activation: str
    #: ``F`` with population covariance ``Sigma = F^T F`` of the inputs: ``None`` (``Sigma = I``), a vector
    #: (``sqrt`` of a diagonal ``Sigma``) or a ``k x d_in`` matrix (used for ``gen_loss_exact``/``gen_acc_exact``)
    cov_factor: np.ndarray | None = None

    @property
    def y(self) -> np.ndarray:
        """Training labels ``f_T(x_i) + noise_i`` (fixed for the run)."""
        return forward(self.teacher, self.x, self.activation) + self.noise

    @property
    def y_gen(self) -> np.ndarray:
        """Noise-free teacher labels of the held-out inputs."""
        return forward(self.teacher, self.x_gen, self.activation)

    @property
    def gram(self) -> np.ndarray:
        """``Sigma_tr = X^T X / n_train`` (Eq. 1), computed exactly as :func:`sim.data.train_gram` does."""
        return self.x.T @ self.x / self.x.shape[0]

    @property
    def noise_drive(self) -> np.ndarray:
        """``c = X^T noise / n_train`` (``d_in x d_out``): the label noise enters the gradient only through it."""
        return self.x.T @ self.noise / self.x.shape[0]

    @property
    def teacher_matrix(self) -> np.ndarray | None:
        """The end-to-end linear teacher ``T`` (``T0 T1`` for two linear layers); ``None`` for tanh."""
        if self.activation == "tanh" and len(self.teacher) == 2:
            return None
        return self.teacher[0] if len(self.teacher) == 1 else self.teacher[0] @ self.teacher[1]


def draw(
    *,
    d_in: int,
    n_train: int,
    d_out: int,
    hidden: int | None,
    activation: str,
    n_gen: int,
    label_noise: float,
    student_scale: float,
    seed: int,
    input_cov: tuple[str, np.ndarray] | None = None,
    inputs: np.ndarray | None = None,
) -> Problem:
    """Draw a :class:`Problem` from ``np.random.default_rng(seed)`` in the documented order.

    ``input_cov`` is the validated ``(kind, F)`` of :func:`sim._validate.input_cov`; ``inputs`` a validated data
    matrix (then ``n_gen`` is ignored: the held-out set is every row not used for training).  At most one of them.
    """
    if input_cov is not None and inputs is not None:
        raise ValueError("input_cov and inputs are mutually exclusive")
    rng = np.random.default_rng(seed)
    factor = None
    if inputs is not None:
        order = rng.permutation(inputs.shape[0])
        x, x_gen = inputs[order[:n_train]], inputs[order[n_train:]]
        factor = np.linalg.qr(x_gen / np.sqrt(x_gen.shape[0]), mode="r")
    else:
        x = rng.standard_normal((n_train, d_in))
        if input_cov is not None:
            x = _correlate(x, *input_cov)
            factor = input_cov[1]
    dims = (d_in, d_out) if hidden is None else (d_in, hidden, d_out)
    teacher = tuple(init_weights(rng, a, b) for a, b in zip(dims[:-1], dims[1:], strict=True))
    student = tuple(student_scale * init_weights(rng, a, b) for a, b in zip(dims[:-1], dims[1:], strict=True))
    if inputs is None:
        x_gen = rng.standard_normal((n_gen, d_in))
        if input_cov is not None:
            x_gen = _correlate(x_gen, *input_cov)
    noise = label_noise * rng.standard_normal((n_train, d_out))
    return Problem(
        x=x, teacher=teacher, student=student, x_gen=x_gen, noise=noise, activation=activation, cov_factor=factor
    )


def _correlate(g: np.ndarray, kind: str, factor: np.ndarray) -> np.ndarray:
    """Rows ``N(0, I)`` -> rows ``N(0, F^T F)``: ``g * sqrt(spectrum)`` or ``g @ L^T`` (``F = L^T``)."""
    return g * factor if kind == "spectrum" else g @ factor
