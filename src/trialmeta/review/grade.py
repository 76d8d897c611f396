"""Rule-based GRADE certainty for one outcome × comparison.

Evidence from randomised trials starts at High (4) and is rated down one or two
levels per domain by explicit, configurable rules. Each judgement carries a
sentence with the numbers that drove it. An override from the config replaces
the rule's judgement only when it gives a reason, and the reason is kept.

Rules (thresholds from :class:`GradeRules`):

* risk of bias: weight share of trials judged high risk (RoB 2 overall "high", or
  PEDro total below ``pedro_low_below``) ≥ ``rob_serious_percent`` → −1,
  ≥ ``rob_very_serious_percent`` → −2; weight share with no assessment
  ≥ ``unassessed_serious_percent`` → at least −1 (Guyatt et al. 2011, GRADE 4).
* inconsistency: I² ≥ ``i2_very_serious`` → −2, I² ≥ ``i2_serious`` → −1; else the
  prediction interval crossing no effect (τ² > 0) or a subgroup-difference p below
  ``subgroup_alpha`` → −1 (Guyatt et al. 2011, GRADE 7).
* indirectness: weight share from populations other than the review's
  ``target_population`` ≥ ``indirect_serious_percent`` → −1; more than one sham
  type pooled → −1 when ``sham_variants_rate_down`` (Guyatt et al. 2011, GRADE 8).
* imprecision: CI crossing no effect or the MCID → −1; total n below the optimal
  information size → −1 more; CI including both −MCID and +MCID → −2
  (Guyatt et al. 2011, GRADE 6). OIS (two arms, total) =
  ``4 (z_{1−α/2} + z_{1−β})² σ² / δ²`` with δ = MCID.
* publication bias: assessed only when k ≥ ``pubbias_min_k``; Egger p below
  ``egger_alpha`` → −1; otherwise "not assessable" (Guyatt et al. 2011, GRADE 5).

References
----------
Guyatt GH, Oxman AD, Kunz R, et al. GRADE guidelines 6. Rating the quality of
evidence--imprecision. J Clin Epidemiol. 2011;64(12):1283-1293.
Guyatt GH, et al. GRADE guidelines 7 (inconsistency), J Clin Epidemiol
2011;64(12):1294-1302; 8 (indirectness), 64(12):1303-1310; 5 (publication bias),
64(12):1277-1282; Guyatt GH, et al. GRADE guidelines 4 (risk of bias), J Clin
Epidemiol 2011;64(4):407-415.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from scipy import stats

from trialmeta._format import fixed, level_percent
from trialmeta.review.config import GradeOverride, GradeRules

__all__ = [
    "DOMAINS",
    "LEVEL_WORDS",
    "DomainJudgement",
    "GradeInput",
    "GradeResult",
    "GradeRules",
    "certainty_symbols",
    "grade",
    "optimal_information_size",
]


DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
LEVEL_WORDS = {4: "High", 3: "Moderate", 2: "Low", 1: "Very low"}
_SEVERITY = {0: "not serious", 1: "serious", 2: "very serious"}


@dataclass(frozen=True)
class GradeInput:
    """Everything a rating needs, already computed (no fitting here).

    ``rob`` maps study id → ``"low" | "some_concerns" | "high" | "not_assessed"``;
    ``mcid`` is on the analysis scale (a benefit is a negative MD when lower is
    better); ``ois_sd`` is the SD used for the OIS; ``level`` is the confidence level
    of the CI (``model.level``).
    """

    analysis_id: str
    k: int
    n_participants: int
    estimate: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    tau2: float
    i2_percent: float
    study_ids: tuple[str, ...]
    weights_percent: tuple[float, ...]
    rob: Mapping[str, str]
    populations: Mapping[str, str]
    target_population: str
    mcid: float
    ois_sd: float
    level: float
    sham_types: tuple[str, ...] = ()
    subgroup_pval: float = math.nan
    egger_pval: float = math.nan


@dataclass(frozen=True)
class DomainJudgement:
    """One domain: levels rated down (0-2), words, the sentence, any override."""

    domain: str
    downgrade: int
    judgement: str
    reason: str
    overridden: bool = False
    override_reason: str = ""


@dataclass(frozen=True)
class GradeResult:
    """Certainty of one analysis (``level`` 4 = High ... 1 = Very low; 0 = none)."""

    analysis_id: str
    level: int
    certainty: str
    symbols: str
    domains: tuple[DomainJudgement, ...] = field(default=())
    ois: float = math.nan  # optimal information size behind the imprecision judgement


def certainty_symbols(level: int) -> str:
    """``⊕⊕◯◯`` style symbols for ``level`` 1-4 (empty for 0)."""
    if level <= 0:
        return ""
    return "⊕" * level + "◯" * (4 - level)


def optimal_information_size(mcid: float, sd: float, alpha: float, power: float) -> float:
    """Total participants (two equal arms) to detect ``mcid`` with SD ``sd``.

    ``OIS = 2 · 2 (z_{1−α/2} + z_{power})² sd² / mcid²`` (Guyatt et al. 2011, GRADE 6).

    >>> round(optimal_information_size(10.0, 20.0, 0.05, 0.8))
    126
    """
    if not (mcid > 0 and sd > 0):
        return math.nan
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    return float(4.0 * z**2 * sd**2 / mcid**2)


def _share(ids: Sequence[str], weights: Sequence[float], pick: Callable[[str], bool]) -> float:
    return float(sum(w for s, w in zip(ids, weights, strict=True) if pick(s)))


def _risk_of_bias(g: GradeInput, r: GradeRules) -> DomainJudgement:
    high = _share(g.study_ids, g.weights_percent, lambda s: g.rob.get(s) == "high")
    none = _share(
        g.study_ids, g.weights_percent, lambda s: g.rob.get(s, "not_assessed") == "not_assessed"
    )
    d = 2 if high >= r.rob_very_serious_percent else 1 if high >= r.rob_serious_percent else 0
    if none >= r.unassessed_serious_percent:
        d = max(d, 1)
    text = (
        f"{fixed(high)}% of the weight comes from trials at high risk of bias "
        f"(RoB 1/2 overall high or PEDro < {r.pedro_low_below:g}) and {fixed(none)}% from trials "
        f"with no risk-of-bias assessment (rate down at >= {r.rob_serious_percent:g}% high-risk "
        f"or >= {r.unassessed_serious_percent:g}% unassessed weight)."
    )
    return DomainJudgement("risk_of_bias", d, _SEVERITY[d], text)


def _crosses(lo: float, hi: float, value: float) -> bool:
    return math.isfinite(lo) and math.isfinite(hi) and lo < value < hi


def _inconsistency(g: GradeInput, r: GradeRules) -> DomainJudgement:
    if g.k < 2 or not math.isfinite(g.i2_percent):
        return DomainJudgement(
            "inconsistency", 0, "not assessable", f"Only {g.k} trial: consistency cannot be judged."
        )
    parts = [f"I² = {fixed(g.i2_percent)}%"]
    pi_known = math.isfinite(g.pi_lb)
    pi_cross = pi_known and g.tau2 > 0 and _crosses(g.pi_lb, g.pi_ub, 0.0)
    if pi_known:
        parts.append(
            f"the prediction interval {fixed(g.pi_lb)} to {fixed(g.pi_ub)} "
            + ("crosses" if _crosses(g.pi_lb, g.pi_ub, 0.0) else "does not cross")
            + " no effect"
        )
    else:
        parts.append("no prediction interval (k < 3)")
    sub = math.isfinite(g.subgroup_pval) and g.subgroup_pval < r.subgroup_alpha
    if math.isfinite(g.subgroup_pval):
        parts.append(f"test for subgroup differences p = {g.subgroup_pval:.3f}")
    if g.i2_percent >= r.i2_very_serious:
        d = 2
    elif g.i2_percent >= r.i2_serious or pi_cross or sub:
        d = 1
    else:
        d = 0
    return DomainJudgement("inconsistency", d, _SEVERITY[d], "; ".join(parts) + ".")


def _indirectness(g: GradeInput, r: GradeRules) -> DomainJudgement:
    other = _share(
        g.study_ids,
        g.weights_percent,
        lambda s: g.populations.get(s, "") != g.target_population,
    )
    d = 1 if other >= r.indirect_serious_percent else 0
    text = (
        f"{fixed(other)}% of the weight comes from populations other than "
        f"{g.target_population} (rate down at >= {r.indirect_serious_percent:g}%)"
    )
    shams = sorted(set(g.sham_types))
    if len(shams) > 1:
        text += f"; {len(shams)} sham types are pooled ({', '.join(shams)})"
        if r.sham_variants_rate_down:
            d = min(2, d + 1)
    return DomainJudgement("indirectness", d, _SEVERITY[d], text + ".")


def _imprecision(g: GradeInput, r: GradeRules, ois: float) -> DomainJudgement:
    cross_null = _crosses(g.ci_lb, g.ci_ub, 0.0)
    cross_mcid = _crosses(g.ci_lb, g.ci_ub, -g.mcid) or _crosses(g.ci_lb, g.ci_ub, g.mcid)
    both = _crosses(g.ci_lb, g.ci_ub, -g.mcid) and _crosses(g.ci_lb, g.ci_ub, g.mcid)
    below_ois = math.isfinite(ois) and g.n_participants < ois
    d = (1 if (cross_null or cross_mcid or not math.isfinite(g.ci_lb)) else 0) + int(below_ois)
    if both:
        d = 2
    d = min(d, 2)
    ci = f"{fixed(g.ci_lb)} to {fixed(g.ci_ub)}"
    text = (
        f"{level_percent(g.level)} CI {ci} {'crosses' if cross_null else 'does not cross'} "
        "no effect and "
        f"{'includes' if cross_mcid else 'does not include'} the MCID of ±{g.mcid:g}; "
        f"{g.n_participants} participants against an optimal information size of "
        f"{fixed(ois, 0)} (MCID {g.mcid:g}, SD {fixed(g.ois_sd)}, alpha {r.ois_alpha:g}, "
        f"power {r.ois_power:g})."
    )
    return DomainJudgement("imprecision", d, _SEVERITY[d], text)


def _publication_bias(g: GradeInput, r: GradeRules) -> DomainJudgement:
    if g.k < r.pubbias_min_k:
        return DomainJudgement(
            "publication_bias",
            0,
            "not assessable",
            f"k = {g.k} < {r.pubbias_min_k}: small-study tests are not run (Cochrane Handbook "
            "13.3.5.4); publication bias cannot be assessed.",
        )
    if not math.isfinite(g.egger_pval):
        return DomainJudgement(
            "publication_bias", 0, "not assessable", "Egger's test was not available."
        )
    d = 1 if g.egger_pval < r.egger_alpha else 0
    text = f"Egger's test p = {g.egger_pval:.3f} (rate down below {r.egger_alpha:g})."
    return DomainJudgement("publication_bias", d, "suspected" if d else "undetected", text)


def _apply_override(j: DomainJudgement, ov: GradeOverride) -> DomainJudgement:
    return replace(
        j,
        downgrade=ov.downgrade,
        judgement=_SEVERITY.get(ov.downgrade, str(ov.downgrade)),
        overridden=True,
        override_reason=ov.reason,
    )


def grade(g: GradeInput, rules: GradeRules) -> GradeResult:
    """Rate certainty for ``g`` by ``rules``; ``rules.overrides`` for this analysis replace
    the judgement of their domain (the config checks that each names a configured
    analysis and gives a reason; entries for other analyses are ignored here).
    """
    r = rules
    ois = optimal_information_size(g.mcid, g.ois_sd, r.ois_alpha, r.ois_power)
    if g.k == 0 or not math.isfinite(g.estimate):
        return GradeResult(g.analysis_id, 0, "not estimable", "", (), ois)
    judgements = [
        _risk_of_bias(g, r),
        _inconsistency(g, r),
        _indirectness(g, r),
        _imprecision(g, r, ois),
        _publication_bias(g, r),
    ]
    for ov in r.overrides:
        if ov.analysis_id != g.analysis_id or not ov.reason.strip():
            continue
        judgements = [_apply_override(j, ov) if j.domain == ov.domain else j for j in judgements]
    level = max(1, 4 - sum(j.downgrade for j in judgements))
    return GradeResult(
        g.analysis_id, level, LEVEL_WORDS[level], certainty_symbols(level), tuple(judgements), ois
    )
