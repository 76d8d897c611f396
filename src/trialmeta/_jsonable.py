"""Strict-JSON conversion shared by every layer (a leaf module: imports numpy only).

``to_jsonable`` turns numpy scalars and arrays, tuples and non-finite floats into values
``json.dumps(..., allow_nan=False)`` accepts (NaN and ±inf become ``None``). ``AsDict`` is
the one ``to_dict`` mixin of the frozen result dataclasses: field name → JSON-safe value,
in declaration order, so ``--json`` output has stable keys.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import numpy as np

__all__ = ["AsDict", "to_jsonable"]


def to_jsonable(value: object) -> object:
    """Convert numpy scalars/arrays, tuples and NaN into strict-JSON values.

    >>> to_jsonable({"a": np.array([1.0, np.nan]), "b": (np.int64(2), np.bool_(True))})
    {'a': [1.0, None], 'b': [2, True]}
    """
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if not math.isfinite(f) else f
    return value


class AsDict:
    """Mixin for frozen dataclasses: ``to_dict()`` gives field → JSON-safe value."""

    def to_dict(self) -> dict[str, object]:
        """Field name → JSON-safe value, in declaration order."""
        obj: Any = self
        return {f.name: to_jsonable(getattr(self, f.name)) for f in fields(obj)}
