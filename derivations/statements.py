"""Building blocks for claim statements: the SymPy objects the report typesets as "the identity checked".

``Conj`` keeps a conjunction of relations in the order written (``sympy.And`` sorts them); ``Grad`` is an
unevaluated matrix gradient (SymPy does not put a ``Derivative`` into a matrix expression).
"""

from __future__ import annotations

import sympy as sp

__all__ = ["Conj", "Grad"]


class Conj(sp.And):
    """A conjunction of relations that keeps and prints them in the given order (for statements).

    ``sympy.And`` sorts its arguments, so a statement ``A = B, B = C, lim ... = 0`` would print shuffled.
    """

    def __new__(cls, *relations):
        return sp.Basic.__new__(cls, *relations)

    def _latex(self, printer):
        return r" \wedge ".join(printer._print(r) for r in self.args)


class Grad(sp.MatrixExpr):
    """The gradient ``nabla_M f`` of a scalar ``f`` in a matrix symbol ``M``, unevaluated (for statements)."""

    def __new__(cls, f, M):
        return sp.Basic.__new__(cls, sp.sympify(f), M)

    @property
    def shape(self):
        return self.args[1].shape

    def doit(self, **hints):  # stays unevaluated (and keeps ``(S - T)^T`` undistributed inside)
        return self

    def _latex(self, printer):
        f, M = (printer._print(a) for a in self.args)
        return rf"\nabla_{{{M}}}\left({f}\right)"
