"""Risk-of-bias domains as figures show them: RoB 1 (A-G), RoB 2 (D1-D5, Overall), PEDro mapped.

PROVISIONAL local table. ``trialmeta.data.risk_of_bias`` (domain vocabulary and the
PEDro mapping, another issue) replaces it on merge; until then this module is the
one place the figures read domains from.

- RoB 1: the seven domains of the original Cochrane tool as RevMan 5 labels its
  forest-plot columns A-G (Higgins JPT, Altman DG, Sterne JAC, Cochrane Handbook
  v5.1, 2011, Table 8.5.a). Sheet domains map to letters; where two sheet domains
  feed one letter (blinding of participants and of providers -> C) the worse counts.
- RoB 2: D1-D5 and Overall (Sterne JAC et al. BMJ 2019;366:l4898; Cochrane Handbook
  v6.5, chapter 8.2).
- PEDro (Maher CG et al. Phys Ther 2003;83:713-21) is a checklist, not a risk-of-bias
  tool, and its total is no RoB judgement (Cochrane Handbook v6.5, section 8.1.3,
  discourages scales). Items are shown item by item against the domain they inform:
  ``yes`` (criterion met) as low risk, ``no`` (not met *or not reported*) as high
  risk; a domain no item informs (selective reporting) stays *not assessed*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FOREST_SYMBOLS",
    "Domain",
    "DomainJudgements",
    "ROB1",
    "ROB2",
    "Scheme",
    "domain_judgements",
    "pick_scheme",
    "scheme_domains",
]

Scheme = Literal["rob1", "rob2"]
# Normalised judgements a domain cell can hold.
CELL_VALUES: tuple[str, ...] = ("low", "some_concerns", "unclear", "high", "not_assessed")
# RevMan 5 / new RevMan cell glyphs: + low, ? unclear or some concerns, − high.
FOREST_SYMBOLS: dict[str, str] = {
    "low": "+",
    "some_concerns": "?",
    "unclear": "?",
    "high": "−",
    "not_assessed": "",
}
_RANK = {"low": 0, "unclear": 1, "some_concerns": 1, "high": 2}


@dataclass(frozen=True)
class Domain:
    """One column: short code printed in the head, and the full name printed in the key."""

    code: str
    name: str


ROB1: tuple[Domain, ...] = (
    Domain("A", "Random sequence generation (selection bias)"),
    Domain("B", "Allocation concealment (selection bias)"),
    Domain("C", "Blinding of participants and personnel (performance bias)"),
    Domain("D", "Blinding of outcome assessment (detection bias)"),
    Domain("E", "Incomplete outcome data (attrition bias)"),
    Domain("F", "Selective reporting (reporting bias)"),
    Domain("G", "Other bias"),
)
ROB2: tuple[Domain, ...] = (
    Domain("D1", "Bias arising from the randomisation process"),
    Domain("D2", "Bias due to deviations from intended interventions"),
    Domain("D3", "Bias due to missing outcome data"),
    Domain("D4", "Bias in measurement of the outcome"),
    Domain("D5", "Bias in selection of the reported result"),
    Domain("Overall", "Overall risk of bias"),
)

# sheet domain -> column code, per tool (data/README.md, risk_of_bias.csv)
_TO_COLUMN: dict[tuple[str, Scheme], dict[str, str]] = {
    ("rob1", "rob1"): {
        "sequence_generation": "A", "allocation_concealment": "B",
        "blinding_participants": "C", "blinding_treatment_provider": "C",
        "blinding_outcome_assessor": "D", "incomplete_outcome_data": "E",
        "selective_reporting": "F", "other_bias": "G", "trial_size": "G",
    },
    ("rob2", "rob2"): {d.code.lower(): d.code for d in ROB2},
    ("pedro", "rob1"): {
        "random_allocation": "A", "concealed_allocation": "B", "blind_subjects": "C",
        "blind_therapists": "C", "blind_assessors": "D", "adequate_followup": "E",
        "intention_to_treat": "E", "baseline_comparability": "G",
    },
    ("pedro", "rob2"): {
        "random_allocation": "D1", "concealed_allocation": "D1", "baseline_comparability": "D1",
        "blind_subjects": "D2", "blind_therapists": "D2", "intention_to_treat": "D2",
        "adequate_followup": "D3", "blind_assessors": "D4",
    },
    # RoB 1 -> RoB 2 crosswalk, only when one plot holds both tools
    ("rob1", "rob2"): {
        "sequence_generation": "D1", "allocation_concealment": "D1",
        "blinding_participants": "D2", "blinding_treatment_provider": "D2",
        "incomplete_outcome_data": "D3", "blinding_outcome_assessor": "D4",
        "selective_reporting": "D5",
    },
}  # fmt: skip
_VALUE = {"yes": "low", "no": "high"}


@dataclass(frozen=True)
class DomainJudgements:
    """Judgement per column for one study, and the tool it was read from."""

    study_id: str
    cells: tuple[str, ...]
    tool: str
    mapped: bool  # True when the columns are not the tool's own domains


def scheme_domains(scheme: Scheme) -> tuple[Domain, ...]:
    """The columns of a scheme."""
    return ROB1 if scheme == "rob1" else ROB2


def pick_scheme(tools: Iterable[str]) -> Scheme:
    """RoB 2 columns when any study used RoB 2, else RoB 1 (A-G)."""
    return "rob2" if any(t.lower() == "rob2" for t in tools) else "rob1"


def _cell(values: Sequence[str]) -> str:
    ranked = [v for v in values if v in _RANK]
    if not ranked:
        return "not_assessed"
    return max(ranked, key=lambda v: _RANK[v])


def domain_judgements(
    rows: Iterable[Mapping[str, str]], scheme: Scheme
) -> dict[str, DomainJudgements]:
    """Long sheet rows (``study_id, tool, domain, judgement``) -> per-study column judgements.

    A study assessed with several tools uses RoB 2, then RoB 1, then PEDro (the
    first present). Columns no row informs are ``not_assessed``.
    """
    by_study: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for r in rows:
        tool = str(r["tool"]).strip().lower()
        entry = by_study.setdefault(str(r["study_id"]), {})
        entry.setdefault(tool, []).append(
            (str(r["domain"]).strip().lower(), str(r["judgement"]).strip().lower())
        )
    columns = scheme_domains(scheme)
    out: dict[str, DomainJudgements] = {}
    for sid, tools in by_study.items():
        tool = next(t for t in ("rob2", "rob1", "pedro") if t in tools)
        mapping = _TO_COLUMN.get((tool, scheme), {})
        per_column: dict[str, list[str]] = {}
        for domain, judgement in tools[tool]:
            code = mapping.get(domain)
            if code is not None:
                per_column.setdefault(code, []).append(_VALUE.get(judgement, judgement))
        cells = tuple(_cell(per_column.get(d.code, [])) for d in columns)
        out[sid] = DomainJudgements(sid, cells, tool, mapped=tool != scheme)
    return out
