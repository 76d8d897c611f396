"""The per-study effect sizes that every effect-size function returns (metafor's ``escalc``).

Its own module so that :mod:`trialmeta.effects.escalc`, :mod:`~trialmeta.effects.binary`
and the table pools of :mod:`trialmeta.stats` share one type without an import cycle, and
the effect layer never imports the statistics layer (``tests/test_layers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta._jsonable import AsDict

__all__ = ["EffectSizes"]


@dataclass(frozen=True)
class EffectSizes(AsDict):
    """Per-study effect sizes, as metafor's ``escalc`` returns them.

    ``yi`` is the effect (group 1 versus group 2; log scale for RR, OR, PETO and ROM),
    ``vi`` its sampling variance, ``ni`` the total sample size (metafor's ``ni``
    attribute). For 2x2 tables ``corrected`` marks the studies whose cells received the
    zero-cell constant and ``dropped`` the double-zero studies left out (``drop00``);
    a study whose effect is not estimable has NaN ``yi``/``vi`` (metafor: ``NA``).
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    ni: np.ndarray | None = None
    corrected: np.ndarray | None = None
    dropped: np.ndarray | None = None
    flags: tuple[str, ...] = ()

    @property
    def sei(self) -> np.ndarray:
        """Standard errors ``sqrt(vi)``."""
        return np.asarray(np.sqrt(self.vi), dtype=float)

    @property
    def estimable(self) -> np.ndarray:
        """True where ``yi`` is finite and ``vi`` finite and > 0: the studies an
        inverse-variance pool can weight (metafor's ``rma`` drops the NA ones)."""
        ok = np.isfinite(self.yi) & np.isfinite(self.vi)
        return np.asarray(ok & (np.where(ok, self.vi, 1.0) > 0), dtype=bool)

    def __len__(self) -> int:
        return int(self.yi.shape[0])
