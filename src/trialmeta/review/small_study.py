"""Small-study tests of one main analysis: Egger's test (metafor ``regtest``), Begg's rank
test (``ranktest``) and trim-and-fill (``trimfill``), only when k reaches
``grade.pubbias_min_k`` (Cochrane Handbook 13.3.5.4: with fewer than 10 studies the tests
are too weak to tell chance from asymmetry)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from trialmeta.errors import NotComputableError, TrialmetaError
from trialmeta.review.codec import NotRun
from trialmeta.review.results import EffectRow, SmallStudy
from trialmeta.review.units import trial_units
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill

__all__ = ["small_study_tests"]


def small_study_tests(
    effects: tuple[EffectRow, ...], method: str, min_k: int
) -> SmallStudy | NotRun:
    """The three tests on the trials (:func:`trialmeta.review.units.trial_units`), each
    :class:`NotRun` with the core's message when it refuses."""
    u = trial_units(effects)
    if u.k < min_k:
        return NotRun(f"k = {u.k} trials < {min_k}: not run (Cochrane Handbook 13.3.5.4)")
    y, v = u.yi, u.vi
    return SmallStudy(
        _run(egger_test, y, v), _run(begg_test, y, v), _run(trim_and_fill, y, v, method=method)
    )


R = TypeVar("R")


def _run(test: Callable[..., R], y: np.ndarray, v: np.ndarray, **kw: str) -> R | NotRun:
    """The test's result, or :class:`NotRun` with the core's message (and the flag a
    :class:`~trialmeta.errors.NotComputableError` carries, so it reaches the limitations)."""
    try:
        return test(y, v, **kw)
    except NotComputableError as err:  # e.g. trim-and-fill when every SE is equal
        return NotRun(str(err).splitlines()[0], (err.flag,) if err.flag else ())
    except TrialmetaError as err:
        return NotRun(str(err).splitlines()[0])
