"""The self-contained HTML report (``results/report.html``), in the order a guideline panel
reads it (issue 9; Cochrane Handbook v6.5, chapters 14 and III.5: Summary of Findings first,
then the included studies, their risk of bias, the effects, the limitations):

1. Key findings (one printed page): how the trials were found, the question as PICO, one
   line per comparison, the three largest limitations with their numbers;
2. Summary of Findings: one GRADEpro table per comparison, footnotes and legend;
3. Included studies: the trial-level PRISMA 2020 flow (figure and table), the
   characteristics of included studies;
4. Risk of bias in included studies (robvis-style plots);
5. Results per comparison: numbered figures, the analysis text, sensitivity, subgroups and
   diagnostics;
6. Limitations: the executive summary;
7. Appendices: methods, the limitations in detail with the flag table, the comparison
   accounting, reproducibility.

One file: figures are inline SVG with real text and a ``<title>`` (no base64), CSS inline
with print rules, no script and no network access. Every value from the data or the
config is escaped. The page holds no timestamp, so two runs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from trialmeta.report.html_blocks import e, figure_html, markdown_to_html, prose, table_html
from trialmeta.report.html_sof import sof_tables_html
from trialmeta.report.labels import LabelMap
from trialmeta.report.report_parts import (
    GLANCE_HEAD,
    STUDY_HEAD,
    alt_text,
    caption,
    characteristics_rows,
    finding_text,
    glance_rows,
    pico_lines,
)
from trialmeta.report.sections import Block, methods_paragraphs, outcome_text, sensitivity_blocks
from trialmeta.report.sof_build import figure_anchor
from trialmeta.report.sof_model import SofTable
from trialmeta.report.text import count_text, level_percent, num, trials_text
from trialmeta.report.trial_flow import PrismaData, participants
from trialmeta.review.config import ReviewConfig
from trialmeta.review.results import AnalysisResult, OutcomeResult

__all__ = ["CSS", "ReportInputs", "e", "figure_html", "markdown_to_html", "render_report",
           "table_html"]  # fmt: skip

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.45;font-size:15px}
h1{font-size:1.6rem}h2{border-bottom:2px solid #333;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin-top:1.6rem}table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #999;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}figure{margin:1rem 0;page-break-inside:avoid}
figure svg,figure img{max-width:100%;height:auto}figcaption{font-size:.9rem;color:#222}
.note{font-size:.82rem;color:#333}.search{border:2px solid #333;padding:.5rem .8rem}
.grade{font-family:"DejaVu Sans",sans-serif;letter-spacing:.05em}
.pico{font-size:.9rem}.sof-table{width:100%;table-layout:fixed}
.sof-table th{overflow-wrap:normal;word-break:normal;hyphens:manual}
ol.footnotes{list-style:none;padding-left:0;font-size:.82rem}
.more{font-size:.8rem}.keyfindings li{margin-bottom:.3rem}
nav ol{padding-left:1.2rem}nav>ol>li{margin:.15rem 0}nav ol ol{font-size:.9rem}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:.8rem}
@page{size:A4;margin:15mm}@page landscape{size:A4 landscape}.landscape{page:landscape}
@media print{body{max-width:none;margin:0;font-size:9.5pt}
h2{page-break-before:always}h2.first{page-break-before:avoid}tr,figure{page-break-inside:avoid}
thead{display:table-header-group}.scroll{overflow:visible}a{color:inherit;text-decoration:none}}
"""


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report prints, already computed by earlier rules."""

    config: ReviewConfig
    results: Sequence[OutcomeResult]
    sof: Sequence[SofTable]
    flow: PrismaData
    summary: Sequence[str]  # the executive summary's sentences
    top_limitations: Sequence[str]
    limitations_md: str
    provenance: Mapping[str, object]
    figures: Mapping[str, Sequence[str | Path]]
    studies: Sequence[Mapping[str, object]]
    labels: LabelMap
    humanise: Callable[[str], str]


class _Numbers:
    """Figure numbers in order of appearance."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


SECTIONS = (("key-findings", "Key findings"), ("sof", "Summary of findings"),
            ("included", "Included studies"), ("rob", "Risk of bias in included studies"),
            ("results", "Results per comparison"), ("limitations", "Limitations"),
            ("appendix", "Appendices"))  # fmt: skip


def _nav(r: ReportInputs) -> str:
    sub: dict[str, list[tuple[str, str]]] = {
        "sof": [(f"sof-{c.id}", c.label) for c in r.config.comparisons if not c.members],
        "results": [(f"res-{c.id}", c.label) for c in r.config.comparisons],
        "appendix": [("appendix-methods", "A. Methods"),
                     ("appendix-limitations", "B. Limitations in detail and flags"),
                     ("appendix-accounting", "C. Comparison accounting"),
                     ("appendix-references", "D. References to the trials"),
                     ("appendix-reproducibility", "E. Reproducibility")],
    }  # fmt: skip
    out = ["<nav><h2>Contents</h2><ol>"]
    for ident, name in SECTIONS:
        out.append(f'<li><a href="#{ident}">{e(name)}</a>')
        if sub.get(ident):
            out.append("<ol>" + "".join(f'<li><a href="#{e(i)}">{e(n)}</a></li>'
                                        for i, n in sub[ident]) + "</ol>")  # fmt: skip
        out.append("</li>")
    return "".join(out) + "</ol></nav>"


def _h2(i: int, ident: str, name: str) -> str:
    first = ' class="first"' if i == 1 else ""
    return f'<h2 id="{ident}"{first}>{i}. {e(name)}</h2>'


def _search(config: ReviewConfig) -> str:
    if config.search is None:
        return ""
    text = e(config.search.statement)
    body = text if config.search.systematic else f"<b>{text}</b>"
    return f'<p class="search">How the trials were found: {body}</p>'


def _key_findings(r: ReportInputs) -> list[str]:
    out = [_h2(1, SECTIONS[0][0], SECTIONS[0][1]), _search(r.config), '<div class="pico">']
    out += [f"<p><b>{e(k)}:</b> {e(v)}</p>" for k, v in pico_lines(r.config, r.labels)]
    out.append('</div><h3>Results by comparison</h3><ul class="keyfindings">')
    names = {c.id: c.label for c in r.config.comparisons}
    for t in r.sof:
        rows = [row for row in t.rows if row.certainty_symbols] or list(t.rows)
        name = names.get(t.comparison_id, t.header.comparison)
        if not rows:
            out.append(f"<li><b>{e(name)}:</b> no trial.</li>")
            continue
        row = rows[0]
        plain = row.comments.split(" Minimal important difference")[0]
        out.append(f'<li><b>{e(name)}.</b> {e(prose(finding_text(row)))} '
                   f"{e(plain)} <a class=\"more\" href=\"#sof-{e(t.comparison_id)}\">"
                   f"(all {len(t.rows)} outcomes)</a></li>")  # fmt: skip
    out.append("</ul><h3>The largest limitations</h3><ol>")
    out += [f"<li>{e(prose(s))}</li>" for s in r.top_limitations]
    return [*out, "</ol>"]


def _included(r: ReportInputs, numbers: _Numbers) -> list[str]:
    out = [_h2(3, SECTIONS[2][0], SECTIONS[2][1])]
    flow = r.flow
    for path in r.figures.get("prisma", []):
        n = numbers.next()
        out.append(figure_html(path, f"Figure {n}. Flow of trials (PRISMA 2020, trial level)",
                               alt=f"Flow diagram: {len(flow.trials)} trials in the sheets, "
                                   f"{len(flow.included())} in at least one analysis, "
                                   f"{len(flow.not_pooled())} in none.",
                               anchor="fig-prisma"))  # fmt: skip
    rows: list[list[object]] = [
        ["Trials in the extraction sheets", len(flow.trials), participants(flow.trials), ""],
        ["In at least one analysis", len(flow.included()), participants(flow.included()), ""],
    ]
    for reason, trials in flow.reasons().items():
        rows.append([f"Not pooled: {r.humanise(reason)}", len(trials), participants(trials),
                     ", ".join(t.label for t in trials)])  # fmt: skip
    out.append("<h3>Flow of trials</h3>")
    out.append(table_html(["Step", "Trials", "Participants", "Trials not pooled"], rows))
    included = {t.study_id: t.in_analysis for t in flow.trials}
    out.append('<section class="landscape"><h3>Characteristics of included studies</h3>')
    out.append(table_html(STUDY_HEAD, characteristics_rows(r.studies, r.results, r.labels,
                                                           included), nd=-1))  # fmt: skip
    return [*out, "</section>"]


def _rob(r: ReportInputs, numbers: _Numbers) -> list[str]:
    out = [_h2(4, SECTIONS[3][0], SECTIONS[3][1])]
    names = {"traffic_light_domains": "risk of bias by domain, per trial (traffic light)",
             "summary_domains": "risk of bias by domain, share of trials",
             "traffic_light_overall": "overall risk of bias per trial",
             "summary_overall": "overall risk of bias, share of trials"}  # fmt: skip
    for path in r.figures.get("risk_of_bias", []):
        stem = Path(path).stem
        n = numbers.next()
        out.append(figure_html(path, f"Figure {n}. Risk of bias: {names.get(stem, stem)}"))
    if len(out) == 1:
        out.append("<p>No risk-of-bias assessment is in the data.</p>")
    return out


def _block_html(b: Block, human: Callable[[str], str]) -> str:
    if b.kind == "heading":
        return ""
    if b.kind == "paragraph":
        return f"<p>{e(prose(human(b.text)))}</p>"
    rows = [[human(c) if isinstance(c, str) else c for c in row] for row in b.rows]
    return table_html([human(h) for h in b.head], rows)


def _kind(path: str | Path) -> str:
    return Path(path).stem.split("__")[0]


def _analysis(r: ReportInputs, a: AnalysisResult, numbers: _Numbers) -> list[str]:
    cfg, human = r.config, r.humanise
    measure = cfg.outcome_measure(a.analysis.outcome_id)
    out = ['<section class="analysis">', f"<h4>{e(r.labels.outcome(a.analysis.outcome_id))}</h4>"]
    k = a.analysis.k
    for path in r.figures.get(a.analysis_id, []):
        kind = _kind(path)
        if kind != "forest" and (k < 5 or kind in ("gosh", "baujat")):
            continue  # influence diagnostics only where k >= 5 (issue 9); GOSH in the CSV
        n = numbers.next()
        out.append(
            figure_html(
                path,
                caption(n, kind, a, r.labels),
                alt=alt_text(kind, a),
                anchor=figure_anchor(a.analysis_id) if kind == "forest" else "",
            )
        )
    if a.analysis.pooled is not None:
        out.append(f"<p>{e(prose(human(outcome_text(a, measure))))}</p>")
    else:
        out.append(f"<p>{e(trials_text(len({x.study_id for x in a.effects})))}, "
                   f"{count_text(a.analysis.n_participants)} participants: not pooled "
                   f"({e(human(a.analysis.status))}).</p>")  # fmt: skip
    blocks = sensitivity_blocks(a, measure, cfg.model.level)
    out += [_block_html(b, human) for b in blocks if b.kind != "heading"]
    return [*out, "</section>"]


def _results(r: ReportInputs, numbers: _Numbers) -> list[str]:
    out = ['<section class="landscape">', _h2(5, SECTIONS[4][0], SECTIONS[4][1])]
    for c in r.config.comparisons:
        out.append(f'<h3 id="res-{e(c.id)}">{e(c.label)}</h3>')
        shown = 0
        for res in r.results:
            for a in res.analyses:
                if a.analysis.comparison == c.id and a.effects:
                    out += _analysis(r, a, numbers)
                    shown += 1
        if not shown:
            out.append("<p>No trial reported an outcome for this comparison.</p>")
    return [*out, *_external(r), "</section>"]


def _external(r: ReportInputs) -> list[str]:
    xs = r.config.external_results
    if not xs:
        return []
    ci = f"{level_percent(r.config.model.level)} CI"
    rows = [
        [
            r.labels.outcome(x.outcome_id),
            x.label,
            x.measure,
            num(x.estimate, 2),
            f"{num(x.ci_lb, 2)} to {num(x.ci_ub, 2)}",
            "–" if x.k is None else x.k,
            "–" if x.n_participants is None else x.n_participants,
            x.source,
        ]
        for x in xs
    ]
    return ['<h3 id="res-external">Published pooled results (not pooled with ours)</h3>',
            table_html(["Outcome", "External source", "Measure", "Estimate", ci, "k",
                        "Participants", "Source"], rows, cls="external")]  # fmt: skip


def _limitations(r: ReportInputs) -> list[str]:
    out = [_h2(6, SECTIONS[5][0], SECTIONS[5][1]), "<ul>"]
    out += [f"<li>{e(prose(s))}</li>" for s in r.summary]
    out.append("</ul><h3>Analyses at a glance</h3>")
    out.append(table_html(GLANCE_HEAD, glance_rows(r.config, r.results, r.labels)))
    out.append(
        '<p class="note">Every judgement and flag, analysis by analysis, is in '
        '<a href="#appendix-limitations">Appendix B</a>.</p>'
    )
    return out


def _appendices(r: ReportInputs) -> list[str]:
    cfg = r.config
    pk = dict(r.provenance.get("packages", {}) or {})  # type: ignore[call-overload]
    out = [
        _h2(7, SECTIONS[6][0], SECTIONS[6][1]),
        '<section id="appendix-methods"><h3>A. Methods</h3>',
    ]
    out += [f"<p>{e(prose(p))}</p>" for p in methods_paragraphs(cfg)]
    out.append(table_html(["Software", "Version"], sorted(pk.items())))
    out.append(
        '</section><section id="appendix-limitations"><h3>B. Limitations in detail and flags</h3>'
    )
    out.append(markdown_to_html(r.limitations_md))
    out.append(
        '</section><section id="appendix-accounting"><h3>C. Comparison accounting</h3>'
        "<p>Every extracted comparison and what happened to it is in "
        "<code>results/comparisons_accounting.csv</code>; per trial, in "
        '<a href="#included">section 3</a>.</p></section>'
    )
    return out + _references(r) + _reproducibility(r.provenance)


_REFERENCE_FIELDS = ("authors", "title", "journal", "year", "citation")


def _references(r: ReportInputs) -> list[str]:
    """Appendix D: every trial of the studies sheet as a reference (authors, title, journal,
    year, volume, DOI, source; RevMan's "References to studies"), with its verification
    level, so each number can be traced to its paper."""
    out = ['<section id="appendix-references"><h3>D. References to the trials</h3><ol>']
    for s in sorted(r.studies, key=lambda x: r.labels.study(str(x.get("study_id", "")))):
        sid = str(s.get("study_id", ""))
        parts = [str(s[k]).strip() for k in _REFERENCE_FIELDS if str(s.get(k) or "").strip()]
        doi = str(s.get("doi") or "").strip()
        source = str(s.get("source") or "").strip()
        text = ". ".join(parts) + (f". doi:{doi}" if doi else "")
        where = f" Source: {source}." if source else ""
        level = str(s.get("verification") or "").strip()
        out.append(
            f"<li><b>{e(r.labels.study(sid))}</b>. {e(text)}.{e(where)}"
            + (f" Verification: {e(r.labels.code(level))}." if level else "")
            + "</li>"
        )
    return [*out, "</ol></section>"]


def _reproducibility(provenance: Mapping[str, object]) -> list[str]:
    git = dict(provenance.get("git") or {})  # type: ignore[call-overload]
    files = [*provenance.get("inputs", []), *provenance.get("config_files", [])]  # type: ignore[misc]
    return [
        '<section id="appendix-reproducibility"><h3>E. Reproducibility</h3>',
        f"<p>Git commit: <code>{e(git.get('commit'))}</code> (uncommitted changes: "
        f"{e('yes' if git.get('dirty') else 'no')}).</p>",
        f"<p>Rerun: <code>{e(provenance.get('rerun'))}</code></p>",
        table_html(["Input file", "SHA-256"], [[f["path"], f["sha256"]] for f in files]),
        _results_note(provenance),
        "<p>Every setting, package version and input digest: "
        '<a href="provenance.json">provenance.json</a>.</p></section>',
    ]


def _results_note(provenance: Mapping[str, object]) -> str:
    """How many results provenance.json hashes (the report is built from those files)."""
    results = provenance.get("results") or []
    n = len(results) if isinstance(results, list) else 0
    return (
        (
            f"<p><code>provenance.json</code> also records the SHA-256 of the {n} result "
            "files this report was built from (tables, intermediate results, figures); each "
            "step checked the intermediates it read against the checksums their steps "
            "wrote.</p>"
        )
        if n
        else ""
    )


def render_report(r: ReportInputs) -> str:
    """The whole report as one HTML string."""
    numbers = _Numbers()
    title = r.config.title
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{e(title)}</h1>"]  # fmt: skip
    parts += _key_findings(r)
    parts.append(_nav(r))
    parts += [
        '<section class="landscape">',
        _h2(2, SECTIONS[1][0], SECTIONS[1][1]),
        *sof_tables_html(r.sof),
        "</section>",
    ]
    parts += _included(r, numbers)
    parts += _rob(r, numbers)
    parts += _results(r, numbers)
    parts += _limitations(r)
    parts += _appendices(r)
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)
