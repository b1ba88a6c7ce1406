"""The layers of DESIGN.md: dependencies point down only.

    model  <-  analysis  <-  results, trial  <-  cli

``hecon.errors`` and ``hecon`` itself (its version) sit below every layer. Every import of
every module counts, those inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hecon"
#: layer -> the layers it may import (besides itself and BASE)
ALLOWED = {
    "model": set(),
    "analysis": {"model"},
    "results": {"model", "analysis"},
    "trial": {"model", "analysis", "results"},
    "cli": {"model", "analysis", "results", "trial"},
}


def imported(path: Path) -> set[str]:
    """Every hecon module ``path`` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name == "hecon" or name.startswith("hecon.")}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_dependencies_point_down(path):
    layer = path.relative_to(PACKAGE).parts[0]
    allowed = ALLOWED[layer] | {layer}
    wrong = {name for name in imported(path) if layer_of(name) not in allowed | {None}}
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(wrong)}"


def test_every_module_sits_in_a_layer():
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py", "errors.py"}
    assert not loose, f"modules outside the layers: {sorted(loose)}"


def test_hecon_never_imports_the_shipped_models():
    """``hecon_models/`` imports hecon, never the reverse: the loader finds a model by its name
    (entry points) or its path, never by an import written in hecon."""
    wrong = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        if any(name.split(".")[0] == "hecon_models" for name in names):
            wrong[str(path.relative_to(PACKAGE))] = sorted(names)
    assert not wrong
