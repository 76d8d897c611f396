"""Input checks shared by the estimators: each failure names argument, row and value."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from trialmeta.errors import InputError

METHODS = ("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
TESTS = ("z", "knha")
MEASURES = ("MD", "SMD")


def as_vector(name: str, values: object) -> np.ndarray:
    """Return ``values`` as a 1-D float array, or raise naming the bad element."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        seq = list(values) if isinstance(values, Iterable) else [values]
        for i, v in enumerate(seq):
            try:
                float(v)
            except (TypeError, ValueError):
                raise InputError(name, v, "a number", row=i) from None
        raise InputError(name, values, "a sequence of numbers") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(name, f"array of shape {arr.shape}", "a 1-D sequence")
    return arr


def check_finite(name: str, arr: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise InputError(name, arr[bad[0]].item(), "a finite number", row=int(bad[0]))


def check_positive(name: str, arr: np.ndarray) -> None:
    check_finite(name, arr)
    bad = np.flatnonzero(arr <= 0)
    if bad.size:
        raise InputError(name, arr[bad[0]].item(), "a number > 0", row=int(bad[0]))


def check_same_length(**arrays: np.ndarray) -> int:
    lengths = {k: len(v) for k, v in arrays.items()}
    first_name, n = next(iter(lengths.items()))
    for name, m in lengths.items():
        if m != n:
            raise InputError(name, f"length {m}", f"length {n} (as {first_name})")
    if n == 0:
        raise InputError(first_name, "an empty sequence", "at least one study")
    return n


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError(name, value, "one of " + ", ".join(allowed))
    return value


def check_level(level: object) -> float:
    try:
        lv = float(level)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError("level", level, "a number between 0 and 1, e.g. 0.95") from None
    if not (0.0 < lv < 1.0):
        raise InputError("level", level, "a number between 0 and 1, e.g. 0.95")
    return lv


def yi_vi(yi: object, vi: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated effect sizes and positive sampling variances of equal length."""
    y = as_vector("yi", yi)
    v = as_vector("vi", vi)
    check_same_length(yi=y, vi=v)
    check_finite("yi", y)
    check_positive("vi", v)
    return y, v
