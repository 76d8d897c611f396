"""The columns that identify a measurement in the arms sheet, shared by validation and the
effects layer (duplicate checks, pairing of arms, plausibility checks, accounting)."""

from __future__ import annotations

__all__ = ["ARM_KEY", "MEASUREMENT_KEY"]

MEASUREMENT_KEY: tuple[str, ...] = (
    "study_id",
    "outcome",
    "instrument",
    "instrument_detail",
    "timepoint_weeks",
    "timepoint_label",
    "measure",
)
"""One outcome measured one way at one time in one trial: the arms sharing it are compared."""

ARM_KEY: tuple[str, ...] = (MEASUREMENT_KEY[0], "arm_id", *MEASUREMENT_KEY[1:])
"""One arm's row of a measurement (unique in the arms sheet)."""
