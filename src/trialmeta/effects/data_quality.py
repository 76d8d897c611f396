"""Data-quality rules evaluated per effect row, as flag columns (never prose).

Each rule comes from the config (``data_quality``) and flags an effect row when any arm row
behind it breaks it:

``sd_floor``
    an SD below ``fraction_of_range`` of the instrument's range (an SD far too small for its
    scale is often a standard error; Cochrane Handbook v6.5, section 6.5.2.2);
``sd_ratio``
    an SD more than ``ratio`` times below the median SD of the *other* trials on the same
    outcome (SDs put on 0-100 by the instrument's range; one median per trial). Only small
    SDs are flagged: the error guarded against, an SE or a decimal slip reported as an SD,
    shrinks the SD;
``identical_arms``
    both arms with the same mean and SD (Jiang 2013: a copying error is likely);
``secondary_extraction``
    numbers entered by other reviewers (``verification = secondary_extraction``).

A flagged row stays in the primary analysis. It gets an "excluding flagged data" sensitivity
analysis, and the SD behind the optimal information size and the TSA's required information
size never comes from it (:func:`trialmeta.effects.information.information_sd`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from trialmeta.data.keys import MEASUREMENT_KEY

__all__ = ["FLAG_COLUMNS", "QualityRules", "flag_effects", "rules_from_config"]

FLAG_COLUMNS = (
    "flag_sd_floor",
    "flag_sd_ratio",
    "flag_identical_arms",
    "flag_secondary_extraction",
    "flagged",
    "flags",
)


@dataclass(frozen=True)
class QualityRules:
    """Thresholds of the rules (config ``data_quality``); a rule with ``False`` is off."""

    sd_floor: bool = True
    fraction_of_range: float = 0.05
    sd_ratio: bool = True
    ratio: float = 3.0
    min_other_trials: int = 2
    identical_arms: bool = True
    secondary_extraction: bool = True


def rules_from_config(cfg: Mapping[str, object] | None) -> QualityRules:
    """:class:`QualityRules` from the config's ``data_quality`` section (None: defaults)."""
    if not cfg:
        return QualityRules()
    floor, ratio = _section(cfg, "sd_floor"), _section(cfg, "sd_ratio")
    ident, second = _section(cfg, "identical_arms"), _section(cfg, "secondary_extraction")
    return QualityRules(
        sd_floor=bool(floor.get("enabled", True)),
        fraction_of_range=float(floor.get("fraction_of_range", 0.05)),  # type: ignore[arg-type]
        sd_ratio=bool(ratio.get("enabled", True)),
        ratio=float(ratio.get("ratio", 3.0)),  # type: ignore[arg-type]
        min_other_trials=int(ratio.get("min_other_trials", 2)),  # type: ignore[call-overload]
        identical_arms=bool(ident.get("enabled", True)),
        secondary_extraction=bool(second.get("enabled", True)),
    )


def _section(cfg: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = cfg.get(key)
    return value if isinstance(value, Mapping) else {}


def _key(row: Mapping[Any, object], arm: str) -> tuple[object, ...]:
    vals = [row.get(c) for c in MEASUREMENT_KEY]
    return (
        arm,
        *("" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in vals),
    )


def _arm_sds(arms: pd.DataFrame) -> pd.DataFrame:
    """Arm rows with a reported SD and range: the SD on 0-100 (``sd100``)."""
    sd = pd.to_numeric(arms["sd"], errors="coerce")
    span = pd.to_numeric(arms["scale_max"], errors="coerce") - pd.to_numeric(
        arms["scale_min"], errors="coerce"
    )
    out = arms.assign(sd100=100.0 * sd / span.where(span > 0))
    finite: pd.DataFrame = out[np.isfinite(out["sd100"])]
    return finite


def _arm_flags(arms: pd.DataFrame, rules: QualityRules) -> dict[tuple[object, ...], set[str]]:
    """(arm_id, *arm key) → the SD rules its arm row breaks."""
    sds = _arm_sds(arms)
    per_trial = sds.groupby(["outcome", "study_id"])["sd100"].median()
    out: dict[tuple[object, ...], set[str]] = {}
    for r in sds.to_dict("records"):
        hits: set[str] = set()
        if rules.sd_floor and r["sd100"] < 100.0 * rules.fraction_of_range:
            hits.add("sd_floor")
        others = per_trial.loc[r["outcome"]].drop(r["study_id"], errors="ignore")
        if rules.sd_ratio and len(others) >= rules.min_other_trials:
            ref = float(others.median())
            if r["sd100"] < ref / rules.ratio:
                hits.add("sd_ratio")
        if hits:
            out.setdefault(_key(r, str(r["arm_id"])), set()).update(hits)
    return out


def flag_effects(
    effects: pd.DataFrame, arms: pd.DataFrame, rules: QualityRules | None = None
) -> pd.DataFrame:
    """``effects`` with the :data:`FLAG_COLUMNS` added (booleans, ``flags`` = codes, ``;``)."""
    rules = rules or QualityRules()
    arm_flags = _arm_flags(arms, rules)
    cols: dict[str, list[object]] = {c: [] for c in FLAG_COLUMNS}
    for r in effects.to_dict("records"):
        hits: set[str] = set()
        for side in ("1", "2"):
            for arm in str(r.get(f"arm_id_{side}") or "").split("+"):
                hits |= arm_flags.get(_key(r, arm), set())
        same = all(_finite(r.get(c)) for c in ("m1", "m2", "sd1", "sd2")) and (
            r["m1"] == r["m2"] and r["sd1"] == r["sd2"]
        )
        if rules.identical_arms and same:
            hits.add("identical_arms")
        if rules.secondary_extraction and r.get("verification") == "secondary_extraction":
            hits.add("secondary_extraction")
        for code in ("sd_floor", "sd_ratio", "identical_arms", "secondary_extraction"):
            cols[f"flag_{code}"].append(code in hits)
        cols["flagged"].append(bool(hits))
        cols["flags"].append(";".join(sorted(hits)))
    return effects.assign(**cast(dict[str, Any], cols))


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(float(x))
