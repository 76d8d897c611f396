"""The Summary of Findings tables as plain typed values, in GRADEpro's layout.

One :class:`SofTable` per comparison, as GRADEpro GDT exports them (Schünemann H, Brożek J,
Guyatt G, Oxman A, eds. GRADE Handbook, 2013, section 9.2 "Summary of Findings tables";
Cochrane Handbook v6.5, chapter 14, Figure 14.1.a): a title and the Patient or
population / Setting / Intervention / Comparison lines; columns Outcomes | Anticipated
absolute effects (95% CI): Risk with <comparison>, Risk with <intervention> | Relative
effect (95% CI) | № of participants (studies) | Certainty of the evidence (GRADE) |
Comments; then the footnotes (a, b, c, ...) and the GRADE legend.

Every renderer (HTML, Markdown, CSV, Word) prints :func:`sof_cells`, so the four agree cell
for cell. Nothing here imports a document library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EXPLANATION", "GRADE_LEGEND", "SOF_HEAD", "SofHeader", "SofRow", "SofTable",
           "certainty_cell", "sof_cells"]  # fmt: skip

GRADE_LEGEND = (
    "GRADE Working Group grades of evidence. High certainty: we are very confident that the "
    "true effect lies close to that of the estimate of the effect. Moderate certainty: we are "
    "moderately confident in the effect estimate: the true effect is likely to be close to the "
    "estimate of the effect, but there is a possibility that it is substantially different. "
    "Low certainty: our confidence in the effect estimate is limited: the true effect may be "
    "substantially different from the estimate of the effect. Very low certainty: we have very "
    "little confidence in the effect estimate: the true effect is likely to be substantially "
    "different from the estimate of effect."
)
EXPLANATION = (
    "*The risk in the intervention group (and its 95% CI) is based on the assumed risk in the "
    "comparison group and the relative effect of the intervention (and its 95% CI). CI: "
    "confidence interval; MD: mean difference."
)
SOF_HEAD = ("Outcomes", "Anticipated absolute effects* (95% CI)", "",
            "Relative effect (95% CI)", "№ of participants (studies)",
            "Certainty of the evidence (GRADE)", "Comments")  # fmt: skip


@dataclass(frozen=True)
class SofHeader:
    """The lines above a GRADEpro table."""

    title: str  # "Acupuncture compared with sham for sacroiliac-joint pain"
    population: str
    setting: str
    intervention: str
    comparison: str
    comparator: str = ""  # short name for "Risk with <comparator>" (default: comparison)

    @property
    def risk_with(self) -> str:
        """The comparator as the risk column names it."""
        return self.comparator or self.comparison


@dataclass(frozen=True)
class SofRow:
    """One outcome, as printed (numbers already formatted by the report layer).

    ``anchor`` is the id of the row's forest plot in the HTML report ("" = none);
    ``analysis_id`` names the analysis for machine readers (CSV), never printed."""

    outcome: str  # "Pain (VAS 0–100; lower is better) follow-up: 5 to 10 weeks"
    risk_control: str  # "The mean pain was 51 points"
    risk_intervention: str  # "MD 1.7 lower (9.1 lower to 5.8 higher)"
    relative_effect: str  # "–" for continuous outcomes
    participants: str  # "305 (3 RCTs)"
    certainty_symbols: str  # "⨁⨁◯◯"
    certainty_word: str  # "Low"
    footnote_marks: str  # "a,b"
    comments: str
    anchor: str = ""
    analysis_id: str = ""
    absolute: tuple[tuple[str, str], ...] = ()  # a binary row's per-1000 columns (CSV)


@dataclass(frozen=True)
class SofTable:
    """One comparison: header, outcome rows, footnotes (letter, text), notes on outcomes no
    trial reported, and the legend."""

    header: SofHeader
    rows: tuple[SofRow, ...]
    footnotes: tuple[tuple[str, str], ...] = ()
    explanation: str = EXPLANATION
    legend: str = GRADE_LEGEND
    not_reported: tuple[str, ...] = ()
    comparison_id: str = ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def certainty_cell(r: SofRow) -> str:
    """``"⨁⨁◯◯ Low a,b"`` (symbols, word, footnote letters)."""
    text = f"{r.certainty_symbols} {r.certainty_word}".strip()
    return f"{text} {r.footnote_marks}" if r.footnote_marks else text


def sof_cells(table: SofTable) -> list[list[str]]:
    """The table's cells as text, as Word reads them back (a merged cell repeats its text in
    every grid cell): two header rows, then one row per outcome."""
    h = table.header
    head1 = [SOF_HEAD[0], SOF_HEAD[1], SOF_HEAD[1], *SOF_HEAD[3:]]
    head2 = [SOF_HEAD[0], f"Risk with {_lower_first(h.risk_with)}",
             f"Risk with {_lower_first(h.intervention)}", *SOF_HEAD[3:]]  # fmt: skip
    rows = [head1, head2]
    for r in table.rows:
        rows.append([r.outcome, r.risk_control, r.risk_intervention, r.relative_effect,
                     r.participants, certainty_cell(r), r.comments])  # fmt: skip
    return rows
