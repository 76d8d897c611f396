"""Risk-of-bias vocabulary and the mapping of every tool onto the RoB 2 bias domains.

The sheet ``risk_of_bias.csv`` holds judgements made with three tools: RoB 2 (Sterne et al.,
BMJ 2019;366:l4898), the original Cochrane tool RoB 1 (Higgins et al., BMJ 2011;343:d5928)
and the PEDro scale (11 yes/no items). This module is the one place that knows their
vocabulary (the validator, the figures and GRADE read it from here) and maps each tool onto
the five RoB 2 domains, so that GRADE rates risk of bias from domain judgements, not from a
summary score (Cochrane Handbook v6.5, section 8.2.3: scales and summary scores are
discouraged):

========================  ==============================================  ====================
RoB 2 domain              RoB 1 domains                                   PEDro items
========================  ==============================================  ====================
D1 randomisation          sequence_generation, allocation_concealment     2, 3, 4
D2 deviations             blinding_participants(_personnel),              5, 6
                          blinding_treatment_provider
D3 missing outcome data   incomplete_outcome_data                         8, 9
D4 measurement            blinding_outcome_assessor (and, for a           7 (5 for a
                          self-reported outcome, participant blinding)    self-reported outcome)
D5 selected result        selective_reporting                             (not assessed)
========================  ==============================================  ====================

A domain without information is ``unclear`` ("some concerns"); an unassessed trial is
``not_assessed`` and counts as unclear in GRADE (GRADE guidance, Guyatt et al., J Clin
Epidemiol 2011;64:407-415, 'Study limitations').
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a frame or its rows as dicts: this module never loads pandas itself
    import pandas as pd

__all__ = [
    "DOMAIN_LABELS",
    "JUDGEMENT_ORDER",
    "PEDRO_ITEMS",
    "PEDRO_NOT_SCORED",
    "ROB1_DOMAINS",
    "ROB2_DOMAINS",
    "TOOL_DOMAINS",
    "TOOL_JUDGEMENTS",
    "StudyDomains",
    "domain_judgements",
    "result_risk_of_bias",
    "rob_lookup",
    "worst",
]

ROB2_DOMAINS = ("D1", "D2", "D3", "D4", "D5", "overall")
ROB1_DOMAINS = (
    "sequence_generation", "allocation_concealment", "blinding_participants",
    "blinding_participants_personnel", "blinding_treatment_provider",
    "blinding_outcome_assessor", "incomplete_outcome_data", "selective_reporting",
    "other_bias", "trial_size",
)  # fmt: skip
PEDRO_ITEMS = (
    "eligibility_criteria", "random_allocation", "concealed_allocation",
    "baseline_comparability", "blind_subjects", "blind_therapists", "blind_assessors",
    "adequate_followup", "intention_to_treat", "between_group_comparisons",
    "point_estimates_variability",
)  # fmt: skip
#: PEDro item 1 (eligibility criteria) does not contribute to the PEDro score.
PEDRO_NOT_SCORED = ("eligibility_criteria",)
TOOL_DOMAINS: dict[str, tuple[str, ...]] = {
    "RoB2": ROB2_DOMAINS, "RoB1": ROB1_DOMAINS, "PEDro": PEDRO_ITEMS,
}  # fmt: skip
TOOL_JUDGEMENTS: dict[str, tuple[str, ...]] = {
    "RoB2": ("low", "some_concerns", "high"),
    "RoB1": ("low", "unclear", "high"),
    "PEDro": ("yes", "no"),
}
#: Severity of a judgement: low < some concerns (= RoB 1 unclear) < high.
JUDGEMENT_ORDER: dict[str, int] = {"low": 0, "some_concerns": 1, "unclear": 1, "high": 2}
_LEVELS = ("low", "some_concerns", "high")
DOMAIN_LABELS: dict[str, str] = {
    "D1": "Bias arising from the randomisation process",
    "D2": "Bias due to deviations from intended interventions",
    "D3": "Bias due to missing outcome data",
    "D4": "Bias in measurement of the outcome",
    "D5": "Bias in selection of the reported result",
}
_ROB1_TO_ROB2 = {
    "sequence_generation": "D1", "allocation_concealment": "D1",
    "blinding_participants": "D2", "blinding_participants_personnel": "D2",
    "blinding_treatment_provider": "D2", "incomplete_outcome_data": "D3",
    "blinding_outcome_assessor": "D4", "selective_reporting": "D5",
}  # fmt: skip
_PEDRO_TO_ROB2 = {
    "random_allocation": "D1", "concealed_allocation": "D1", "baseline_comparability": "D1",
    "blind_subjects": "D2", "blind_therapists": "D2", "adequate_followup": "D3",
    "intention_to_treat": "D3", "blind_assessors": "D4",
}  # fmt: skip


def worst(judgements: Iterable[str]) -> str:
    """The most severe of ``low | some_concerns | unclear | high`` (``low`` when empty).

    >>> worst(["low", "unclear", "low"])
    'some_concerns'
    """
    level = max((JUDGEMENT_ORDER.get(str(j), 1) for j in judgements), default=0)
    return _LEVELS[level]


def rob_lookup(rob: pd.DataFrame | None, pedro_low_below: float) -> dict[str, str]:
    """Study id → ``low | some_concerns | high`` from the long risk-of-bias sheet.

    The summary used by the shipped figures (kept for them; GRADE uses
    :func:`result_risk_of_bias`). RoB 2 / RoB 1: the ``overall`` domain when present, else
    the worst domain (``unclear`` counts as some concerns; Higgins et al. 2011, BMJ
    343:d5928). PEDro: the total is the number of ``yes`` items 2-11 (item 1 is not scored);
    a total below ``pedro_low_below`` is high risk, otherwise low. Studies without rows are
    absent (callers treat them as not assessed).
    """
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for sid, tool, domain, judgement in [] if rob is None else _cleaned_rows(rob):
        groups.setdefault((sid, tool.lower()), []).append((domain.lower(), judgement))
    out: dict[str, str] = {}
    for (sid, tool), grp in sorted(groups.items()):
        if tool == "pedro":
            total = sum(j == "yes" for d, j in grp if d not in PEDRO_NOT_SCORED)
            out.setdefault(sid, "high" if total < pedro_low_below else "low")
            continue
        overall = [j for d, j in grp if d == "overall"]
        if overall:
            out[sid] = "some_concerns" if overall[0] == "unclear" else overall[0]
        else:
            out[sid] = worst(j for _, j in grp)
    return out


@dataclass(frozen=True)
class StudyDomains:
    """One trial's judgements on the RoB 2 domains, with the tool and items behind each.

    ``domains`` maps ``D1``-``D5`` to ``low | some_concerns | high``; a domain the tool does
    not cover is absent. ``participants_blinded`` is True/False when the tool says so
    (RoB 1 participant blinding, PEDro item 5), else None. ``basis`` names the items.
    """

    study_id: str
    tool: str
    domains: Mapping[str, str]
    basis: Mapping[str, str]
    participants_blinded: bool | None = None


def _pedro_domain(items: Mapping[str, str], names: list[str]) -> str:
    """PEDro items of one domain: all yes → low; random allocation or follow-up no → high;
    another item no → some concerns."""
    answers = {n: items.get(n, "") for n in names}
    if all(a == "yes" for a in answers.values()):
        return "low"
    if any(answers.get(n) == "no" for n in ("random_allocation", "adequate_followup")):
        return "high"
    return "some_concerns"


#: One trial's rows of one tool: its ``domain`` and ``judgement`` columns, in sheet order.
_Group = Mapping[str, Sequence[str]]


def _from_pedro(sid: str, grp: _Group) -> StudyDomains:
    items = dict(zip(grp["domain"], grp["judgement"], strict=True))
    by_dom: dict[str, list[str]] = {}
    for item, dom in _PEDRO_TO_ROB2.items():
        if item in items:
            by_dom.setdefault(dom, []).append(item)
    doms = {d: _pedro_domain(items, names) for d, names in by_dom.items()}
    if "D2" in by_dom:  # unblinded participants or therapists: awareness, not yet deviations
        doms["D2"] = "low" if all(items.get(n) == "yes" for n in by_dom["D2"]) else "some_concerns"
    if "D4" in by_dom:
        doms["D4"] = "low" if items.get("blind_assessors") == "yes" else "high"
    blinded = {"yes": True, "no": False}.get(items.get("blind_subjects", ""))
    basis = {
        d: "PEDro " + ", ".join(f"{n}={items[n]}" for n in names) for d, names in by_dom.items()
    }
    return StudyDomains(sid, "PEDro", doms, basis, blinded)


def _from_rob1(sid: str, grp: _Group) -> StudyDomains:
    by_dom: dict[str, list[tuple[str, str]]] = {}
    for dom, j in zip(grp["domain"], grp["judgement"], strict=True):
        if dom in _ROB1_TO_ROB2:
            by_dom.setdefault(_ROB1_TO_ROB2[dom], []).append((dom, j))
    doms = {}
    for d, pairs in by_dom.items():
        js = [j for n, j in pairs if not (d == "D2" and n == "blinding_treatment_provider")]
        provider = [j for n, j in pairs if n == "blinding_treatment_provider"]
        # RoB 2 D2: an unblinded provider is awareness, not a deviation (Sterne 2019, 2.2-2.3)
        level = worst(js) if js else "low"
        if provider and provider[0] != "low":
            level = worst([level, "some_concerns"])
        doms[d] = level
    part = [
        j
        for n, j in ((str(a), str(b)) for a, b in zip(grp["domain"], grp["judgement"], strict=True))
        if n in ("blinding_participants", "blinding_participants_personnel")
    ]
    blinded = None if not part else {"low": True, "high": False}.get(part[0])
    basis = {d: "RoB 1 " + ", ".join(f"{n}={j}" for n, j in pairs) for d, pairs in by_dom.items()}
    return StudyDomains(sid, "RoB1", doms, basis, blinded)


def _from_rob2(sid: str, grp: _Group) -> StudyDomains:
    doms = {
        d: ("some_concerns" if j == "unclear" else j)
        for d, j in zip(grp["domain"], grp["judgement"], strict=True)
        if d in DOMAIN_LABELS
    }
    return StudyDomains(sid, "RoB2", doms, {d: f"RoB 2 {d}={j}" for d, j in doms.items()})


def _cleaned_rows(
    rob: pd.DataFrame | Iterable[Mapping[str, object]],
) -> list[tuple[str, str, str, str]]:
    """``(study_id, tool, domain, judgement)`` per row of the long sheet, cleaned: text as
    ``str()`` gives it, domain stripped, judgement stripped, lower case, ``_`` for spaces;
    ``tool`` RoB2 when no row has one. Rows without a study id are left out."""
    records = rob.to_dict("records") if hasattr(rob, "to_dict") else [dict(r) for r in rob]
    has_tool = any("tool" in r for r in records)
    out = []
    for r in records:
        sid = r.get("study_id")
        if sid is None or (isinstance(sid, float) and math.isnan(sid)):
            continue
        tool = str(r.get("tool", math.nan)) if has_tool else "RoB2"
        judgement = str(r.get("judgement", math.nan)).strip().lower().replace(" ", "_")
        out.append((str(sid), tool, str(r.get("domain", math.nan)).strip(), judgement))
    return out


def domain_judgements(
    rob: pd.DataFrame | Iterable[Mapping[str, object]] | None,
) -> dict[str, StudyDomains]:
    """Study id → its RoB 2 domain judgements, from the long sheet (a frame, or its rows as
    dicts; one tool per study: RoB 2 first, then RoB 1, then PEDro). Plain Python, so a job
    that reads the rows from JSON (the figures) never loads pandas."""
    rows = [] if rob is None else _cleaned_rows(rob)
    out: dict[str, StudyDomains] = {}
    makers = (("RoB2", _from_rob2), ("RoB1", _from_rob1), ("PEDro", _from_pedro))
    for tool, make in makers:
        groups: dict[str, dict[str, list[str]]] = {}
        for sid, row_tool, domain, judgement in rows:
            if row_tool == tool:
                grp = groups.setdefault(sid, {"domain": [], "judgement": []})
                grp["domain"].append(domain)
                grp["judgement"].append(judgement)
        for sid in sorted(groups):
            out.setdefault(sid, make(sid, groups[sid]))
    return out


def result_risk_of_bias(
    study: StudyDomains | None, *, self_reported: bool, participants_aware: bool
) -> tuple[str, dict[str, str], str]:
    """Risk of bias of one result: ``(overall, domains, reason)``.

    ``participants_aware``: the comparison itself tells participants their allocation (any
    control but a sham). For a self-reported outcome (pain, disability) the participant is
    the outcome assessor, so D4 is high when participants are aware or known to be unblinded
    (RoB 2 signalling questions 4.3-4.5; Cochrane Handbook v6.5, section 8.4): an unblinded
    trial is never at low risk for self-reported pain. Overall = the worst domain, and
    ``some_concerns`` when a domain is missing (RoB 2 algorithm, Sterne et al. 2019).
    ``study`` None (not assessed) gives ``("not_assessed", {}, ...)``.
    """
    if study is None:
        return "not_assessed", {}, "no risk-of-bias assessment (counted as unclear)"
    doms = dict(study.domains)
    reason = ""
    if self_reported and (participants_aware or study.participants_blinded is False):
        doms["D4"] = "high"
        reason = (
            "participants know their allocation and rate the outcome themselves"
            if participants_aware
            else "participants were not blinded and self-report"
        )
    missing = [d for d in DOMAIN_LABELS if d not in doms]
    overall = worst([*doms.values(), *(["some_concerns"] if missing else [])])
    if missing:
        reason = "; ".join(x for x in (reason, f"{', '.join(missing)} not assessed") if x)
    return overall, doms, reason
