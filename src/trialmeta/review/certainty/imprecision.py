"""Imprecision by the minimally contextualised approach (GRADE guidance 34 and 35, 2022).

Thresholds are the minimal important difference on either side of no effect: ``-MCID``
(important benefit; lower scores are better) and ``+MCID`` (important harm). Between them an
effect is trivial ("little or no difference").

* The CI is the primary criterion (Zeng L et al. GRADE guidance 34. J Clin Epidemiol
  2022;150:216-224, Results): a CI that crosses one threshold → rate down once; a CI that
  crosses both thresholds, or crosses one and is very wide (wider than ``very_wide_mcid``
  MCIDs, GRADE guidance 35: Schünemann HJ et al. J Clin Epidemiol 2022;150:225-242) → twice.
* A CI that crosses no threshold is not imprecise on the CI criterion; if it lies entirely
  between ``-MCID`` and ``+MCID`` the statement is "little or no difference".
* The optimal information size (OIS) is the second check (GRADE guidance 34): when the CI
  crosses no threshold but the total n is below the OIS → rate down once, and twice when n
  is far below it (less than ``far_below_ois`` of it).

OIS (two arms, in total) = ``4 (z_{1-α/2} + z_{1-β})² σ² / δ²`` with δ = MCID (Guyatt GH et al.
GRADE guidelines 6. J Clin Epidemiol 2011;64:1283-1293).
"""

from __future__ import annotations

import math

from trialmeta import _dist
from trialmeta.review.certainty.judgement import SEVERITY, Judgement, fmt

__all__ = ["imprecision", "optimal_information_size", "zone"]


def optimal_information_size(
    mcid: float, sd: float, alpha: float = 0.05, power: float = 0.80
) -> float:
    """Participants in total (two equal arms) to detect ``mcid`` with SD ``sd``.

    >>> round(optimal_information_size(10.0, 20.0))
    126
    """
    if not (mcid > 0 and sd > 0):
        return math.nan
    z = _dist.norm_isf(alpha / 2) + _dist.norm_ppf(power)
    return float(4.0 * z**2 * sd**2 / mcid**2)


def zone(value: float, mcid: float) -> str:
    """``benefit`` (below -MCID), ``trivial`` (within ±MCID) or ``harm`` (above +MCID)."""
    if value <= -mcid:
        return "benefit"
    return "harm" if value >= mcid else "trivial"


def imprecision(
    estimate: float,
    ci_lb: float,
    ci_ub: float,
    mcid: float,
    n_participants: float,
    ois: float,
    *,
    level: float = 0.95,
    very_wide_mcid: float = 2.0,
    far_below_ois: float = 0.5,
) -> Judgement:
    """Imprecision of one pooled (or single-trial) mean difference; see the module docstring."""
    nums: dict[str, float | str] = {
        "estimate": estimate,
        "ci_lb": ci_lb,
        "ci_ub": ci_ub,
        "mcid": mcid,
        "n": float(n_participants),
        "ois": ois,
    }
    ci = f"{level * 100:g}% CI {fmt(ci_lb)} to {fmt(ci_ub)}"
    if not all(math.isfinite(x) for x in (ci_lb, ci_ub)) or not mcid > 0:
        return Judgement("imprecision", 2, SEVERITY[2], f"No usable {ci}: rated down twice.", nums)
    crossed = [t for t in (-mcid, mcid) if ci_lb < t < ci_ub]
    width = ci_ub - ci_lb
    nums["thresholds_crossed"] = float(len(crossed))
    nums["width_in_mcid"] = width / mcid
    if crossed:
        wide = width > very_wide_mcid * mcid
        d = 2 if len(crossed) == 2 or wide else 1
        which = (
            "both the benefit and the harm threshold"
            if len(crossed) == 2
            else "the benefit threshold"
            if crossed[0] < 0
            else "the harm threshold"
        )
        extra = f" and is {fmt(width / mcid)} MCIDs wide" if wide and len(crossed) == 1 else ""
        text = f"The {ci} crosses {which} (MCID ±{mcid:g}){extra}."
        return Judgement("imprecision", d, SEVERITY[d], text, nums)
    where = zone(ci_lb, mcid)
    what = {
        "trivial": "lies entirely within ±MCID: little or no difference",
        "benefit": "lies entirely beyond the benefit threshold",
        "harm": "lies entirely beyond the harm threshold",
    }[where]
    nums["ci_zone"] = where
    text = f"The {ci} {what} (MCID ±{mcid:g})"
    if math.isfinite(ois) and n_participants < ois:
        d = 2 if n_participants < far_below_ois * ois else 1
        text += (
            f", but {n_participants:g} participants fall short of the optimal information "
            f"size of {math.ceil(ois):g}."
        )
        return Judgement("imprecision", d, SEVERITY[d], text, nums)
    ois_text = (
        f"; {n_participants:g} participants reach the optimal information size of "
        f"{math.ceil(ois):g}."
        if math.isfinite(ois)
        else "."
    )
    return Judgement("imprecision", 0, SEVERITY[0], text + ois_text, nums)
