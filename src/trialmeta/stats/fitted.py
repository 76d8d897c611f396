"""What the generic functions of a fitted model read from it (:class:`FittedModel`).

:class:`trialmeta.stats.model.RmaFit` (metafor's ``rma.uni`` object) satisfies this
protocol. The modules of its generic functions (``predict``, ``residuals``, ``rstandard``,
``blup``, ``vcov``, ``hatvalues``, ``influence``, ``logLik``/``confint``/``anova``) take a
``FittedModel``, so they need not import the model that calls them: the model imports
them, never the other way round.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ["FittedModel"]


class FittedModel(Protocol):
    """A fitted model ``yᵢ = xᵢ'β + uᵢ + εᵢ`` with its data (fields of ``RmaFit``)."""

    @property
    def yi(self) -> np.ndarray: ...
    @property
    def vi(self) -> np.ndarray: ...
    @property
    def X(self) -> np.ndarray: ...  # noqa: N802 (metafor's name)
    @property
    def names(self) -> tuple[str, ...]: ...
    @property
    def method(self) -> str: ...
    @property
    def test(self) -> str: ...
    @property
    def level(self) -> float: ...
    @property
    def tau2(self) -> float: ...
    @property
    def tau2_fixed(self) -> bool: ...
    @property
    def weights(self) -> np.ndarray | None: ...
    @property
    def ni(self) -> np.ndarray | None: ...
    @property
    def beta(self) -> np.ndarray: ...
    @property
    def vb(self) -> np.ndarray: ...
    @property
    def df(self) -> float: ...
    @property
    def s2w(self) -> float: ...
    @property
    def k(self) -> int: ...
    @property
    def p(self) -> int: ...
    @property
    def int_only(self) -> bool: ...
    @property
    def parms(self) -> int: ...

    def refit(
        self,
        yi: np.ndarray,
        vi: np.ndarray,
        X: np.ndarray,  # noqa: N803
        weights: np.ndarray | None,
        tau2: float | None = None,
        method: str | None = None,
    ) -> FittedModel:
        """The same model on other data (see ``RmaFit.refit``)."""
        ...
