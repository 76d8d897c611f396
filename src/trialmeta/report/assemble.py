"""The review-level pieces every report output shares, built once per call from the typed
results and the sheets: the trial flow, the Summary of Findings tables, the limitations
ranked, and the Summary of Findings as CSV rows and Markdown.

The Summary of Findings CSV, Markdown, Word file and HTML all print
:func:`trialmeta.report.sof_model.sof_cells` of the same :class:`SofTable` objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trialmeta.report.absolute_effects import ABSOLUTE_COLUMNS
from trialmeta.report.labels import LabelMap
from trialmeta.report.limitations_summary import executive_summary, limitations
from trialmeta.report.sof_build import sof_tables
from trialmeta.report.sof_model import SofTable, certainty_cell
from trialmeta.report.text import md_cell
from trialmeta.report.trial_flow import PrismaData, prisma_from_accounting
from trialmeta.review.config import ReviewConfig
from trialmeta.review.results import OutcomeResult

__all__ = ["SOF_CSV_COLUMNS", "ReviewText", "review_text", "sof_csv_rows", "sof_markdown"]

#: A binary row's per-1000 columns for machine readers (blank on continuous rows).
ABSOLUTE_CSV = tuple(c for c in ABSOLUTE_COLUMNS if c != "relative_effect")
SOF_CSV_COLUMNS = ("comparison_id", "comparison", "analysis_id", "outcome", "risk_control",
                   "risk_intervention", "relative_effect", "participants", "certainty",
                   "comments", "footnotes", *ABSOLUTE_CSV)  # fmt: skip
TOP_LIMITATIONS = 3


@dataclass(frozen=True)
class ReviewText:
    """The flow, the SoF tables, the executive summary and the largest limitations."""

    flow: PrismaData
    sof: tuple[SofTable, ...]
    summary: tuple[str, ...]
    top_limitations: tuple[str, ...]


def how_found(config: ReviewConfig) -> str:
    """The config's search statement (blank when the config has none)."""
    return config.search.statement if config.search is not None else ""


def review_text(config: ReviewConfig, results: Sequence[OutcomeResult], labels: LabelMap,
                studies: Sequence[Mapping[str, str]],
                accounting: Sequence[Mapping[str, str]]) -> ReviewText:  # fmt: skip
    """Build everything from the results, the studies sheet and the comparison accounting."""
    outcome_labels = {o: config.outcome_noun(o).capitalize() for o in
                      {c for oc in config.outcomes for c in oc.codes}}  # fmt: skip
    flow = prisma_from_accounting(studies, accounting, dict(labels.studies), outcome_labels,
                                  how_found(config))  # fmt: skip
    countries = {str(s["study_id"]): str(s.get("country") or "") for s in studies}
    tables = tuple(sof_tables(config, results, labels, countries))
    found = limitations(config, results, flow, labels)
    return ReviewText(
        flow,
        tables,
        tuple(executive_summary(config, results, flow, labels)),
        tuple(x.sentence for x in found[:TOP_LIMITATIONS]),
    )


def sof_csv_rows(tables: Sequence[SofTable]) -> list[dict[str, object]]:
    """One CSV row per printed SoF row: the same cells as the Word table."""
    out: list[dict[str, object]] = []
    for t in tables:
        notes = dict(t.footnotes)
        for r in t.rows:
            marks = [m for m in r.footnote_marks.split(",") if m]
            out.append({"comparison_id": t.comparison_id, "comparison": t.header.comparison,
                        "analysis_id": r.analysis_id, "outcome": r.outcome,
                        "risk_control": r.risk_control, "risk_intervention": r.risk_intervention,
                        "relative_effect": r.relative_effect, "participants": r.participants,
                        "certainty": certainty_cell(r), "comments": r.comments,
                        "footnotes": " ".join(f"{m}. {notes[m]}" for m in marks),
                        **{k: dict(r.absolute).get(k, "") for k in ABSOLUTE_CSV}})  # fmt: skip
    return out


def sof_markdown(tables: Sequence[SofTable], title: str = "Summary of findings") -> str:
    """Every table in GRADEpro layout as Markdown (data escaped by :func:`md_cell`)."""
    lines = [f"# {md_cell(title)}", ""]
    for i, t in enumerate(tables, 1):
        h = t.header
        lines += [f"## Summary of findings {i}. {md_cell(h.title)}", "",
                  f"**Patient or population:** {md_cell(h.population)}  ",
                  f"**Setting:** {md_cell(h.setting)}  ",
                  f"**Intervention:** {md_cell(h.intervention)}  ",
                  f"**Comparison:** {md_cell(h.comparison)}", "",
                  "| Outcomes | Risk with " + md_cell(h.risk_with.lower())
                  + " | Risk with " + md_cell(h.intervention.lower())
                  + " | Relative effect (95% CI) | № of participants (studies) | "
                  "Certainty of the evidence (GRADE) | Comments |", "|---" * 7 + "|"]  # fmt: skip
        for r in t.rows:
            cells = [r.outcome, r.risk_control, r.risk_intervention, r.relative_effect,
                     r.participants, certainty_cell(r), r.comments]  # fmt: skip
            lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
        lines += ["", md_cell(t.explanation), ""]
        if t.not_reported:
            lines += ["No trial reported: " + md_cell("; ".join(t.not_reported)) + ".", ""]
        lines += [f"{letter}. {md_cell(text)}  " for letter, text in t.footnotes]
        lines += ["", md_cell(t.legend), ""]
    return "\n".join(lines)
