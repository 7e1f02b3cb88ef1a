"""Experiments that hold a printed formula against simulation: the two-layer networks of Fig. 5 (Eqs. 19, 40).

:func:`fig5` runs ``sim.train`` for two-layer students (``d_in - d_h - d_out``, linear or tanh hidden layer) and
compares the generalisation loss with the readings of Eq. 40 (see claim ``eq40-two-layer-losses``).  The audit calls
it at a size CI affords; ``grokking-audit fig5 --full`` runs the paper's 1000-d_h-5 networks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from mpmath import mp

import numerics
import sim


def two_layer_runs(
    activation,
    *,
    lam=0.5,
    d_in=300,
    d_h=150,
    d_out=5,
    steps=5000,
    seeds=(1, 2),
    record=None,
    eps=1e-4,
    n_gen=2000,
    progress=False,
):
    """``sim.train`` runs of a two-layer student (Eq. 17), one per seed, recorded at ``record`` (default: 5 times)."""
    record = record or [0, steps // 10, steps // 5, steps // 2, steps]
    return [
        sim.train(
            d_in=d_in,
            n_train=int(round(d_in / lam)),
            d_out=d_out,
            hidden=d_h,
            activation=activation,
            steps=steps,
            record=record,
            eps=eps,
            seed=s,
            n_gen=n_gen,
            progress=progress,
        )
        for s in seeds
    ]


def eq40_predictions(d0sq, t, lam, d_out, eta=0.01):
    """Generalisation-loss predictions at step ``t``: readings A and B of the printed Eq. 40, and the corrected form.

    A: ``|D0|^2 L^{d_out=1}(eta/(2 d_out^2))`` (Eq. 8 function); B: ``|D0|^2 L^{d_out}(eta/(2 d_out^2))`` (Eq. 13
    function); corrected: ``(|D0|^2 / d_out) L^{d_out=1}(eta/(2 d_out^2))``.
    """
    etap = eta / (2 * d_out**2)
    one = _gen_loss15(t, lam, etap)
    b = d0sq * _gen_loss15(t, lam, etap, d_out)
    return d0sq * one, b, d0sq / d_out * one


@functools.cache
def _gen_loss15(t, lam, eta, d_out=None):
    """``float(numerics.gen_loss)`` at 15 digits (``d_out=None``: its default), cached: it does not depend on
    ``|D0|^2``, so the runs of one experiment (seeds, widths, activations) share the values at their common steps."""
    with mp.workdps(15):
        if d_out is None:
            return float(numerics.gen_loss(t, lam, eta=eta))
        return float(numerics.gen_loss(t, lam, eta=eta, d_out=d_out))


@dataclass(frozen=True)
class Fig5Row:
    activation: str
    d_h: int
    seed: int
    t: int
    sim_gen: float
    reading_a: float
    reading_b: float
    corrected: float


def fig5(
    *,
    d_hs=(50, 200),
    activations=("linear", "tanh"),
    d_in=1000,
    d_out=5,
    lam=0.5,
    steps=20000,
    seeds=(1,),
    progress=True,
):
    """Rows of simulated vs predicted generalisation loss for the Fig. 5 networks (``d_in - d_h - d_out``).

    ``|D0|^2`` is taken from each run (``d_out`` times its held-out loss at ``t = 0``).  Defaults are the paper's
    sizes (``lam`` is not stated in the paper; 0.5 here).
    """
    rows = []
    for act in activations:
        for d_h in d_hs:
            runs = two_layer_runs(
                act, lam=lam, d_in=d_in, d_h=d_h, d_out=d_out, steps=steps, seeds=seeds, progress=progress
            )
            for seed, r in zip(seeds, runs, strict=True):
                d0sq = float(r.gen_loss[0]) * d_out
                for i, t in enumerate(r.t):
                    a, b, c = eq40_predictions(d0sq, int(t), lam, d_out)
                    rows.append(Fig5Row(act, d_h, seed, int(t), float(r.gen_loss[i]), a, b, c))
    return rows
