"""Study-major data for the vectorised engine, and the sums every estimator shares.

Data are held study-major: arrays of shape ``(K, N)`` for N meta-analyses of up
to K studies, so that every sum over studies is K contiguous vector additions.
A float mask (1 = study present, 0 = absent) gives ragged k; absent cells hold
``y = 0, v = 1`` and get zero weight.

Notation (intercept-only model, metafor ``rma.uni``): ``wᵢ(τ²) = 1/(vᵢ + τ²)``,
``W = Σw``, ``μ(τ²) = Σwy/W``, ``rᵢ = yᵢ - μ``, ``Q(τ²) = Σw r²`` (Cochran 1954;
DerSimonian & Kacker 2007).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Stack", "Zero", "col_dot", "mean_of", "release_scratch", "scratch", "subset", "vrange",
    "weights", "zero_sums",
]  # fmt: skip

#: largest buffer kept by :func:`scratch` (bytes); bigger ones are allocated each time
SCRATCH_MAX_BYTES = 4 << 20
#: most bytes of buffers kept per thread; past it, buffers are allocated each time
SCRATCH_TOTAL_BYTES = 64 << 20
_local = threading.local()


def release_scratch() -> None:
    """Free this thread's :func:`scratch` buffers."""
    _local.__dict__.pop("bufs", None)


def scratch(name: str, shape: tuple[int, int]) -> np.ndarray:
    """A per-thread reusable C-contiguous float buffer for temporaries (contents undefined).

    A block's (K, N) temporaries are a few hundred kB: freshly allocated, the C
    allocator maps them from the OS and returns them on free, so each costs
    page faults that take ~10x longer than the arithmetic (measured in
    bench/README.md). Reusing a buffer per name avoids that. Buffers (each ≤
    ``SCRATCH_MAX_BYTES``, together ≤ ``SCRATCH_TOTAL_BYTES`` per thread; about
    50 MB after a REML call at k = 10) are kept for the next call, until
    :func:`release_scratch` or the thread ends. Callers must not return a
    scratch array or hold it across another use of ``name``.
    """
    size = shape[0] * shape[1]
    if size * 8 > SCRATCH_MAX_BYTES:
        return np.empty(shape)
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    flat = bufs.get(name)
    if flat is None or flat.size < size:
        kept = sum(b.nbytes for b in bufs.values()) - (0 if flat is None else flat.nbytes)
        if kept + size * 8 > SCRATCH_TOTAL_BYTES:
            return np.empty(shape)
        flat = bufs[name] = np.empty(size)
    return flat[:size].reshape(shape)


@dataclass(frozen=True)
class Stack:
    """Study-major data: ``y``, ``v`` and optional float mask ``m``, all ``(K, N)``."""

    y: np.ndarray
    v: np.ndarray
    m: np.ndarray | None
    k: np.ndarray  # (N,) float: studies per meta-analysis

    def take(self, idx: np.ndarray, tag: str | None = None) -> Stack:
        """The meta-analyses (columns) ``idx``; with ``tag``, into :func:`scratch`
        buffers ``tag.y``, ``tag.v``, ``tag.m`` (valid until ``tag`` is reused)."""
        if tag is None:
            m = None if self.m is None else self.m[:, idx]
            return Stack(self.y[:, idx], self.v[:, idx], m, self.k[idx])
        shape = (self.y.shape[0], idx.size)

        def put(a: np.ndarray, part: str) -> np.ndarray:
            return np.take(a, idx, axis=1, out=scratch(f"{tag}.{part}", shape), mode="wrap")

        m = None if self.m is None else put(self.m, "m")
        return Stack(put(self.y, "y"), put(self.v, "v"), m, self.k[idx])

    @property
    def n(self) -> int:
        return int(self.y.shape[1])


def subset(s: Stack, idx: np.ndarray, tag: str | None = None) -> Stack:
    """``s.take(idx, tag)`` for sorted unique ``idx``, without a copy when it is every column."""
    return s if idx.size == s.n else s.take(idx, tag)


def weights(s: Stack, tau2: np.ndarray | float, out: np.ndarray | None = None) -> np.ndarray:
    """``w = m / (v + τ²)`` (zero for absent studies), into ``out`` if given."""
    if isinstance(tau2, float) and tau2 == 0.0:
        w = np.divide(1.0, s.v, out=out)
    else:
        w = np.add(s.v, tau2, out=out)
        np.divide(1.0, w, out=w)
    if s.m is not None:
        w *= s.m
    return np.asarray(w)


def col_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Column-wise ``Σ a·b`` without a temporary."""
    return np.asarray(np.einsum("ij,ij->j", a, b))


def mean_of(s: Stack, a: np.ndarray) -> np.ndarray:
    """Column means of ``a`` over the studies present."""
    if s.m is None:
        return np.asarray(a.mean(0))
    return np.asarray((a * s.m).sum(0) / s.k)


def vrange(s: Stack) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest sampling variance per column (studies present)."""
    if s.m is None:
        return s.v.min(0), s.v.max(0)
    present = s.m > 0
    return np.where(present, s.v, np.inf).min(0), np.where(present, s.v, -np.inf).max(0)


@dataclass(frozen=True)
class Zero:
    """Sums at ``τ² = 0`` (fixed-effect weights ``w₀ = 1/v``), computed once per block.

    ``a = Σ(w₀r₀)²`` is the first term of the ML/REML score at 0 (None unless asked);
    ``S2 = Σw₀²``; ``q = Q(0)``.
    """

    w: np.ndarray
    W: np.ndarray
    mu: np.ndarray
    q: np.ndarray
    a: np.ndarray | None
    S2: np.ndarray


def zero_sums(s: Stack, tag: str | None = None, score: bool = True) -> Zero:
    """:class:`Zero` for every column of ``s`` (with ``tag``: ``w₀`` in :func:`scratch`;
    ``score``: also ``Zero.a``)."""
    w0 = weights(s, 0.0, None if tag is None else scratch(f"{tag}.w0", s.y.shape))
    W0 = w0.sum(0)
    mu0 = col_dot(w0, s.y) / W0
    r = np.subtract(s.y, mu0, out=scratch("zero.r", s.y.shape))
    wr = np.multiply(w0, r, out=scratch("zero.wr", s.y.shape))
    a = col_dot(wr, wr) if score else None
    return Zero(w0, W0, mu0, col_dot(wr, r), a, col_dot(w0, w0))
