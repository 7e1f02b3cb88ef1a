"""The claim registry: every claim module registers its claims here with :func:`claim`."""

from __future__ import annotations

import importlib
import pkgutil
from graphlib import TopologicalSorter

from .claim import Claim

_REGISTRY: dict[str, Claim] = {}


def claim(
    *,
    id: str,
    equations,
    title: str,
    printed: str,
    variables=None,
    uses=(),
    statement=None,
    reading=None,
    section="",
    cost=1.0,
):
    """Decorator registering the decorated zero-argument function as the ``check`` of a new claim."""

    def register(check):
        if id in _REGISTRY:
            raise ValueError(f"duplicate claim id {id!r}")
        _REGISTRY[id] = Claim(
            id=id,
            equations=tuple(equations),
            title=title,
            printed=printed,
            variables=dict(variables or {}),
            check=check,
            uses=tuple(uses),
            statement=statement,
            reading=reading,
            section=section,
            cost=float(cost),
        )
        return check

    return register


def all_claims() -> dict[str, Claim]:
    """Import every module of :mod:`derivations.claims` and return the claims in dependency order.

    Raises ``ValueError`` if a claim uses an unknown claim or the dependency graph has a cycle.
    """
    from . import claims

    for mod in pkgutil.iter_modules(claims.__path__):
        importlib.import_module(f"{claims.__name__}.{mod.name}")
    for c in _REGISTRY.values():
        missing = [u for u in c.uses if u not in _REGISTRY]
        if missing:
            raise ValueError(f"claim {c.id!r} uses unknown claims {missing}")
    order = TopologicalSorter({c.id: c.uses for c in _REGISTRY.values()}).static_order()  # CycleError on a cycle
    return {cid: _REGISTRY[cid] for cid in order}
