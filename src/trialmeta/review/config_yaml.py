"""Read config files as plain data, refusing what YAML would otherwise do silently.

A review config is data. PyYAML (YAML 1.1) and Snakemake's loader accept several
constructs that change values without a word or that run code, so every config file is
read here first, and each of these is a located problem (``file:line: ...``):

- duplicate keys (YAML keeps the last one: ``measure: MD`` then ``measure: SMD``);
- aliases (``*a``), the building block of "billion laughs" files that expand to gigabytes
  before any schema sees them; a config never needs them;
- ``__use_yte__``: Snakemake then evaluates ``?expr`` values as Python (YTE templating),
  so a shared config could run code even on a dry run;
- numbers YAML 1.1 reads in surprising ways: digit grouping (``2_5`` is 25), sexagesimal
  (``1:30`` is 90), octal and hex (``010`` is 8); only plain decimals are numbers here;
- tags that build Python objects (SafeLoader refuses them), and files over 1 MB.

Files are merged as Snakemake merges ``--configfile`` overlays: mappings key by key,
anything else replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["MAX_CONFIG_BYTES", "merge_config", "read_config_file", "read_config_files"]

MAX_CONFIG_BYTES = 1_000_000
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)\Z|\.(nan|NaN|NAN)\Z")


class _Problem(yaml.YAMLError):
    def __init__(self, node: yaml.Node, text: str):
        super().__init__(text)
        self.line = node.start_mark.line + 1
        self.text = text


class _Strict(yaml.constructor.SafeConstructor):
    """SafeConstructor that refuses duplicate keys (the numbers: :func:`_plain_number`)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise _Problem(
                    key_node,
                    f"duplicate key {key!r} (got it again, also on line "
                    f"{seen[key]}; expected each key once: YAML would "
                    "keep the last)",
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_Strict, yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and YAML 1.1's non-decimal numbers."""


_C_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


class _FastStrictLoader(_Strict, _C_LOADER or yaml.SafeLoader):  # type: ignore[misc]
    """The same with libyaml's parser (PyYAML's C binding), ten times faster; every
    config is read at each Snakemake call. Anything it raises is read again by
    :class:`_StrictLoader`, so every problem is worded (and located) as before."""


def _plain_number(loader: Any, node: yaml.ScalarNode) -> object:
    text = str(node.value)
    if node.tag.endswith(":int") and _INT.match(text):
        return int(text)
    if node.tag.endswith(":float") and (_FLOAT.match(text) or _SPECIAL_FLOAT.match(text)):
        return float(
            text.replace(".inf", "inf")
            .replace(".Inf", "inf")
            .replace(".INF", "inf")
            .replace(".nan", "nan")
            .replace(".NaN", "nan")
            .replace(".NAN", "nan")
        )
    raise _Problem(
        node,
        f"number in a YAML 1.1 notation (got {text!r}, expected a plain "
        "decimal such as 25 or 0.25: digit groups, sexagesimal, octal and "
        "hex values are read differently than they look)",
    )


for _loader in (_StrictLoader, _FastStrictLoader):
    _loader.add_constructor("tag:yaml.org,2002:int", _plain_number)
    _loader.add_constructor("tag:yaml.org,2002:float", _plain_number)


def _alias_lines(text: str) -> list[int]:
    """Lines of every alias, found from the event stream (nothing is expanded): with
    libyaml's parser when PyYAML has it; PyYAML's own words any problem."""
    if _C_LOADER is not None:
        try:
            return _aliases(text, _C_LOADER)
        except yaml.YAMLError:
            pass
    return _aliases(text, yaml.SafeLoader)


def _aliases(text: str, loader: Any) -> list[int]:
    return [
        getattr(ev.start_mark, "line", 0) + 1
        for ev in yaml.parse(text, Loader=loader)
        if isinstance(ev, yaml.AliasEvent)
    ]


def _strict_load(text: str) -> Any:
    """The document, with :class:`_FastStrictLoader` when libyaml is there; on any problem
    :class:`_StrictLoader` reads it again and raises as it always did."""
    if _C_LOADER is not None:
        try:
            return yaml.load(text, Loader=_FastStrictLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def read_config_file(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Parse one config file; returns ``(data, problems)`` (``data`` is ``{}`` on problems)."""
    label = str(path)
    try:
        if not Path(path).is_file():
            return {}, [f"{label}: not a regular file (expected a YAML config file)"]
        size = Path(path).stat().st_size
        if size > MAX_CONFIG_BYTES:
            return {}, [
                f"{label}: file too large (got {size:,} bytes, expected at most "
                f"{MAX_CONFIG_BYTES:,} for a config)"
            ]
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [
            f"{label}: not readable (got {type(exc).__name__}: {exc}, expected a UTF-8 YAML file)"
        ]
    try:
        aliases = _alias_lines(text)
        if aliases:
            return {}, [
                f"{label}:{line}: YAML alias (got an alias, expected plain values: "
                "aliases can expand a small file to gigabytes)"
                for line in aliases
            ]
        data = _strict_load(text)
    except _Problem as exc:
        return {}, [f"{label}:{exc.line}: {exc.text}"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(mark, "line", None)
        where = f":{line + 1}" if isinstance(line, int) else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, [
            f"{label}{where}: not valid YAML (got {what}, expected a plain YAML "
            "mapping; Python tags are refused)"
        ]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, [
            f"{label}: not a mapping (got {type(data).__name__}, expected keys at the top level)"
        ]
    if "__use_yte__" in data:
        return {}, [
            f"{label}: __use_yte__: YTE templating (got {data['__use_yte__']!r}, expected "
            "no such key: a config is data and is never evaluated as code)"
        ]
    return data, []


def merge_config(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``overlay`` as Snakemake's ``update_config`` does (in place)."""
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge_config(base[key], value)
        else:
            base[key] = value
    return base


def read_config_files(
    paths: Sequence[str | Path],
) -> tuple[dict[str, Any], list[str], list[tuple[str, dict[str, Any]]]]:
    """Read and merge ``paths`` in order: ``(merged, problems, [(file, data), ...])``."""
    merged: dict[str, Any] = {}
    problems: list[str] = []
    parts: list[tuple[str, dict[str, Any]]] = []
    for p in paths:
        data, more = read_config_file(p)
        problems += more
        parts.append((str(p), data))
        merge_config(merged, _deep_copy(data))
    return merged, problems, parts


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
