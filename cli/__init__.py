"""The command line of grokking-audit (``grokking-audit``, ``python -m cli``): the top layer of the project.

Layers import downward only: numerics <- sim <- derivations <- report <- cli.
"""

from .app import main

__all__ = ["main"]
