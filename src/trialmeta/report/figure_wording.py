"""The config slice that names things in the figures (a module of its own, so that the
workflow reads it without importing matplotlib)."""

from __future__ import annotations

from dataclasses import dataclass

from trialmeta.review.config import ReviewConfig

__all__ = ["FigureWording"]


@dataclass(frozen=True)
class FigureWording:
    """What the figures' words come from (config): the effect measure and the
    intervention as figures name it (``intervention_label``: the forest plot's column
    heading, and "Favours <label, lower case>" under its axis)."""

    measure: str
    intervention: str

    @classmethod
    def of(cls, cfg: ReviewConfig) -> FigureWording:
        return cls(cfg.measure, cfg.intervention_label)
