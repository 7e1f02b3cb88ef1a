"""Exceptions shared by the modules of :mod:`numerics` (a leaf module: it imports nothing from the package)."""

from __future__ import annotations

__all__ = ["RootFindingError"]


class RootFindingError(RuntimeError):
    """A root finder returned a point whose residual or bracket check failed."""
