"""One-way structure: numerics <- sim <- derivations <- report <- cli, and no import cycle inside a package.

Reads every module's imports with ``ast`` (function-level imports included), so a lazy import that runs back up
a layer fails here just like a top-level one.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("numerics", "sim", "derivations", "report", "cli")
RANK = {name: i for i, name in enumerate(LAYERS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:  # "from . import x" imports submodule x, "from .m import f" module m
                out.add(f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODULES else mod)
    return out


MODULES = {_module_name(p): p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")}


def test_every_layer_has_modules():
    for layer in LAYERS:
        assert any(m.split(".")[0] == layer for m in MODULES), layer


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_imports_point_down_only(mod):
    own = RANK[mod.split(".")[0]]
    for imp in _imports(MODULES[mod]):
        top = imp.split(".")[0]
        if top in RANK:
            assert RANK[top] <= own, f"{mod} imports {imp}: {top} is above {mod.split('.')[0]}"


@pytest.mark.parametrize("layer", LAYERS)
def test_no_import_cycle_inside_a_package(layer):
    graph = {}
    for mod, path in MODULES.items():
        if mod.split(".")[0] != layer:
            continue
        deps = {i for i in _imports(path) if i in MODULES and i != mod and i.split(".")[0] == layer}
        graph[mod] = deps
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as e:
        pytest.fail(f"import cycle in {layer}: {' -> '.join(e.args[1])}")
