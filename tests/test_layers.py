"""The package's layers import one way only, and no module imports itself in a circle.

Order (DESIGN.md "Layout"; each layer may import its own layer and the ones before it):

    base (errors, flags, _checks, _jsonable, _dist, _format, io) -> data -> effects -> stats
    -> resampling -> trialmeta/__init__ (the statistical API) -> review -> report -> plots -> cli

Imports are read from the source with ``ast`` (every ``import``/``from ... import``,
including those inside functions), so the test needs nothing installed beyond the
standard library. A failure names the module, the line and the imported module.

It also checks the third-party side of the layering: the package never imports Snakemake
or statsmodels (they are the ``[workflow]`` and ``[bench]`` extras, so an installed core
must not need them), only ``plots`` imports matplotlib (and the modules listed, with
their reason, in ``MATPLOTLIB_OUTSIDE_PLOTS``), an optional package (numba, the ``[fast]``
extra) only in its own modules, and ``stats``/``resampling`` use
numpy and scipy only (DESIGN.md "Statistics").
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "trialmeta"

#: Layers from the bottom up; a module may import modules of its own or a lower layer.
LAYERS = ("base", "data", "effects", "stats", "resampling", "api", "review", "report",
          "plots", "cli")  # fmt: skip
BASE_MODULES = {"errors", "flags", "_checks", "_jsonable", "_dist", "_format", "io"}

#: TEMPORARY allow-list for upward imports inside review/ and report/, which are being
#: rewritten (typed review model). Each entry is (importing module, imported module); the
#: rewrite must empty it. It is empty today: the layer move left no upward import there.
TEMPORARY_ALLOWED_UPWARD: frozenset[tuple[str, str]] = frozenset()

#: Third-party packages each layer may import (None = any runtime dependency).
THIRD_PARTY_ALLOWED = {"stats": {"numpy", "scipy"}, "resampling": {"numpy", "scipy"}}
#: Modules outside plots that may import matplotlib, each with the reason (never to draw).
MATPLOTLIB_OUTSIDE_PLOTS: dict[str, str] = {}
#: Import name -> distribution name, where they differ.
DIST_NAME = {"yaml": "pyyaml", "docx": "python-docx"}
#: Optional packages (an extra, not the core): the extra that declares each and the only
#: modules that may import it, which the core loads only when it is installed.
OPTIONAL_IMPORTS = {
    "numba": ("fast", "trialmeta.resampling.batch.nb_"),
    "docx": ("report", "trialmeta.report.docx"),
    "weasyprint": ("report", "trialmeta.report.pdf"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    """The layer of ``trialmeta[.sub[.mod]]``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "api"
    head = parts[1]
    if head in BASE_MODULES:
        return "base"
    return head if head in LAYERS else "unknown"


def _resolve(module: str, name: str | None) -> str:
    """``from module import name``: the submodule when ``name`` is one, else the module."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def imports(module: str) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import statement of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, _resolve(base, alias.name) if base.startswith(
                    "trialmeta") else base  # fmt: skip


def type_only_lines(module: str) -> set[int]:
    """Lines of the imports under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            lines |= {n.lineno for stmt in node.body for n in ast.walk(stmt)
                      if isinstance(n, (ast.Import, ast.ImportFrom))}  # fmt: skip
    return lines


def _internal_edges(runtime_only: bool = False) -> list[tuple[str, int, str]]:
    """(module, line, imported trialmeta module); ``runtime_only`` leaves out the imports
    under ``if TYPE_CHECKING:``, which cannot form an import cycle."""
    return [(mod, line, target) for mod in MODULES for line, target in imports(mod)
            if target.split(".")[0] == "trialmeta" and target != mod
            and not (runtime_only and line in type_only_lines(mod))]  # fmt: skip


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer(m) == "unknown"] == []


def test_no_upward_import():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = []
    for mod, line, target in _internal_edges():
        if rank[layer(target)] > rank[layer(mod)] and (mod, target) not in TEMPORARY_ALLOWED_UPWARD:
            upward.append(
                f"{MODULES[mod].relative_to(ROOT)}:{line}: {mod} ({layer(mod)}) "
                f"imports {target} ({layer(target)})"
            )
    assert upward == []


def test_temporary_allow_list_holds_only_live_review_or_report_imports():
    edges = {(mod, target) for mod, _line, target in _internal_edges()}
    for mod, target in TEMPORARY_ALLOWED_UPWARD:
        assert layer(mod) in ("review", "report"), mod
        assert (mod, target) in edges, f"stale allow-list entry: {mod} -> {target}"


def _cycle(runtime_only: bool = True) -> list[str]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod, _line, target in _internal_edges(runtime_only=runtime_only):
        if target in graph:
            graph[mod].add(target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_no_import_cycle():
    assert _cycle() == []


def test_no_import_cycle_even_through_annotations():
    # the model's generic functions annotate stats.fitted.FittedModel (a Protocol), not
    # stats.model.RmaFit, so not even an `if TYPE_CHECKING:` import closes a circle
    assert _cycle(runtime_only=False) == []


def test_cycle_detector_finds_a_cycle(monkeypatch):
    """The detector itself works: a fake a -> b -> a edge is reported."""
    fake = [("trialmeta.data.a", 1, "trialmeta.data.b"), ("trialmeta.data.b", 1,
            "trialmeta.data.a")]  # fmt: skip
    monkeypatch.setitem(MODULES, "trialmeta.data.a", MODULES["trialmeta.errors"])
    monkeypatch.setitem(MODULES, "trialmeta.data.b", MODULES["trialmeta.errors"])
    monkeypatch.setattr(sys.modules[__name__], "_internal_edges", lambda runtime_only=False: fake)
    assert _cycle() == ["trialmeta.data.a", "trialmeta.data.b", "trialmeta.data.a"]


def _runtime_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {s.split(">")[0].split("=")[0].split("<")[0].strip().lower()
            for s in project["dependencies"]}  # fmt: skip


def _extra_dependencies(extra: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {s.split(">")[0].split("=")[0].split("<")[0].strip().lower()
            for s in project["optional-dependencies"][extra]}  # fmt: skip


def test_type_checking_imports_are_not_runtime_edges(monkeypatch, tmp_path):
    # an import under `if TYPE_CHECKING:` is an edge, but not a runtime one
    src = tmp_path / "fake.py"
    src.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from trialmeta.stats.model import RmaFit\n",
        encoding="utf-8",
    )
    monkeypatch.setitem(MODULES, "trialmeta.stats.fake", src)
    mod = "trialmeta.stats.fake"
    assert "trialmeta.stats.model" in {t for m, _, t in _internal_edges() if m == mod}
    assert ("trialmeta.stats.model" not in {t for m, _, t in _internal_edges(runtime_only=True)
                                            if m == mod})  # fmt: skip


def test_third_party_imports_are_runtime_dependencies():
    runtime = _runtime_dependencies()
    stdlib = set(sys.stdlib_module_names)
    wrong = []
    for mod in MODULES:
        allowed = THIRD_PARTY_ALLOWED.get(layer(mod))
        for line, target in imports(mod):
            top = target.split(".")[0]
            if top in stdlib or top in ("trialmeta", "__future__", ""):
                continue
            dist = DIST_NAME.get(top, top)
            if top in OPTIONAL_IMPORTS:
                extra, prefix = OPTIONAL_IMPORTS[top]
                if not mod.startswith(prefix) or dist not in _extra_dependencies(extra):
                    wrong.append(
                        f"{MODULES[mod].relative_to(ROOT)}:{line}: {mod} imports "
                        f"{top} (optional: [{extra}], only in {prefix}*)"
                    )
                continue
            if (
                dist not in runtime
                or (allowed is not None and top not in allowed)
                or (
                    top == "matplotlib"
                    and layer(mod) != "plots"
                    and mod not in MATPLOTLIB_OUTSIDE_PLOTS
                )
            ):
                wrong.append(f"{MODULES[mod].relative_to(ROOT)}:{line}: {mod} imports {top}")
    assert wrong == []


def test_core_does_not_depend_on_the_workflow_or_bench_extras():
    runtime = _runtime_dependencies()
    assert "snakemake" not in runtime and "statsmodels" not in runtime
