"""GOSH: the model fitted to every subset of studies (Olkin, Dahabreh & Trikalinos 2012).

All ``2^k - 1`` subsets are fitted when that is at most ``max_subsets``, else a
seeded random sample of non-empty subsets (uniform over subsets, i.e. each
study in with probability 1/2; duplicates possible, as metafor's ``gosh``).
Fitting uses the vectorised engine (:mod:`trialmeta.batch`) in blocks, so
memory stays bounded: k = 20 (1,048,575 subsets) takes seconds, where metafor's
``gosh()`` takes tens of minutes.

Which studies drive a separate cluster (documented method)
----------------------------------------------------------
A GOSH plot (I² against the estimate) splits into clusters when one or a few
studies move every subset that contains them. For each study j we compare the
subsets with j to those without it (Olkin et al. 2012; in the spirit of
Harrer et al. 2021's ``gosh.diagnostics``, without their clustering step):

- ``shift_estimate[j]`` = mean estimate with j − mean estimate without j, and
  ``shift_i2[j]`` the same for I² (percent);
- both divided by the standard deviation of that quantity over all subsets;
  ``influence[j] = sqrt(z_est² + z_i2²)``.

Subsets that cluster apart are flagged by a robust distance from the centre:
``d = sqrt(((est - median)/s_est)² + ((I² - median)/s_I²)²)`` with
``s = 1.4826·MAD``; ``d > sqrt(χ²₂(0.99)) ≈ 3.03`` flags the subset
(``outlying``). ``lift[j]`` is how much more often study j is in flagged
subsets than in all subsets. A study is named a *driver* when its inclusion
shifts the mean estimate or I² by at least ``driver_threshold`` (default 1)
standard deviations, i.e. ``influence >= driver_threshold``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from trialmeta._checks import METHODS, check_choice, yi_vi
from trialmeta.errors import InputError
from trialmeta.io.progress import Progress
from trialmeta.resampling.batch.engine import fit_core
from trialmeta.resampling.batch.tau2 import Stack
from trialmeta.stats.results import to_jsonable

__all__ = ["GoshResult", "gosh", "subset_members"]

MAX_K = 63
_BLOCK = 32_768
#: sqrt(χ²₂(0.99)): chi-square with 2 df is exponential with mean 2, so its 0.99 quantile
#: is -2·ln(0.01) (equal to scipy.stats.chi2.ppf(0.99, 2) to the last bit: test_gosh.py)
_OUTLIER_D = math.sqrt(-2.0 * math.log(0.01))


@dataclass(frozen=True)
class GoshResult:
    """Fits of every (or a sample of) subset(s) plus the per-study diagnostics.

    ``membership[i]`` is a bitmask: bit j set means study j is in subset i
    (decode with :func:`subset_members`). Single-study subsets have NaN
    ``tau2``/``i2_percent``/``q`` (heterogeneity undefined).
    """

    method: str
    k: int
    n_subsets: int
    exhaustive: bool
    seed: int
    labels: tuple[str, ...]
    membership: np.ndarray
    k_subset: np.ndarray
    estimate: np.ndarray
    tau2: np.ndarray
    i2_percent: np.ndarray
    q: np.ndarray
    outlying: np.ndarray
    shift_estimate: np.ndarray
    shift_i2: np.ndarray
    influence: np.ndarray
    lift: np.ndarray
    drivers: tuple[str, ...]
    driver_threshold: float

    def to_dict(self, per_subset: bool = False) -> dict[str, object]:
        """JSON-safe summary; the per-subset arrays only with ``per_subset=True``."""
        skip = set() if per_subset else {
            "membership", "k_subset", "estimate", "tau2", "i2_percent", "q", "outlying"
        }  # fmt: skip
        out = {
            f.name: to_jsonable(getattr(self, f.name)) for f in fields(self) if f.name not in skip
        }
        out["n_outlying"] = int(self.outlying.sum())
        return out


def subset_members(code: int, k: int) -> list[int]:
    """Indices of the studies in the subset with bitmask ``code``."""
    return [j for j in range(k) if (int(code) >> j) & 1]


def _codes(k: int, max_subsets: int, seed: int) -> tuple[np.ndarray, bool]:
    total = 2**k - 1
    if total <= max_subsets:
        return np.arange(1, total + 1, dtype=np.uint64), True
    rng = np.random.default_rng(seed)
    return rng.integers(1, 2**k, size=max_subsets, dtype=np.uint64, endpoint=False), False


def _fit_block(
    y: np.ndarray, v: np.ndarray, codes: np.ndarray, method: str
) -> dict[str, np.ndarray]:
    k = y.size
    bits = np.arange(k, dtype=np.uint64)[:, None]
    m = ((codes[None, :] >> bits) & np.uint64(1)).astype(float)  # (k, C)
    ks = m.sum(0)
    n = codes.size
    out = {name: np.full(n, np.nan) for name in ("estimate", "tau2", "i2_percent", "q")}
    out["k_subset"] = ks
    one = ks == 1
    if one.any():
        out["estimate"][one] = (m[:, one] * y[:, None]).sum(0)
    many = np.flatnonzero(~one)
    if many.size:
        mm = m[:, many]
        s = Stack(mm * y[:, None], np.where(mm > 0, v[:, None], 1.0), mm, ks[many])
        res = fit_core(s, method)
        for name in ("estimate", "tau2", "i2_percent", "q"):
            out[name][many] = res[name]
    return out


def _spread(x: np.ndarray) -> float:
    """Standard deviation, or inf when it is rounding noise (all values equal)."""
    sd = float(x.std())
    return sd if sd > 1e-12 * (float(np.abs(x).max()) + 1e-300) else float("inf")


def _diagnostics(
    codes: np.ndarray, est: np.ndarray, i2: np.ndarray, k: int
) -> tuple[np.ndarray, ...]:
    ok = np.isfinite(i2)
    codes, est, i2 = codes[ok], est[ok], i2[ok]
    sd_e, sd_i = _spread(est), _spread(i2)
    med_e, med_i = np.median(est), np.median(i2)
    s_e = 1.4826 * np.median(np.abs(est - med_e)) or sd_e
    s_i = 1.4826 * np.median(np.abs(i2 - med_i)) or sd_i
    # MAD 0 with spread: fall back to the SD; no spread at all: nothing is outlying
    d = np.hypot((est - med_e) / s_e, (i2 - med_i) / s_i)
    flagged = d > _OUTLIER_D
    shift_e, shift_i, lift = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    for j in range(k):
        has = ((codes >> np.uint64(j)) & np.uint64(1)).astype(bool)
        if has.all() or not has.any():
            continue
        shift_e[j] = est[has].mean() - est[~has].mean()
        shift_i[j] = i2[has].mean() - i2[~has].mean()
        if flagged.any():
            lift[j] = has[flagged].mean() / has.mean()
    influence = np.hypot(shift_e / sd_e, shift_i / sd_i)
    out_all = np.zeros(ok.size, dtype=bool)
    out_all[np.flatnonzero(ok)[flagged]] = True
    return out_all, shift_e, shift_i, influence, lift


def gosh(
    yi: object,
    vi: object,
    method: str = "DL",
    max_subsets: int = 2_000_000,
    seed: int = 0,
    labels: list[str] | tuple[str, ...] | None = None,
    driver_threshold: float = 1.0,
    show_progress: bool | None = None,
) -> GoshResult:
    """Fit ``method`` to every subset of studies (GOSH; Olkin et al. 2012).

    Parameters
    ----------
    yi, vi
        Effect sizes and sampling variances of the k studies (2 ≤ k ≤ 63).
    method
        τ² estimator (metafor name); DL is the fast default.
    max_subsets
        Fit all ``2^k - 1`` subsets when that is at most this, else a random
        sample of this many.
    seed
        Seed of the random sample (ignored when exhaustive).
    labels
        Study names for ``drivers`` (default ``"1"``, ``"2"``, ...).
    driver_threshold
        Minimum ``influence`` (in standard deviations) to name a study a driver.
    show_progress
        Progress bar on stderr; ``None``: only on a terminal.

    Returns
    -------
    GoshResult

    Examples
    --------
    >>> r = gosh([0.1, 0.3, 0.35, 0.65, 1.6], [0.01, 0.02, 0.015, 0.04, 0.02])
    >>> r.n_subsets, r.exhaustive, r.drivers
    (31, True, ('5',))
    """
    y, v = yi_vi(yi, vi)
    check_choice("method", method, METHODS)
    k = y.size
    if not 2 <= k <= MAX_K:
        raise InputError("yi", f"{k} studies", f"between 2 and {MAX_K} studies for GOSH")
    if int(max_subsets) < 1:
        raise InputError("max_subsets", max_subsets, "a positive integer")
    names = tuple(str(i + 1) for i in range(k)) if labels is None else tuple(map(str, labels))
    if len(names) != k:
        raise InputError("labels", f"{len(names)} labels", f"{k} labels, one per study")
    codes, exhaustive = _codes(k, int(max_subsets), seed)
    n = codes.size
    res = {name: np.empty(n) for name in ("estimate", "tau2", "i2_percent", "q", "k_subset")}
    with Progress(n, f"GOSH {method} k={k}", enabled=show_progress) as bar:
        for start in range(0, n, _BLOCK):
            block = _fit_block(y, v, codes[start : start + _BLOCK], method)
            for name, val in block.items():
                res[name][start : start + val.size] = val
            bar.update(min(_BLOCK, n - start))
    outlying, shift_e, shift_i, influence, lift = _diagnostics(
        codes, res["estimate"], res["i2_percent"], k
    )
    order = np.argsort(-np.nan_to_num(influence, nan=-1.0))
    drivers = tuple(names[j] for j in order if influence[j] >= driver_threshold)
    return GoshResult(
        method=method, k=k, n_subsets=n, exhaustive=exhaustive, seed=seed, labels=names,
        membership=codes, k_subset=res["k_subset"].astype(np.int16),
        estimate=res["estimate"], tau2=res["tau2"], i2_percent=res["i2_percent"], q=res["q"],
        outlying=outlying, shift_estimate=shift_e, shift_i2=shift_i, influence=influence,
        lift=lift, drivers=drivers, driver_threshold=float(driver_threshold),
    )  # fmt: skip
