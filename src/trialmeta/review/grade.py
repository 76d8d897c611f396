"""GRADE certainty of one outcome × comparison, by the current rules.

Evidence from randomised trials starts at High (4) and is rated down one or two levels per
domain by the pure rules of :mod:`trialmeta.review.certainty` (each module cites its
guidance paper):

* risk of bias: the weight share at each level of the results' RoB 2 judgements (RoB 1 and
  PEDro mapped onto the domains; unassessed counts as unclear), GRADE guidelines 4;
* inconsistency: the spread of the trial estimates around the MCID thresholds, the overlap
  of their CIs, I² and the prediction interval; a subgroup effect explains it only when
  credible by ICEMAN (Schandelmaier 2020), GRADE guidelines 7;
* indirectness: population, comparator (sham type) and timepoint, GRADE guidelines 8;
* imprecision: the minimally contextualised approach with the MCID as threshold and the
  OIS as the second check, GRADE guidance 34 and 35 (2022);
* publication bias: how the trials were found (the config's ``search``), the weight of
  secondary extractions, and small-study tests only at k >= ``pubbias_min_k`` trials,
  GRADE guidelines 5 and Cochrane Handbook v6.5, section 13.3.5.4.

A single-trial cell is rated on that trial's own result, as GRADEpro does. An override
from the config replaces one domain's judgement and keeps its printed reason. Each
judgement is a typed :class:`DomainJudgement`: domain, levels down (0-2), the sentence with
its numbers, and the numbers (the report renders them as Summary of Findings footnotes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from trialmeta.review import certainty as cr
from trialmeta.review.certainty.imprecision import zone
from trialmeta.review.certainty.rating import LEVEL_WORDS as RATING_WORDS
from trialmeta.review.config import CertaintyThresholds, GradeOverride, GradeRules
from trialmeta.review.settings import DEFAULT_THRESHOLDS

__all__ = [
    "DOMAINS",
    "LEVEL_WORDS",
    "DomainJudgement",
    "GradeInput",
    "GradeResult",
    "GradeRules",
    "certainty_symbols",
    "grade",
    "not_rated",
    "optimal_information_size",
]

DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
LEVEL_WORDS = RATING_WORDS
certainty_symbols = cr.certainty_symbols
optimal_information_size = cr.optimal_information_size

"""The ``certainty:`` defaults of the schema, for callers without a config section."""


@dataclass(frozen=True)
class TrialEvidence:
    """What the rating reads of one trial (one unit) of the analysis."""

    weight_percent: float
    yi: float
    ci_lb: float
    ci_ub: float
    risk_of_bias: str
    population: str
    secondary: bool
    timepoint_fallback: bool


@dataclass(frozen=True)
class GradeInput:
    """Everything a rating needs, already computed (no fitting here).

    ``trials`` maps a trial label to its :class:`TrialEvidence`; ``estimate`` and the CI
    are the pooled result (or the single trial's); ``basis`` says which; ``mcid`` is on the
    analysis scale (a benefit is a negative MD when lower is better).
    """

    analysis_id: str
    basis: str
    n_participants: int
    estimate: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    i2_percent: float
    trials: Mapping[str, TrialEvidence]
    target_population: str
    mcid: float
    ois_sd: float
    level: float
    sham_types: tuple[str, ...] = ()
    subgroup_pval: float = math.nan
    egger_pval: float = math.nan
    systematic_search: bool = False
    search_statement: str = ""


@dataclass(frozen=True)
class DomainJudgement:
    """One domain: levels rated down (0-2), the words, the sentence with its numbers
    (``reason``), the numbers and any other facts it quotes, and any override."""

    domain: str
    downgrade: int
    judgement: str
    reason: str
    numbers: Mapping[str, float] = field(default_factory=dict)
    facts: Mapping[str, str] = field(default_factory=dict)
    overridden: bool = False
    override_reason: str = ""


@dataclass(frozen=True)
class GradeResult:
    """Certainty of one analysis (``level`` 4 = High ... 1 = Very low; 0 = not rated, and
    ``not_rated`` says why). ``basis`` is ``pooled`` or ``single trial``: the effect rated
    (``estimate``, ``ci_lb``, ``ci_ub``); ``direction`` is ``reduces | increases |
    little_or_no_difference`` (GRADE guidelines 26)."""

    analysis_id: str
    level: int
    certainty: str
    symbols: str
    domains: tuple[DomainJudgement, ...] = field(default=())
    ois: float = math.nan  # optimal information size behind the imprecision judgement
    basis: str = ""
    estimate: float = math.nan
    ci_lb: float = math.nan
    ci_ub: float = math.nan
    direction: str = ""
    not_rated: str = ""


def not_rated(analysis_id: str, why: str, words: str = "not rated") -> GradeResult:
    """No rating, and why: ``not estimable`` (no trial result) or ``not rated`` (a
    comparison across comparator types)."""
    return GradeResult(analysis_id, 0, words, "", not_rated=why)


def _typed(j: cr.Judgement) -> DomainJudgement:
    nums = {k: float(v) for k, v in j.numbers.items() if not isinstance(v, str)}
    facts = {k: v for k, v in j.numbers.items() if isinstance(v, str)}
    return DomainJudgement(j.domain, j.downgrade, j.judgement, j.sentence, nums, facts)


def _judgements(
    g: GradeInput, r: GradeRules, t: CertaintyThresholds, ois: float
) -> list[cr.Judgement]:
    w = {s: e.weight_percent for s, e in g.trials.items()}
    ev = list(g.trials.values())
    credibility = (
        "low" if math.isfinite(g.subgroup_pval) and g.subgroup_pval < r.subgroup_alpha else ""
    )  # between-trial, no a priori direction: at most low by ICEMAN
    return [
        cr.risk_of_bias(
            w,
            {s: e.risk_of_bias for s, e in g.trials.items()},
            serious_percent=r.rob_serious_percent,
            very_serious_percent=r.rob_very_serious_percent,
            concerns_serious_percent=t.concerns_serious_percent,
        ),
        cr.inconsistency(
            [e.yi for e in ev],
            [e.ci_lb for e in ev],
            [e.ci_ub for e in ev],
            g.i2_percent,
            g.pi_lb,
            g.pi_ub,
            g.mcid,
            i2_serious=r.i2_serious,
            subgroup_credibility=credibility,
        ),
        cr.indirectness(
            w,
            {s: e.population for s, e in g.trials.items()},
            g.target_population,
            g.sham_types,
            {s: e.timepoint_fallback for s, e in g.trials.items()},
            population_serious_percent=r.indirect_serious_percent,
            sham_types_rate_down=r.sham_variants_rate_down,
            timepoint_serious_percent=t.timepoint_serious_percent,
        ),
        cr.imprecision(
            g.estimate,
            g.ci_lb,
            g.ci_ub,
            g.mcid,
            g.n_participants,
            ois,
            level=g.level,
            very_wide_mcid=t.very_wide_mcid,
            far_below_ois=t.far_below_ois,
        ),
        cr.publication_bias(
            w,
            {s: e.secondary for s, e in g.trials.items()},
            systematic_search=g.systematic_search,
            search_statement=g.search_statement,
            egger_pval=g.egger_pval,
            min_k=r.pubbias_min_k,
            egger_alpha=r.egger_alpha,
            secondary_serious_percent=t.secondary_serious_percent,
        ),
    ]


def _apply_override(j: DomainJudgement, ov: GradeOverride) -> DomainJudgement:
    return replace(
        j,
        downgrade=ov.downgrade,
        judgement=cr.SEVERITY[ov.downgrade],
        overridden=True,
        override_reason=ov.reason,
    )


def direction(estimate: float, ci_lb: float, ci_ub: float, mcid: float) -> str:
    """``little_or_no_difference`` when the CI lies within ±MCID (GRADE guidance 34), else
    ``reduces`` (negative estimate: lower is better) or ``increases``."""
    if math.isfinite(ci_lb) and zone(ci_lb, mcid) == "trivial" == zone(ci_ub, mcid):
        return "little_or_no_difference"
    return "reduces" if estimate < 0 else "increases"


def grade(
    g: GradeInput, rules: GradeRules, thresholds: CertaintyThresholds = DEFAULT_THRESHOLDS
) -> GradeResult:
    """Rate certainty for ``g``; ``rules.overrides`` for this analysis replace the judgement
    of their domain (the config checks that each names a configured analysis and gives a
    reason; entries for other analyses are ignored here)."""
    ois = cr.optimal_information_size(g.mcid, g.ois_sd, rules.ois_alpha, rules.ois_power)
    if not g.trials or not math.isfinite(g.estimate):
        return replace(
            not_rated(g.analysis_id, "no trial result to rate", "not estimable"), ois=ois
        )
    judgements = [_typed(j) for j in _judgements(g, rules, thresholds, ois)]
    for ov in rules.overrides:
        if ov.analysis_id == g.analysis_id and ov.reason.strip():
            judgements = [
                _apply_override(j, ov) if j.domain == ov.domain else j for j in judgements
            ]
    level = max(1, 4 - sum(j.downgrade for j in judgements))
    return GradeResult(
        g.analysis_id,
        level,
        LEVEL_WORDS[level],
        certainty_symbols(level),
        tuple(judgements),
        ois,
        g.basis,
        g.estimate,
        g.ci_lb,
        g.ci_ub,
        direction(g.estimate, g.ci_lb, g.ci_ub, g.mcid),
    )
