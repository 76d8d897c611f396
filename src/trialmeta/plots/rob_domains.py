"""Risk-of-bias columns as figures show them: RoB 1 (A-G) or RoB 2 (D1-D5, Overall).

The vocabulary and the mapping of RoB 1 and PEDro onto the RoB 2 domains are
:mod:`trialmeta.data.risk_of_bias` (GRADE reads the same mapping), so a figure never
shows a judgement GRADE does not use. This module only chooses the columns:

- RoB 2 columns (D1-D5 and Overall; Sterne JAC et al. BMJ 2019;366:l4898; Cochrane
  Handbook v6.5, chapter 8) whenever any trial was assessed with RoB 2 or PEDro:
  every tool is shown on the RoB 2 domains, PEDro item by item, never as a total
  (Handbook v6.5, section 8.1.3, discourages scales and summary scores);
- RoB 1 columns A-G, as RevMan 5 labels them (Higgins JPT, Altman DG, Sterne JAC,
  Cochrane Handbook v5.1, 2011, Table 8.5.a), when every assessment is RoB 1: its own
  domains, where two sheet domains feed one letter (blinding of participants and of
  providers -> C) the worse counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from trialmeta.data import risk_of_bias as vocab

__all__ = [
    "CELL_VALUES",
    "FOREST_SYMBOLS",
    "Domain",
    "DomainJudgements",
    "ROB1",
    "ROB2",
    "Scheme",
    "domain_judgements",
    "pick_scheme",
    "result_cells",
    "scheme_domains",
    "study_domains",
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
    *(Domain(code, name) for code, name in vocab.DOMAIN_LABELS.items()),
    Domain("Overall", "Overall risk of bias"),
)
_ROB1_LETTER = {
    "sequence_generation": "A", "allocation_concealment": "B",
    "blinding_participants": "C", "blinding_participants_personnel": "C",
    "blinding_treatment_provider": "C", "blinding_outcome_assessor": "D",
    "incomplete_outcome_data": "E", "selective_reporting": "F", "other_bias": "G",
    "trial_size": "G",
}  # fmt: skip


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
    """RoB 1 letters when every assessment is RoB 1, else the RoB 2 domains."""
    found = {t.strip().lower() for t in tools if t.strip()}
    return "rob1" if found == {"rob1"} else "rob2"


def _rob1_cells(rows: list[Mapping[str, str]]) -> tuple[str, ...]:
    per: dict[str, list[str]] = {}
    for r in rows:
        letter = _ROB1_LETTER.get(str(r["domain"]).strip())
        if letter:
            per.setdefault(letter, []).append(str(r["judgement"]).strip().lower())
    cells = []
    for d in ROB1:
        level = vocab.worst(per[d.code]) if d.code in per else "not_assessed"
        cells.append("unclear" if level == "some_concerns" else level)  # RoB 1 wording
    return tuple(cells)


def result_cells(study: vocab.StudyDomains | None, *, self_reported: bool,
                 participants_aware: bool) -> tuple[str, ...]:  # fmt: skip
    """D1-D5 and Overall of one result, as GRADE judges it
    (:func:`trialmeta.data.risk_of_bias.result_risk_of_bias`)."""
    if study is None:
        return ("not_assessed",) * len(ROB2)
    overall, doms, _ = vocab.result_risk_of_bias(
        study, self_reported=self_reported, participants_aware=participants_aware
    )
    return (*(doms.get(code, "not_assessed") for code in vocab.DOMAIN_LABELS), overall)


def study_domains(rows: Iterable[Mapping[str, str]]) -> dict[str, vocab.StudyDomains]:
    """Study id -> its RoB 2 domains, from long sheet rows (the data layer's mapping)."""
    return vocab.domain_judgements(rows)


def domain_judgements(rows: Iterable[Mapping[str, str]], scheme: Scheme, *,
                      self_reported: bool = True) -> dict[str, DomainJudgements]:  # fmt: skip
    """Long sheet rows (``study_id, tool, domain, judgement``) -> per-study column cells.

    RoB 2 columns are each trial's domains for a self-reported outcome (or not), with
    participants not told their allocation by the comparison itself: D4 is high when the
    trial did not blind them (a trial-level view; a forest row uses :func:`result_cells`
    with its own comparison).
    """
    rows = list(rows)
    if scheme == "rob1":
        by: dict[str, list[Mapping[str, str]]] = {}
        for r in rows:
            if str(r.get("tool", "")).strip().lower() == "rob1":
                by.setdefault(str(r["study_id"]), []).append(r)
        return {s: DomainJudgements(s, _rob1_cells(rs), "rob1", False) for s, rs in by.items()}
    return {sid: DomainJudgements(sid, result_cells(sd, self_reported=self_reported,
                                                    participants_aware=False),
                                  sd.tool.lower(), sd.tool != "RoB2")
            for sid, sd in study_domains(rows).items()}  # fmt: skip
