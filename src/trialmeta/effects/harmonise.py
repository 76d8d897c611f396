"""Put arm statistics on one footing: derive mean/SD, align direction, rescale to 0-100.

Direction: after harmonisation a higher value is always worse and a change is always
``post - baseline``, so ``acupuncture - control < 0`` favours acupuncture. Scale: a score
on ``[a, b]`` becomes ``100 (x - a)/(b - a)`` (VAS 0-10 cm and NRS 0-10 to 0-100, ODI raw
0-50 to 0-100 %); SDs, changes and differences are multiplied by ``100/(b - a)``. An
instrument whose higher scores are better is reflected: ``100 (b - x)/(b - a)``.

Plausibility checks (``plausibility_warnings``) never stop a run; each becomes a
data-quality warning naming the study.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trialmeta.data.keys import MEASUREMENT_KEY
from trialmeta.effects.conversions import (
    mean_sd_from_quantiles,
    sd_from_ci,
    sd_from_se,
    t_quantile_threshold,
)
from trialmeta.effects.exclusions import ExclusionReason
from trialmeta.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "HARMONISED_RANGE",
    "SD_FLOOR_FRACTION",
    "ArmStats",
    "arm_stats",
    "direction_factor",
    "plausibility_warnings",
    "scale_factor",
    "to_harmonised",
]

SD_FLOOR_FRACTION = 0.02  # an SD below 2 % of the scale range is implausible
HARMONISED_RANGE = (0.0, 100.0)
"""The scale every MD is put on (lower is better after :func:`direction_factor`)."""


def _num(v: object) -> float:
    if v is None:
        return math.nan
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _has(v: object) -> bool:
    return not math.isnan(_num(v))


def direction_factor(higher_is_worse: object, measure: str, change_sign: object) -> int:
    """+1 or -1 turning a value into 'higher is worse, change = post - baseline'."""
    f = 1 if higher_is_worse in (True, None) or higher_is_worse != higher_is_worse else -1
    if measure == "change" and change_sign == "baseline_minus_post":
        f = -f
    return f


def scale_factor(scale_min: object, scale_max: object) -> float:
    """``100 / (max - min)``; NaN when the range is unknown."""
    lo, hi = _num(scale_min), _num(scale_max)
    if math.isnan(lo) or math.isnan(hi) or hi <= lo:
        return math.nan
    return (HARMONISED_RANGE[1] - HARMONISED_RANGE[0]) / (hi - lo)


def to_harmonised(mean: float, row: dict[Any, Any], *, rescale: bool) -> float:
    """A mean (final or change) in harmonised orientation, on 0-100 when ``rescale``."""
    f = direction_factor(row.get("higher_is_worse"), row["measure"], row.get("change_sign"))
    k = scale_factor(row.get("scale_min"), row.get("scale_max")) if rescale else 1.0
    if row["measure"] == "final" and rescale:
        lo, hi = _num(row.get("scale_min")), _num(row.get("scale_max"))
        return k * ((mean - lo) if f > 0 else (hi - mean))
    return f * k * mean


@dataclass(frozen=True)
class ArmStats:
    """Mean/SD of one arm row on its own scale, or why they cannot be had (``gap``, in
    words, and ``gap_reason``, its category)."""

    n: float
    mean: float
    sd: float
    ledger: str
    gap: str = ""
    skewed: bool = False
    gap_reason: ExclusionReason | None = None


def arm_stats(row: dict[Any, Any]) -> ArmStats:
    """Mean and SD of an arm row; an unusable combination becomes a ``gap``, never an error."""
    try:
        return _arm_stats(row)
    except InputError as exc:
        return ArmStats(
            _num(row.get("n")),
            math.nan,
            math.nan,
            "",
            f"statistics not usable ({exc.argument}: expected {exc.expected})",
            gap_reason=ExclusionReason.NOT_USABLE,
        )


def _arm_stats(row: dict[Any, Any]) -> ArmStats:
    """Mean and SD of an arm row, derived where needed (Cochrane Handbook 6.5.2).

    Order: reported SD; SD from SE; SD from CI (t when n < 60); mean and SD from median
    with quartiles and/or range (Luo 2018 / Wan 2014 / Shi 2020). The ledger names the route.
    """
    n, mean = _num(row.get("n")), _num(row.get("mean"))
    has_median = _has(row.get("median"))
    has_iqr = _has(row.get("q1")) and _has(row.get("q3"))
    has_range = _has(row.get("min")) and _has(row.get("max"))
    if math.isnan(n):
        if not (_has(mean) or has_median):
            return ArmStats(
                n,
                mean,
                math.nan,
                "",
                "no statistics reported",
                gap_reason=ExclusionReason.NO_STATISTICS,
            )
        return ArmStats(
            n, mean, math.nan, "", "n not reported", gap_reason=ExclusionReason.N_MISSING
        )
    if not math.isnan(mean):
        if _has(row.get("sd")):
            return ArmStats(n, mean, _num(row["sd"]), "sd reported")
        if _has(row.get("se")):
            return ArmStats(n, mean, sd_from_se(_num(row["se"]), n), f"sd from SE (n={n:g})")
        if _has(row.get("ci_lb")) and _has(row.get("ci_ub")):
            level = _num(row.get("ci_level"))
            level = 0.95 if math.isnan(level) else level
            how = f"t, df={n - 1:g}" if n < t_quantile_threshold else "z"
            sd = sd_from_ci(_num(row["ci_lb"]), _num(row["ci_ub"]), n, level)
            return ArmStats(n, mean, sd, f"sd from {level * 100:g}% CI ({how})")
        return ArmStats(
            n, mean, math.nan, "", "no SD and no CI", gap_reason=ExclusionReason.NO_SD_NO_CI
        )
    if has_median:
        if not (has_iqr or has_range):
            return ArmStats(
                n,
                mean,
                math.nan,
                "",
                "median without IQR or range",
                gap_reason=ExclusionReason.MEDIAN_WITHOUT_SPREAD,
            )
        try:
            q = mean_sd_from_quantiles(
                n,
                _num(row["median"]),
                q1=_num(row.get("q1")) if has_iqr else None,
                q3=_num(row.get("q3")) if has_iqr else None,
                minimum=_num(row.get("min")) if has_range else None,
                maximum=_num(row.get("max")) if has_range else None,
            )
        except InputError as exc:
            return ArmStats(
                n,
                mean,
                math.nan,
                "",
                f"median not convertible ({exc.expected})",
                gap_reason=ExclusionReason.NOT_USABLE,
            )
        skew = " [skewness test significant]" if q.skewed else ""
        return ArmStats(
            n, q.mean, q.sd, f"mean and sd from quantiles: {q.formula}{skew}", skewed=q.skewed
        )
    return ArmStats(
        n,
        mean,
        math.nan,
        "",
        "no mean or median reported",
        gap_reason=ExclusionReason.NO_STATISTICS,
    )


def _where(r: dict[Any, Any]) -> str:
    tp = r.get("timepoint_weeks")
    when = f"week {tp:g}" if _has(tp) else str(r.get("timepoint_label") or "timepoint n.r.")
    return f"arm {r['arm_id']}, {r['outcome']} ({r['instrument']}), {when}"


def plausibility_warnings(  # noqa: C901 - until split (issue 10)
    arms: pd.DataFrame, label: str = "arms.csv"
) -> pd.DataFrame:
    """Data-quality warnings: tiny SDs, means off the scale, twin arms, n rising over time.

    Returns a table with ``study_id, check, row, message``; ``message`` starts with the study.
    """
    out: list[dict[Any, Any]] = []

    def warn(r: dict[Any, Any], check: str, text: str) -> None:
        out.append(
            {
                "study_id": r["study_id"],
                "check": check,
                "row": r.get("_row"),
                "message": f"{r['study_id']}: {label}:{r.get('_row')}: {text} ({_where(r)})",
            }
        )

    rows = arms.to_dict("records")
    for r in rows:
        lo, hi, sd, mean = (_num(r.get(k)) for k in ("scale_min", "scale_max", "sd", "mean"))
        span = hi - lo
        if _has(sd) and span > 0 and sd < SD_FLOOR_FRACTION * span:
            warn(
                r,
                "sd_below_2pct_range",
                f"SD {sd:g} is below 2% of the {lo:g}-{hi:g} scale "
                f"range ({SD_FLOOR_FRACTION * span:g}): implausibly small",
            )
        elif (
            _has(sd)
            and not span > 0
            and _has(mean)
            and mean != 0
            and sd < SD_FLOOR_FRACTION * abs(mean)
        ):
            warn(
                r,
                "sd_below_2pct_mean",
                f"SD {sd:g} is below 2% of the mean {mean:g} (scale "
                "range not reported): implausibly small",
            )
        if _has(mean) and span > 0:
            if r["measure"] == "final" and not lo <= mean <= hi:
                warn(r, "mean_outside_scale", f"mean {mean:g} lies outside the {lo:g}-{hi:g} scale")
            elif r["measure"] == "change" and abs(mean) > span:
                warn(
                    r,
                    "mean_outside_scale",
                    f"change {mean:g} is larger than the {lo:g}-{hi:g} scale allows",
                )
    keys = list(MEASUREMENT_KEY)
    filled = arms.assign(**{k: arms[k].astype(object).where(arms[k].notna(), "") for k in keys})
    for _, grp in filled.groupby(keys, sort=False):
        recs = grp.to_dict("records")
        for i, a in enumerate(recs):
            for b in recs[i + 1 :]:
                same = [_num(a.get(k)) == _num(b.get(k)) for k in ("mean", "sd")]
                if all(same) and _has(a.get("mean")) and _has(a.get("sd")):
                    warn(
                        b,
                        "identical_arms",
                        f"arms {a['arm_id']} and {b['arm_id']} have "
                        f"identical summaries (mean {_num(a['mean']):g}, SD {_num(a['sd']):g})",
                    )
    for (_sid, _arm), grp in filled.groupby(["study_id", "arm_id"], sort=False):
        recs = [r for r in grp.to_dict("records") if _has(r.get("n"))]
        by_time: dict[object, list[dict[Any, Any]]] = {}
        for r in recs:
            by_time.setdefault((r["timepoint_weeks"], r["timepoint_label"]), []).append(r)
        for group in by_time.values():
            ns = sorted({_num(r["n"]) for r in group})
            if len(ns) > 1:
                warn(
                    group[-1],
                    "n_differs_across_outcomes",
                    f"n differs across outcomes at the "
                    f"same timepoint ({', '.join(f'{x:g}' for x in ns)})",
                )
        timed = sorted(
            (r for r in recs if _has(r["timepoint_weeks"])),
            key=lambda r: _num(r["timepoint_weeks"]),
        )
        for a, b in zip(timed, timed[1:], strict=False):
            later = _num(b["timepoint_weeks"]) > _num(a["timepoint_weeks"])
            if later and _num(b["n"]) > _num(a["n"]):
                warn(
                    b,
                    "n_rises_over_time",
                    f"n rises from {_num(a['n']):g} at week "
                    f"{_num(a['timepoint_weeks']):g} to {_num(b['n']):g}: beyond attrition",
                )
    import pandas as pd  # on use: the constants above are read where no sheet is

    return pd.DataFrame(out, columns=["study_id", "check", "row", "message"])
