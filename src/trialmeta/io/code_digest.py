"""A digest of the trialmeta source a workflow script runs, so Snakemake reruns a rule when
the package code it uses changes (not only when its adapter script changes).

:func:`script_digest` reads the script's ``import trialmeta...`` statements, follows the
package's own imports from there (statically, with :mod:`ast`; nothing is imported or
run), and hashes the source of every module reached, plus the sheet schemas of any
``schemas/`` folder beside them (package data that changes what validation accepts).
The root ``trialmeta/__init__.py`` is hashed but not followed: it only re-exports the
statistical API, so it would otherwise tie every rule to every estimator.
A rule whose digest is unchanged is not rerun for edits elsewhere in the package.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

__all__ = ["module_closure", "script_digest"]

PACKAGE = "trialmeta"
_ROOT = Path(__file__).resolve().parents[1]


@cache
def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    if not parts:
        return _ROOT / "__init__.py"
    rel = Path(*parts)
    for candidate in (_ROOT / rel.with_suffix(".py"), _ROOT / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _import_statements(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements of ``body`` and of every block nested in it (functions,
    classes, ``if``/``try``/``with``/loops: lazy imports count). Imports are statements,
    so expressions are not visited; :func:`ast.walk` over every node cost four times more
    (the digests are computed at every Snakemake call, a no-op rerun included)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                yield from _import_statements(block)


def _named(source: bytes, package: str) -> list[str]:
    """The trialmeta names the source's imports name, resolved from ``package`` (for
    ``from trialmeta.x import y`` both ``trialmeta.x`` and ``trialmeta.x.y``): a function
    of the bytes and the package alone, so it can be kept by content (:class:`_Store`)."""
    tree = ast.parse(source.decode("utf-8"))
    found: set[str] = set()
    for node in _import_statements(tree.body):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] != PACKAGE:
                continue
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return sorted(found)


class _Store:
    """:func:`_named` of each file, kept in a JSON file between Snakemake calls.

    Parsing the package's ~180 modules took 0.3-0.5 s of every Snakemake call (a no-op
    rerun included). Entries are keyed by the SHA-256 of the file's bytes and its package,
    so an entry can never be stale: an edited file has another key. A missing, unreadable
    or malformed store is ignored (everything is parsed), and a store that cannot be
    written is not kept; the digests are the same either way.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list[str]] = {}
        self.dirty = False
        if path is not None:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                return
            if isinstance(data, dict) and data.get("version") == _STORE_VERSION:
                entries = data.get("entries")
                if isinstance(entries, dict):
                    self.entries = {
                        k: v
                        for k, v in entries.items()
                        if isinstance(v, list) and all(isinstance(m, str) for m in v)
                    }

    def named(self, source: bytes, package: str) -> list[str]:
        key = hashlib.sha256(source).hexdigest() + ":" + package
        if key not in self.entries:
            self.entries[key] = _named(source, package)
            self.dirty = True
        return self.entries[key]

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        data = {"version": _STORE_VERSION, "entries": dict(sorted(self.entries.items()))}
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, indent=0), encoding="utf-8")
            os.replace(tmp, self.path)  # atomic: a concurrent reader sees old or new
            self.dirty = False
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


_STORE_VERSION = 1
_store = _Store(None)


def _imports(path: Path, name: str) -> set[str]:
    """trialmeta modules imported by the file (``from trialmeta.x import y`` counts both
    ``trialmeta.x`` and ``trialmeta.x.y`` when the latter is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set(_store.named(_source(path), package))
    parents = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)}
    return {m for m in found | parents if _module_file(m) is not None}


@cache
def _module_imports(name: str) -> frozenset[str]:
    if name == PACKAGE:  # the root __init__ only re-exports the statistical API
        return frozenset()
    path = _module_file(name)
    return frozenset(_imports(path, name)) if path is not None else frozenset()


def module_closure(script: str | Path) -> list[str]:
    """Every trialmeta module the script reaches through imports, sorted."""
    path = Path(script)
    todo = sorted(_imports(path, "__main__"))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(sorted(_module_imports(name) - seen))
    return sorted(seen)


@cache
def _source(f: Path) -> bytes:
    """A file's bytes, read once per process: the workflow digests 15 scripts that share
    most of their modules, and each module is both parsed and hashed."""
    return f.read_bytes()


def _entry(f: Path) -> bytes:
    """What the digest takes of one file: its package path and its bytes."""
    return f.relative_to(_ROOT).as_posix().encode() + b"\0" + _source(f) + b"\0"


def script_digest(script: str | Path, store: str | Path | None = None) -> str:
    """SHA-256 (hex) of the source of :func:`module_closure` and its schema files.

    ``store``: a JSON file that keeps each file's parsed imports between calls (by the
    file's content; :class:`_Store`), e.g. under the workflow's ``.snakemake/``.
    """
    global _store
    if store is not None and _store.path != Path(store):
        _store = _Store(Path(store))
    h = hashlib.sha256()
    files: set[Path] = set()
    for name in module_closure(script):
        path = _module_file(name)
        if path is not None:
            files.add(path)
            files |= set((path.parent / "schemas").glob("*.yaml"))
    for f in sorted(files):
        h.update(_entry(f))
    _store.save()
    return h.hexdigest()
