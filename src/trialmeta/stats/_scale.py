"""Exact rescaling of data too large or too small for the estimators' arithmetic.

Every estimator here is equivariant under a change of units: with ``yᵢ → c·yᵢ`` and
``vᵢ → c²·vᵢ`` the estimate, its SE, CI and prediction interval scale by ``c``, τ² and its
SE and CI by ``c²``, and Q, I², H², test statistics, p-values and weights do not change.
When ``max(|yᵢ|, √vᵢ)`` lies outside ``[2⁻⁴⁰, 2⁴⁰]``, :func:`rescaled` divides the data by
``c = 2ᵉ`` so that it lies in ``[½, 1)``, calls the estimator, and multiplies the location
and variance fields of its result back. Multiplying by a power of two is exact in binary
floating point, so nothing is lost; data inside the window are passed through untouched
(bit-identical results). Data whose *ratio* ``max(yᵢ², vᵢ)/min(vᵢ)`` is too large cannot be
rescaled into range and are refused by :func:`trialmeta._checks.check_range`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from trialmeta import flags as fl
from trialmeta._checks import check_range, yi_vi_values
from trialmeta.errors import InputError

__all__ = ["rescaled", "scale_exponent"]

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

_WINDOW = 40  # |log2 max(|y|, sqrt(v))| above which data are rescaled
_TAU2_MAX_METHODS = ("PM", "ML", "REML", "EB")
_METAFOR_TAU2_MAX = 100.0


def scale_exponent(y: np.ndarray, v: np.ndarray) -> int:
    """``e`` such that ``max(|y|, √v) / 2ᵉ`` lies in ``[½, 1)``; 0 inside the window."""
    top = max(float(np.max(np.abs(y))), math.sqrt(float(np.max(v))))
    _, e = math.frexp(top)
    return 0 if abs(e) <= _WINDOW else e


def _times(value: object, e: int) -> object:
    if isinstance(value, np.ndarray):
        return np.ldexp(value, e)
    if isinstance(value, float):
        return math.ldexp(value, e)
    return value


def _tau2_flag(result: object, changes: dict[str, object]) -> None:
    """Re-decide metafor's ``tau2.max`` flag on the τ² of the original units."""
    flags = getattr(result, "flags", None)
    tau2 = changes.get("tau2")
    if flags is None or tau2 is None or getattr(result, "method", "") not in _TAU2_MAX_METHODS:
        return
    if fl.TAU2_FIXED in flags:  # the user's value, not a search that metafor would cap
        return
    above = bool(np.any(np.asarray(tau2, dtype=float) > _METAFOR_TAU2_MAX))
    kept = [f for f in flags if f != fl.TAU2_BEYOND_METAFOR_MAX]
    changes["flags"] = tuple(kept + [fl.TAU2_BEYOND_METAFOR_MAX] * above)


def _unscale(result: R, e: int, location: tuple[str, ...], variance: tuple[str, ...]) -> R:
    changes: dict[str, object] = {}
    for name in location:
        changes[name] = _times(getattr(result, name), e)
    for name in variance:
        changes[name] = _times(getattr(result, name), 2 * e)
    _tau2_flag(result, changes)
    return dataclasses.replace(result, **changes)  # type: ignore[type-var]


def _scale_arguments(fn: Callable[..., Any], names: tuple[str, ...], e: int,
                     args: tuple[Any, ...], kwargs: dict[str, Any]
                     ) -> tuple[tuple[Any, ...], dict[str, Any]]:  # fmt: skip
    """``args``/``kwargs`` with the arguments ``names`` (in units of ``vi``, e.g. a fixed
    τ²) divided by ``2^(2e)``; a value that is not a number is left for ``fn`` to refuse."""
    if not names:
        return args, kwargs
    bound = inspect.signature(fn).bind_partial(None, None, *args, **kwargs)
    for name in names:
        value = bound.arguments.get(name)
        if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
            bound.arguments[name] = math.ldexp(float(value), -2 * e)
    return bound.args[2:], bound.kwargs


def rescaled(location: tuple[str, ...], variance: tuple[str, ...],
             variance_args: tuple[str, ...] = ()) -> Callable[[F], F]:  # fmt: skip
    """Decorate ``fn(yi, vi, ...)`` (returning a frozen dataclass) to run on rescaled data
    when needed; ``location``/``variance`` name the result fields in units of ``yi`` / of
    ``vi``, ``variance_args`` the arguments in units of ``vi`` (rescaled with the data).
    Invalid input is passed through so that ``fn`` reports it."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(yi: object, vi: object, *args: Any, **kwargs: Any) -> Any:
            try:
                y, v = yi_vi_values(yi, vi)
            except InputError:
                return fn(yi, vi, *args, **kwargs)
            check_range(y, v)  # on the data as given, so the message shows its values
            e = scale_exponent(y, v)
            if e == 0:
                return fn(y, v, *args, **kwargs)
            args, kwargs = _scale_arguments(fn, variance_args, e, args, kwargs)
            res = fn(np.ldexp(y, -e), np.ldexp(v, -2 * e), *args, **kwargs)
            return _unscale(res, e, location, variance)

        return cast(F, wrapper)

    return decorate
