"""The trial-level flow of a review (PRISMA 2020), as data.

Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement. BMJ
2021;372:n71 (Figure 1). The unit is the trial, as PRISMA 2020 asks ("studies included
in review"), not the comparison or the extracted row: trials in the extraction sheets ->
trials in at least one meta-analysis, every trial that contributes nothing under its
reason. Participants are the randomised numbers of ``studies.csv``; a count says how many
trials do not report them, and its sum is then a lower bound. :mod:`trialmeta.plots.prisma`
draws it; the report prints it as a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from trialmeta.errors import InputError

__all__ = ["ROW_LEVEL_REASONS", "PrismaData", "TrialFlow", "participants", "prisma_data",
           "prisma_from_accounting"]  # fmt: skip

# accounting reasons that describe a row, not a trial: they never explain a trial's absence
ROW_LEVEL_REASONS = ("another timepoint used",)


@dataclass(frozen=True)
class TrialFlow:
    """One trial: its label, randomised n (None = not reported), and why it is not pooled."""

    study_id: str
    label: str
    n_randomised: int | None
    in_analysis: bool
    reason: str = ""


@dataclass(frozen=True)
class PrismaData:
    """The trials of a review and how the trials were found (printed in the first box)."""

    trials: tuple[TrialFlow, ...]
    how_found: str = ""

    def included(self) -> tuple[TrialFlow, ...]:
        return tuple(t for t in self.trials if t.in_analysis)

    def not_pooled(self) -> tuple[TrialFlow, ...]:
        return tuple(t for t in self.trials if not t.in_analysis)

    def reasons(self) -> dict[str, tuple[TrialFlow, ...]]:
        """Reason -> trials not pooled for it, largest group first (then by reason)."""
        groups: dict[str, list[TrialFlow]] = {}
        for t in self.not_pooled():
            groups.setdefault(t.reason, []).append(t)
        order = sorted(groups, key=lambda r: (-len(groups[r]), r))
        return {r: tuple(sorted(groups[r], key=lambda t: t.label)) for r in order}


def participants(trials: Sequence[TrialFlow]) -> str:
    """ "1,234 participants randomised" (or "at least ..., not reported for 2 trials")."""
    known = sum(t.n_randomised for t in trials if t.n_randomised is not None)
    missing = sum(t.n_randomised is None for t in trials)
    if not trials:
        return "no participants"
    if missing == len(trials):
        return "participants not reported"
    text = f"{known:,} participants randomised"
    if missing:
        trial_word = "trial" if missing == 1 else "trials"
        text = f"at least {text} (not reported for {missing} {trial_word})"
    return text


def prisma_data(trials: Iterable[TrialFlow], how_found: str = "") -> PrismaData:
    """Check and freeze the flow: unique ids, a reason for every trial not pooled."""
    rows = tuple(trials)
    ids = [t.study_id for t in rows]
    if len(set(ids)) != len(ids):
        raise InputError("trials", sorted({i for i in ids if ids.count(i) > 1}), "unique ids")
    for t in rows:
        if not t.in_analysis and not t.reason.strip():
            raise InputError("trials", t.study_id, "a reason for every trial not pooled")
        if t.n_randomised is not None and t.n_randomised < 0:
            raise InputError("n_randomised", t.n_randomised, "an integer >= 0 or None")
    return PrismaData(rows, how_found)


def _trial_reason(excluded: list[Mapping[str, str]], outcome_label: Mapping[str, str]) -> str:
    counts: dict[str, int] = {}
    for r in excluded:
        code = str(r.get("reason_code") or "").strip()
        if not code or code in ROW_LEVEL_REASONS:
            continue
        if code == "outcome not analysed":
            name = outcome_label.get(str(r.get("outcome") or ""), str(r.get("outcome") or ""))
            code = f"{name}: outcome not analysed"
        counts[code] = counts.get(code, 0) + 1
    if not counts:
        return "no comparison entered an analysis"
    best = max(counts.values())
    return "; ".join(sorted(c for c, n in counts.items() if n == best))


def prisma_from_accounting(studies: Iterable[Mapping[str, str]],
                           accounting: Iterable[Mapping[str, str]],
                           labels: Mapping[str, str], outcome_labels: Mapping[str, str],
                           how_found: str = "") -> PrismaData:  # fmt: skip
    """Trial-level flow from ``studies.csv`` and ``comparisons_accounting.csv`` rows.

    A trial is in an analysis when any of its comparison rows is ``poolable``;
    otherwise its reason is the most frequent trial-level reason of its rows.
    """
    rows_by: dict[str, list[Mapping[str, str]]] = {}
    for r in accounting:
        rows_by.setdefault(str(r.get("study_id")), []).append(r)
    out = []
    for s in studies:
        sid = str(s["study_id"])
        mine = rows_by.get(sid, [])
        pooled = any(str(r.get("status")) == "poolable" for r in mine)
        n_text = str(s.get("n_randomised") or "").strip()
        n = int(float(n_text)) if n_text else None
        reason = (
            ""
            if pooled
            else _trial_reason(mine, outcome_labels)
            if mine
            else ("no extractable comparison in the arms sheet")
        )
        out.append(TrialFlow(sid, labels.get(sid, sid), n, pooled, reason))
    return prisma_data(out, how_found)
