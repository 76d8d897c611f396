"""One JSON form for the review's typed objects: :func:`to_data` writes, :func:`from_data` reads.

Frozen dataclasses (config sections and results) become JSON objects keyed by field name;
tuples and numpy arrays become lists, NaN and ±inf become ``null`` (strict JSON), enums
their value. Reading uses the resolved type hints (``typing.get_type_hints``), never the
text of an annotation:

- ``float`` fields read ``null`` as NaN; ``np.ndarray`` fields read a list (``null`` → NaN);
- ``X | NotRun`` fields are tagged with ``"run"``: ``{"run": false, "reason": ...}`` is a
  :class:`NotRun`, ``{"run": true, ...fields of X}`` an ``X``;
- a field with ``metadata=FLAT`` is written into its parent object (a stats result stored
  beside the review's own fields, as ``{"omitted": [...], "estimate": [...], ...}``); a
  ``Mapping`` field with ``FLAT`` takes every key the other fields do not claim;
- a field with ``metadata=OMIT_NONE`` is left out when it is ``None``.

``from_data(T, to_data(x)) == x`` for every type used here (tests/unit/test_codec.py).

``from_data(T, data, strict=True)`` is the reader of the workflow's result files: it also
rejects an unknown field, a missing one (unless ``OMIT_NONE``) and a value of the wrong JSON
type (a number for ``float``/``int``, text for ``str``, ``true``/``false`` for ``bool``, a
list for tuples and arrays, an object for dataclasses and mappings, a known enum value),
raising :class:`DecodeError` located by its JSON path (``$.analyses[0].cell.k``). Without
``strict`` (the config, whose schema has checked it) missing fields take their defaults.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import sys
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from trialmeta.errors import TrialmetaError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FLAT", "OMIT_NONE", "DecodeError", "NotRun", "from_data", "to_data"]


def _numpy() -> Any:
    """numpy if a module has loaded it, else ``None``: a value can only be a numpy object
    once numpy is loaded, so the codec never imports it (the Snakemake process, which
    encodes the config's slices, then loads no numpy)."""
    return sys.modules.get("numpy")


T = TypeVar("T")
FLAT: Mapping[str, bool] = types.MappingProxyType({"flat": True})
OMIT_NONE: Mapping[str, bool] = types.MappingProxyType({"omit_none": True})


class DecodeError(TrialmetaError):
    """A value does not fit its declared type (strict reading); ``where`` is its JSON path."""

    def __init__(self, where: str, problem: str):
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


@dataclasses.dataclass(frozen=True)
class NotRun:
    """A step that was not run, or a cell that could not be estimated, and why; ``flags``
    record a reason the core names (e.g. trim-and-fill with equal standard errors)."""

    reason: str
    flags: tuple[str, ...] = ()


def to_data(value: object, tp: object = None) -> Any:
    """JSON-ready form of ``value`` (dataclasses, tuples, arrays, enums, NaN → None).

    ``tp`` is the declared type when ``value`` sits in a container (e.g.
    ``dict[str, X | NotRun]``), so the ``"run"`` tag of ``X | NotRun`` is written there too;
    fields of dataclasses carry their own declared types.
    """
    if tp is not None and _not_run_union(tp) and not isinstance(value, NotRun):
        inner = [a for a in typing.get_args(tp) if a is not NotRun and a is not type(None)]
        return {"run": True, **to_data(value, inner[0] if len(inner) == 1 else None)}
    if isinstance(value, NotRun):
        out: dict[str, Any] = {"run": False, "reason": value.reason}
        return {**out, "flags": list(value.flags)} if value.flags else out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _object_data(value)
    if isinstance(value, enum.Enum):
        return value.value
    np_ = _numpy()
    if np_ is not None and isinstance(value, np_.ndarray):
        return [to_data(v) for v in value.tolist()]
    args = typing.get_args(tp) if tp is not None else ()
    if isinstance(value, (list, tuple)):
        item = args[0] if args else None
        return [to_data(v, item) for v in value]
    if isinstance(value, Mapping):
        item = args[1] if len(args) == 2 else None
        return {str(k): to_data(v, item) for k, v in value.items()}
    if isinstance(value, bool) or (np_ is not None and isinstance(value, np_.bool_)):
        return bool(value)
    if np_ is not None and isinstance(value, np_.integer):
        return int(value)
    if isinstance(value, float) or (np_ is not None and isinstance(value, np_.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    return value


def _object_data(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if f.metadata.get("omit_none") and v is None:
            continue
        data = to_data(v, hints[f.name])
        if f.metadata.get("flat"):
            out.update(data)
        else:
            out[f.name] = data
    return out


def _not_run_union(tp: object) -> bool:
    return _is_union(tp) and NotRun in typing.get_args(tp)


def _is_union(tp: object) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def from_data(tp: type[T] | Any, data: Any, strict: bool = False) -> T:
    """Rebuild a value of type ``tp`` from its :func:`to_data` form (``strict``: see the
    module; a :class:`DecodeError` names the first value that does not fit)."""
    return typing.cast(T, _Reader(strict).read(tp, data, "$"))


_JSON_TYPES: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float),
                                            bool: (bool,)}  # fmt: skip


def _json_name(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    names = {str: "text", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(data), type(data).__name__)


class _Reader:
    """One :func:`from_data` call: ``strict`` and the JSON path of each value read."""

    def __init__(self, strict: bool):
        self.strict = strict

    def fail(self, where: str, data: Any, expected: str) -> DecodeError:
        shown = repr(data) if isinstance(data, (str, int, float)) else _json_name(data)
        return DecodeError(where, f"wrong value (got {shown[:60]}, expected {expected})")

    def need(self, ok: bool, where: str, data: Any, expected: str) -> None:
        if self.strict and not ok:
            raise self.fail(where, data, expected)

    def read(self, tp: Any, data: Any, where: str) -> Any:
        if tp is Any or tp is object:
            return data
        if _is_union(tp):
            return self.union(tp, data, where)
        origin = typing.get_origin(tp)
        if origin in (tuple, list):
            self.need(isinstance(data, list), where, data, "a list")
            item = typing.get_args(tp)[0]
            items = [self.read(item, v, f"{where}[{i}]") for i, v in enumerate(data)]
            return tuple(items) if origin is tuple else items
        if origin in (dict, Mapping) or tp in (dict, Mapping):
            self.need(isinstance(data, dict), where, data, "an object")
            args = typing.get_args(tp) or (str, Any)
            return {k: self.read(args[1], v, f"{where}.{k}") for k, v in data.items()}
        if tp is float and data is None:
            return math.nan
        if tp in _JSON_TYPES:
            ok = isinstance(data, _JSON_TYPES[tp]) and (tp is bool or not isinstance(data, bool))
            self.need(
                ok,
                where,
                data,
                f"{'a number' if tp in (int, float) else tp.__name__}"
                + (" (a whole one)" if tp is int else ""),
            )
            return data
        np_ = _numpy()
        if np_ is not None and tp is np_.ndarray:
            self.need(isinstance(data, list), where, data, "a list")
            return _array(data)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self.enum(tp, data, where)
        if dataclasses.is_dataclass(tp):
            name = getattr(tp, "__name__", "dataclass")
            self.need(isinstance(data, dict), where, data, f"an object ({name})")
            return self.object(tp, data, where)
        return data

    def enum(self, tp: type[enum.Enum], data: Any, where: str) -> enum.Enum:
        try:
            return tp(data)
        except ValueError:
            known = ", ".join(repr(m.value) for m in tp)
            raise self.fail(where, data, f"one of {known}") from None

    def union(self, tp: Any, data: Any, where: str) -> Any:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None and len(args) < len(typing.get_args(tp)):
            return None
        if NotRun in args:
            self.need(
                isinstance(data, dict) and isinstance(data.get("run"), bool),
                where,
                data,
                'an object with "run": true or false',
            )
            if not data.get("run"):
                return self.not_run(data, where)
            data = {k: v for k, v in data.items() if k != "run"}
            args = [a for a in args if a is not NotRun]
        if len(args) == 1:
            return self.read(args[0], data, where)
        for a in args:  # e.g. float | str: the first type the value already has
            if isinstance(data, a if isinstance(a, type) else object):
                return self.read(a, data, where)
        self.need(False, where, data, " or ".join(getattr(a, "__name__", str(a)) for a in args))
        return data

    def not_run(self, data: Mapping[str, Any], where: str) -> NotRun:
        if self.strict:
            self.check_keys(data, {"run", "reason", "flags"}, {"run", "reason"}, where, "NotRun")
            self.need(isinstance(data["reason"], str), f"{where}.reason", data["reason"], "str")
        flags = self.read(tuple[str, ...], data.get("flags") or [], f"{where}.flags")
        return NotRun(str(data.get("reason", "")), flags)

    def check_keys(
        self,
        data: Mapping[str, Any],
        allowed: set[str] | None,
        required: set[str],
        where: str,
        kind: str,
    ) -> None:
        """Every ``required`` key is there and (unless ``allowed`` is None) no other."""
        for key in sorted(required - set(data)):
            raise DecodeError(
                where, f"missing field (got no {key!r}, expected one, as every {kind} has)"
            )
        for key in sorted(set(data) - (set(data) if allowed is None else allowed)):
            raise DecodeError(where, f"unknown field (got {key!r}, expected a field of {kind})")

    def object(self, cls: Any, data: Mapping[str, Any], where: str, flat: bool = False) -> Any:
        """A dataclass; ``flat``: it is a ``FLAT`` field, whose keys its parent checked."""
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        claimed = {f.name for f in fields if not f.metadata.get("flat")}
        open_mapping = False
        for f in fields:
            if f.metadata.get("flat") and dataclasses.is_dataclass(hints[f.name]):
                claimed |= {g.name for g in dataclasses.fields(hints[f.name])}
            elif f.metadata.get("flat"):
                open_mapping = True
        if self.strict:
            required = {
                f.name
                for f in fields
                if not f.metadata.get("flat") and not f.metadata.get("omit_none")
            }
            self.check_keys(
                data, None if open_mapping or flat else claimed, required, where, cls.__name__
            )
        kwargs: dict[str, Any] = {}
        for f in fields:
            tp = hints[f.name]
            if f.metadata.get("flat"):
                if dataclasses.is_dataclass(tp):
                    kwargs[f.name] = self.object(tp, data, where, flat=True)
                else:
                    kwargs[f.name] = {k: v for k, v in data.items() if k not in claimed}
            elif f.name in data:
                kwargs[f.name] = self.read(tp, data[f.name], f"{where}.{f.name}")
            elif f.metadata.get("omit_none"):
                kwargs[f.name] = None
        return cls(**kwargs)


def _array(data: Any) -> np.ndarray:
    """A list (or nested lists) as an array; any ``null`` makes it float with NaN there."""
    import numpy as np  # loaded already: an ndarray field's type was resolved

    if _has_none(data):
        return np.array(_none_to_nan(data), dtype=float)
    return np.asarray(data)


def _has_none(data: Any) -> bool:
    return data is None or (isinstance(data, list) and any(_has_none(v) for v in data))


def _none_to_nan(data: Any) -> Any:
    if isinstance(data, list):
        return [_none_to_nan(v) for v in data]
    return math.nan if data is None else data
