"""``sim.train``: validate the settings, draw the problem, run an engine, package a :class:`TrainResult`."""

from __future__ import annotations

import numpy as np

from . import _validate as v
from . import linear, two_layer
from .optimizers import shuffle_rng
from .problem import draw
from .result import TrainResult
from .schedule import log_steps

#: by default the exact accuracies are recorded up to this output dimension (``exact_accuracy=None``)
EXACT_ACCURACY_MAX_D_OUT = 64


def train(
    *,
    d_in: int,
    n_train: int,
    d_out: int = 1,
    eta: float = 0.01,
    gamma: float = 0.0,
    steps: int,
    record=None,
    eps: float = 1e-3,
    seed: int = 0,
    hidden: int | None = None,
    activation: str = "linear",
    n_gen: int | None = None,
    label_noise: float = 0.0,
    student_scale: float = 1.0,
    engine: str = "auto",
    progress: bool = False,
    exact_accuracy: bool | None = None,
    input_cov=None,
    inputs=None,
    optimizer: str = "gd",
    momentum: float | None = None,
    batch_size: int | None = None,
    betas: tuple[float, float] | None = None,
    adam_eps: float | None = None,
    weight_decay: float | None = None,
) -> TrainResult:
    """Train a student on a teacher's labels (Sections 3, 4; Appendix A); numpy ground truth.

    By default full-batch GD, as in the paper (Eq. 3); ``optimizer=`` selects momentum, Nesterov, mini-batch SGD,
    Adam or AdamW with PyTorch's update rules (:mod:`sim.optimizers`, beyond the paper).

    Model: one linear layer ``f(x) = S^T x`` (``hidden=None``, Eq. 1) or two layers ``f(x) = S1^T sigma(S0^T x)``
    (``hidden=d_h``, Eq. 17, ``activation`` ``"linear"`` or ``"tanh"``).  Teacher and student share the
    architecture; each layer ``d_{l-1} -> d_l`` is initialised ``N(0, 1/(2 d_{l-1} d_l))`` (variance, Appendix A),
    teacher and student independently; the student's initial weights are multiplied by ``student_scale``.

    Inputs: ``x ~ N(0, I)`` as in the paper (``input_cov=None, inputs=None``); or, going beyond the paper,
    ``x ~ N(0, Sigma)`` with a given population covariance (``input_cov``), or rows of a given data matrix
    (``inputs``).  Eq. (2) is written for a general ``Sigma_gen``, ``L_gen = tr(D^T Sigma_gen D) / d_out``, but the
    paper sets ``Sigma_gen = I``, and its analytic results (the Marchenko-Pastur spectrum of ``Sigma_tr``, Eq. 6,
    and the losses and accuracies built on it) assume isotropic inputs; the simulator makes no such assumption.

    Loss: PyTorch ``MSELoss`` (mean over samples and outputs, Eq. 1) plus ``gamma/(2 d_out)`` times the squared
    Frobenius norm of each weight matrix, so that one layer follows Eq. (3) exactly:
    ``D_{t+1} = (I - 2 eta/d_out Sigma_tr) D_t - (eta gamma/d_out)(D_t + T)``.  Training labels are
    ``T^T x_i + label_noise * N(0, I_{d_out})`` with the noise fixed for the run.

    Parameters
    ----------
    d_in, n_train, d_out, steps : int >= 1
        Input dimension, number of training samples (``lam = d_in / n_train``), outputs, and optimizer steps
        (parameter updates: one GD step, or one mini-batch update for ``"sgd"``).
    eta : float > 0
        Learning rate of every optimizer (PyTorch's ``lr``; the default 0.01 is the paper's, Adam users often
        pass ``1e-3``).  One layer: refused with :class:`sim.DivergenceError` (a ``ValueError``) when the top mode
        of ``Sigma_tr`` would not shrink: GD ``|1 - (eta/d_out)(2 nu_max + gamma)| >= 1``; momentum
        ``eta (2 nu_max + gamma)/d_out >= 2 (1 + momentum)``; Nesterov ``>= 2 (1 + momentum)/(1 + 2 momentum)``.
        SGD, Adam and two-layer runs have no a-priori test: a loss that is not finite (or, for the optimizers other
        than GD on one layer and for SGD, above ``1e12`` times its initial value) raises ``DivergenceError``
        naming the step.
    gamma : float >= 0
        Weight decay of the loss (Eq. 3), for every optimizer: ``(gamma/d_out) W`` is part of each gradient.
    record : None or iterable of int
        Steps to record, each in ``[0, steps]`` (sorted and de-duplicated): the state after that many updates
        (``0``: the initialisation), with losses and accuracies on the whole training and held-out sets (for
        ``"sgd"`` too).  ``None``: ~200 log-spaced steps including ``0`` and ``steps``
        (:func:`sim.schedule.log_steps`).
    eps : float > 0
        Accuracy threshold on the per-sample mean-over-outputs squared error.
    seed : int >= 0
        Seed of the single ``np.random.default_rng``; draw order: data, teacher, student, held-out set, label noise
        (:mod:`sim.problem`).  Same seed and settings -> identical numbers.
    hidden : None or int >= 1
        Width ``d_h`` of the hidden layer (``None``: one layer).
    activation : "linear" or "tanh"
        Hidden activation (``"tanh"`` needs ``hidden``).
    n_gen : None or int >= 1
        Size of the held-out set for ``gen_loss``/``gen_acc``; default ``10 * d_in``.
    label_noise : float >= 0
        Standard deviation of the training-label noise.
    student_scale : float >= 0
        ``alpha`` of ``S -> alpha S`` at initialisation (Section 3.1.3).
    engine : "auto", "loop" or "spectral"
        ``"spectral"``: closed form in the eigenbasis of ``Sigma_tr`` (one linear layer, GD only); ``"loop"``: the
        literal training loop; ``"auto"``: spectral for one linear layer trained by GD, loop otherwise.
    progress : bool
        Show a tqdm bar for the loop engines.
    exact_accuracy : None or bool
        Record ``gen_acc_exact`` and ``train_acc_gauss`` (each a ``d_out x d_out`` eigenproblem per recorded step).
        ``None``: for ``d_out <= 64`` (above, where they would dominate the run, they are NaN); ``True``/``False``:
        always / never.
    input_cov : None, 1-D array or 2-D array
        Population covariance ``Sigma`` of the inputs, ``x ~ N(0, Sigma)`` for the training set and the held-out set
        (``Sigma != I`` goes beyond the paper).  A 1-D array is the spectrum (``Sigma = diag(input_cov)``, length
        ``d_in``, entries > 0; rows are ``sqrt(spectrum) * N(0, I)``, so an all-ones spectrum gives the isotropic
        numbers exactly); a 2-D array is a ``d_in x d_in`` symmetric positive definite matrix (rows ``L g``,
        ``Sigma = L L^T`` Cholesky).  ``gen_loss_exact`` becomes the expectation of Eq. (2) over ``N(0, Sigma)``,
        ``tr(D^T Sigma D) / d_out``; ``gen_acc_exact`` the law of ``z = D^T x ~ N(0, D^T Sigma D)`` (Eq. 10 for
        ``d_out = 1`` with variance ``D^T Sigma D``; for ``d_out > 1`` the weighted chi-square law with the
        eigenvalues of ``D^T Sigma D``, which is Eq. 13 only when that matrix is a multiple of the identity).  The
        spectral engine diagonalises the anisotropic ``Sigma_tr`` as before.  ``None``: ``Sigma = I``, identical
        numbers to a run without the keyword.
    inputs : None or 2-D array
        A data matrix (rows = samples, ``d_in`` columns, finite, at least ``n_train + 1`` rows), exclusive with
        ``input_cov``.  ``n_train`` training rows are drawn without replacement with the seed; every other row is the
        held-out set (``n_gen`` must be ``None``; ``params["n_gen"]`` is the number of held-out rows).  The empirical
        covariance of the held-out rows plays ``Sigma``: ``gen_loss_exact`` is ``tr(D^T Sigma_gen D) / d_out``, the
        mean over held-out rows of ``||D^T x||^2 / d_out`` (so it equals ``gen_loss`` up to round-off for one
        layer), and ``gen_acc_exact`` the Gaussian form with ``D^T Sigma_gen D``.
    optimizer : "gd", "momentum", "nesterov", "sgd", "adam" or "adamw"
        The update rule, as PyTorch's ``torch.optim.SGD`` (``"gd"``, ``"momentum"``, ``"nesterov"``, ``"sgd"``),
        ``torch.optim.Adam`` and ``torch.optim.AdamW``; the formulas, with links to PyTorch's documented
        algorithms, are in :mod:`sim.optimizers`.  Heavy ball: ``b_1 = g_1``, ``b_t = beta b_{t-1} + g_t``,
        ``W <- W - eta b_t`` (Nesterov: ``W <- W - eta (g_t + beta b_t)``).  Adam: ``m``, ``v`` with bias
        correction, ``W <- W - eta mhat/(sqrt(vhat) + adam_eps)``; ``"adam"`` adds ``weight_decay W`` to ``g_t``,
        ``"adamw"`` multiplies ``W`` by ``1 - eta weight_decay`` before the step.  ``"gd"`` gives exactly the
        numbers of a run without the keyword.  The keywords below belong to the optimizers named; giving one to
        another optimizer is a ``ValueError``.
    momentum : float in [0, 1)
        ``beta`` of ``"momentum"`` and ``"nesterov"`` (required for them).
    batch_size : int in [1, n_train]
        Mini-batch size of ``"sgd"`` (required).  Each epoch the training rows are reshuffled (a permutation drawn
        from :func:`sim.optimizers.shuffle_rng`, a stream of ``seed`` independent of the problem's draw, so the
        data, teacher and student are those of a GD run with the same seed) and cut into consecutive batches, the
        last one smaller when ``batch_size`` does not divide ``n_train`` (PyTorch's ``DataLoader(shuffle=True)``).
        One step is one mini-batch update (an epoch is ``ceil(n_train / batch_size)`` steps); the gradient is
        that of the loss averaged over the batch (plus the ``gamma`` term).
    betas : pair of floats in [0, 1)
        ``(b1, b2)`` of ``"adam"``/``"adamw"`` (default ``(0.9, 0.999)``).
    adam_eps : float > 0
        Adam's ``eps``, added after the square root of the bias-corrected second moment (default ``1e-8``).
    weight_decay : float >= 0
        The optimizer-side decay of ``"adam"`` (L2-coupled: ``g_t + weight_decay W``, the same as raising
        ``gamma`` by ``d_out weight_decay``) and ``"adamw"`` (decoupled: ``W (1 - eta weight_decay)``); default
        ``0`` (adam), ``0.01`` (adamw), as PyTorch.  It coexists with ``gamma``, the loss-side decay: with
        ``"adamw"`` both may be > 0 (``gamma`` then passes through Adam's normalisation, ``weight_decay`` does
        not).  For GD, momentum and SGD use ``gamma`` (PyTorch's ``SGD(weight_decay=w)`` is ``gamma = d_out w``).
    """
    d_in = v.integer("d_in", d_in)
    n_train = v.integer("n_train", n_train)
    d_out = v.integer("d_out", d_out)
    steps = v.integer("steps", steps)
    eta = v.real("eta", eta, low=0.0, strict=True)
    gamma = v.real("gamma", gamma, low=0.0, strict=False)
    eps = v.real("eps", eps, low=0.0, strict=True)
    seed = v.seed(seed)
    hidden = None if hidden is None else v.integer("hidden", hidden)
    activation = v.choice("activation", activation, v.ACTIVATIONS)
    if input_cov is not None and inputs is not None:
        raise ValueError("input_cov and inputs are mutually exclusive: pass at most one of them")
    cov = None if input_cov is None else v.input_cov(input_cov, d_in)
    data = None if inputs is None else v.inputs(inputs, d_in, n_train)
    if data is not None and n_gen is not None:
        raise ValueError("n_gen must be None with inputs (the held-out set is every row not used for training)")
    n_gen = (10 * d_in if data is None else data.shape[0] - n_train) if n_gen is None else v.integer("n_gen", n_gen)
    label_noise = v.real("label_noise", label_noise, low=0.0, strict=False)
    student_scale = v.real("student_scale", student_scale, low=0.0, strict=False)
    engine = v.choice("engine", engine, v.ENGINES)
    if not isinstance(progress, bool | np.bool_):
        raise ValueError(f"progress must be a bool, got {progress!r}")
    if exact_accuracy is not None and not isinstance(exact_accuracy, bool | np.bool_):
        raise ValueError(f"exact_accuracy must be None or a bool, got {exact_accuracy!r}")
    exact = bool(d_out <= EXACT_ACCURACY_MAX_D_OUT if exact_accuracy is None else exact_accuracy)
    if hidden is None and activation != "linear":
        raise ValueError(f"activation={activation!r} needs a hidden layer: pass hidden=<int >= 1> (or use 'linear')")
    if engine == "spectral" and hidden is not None:
        raise ValueError("engine='spectral' needs hidden=None (one linear layer); use engine='loop' or 'auto'")
    spec = v.optimizer(
        optimizer,
        momentum=momentum,
        batch_size=batch_size,
        betas=betas,
        adam_eps=adam_eps,
        weight_decay=weight_decay,
        n_train=n_train,
    )
    if engine == "spectral" and spec.name != "gd":
        raise ValueError(f"engine='spectral' needs optimizer='gd' (got {spec.name!r}); use engine='loop' or 'auto'")
    used = engine if engine != "auto" else ("spectral" if hidden is None and spec.name == "gd" else "loop")
    t = log_steps(steps) if record is None else v.record_steps(record, steps)

    problem = draw(
        d_in=d_in,
        n_train=n_train,
        d_out=d_out,
        hidden=hidden,
        activation=activation,
        n_gen=n_gen,
        label_noise=label_noise,
        student_scale=student_scale,
        seed=seed,
        input_cov=cov,
        inputs=data,
    )
    kw = {"eta": eta, "gamma": gamma, "eps": eps, "exact_accuracy": exact}
    if used == "spectral":
        rec = linear.run_spectral(problem, t, **kw)
    else:
        kw |= {"progress": progress, "optimizer": spec, "rng": shuffle_rng(seed) if spec.name == "sgd" else None}
        rec = (linear.run_loop if hidden is None else two_layer.run)(problem, t, **kw)

    params = {
        "d_in": d_in,
        "n_train": n_train,
        "lam": d_in / n_train,
        "d_out": d_out,
        "eta": eta,
        "gamma": gamma,
        "steps": steps,
        "eps": eps,
        "seed": seed,
        "hidden": hidden,
        "activation": activation,
        "n_gen": n_gen,
        "label_noise": label_noise,
        "student_scale": student_scale,
        "engine": used,
        "engine_requested": engine,
        "exact_accuracy": exact,
        "record": "log" if record is None else "explicit",
        "input_cov": None if cov is None else f"{cov[0]}(n={d_in})",
        "inputs": None if data is None else f"matrix({data.shape[0]}x{data.shape[1]})",
        **spec.params(),
    }
    return TrainResult(
        t=rec.t,
        train_loss=rec.train_loss,
        gen_loss=rec.gen_loss,
        gen_loss_exact=rec.gen_loss_exact,
        train_acc=rec.train_acc,
        gen_acc=rec.gen_acc,
        gen_acc_exact=rec.gen_acc_exact,
        train_acc_gauss=rec.train_acc_gauss,
        params=params,
    )
