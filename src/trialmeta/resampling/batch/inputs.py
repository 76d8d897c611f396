"""Input checks and the study-major layout of :func:`~.engine.pool_batch`'s rows."""

from __future__ import annotations

import numpy as np

from trialmeta.errors import InputError
from trialmeta.resampling.batch.stack import Stack, scratch

__all__ = ["stack_inputs", "to_stack"]


def _checks_of(y: np.ndarray, v: np.ndarray) -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    return (("yi", y, np.isfinite(y)), ("vi", v, np.isfinite(v) & (v > 0)))


def stack_inputs(
    yi: object, vi: object, mask: object | None = None, check: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Validate 2-D inputs: return ``y``, ``v`` (N x K), the mask (or None) and row k.

    ``yi`` is N x K (a 1-D input is one row); ``vi`` is broadcast to it (so a
    single row of K variances serves every row); ``mask`` (bool, broadcast)
    marks the studies present. Absent cells may hold anything, even NaN.
    ``check=False`` skips the values (finite y, finite v > 0) when there is no
    mask: the compiled engine checks them as it reads them.
    """
    try:
        y = np.asarray(yi, dtype=float)
        v = np.asarray(vi, dtype=float)
    except (TypeError, ValueError):
        raise InputError("yi/vi", "non-numeric values", "arrays of numbers") from None
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[1] == 0:
        raise InputError("yi", f"array of shape {y.shape}", "an N x K array, K >= 1")
    try:
        v = np.broadcast_to(v, y.shape)
    except ValueError:
        raise InputError("vi", f"shape {v.shape}", f"shape broadcastable to {y.shape}") from None
    present: np.ndarray | None = None
    if mask is not None:
        mk = np.asarray(mask)
        if mk.dtype != bool:
            raise InputError("mask", f"dtype {mk.dtype}", "a boolean array")
        try:
            present = np.broadcast_to(mk, y.shape)
        except ValueError:
            raise InputError(
                "mask", f"shape {mk.shape}", f"shape broadcastable to {y.shape}"
            ) from None
        if present.all():
            present = None
    with np.errstate(all="ignore"):  # fast path: one reduction per array
        clean = present is None and (
            not check or (np.isfinite(y.sum()) and v.min() > 0 and np.isfinite(v.max()))
        )
    for name, arr, ok in () if clean else _checks_of(y, v):
        bad = ~ok if present is None else present & ~ok
        if bad.any():
            i, j = (int(x) for x in np.argwhere(bad)[0])
            expected = "a finite number" if name == "yi" else "a finite number > 0"
            raise InputError(f"{name}[{i}, {j}]", arr[i, j].item(), expected)
    if present is None:
        k = np.full(y.shape[0], y.shape[1], dtype=np.int64)
    else:
        k = present.sum(1)
        empty = np.flatnonzero(k == 0)
        if empty.size:
            raise InputError(
                f"mask[{int(empty[0])}]", "no study present", "at least one study per row"
            )
    return y, v, present, k


def to_stack(
    y: np.ndarray, v: np.ndarray, present: np.ndarray | None, k: np.ndarray, tag: str | None = None
) -> Stack:
    """Study-major :class:`Stack` of validated N x K rows (absent cells: y=0, v=1);
    with ``tag`` and no mask, the arrays are reused per-thread scratch buffers."""
    if present is None:
        if tag is not None:
            shape = (y.shape[1], y.shape[0])
            yt = scratch(f"{tag}.y", shape)
            vt = scratch(f"{tag}.v", shape)
            np.copyto(yt, y.T)
            np.copyto(vt, v.T)
            return Stack(yt, vt, None, k.astype(float))
        return Stack(np.ascontiguousarray(y.T), np.ascontiguousarray(v.T), None, k.astype(float))
    pt = present.T
    return Stack(
        np.ascontiguousarray(np.where(pt, y.T, 0.0)),
        np.ascontiguousarray(np.where(pt, v.T, 1.0)),
        np.ascontiguousarray(pt, dtype=float),
        k.astype(float),
    )
