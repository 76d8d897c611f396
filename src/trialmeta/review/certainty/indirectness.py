"""Indirectness: population, comparator (sham type) and timepoint (GRADE guidelines 8).

Guyatt GH et al. GRADE guidelines 8. Rating the quality of evidence - indirectness.
J Clin Epidemiol 2011;64:1303-1310: rate down when the population, intervention,
comparator or outcome (including its timing) differ from those of the question. Each
concern rates down once; together at most twice:

* population: the weight share from populations other than the question's is at least
  ``population_serious_percent``;
* comparator: more than one sham type is pooled (penetrating and non-penetrating shams are
  different comparators) and ``sham_types_rate_down`` is set;
* timepoint: the weight share whose timepoint comes from the absolute-window fallback (no
  course length, so "end of treatment" is not verified) is at least
  ``timepoint_serious_percent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from trialmeta.review.certainty.judgement import SEVERITY, Judgement, fmt, share

__all__ = ["indirectness"]


def indirectness(
    weights: Mapping[str, float],
    populations: Mapping[str, str],
    target_population: str,
    sham_types: Sequence[str] = (),
    fallback_timepoint: Mapping[str, bool] | None = None,
    *,
    population_serious_percent: float = 50.0,
    sham_types_rate_down: bool = True,
    timepoint_serious_percent: float = 50.0,
) -> Judgement:
    """Rate indirectness from trial weights, populations, sham types and timepoint fallbacks."""
    other = share(weights, {s: populations.get(s, "") != target_population for s in weights})
    late = share(weights, dict(fallback_timepoint or {}))
    shams = sorted(set(sham_types) - {""})
    concerns = []
    if other >= population_serious_percent:
        concerns.append(
            f"{fmt(other)}% of the weight comes from populations other than {target_population}"
        )
    if len(shams) > 1 and sham_types_rate_down:
        concerns.append(f"{len(shams)} sham types are pooled ({', '.join(shams)})")
    if late >= timepoint_serious_percent:
        concerns.append(
            f"{fmt(late)}% of the weight has no course length, so its timepoint is "
            "not verified as the one asked"
        )
    d = min(2, len(concerns))
    text = (
        "; ".join(concerns)
        if concerns
        else f"{fmt(other)}% of the weight from populations other than {target_population}, "
        f"{len(shams)} sham type(s), {fmt(late)}% with an unverified timepoint"
    )
    if concerns and len(shams) > 1 and not sham_types_rate_down:
        text += (
            f"; {len(shams)} sham types are pooled ({', '.join(shams)}), not rated down "
            "by the config"
        )
    text = (
        text[0].upper() + text[1:] + f" (rate down at >= {population_serious_percent:g}% "
        "indirect population weight)."
    )
    nums: dict[str, float | str] = {
        "other_population_percent": other,
        "sham_types": float(len(shams)),
        "fallback_timepoint_percent": late,
    }
    return Judgement("indirectness", d, SEVERITY[d], text, nums)
