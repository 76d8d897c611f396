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
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

__all__ = ["FLAT", "OMIT_NONE", "NotRun", "from_data", "to_data"]

T = TypeVar("T")
FLAT: Mapping[str, bool] = types.MappingProxyType({"flat": True})
OMIT_NONE: Mapping[str, bool] = types.MappingProxyType({"omit_none": True})


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
    if isinstance(value, np.ndarray):
        return [to_data(v) for v in value.tolist()]
    args = typing.get_args(tp) if tp is not None else ()
    if isinstance(value, (list, tuple)):
        item = args[0] if args else None
        return [to_data(v, item) for v in value]
    if isinstance(value, Mapping):
        item = args[1] if len(args) == 2 else None
        return {str(k): to_data(v, item) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
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


def from_data(tp: type[T] | Any, data: Any) -> T:
    """Rebuild a value of type ``tp`` from its :func:`to_data` form."""
    return typing.cast(T, _read(tp, data))


def _read(tp: Any, data: Any) -> Any:
    if tp is Any or tp is object:
        return data
    if _is_union(tp):
        return _read_union(tp, data)
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        item = args[0]
        return tuple(_read(item, v) for v in data)
    if origin in (list,):
        return [_read(typing.get_args(tp)[0], v) for v in data]
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        args = typing.get_args(tp) or (str, Any)
        return {k: _read(args[1], v) for k, v in data.items()}
    if tp is float:
        return math.nan if data is None else data
    if tp is np.ndarray:
        return _array(data)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if dataclasses.is_dataclass(tp):
        return _read_object(tp, data)
    return data


def _read_union(tp: Any, data: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if data is None and len(args) < len(typing.get_args(tp)):
        return None
    if NotRun in args:
        if not data.get("run"):
            return NotRun(str(data.get("reason", "")), tuple(data.get("flags") or ()))
        data = {k: v for k, v in data.items() if k != "run"}
        args = [a for a in args if a is not NotRun]
    if len(args) == 1:
        return _read(args[0], data)
    for a in args:  # e.g. float | str: the first type the value already has
        if isinstance(data, a if isinstance(a, type) else object):
            return _read(a, data)
    return data


def _read_object(cls: Any, data: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    claimed = {f.name for f in fields if not f.metadata.get("flat")}
    for f in fields:
        if f.metadata.get("flat") and dataclasses.is_dataclass(hints[f.name]):
            claimed |= {g.name for g in dataclasses.fields(hints[f.name])}
    kwargs: dict[str, Any] = {}
    for f in fields:
        tp = hints[f.name]
        if f.metadata.get("flat"):
            if dataclasses.is_dataclass(tp):
                kwargs[f.name] = _read_object(tp, data)
            else:
                kwargs[f.name] = {k: v for k, v in data.items() if k not in claimed}
        elif f.name in data:
            kwargs[f.name] = _read(tp, data[f.name])
        elif f.metadata.get("omit_none"):
            kwargs[f.name] = None
    return cls(**kwargs)


def _array(data: Any) -> np.ndarray:
    """A list (or nested lists) as an array; any ``null`` makes it float with NaN there."""
    if _has_none(data):
        return np.array(_none_to_nan(data), dtype=float)
    return np.asarray(data)


def _has_none(data: Any) -> bool:
    return data is None or (isinstance(data, list) and any(_has_none(v) for v in data))


def _none_to_nan(data: Any) -> Any:
    if isinstance(data, list):
        return [_none_to_nan(v) for v in data]
    return math.nan if data is None else data
