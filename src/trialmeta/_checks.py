"""Input checks shared by the estimators: each failure names argument, row and value.

Also the one strict reader of numbers typed by users (:func:`parse_number`), shared by the
sheet validator and the CLI's CSV reader.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from typing import SupportsFloat, cast

import numpy as np

from trialmeta import flags as fl
from trialmeta.errors import InputError, NotComputableError

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
                float(cast(SupportsFloat, v))  # any object: float() decides
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


#: Largest ``max(yi², vi) / min(vi)`` the estimators accept. Beyond it, inverse-variance
#: weights, their squares and sums leave the range of double precision (about 1e±308) in
#: intermediate sums; metafor itself warns from a variance ratio of 1e7.
MAX_DYNAMIC_RANGE = 1e60
#: Largest ``max(|yi|, sqrt(vi))`` (and inverse smallest) estimators accept unscaled;
#: :func:`trialmeta.stats._scale.rescaled` brings larger data into range exactly.
MAX_MAGNITUDE = 1e40


def _log10_top(y: np.ndarray, v: np.ndarray) -> float:
    """``log10(max(max yi², max vi))`` without squaring (no overflow)."""
    ay = float(np.max(np.abs(y)))
    ly = 2.0 * math.log10(ay) if ay > 0 else -math.inf
    return max(ly, math.log10(float(np.max(v))))


def check_range(y: np.ndarray, v: np.ndarray) -> None:
    """Raise :class:`NotComputableError` when ``max(yi², vi) / min(vi) > MAX_DYNAMIC_RANGE``.

    The ratio is scale-free (``(effect / smallest SE)²``), so no change of units helps: a
    standard error 1e30 times smaller than the effects is almost always a data error (an
    SD typed as 1e-100). Computed on logarithms, so extreme values cannot overflow. The
    error names the element to check: the smallest variance when the variances themselves
    span too much, else the largest effect.
    """
    i = int(np.argmin(v))
    low = math.log10(float(v[i]))
    span = _log10_top(y, v) - low
    limit = math.log10(MAX_DYNAMIC_RANGE)
    if span <= limit:
        return
    j = int(np.argmax(np.abs(y)))
    if math.log10(float(np.max(v))) - low <= limit:  # the variances agree: the effects do not
        raise NotComputableError(
            f"the effect sizes are 1e{span / 2:.0f} standard errors from zero (an effect of "
            f"{float(y[j]):.3g} against a smallest sampling variance of {float(v[i]):.3g}), "
            f"beyond the 1e{limit / 2:.0f} that double precision can pool: check that effect "
            "and the standard errors",
            argument="yi",
            row=j,
            flag=fl.NOT_COMPUTABLE_RANGE,
        )
    raise NotComputableError(
        f"the sampling variances span 1e{span:.0f} (max(vi) / min(vi)), beyond the "
        f"1e{limit:.0f} that double precision can pool; the smallest is {float(v[i]):.3g}: "
        "check the SD or SE behind it",
        argument="vi",
        row=i,
        flag=fl.NOT_COMPUTABLE_RANGE,
    )


def check_magnitude(y: np.ndarray, v: np.ndarray) -> None:
    """Raise :class:`NotComputableError` when ``max(|yi|, sqrt(vi))`` is outside
    ``[1/MAX_MAGNITUDE, MAX_MAGNITUDE]`` (estimators that do not rescale their input)."""
    top = _log10_top(y, v) / 2.0
    if abs(top) > math.log10(MAX_MAGNITUDE):
        raise NotComputableError(
            f"the effect sizes or standard errors are of order 1e{top:.0f}, outside "
            f"1e-{math.log10(MAX_MAGNITUDE):.0f} to 1e{math.log10(MAX_MAGNITUDE):.0f}: "
            "express them in other units",
            argument="yi",
            flag=fl.NOT_COMPUTABLE_RANGE,
        )


def yi_vi_values(yi: object, vi: object) -> tuple[np.ndarray, np.ndarray]:
    """Effect sizes and positive sampling variances of equal length (values only)."""
    y = as_vector("yi", yi)
    v = as_vector("vi", vi)
    check_same_length(yi=y, vi=v)
    check_finite("yi", y)
    check_positive("vi", v)
    return y, v


def yi_vi(yi: object, vi: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated effect sizes and positive sampling variances of equal length, whose range
    double precision can pool (:func:`check_range`, :func:`check_magnitude`)."""
    y, v = yi_vi_values(yi, vi)
    check_range(y, v)
    check_magnitude(y, v)
    return y, v


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)


def parse_number(text: str) -> float | None:
    """The value of a plain decimal numeral, or None.

    Plain means ASCII digits with an optional sign, decimal point and exponent
    (``-1.5``, ``.5``, ``2e3``). ``float()`` also accepts what a spreadsheet user never
    means as a number and would be misread silently: PEP 515 digit grouping (``2_5`` is
    25), ``inf``/``nan`` and non-ASCII digits. Surrounding spaces are not stripped.

    >>> parse_number("2.5"), parse_number("2_5"), parse_number("inf")
    (2.5, None, None)
    """
    return float(text) if _NUMBER.match(text) else None


def number_hint(text: str) -> str:
    """What a text that :func:`parse_number` rejects should look like, for the message."""
    if "_" in text and parse_number(text.replace("_", "")) is not None:
        return (
            f"digits without '_' ({text.replace('_', '')!r} if '_' groups digits, "
            f"{text.replace('_', '.', 1)!r} if it is a decimal mark)"
        )
    ascii_digits = "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c
                           for c in text)  # fmt: skip
    if ascii_digits != text and parse_number(ascii_digits) is not None:
        return f"ASCII digits ({ascii_digits!r})"
    return "a number"


def check_tau2(tau2: object, method: str) -> float | None:
    """A user-fixed τ² (metafor ``tau2=``): ``None``, or a finite number >= 0 for a
    random-effects method."""
    if tau2 is None:
        return None
    if method == "FE":
        raise InputError("tau2", tau2, "no tau2 with method FE (a common-effect model)")
    try:
        t = float(tau2)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError("tau2", tau2, "a number >= 0") from None
    if not np.isfinite(t) or t < 0:
        raise InputError("tau2", tau2, "a finite number >= 0")
    return t


def check_weights(weights: object, k: int) -> np.ndarray | None:
    """User weights (metafor ``weights=``): ``None``, or k finite numbers >= 0, not all 0."""
    if weights is None:
        return None
    w = as_vector("weights", weights)
    if len(w) != k:
        raise InputError("weights", f"length {len(w)}", f"length {k} (one per study)")
    check_finite("weights", w)
    bad = np.flatnonzero(w < 0)
    if bad.size:
        raise InputError("weights", w[bad[0]].item(), "a weight >= 0", row=int(bad[0]))
    if not np.any(w > 0):
        raise InputError("weights", "all zero", "at least one weight > 0")
    return w
