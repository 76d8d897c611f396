"""Meta-regression of one main analysis on each configured trial-level moderator, when at
least ``meta_regression.min_k`` trials report it (Cochrane Handbook 10.11.5.1: about ten
studies per covariate)."""

from __future__ import annotations

import numpy as np

from trialmeta.errors import TrialmetaError
from trialmeta.review.codec import NotRun
from trialmeta.review.config import MetaRegressionConfig, ModelConfig
from trialmeta.review.results import PENDING, EffectRow, MetaRegression
from trialmeta.stats.metareg import meta_regression

__all__ = ["moderator_rows", "meta_regressions"]


def moderator_rows(
    effects: tuple[EffectRow, ...], moderator: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(yi, vi, x)`` of the rows that report ``moderator`` (a finite number)."""
    x = np.array([r.number(moderator) for r in effects], dtype=float)
    ok = np.isfinite(x)
    y = np.array([r.yi for r in effects], dtype=float)
    v = np.array([r.vi for r in effects], dtype=float)
    return y[ok], v[ok], x[ok]


def meta_regressions(
    effects: tuple[EffectRow, ...], model: ModelConfig, settings: MetaRegressionConfig
) -> dict[str, MetaRegression | NotRun]:
    """One fit per moderator; its permutation test is left :data:`PENDING`."""
    out: dict[str, MetaRegression | NotRun] = {}
    for mod in settings.moderators:
        y, v, x = moderator_rows(effects, mod)
        if x.size < settings.min_k:
            out[mod] = NotRun(
                f"only {x.size} trials report {mod}; at least {settings.min_k} needed"
            )
            continue
        try:
            r = meta_regression(
                y, v, x, method=model.method, test=model.test, level=model.level, names=[mod]
            )
        except TrialmetaError as err:
            out[mod] = NotRun(str(err))
            continue
        out[mod] = MetaRegression(r, PENDING)
    return out
