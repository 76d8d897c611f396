"""The self-contained HTML report (``results/report.html``).

One file: figures embedded as base64 PNG, CSS inline (with print rules), no
script and no network access. Every value that comes from the data or the
config passes through :func:`html.escape`, so a study named
``<script>alert(1)</script>`` renders as text. The page holds no timestamp, so
two runs on the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from trialmeta.report.absolute_effects import absolute_cell
from trialmeta.report.markdown import unescape_md
from trialmeta.report.sections import (
    Block,
    flow_rows,
    methods_paragraphs,
    outcome_text,
    sensitivity_blocks,
)
from trialmeta.report.text import level_percent
from trialmeta.review.config import ExternalResult, ReviewConfig
from trialmeta.review.results import OutcomeResult

ACCOUNTING_COLUMNS = ("study_id", "outcome_id", "comparison", "control_type", "timepoint_weeks",
                      "arm_id_1", "arm_id_2", "status", "reason")  # fmt: skip

STUDY_COLUMNS = ("study_id", "authors", "year", "journal", "population", "country",
                 "n_randomised", "verification", "doi")  # fmt: skip

__all__ = ["CSS", "e", "figure_html", "markdown_to_html", "render_report", "table_html"]

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.45;font-size:15px}
h1{font-size:1.6rem}h2{border-bottom:2px solid #333;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin-top:1.6rem}table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #999;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0;page-break-inside:avoid}figure img{max-width:100%;height:auto}
figcaption{font-size:.85rem;color:#333}.external{background:#fff7e0}
.note{font-size:.85rem;color:#444}code,pre{font-family:"DejaVu Sans Mono",monospace;
font-size:.8rem}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}
nav ol{columns:2}
@media print{body{max-width:none;margin:0;font-size:10pt}nav{display:none}
h2{page-break-before:always}h2.first{page-break-before:avoid}tr,figure{page-break-inside:avoid}
a{color:inherit;text-decoration:none}}
"""


def e(value: object) -> str:
    """HTML-escaped text of ``value`` (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(x: object, nd: int = 2) -> str:
    """Cell text: ``nd`` decimals for floats; ``nd < 0`` = integers without decimals."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if nd < 0 and isinstance(x, float) and math.isfinite(x):
        return str(int(x)) if x.is_integer() else f"{x:g}"
    if isinstance(x, (int, float)):
        return f"{x:.{nd}f}" if isinstance(x, float) and math.isfinite(x) else (
            str(x) if isinstance(x, int) else "NA")
    return "" if x is None else str(x)


def table_html(head: Sequence[str], rows: Sequence[Sequence[object]], nd: int = 2,
               cls: str = "") -> str:
    """An escaped HTML table; numbers right-aligned with ``nd`` decimals."""
    out = [f'<table class="{e(cls)}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th>{e(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for r in rows:
        cells = []
        for c in r:
            num = isinstance(c, (int, float)) and not isinstance(c, bool)
            text = e(_fmt(c, nd)) if num else e(_fmt(c))
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def figure_html(path: str | Path, caption: str) -> str:
    """``<figure>`` with the figure embedded as a data URI.

    The SVG saved next to a PNG is preferred: it is vector (prints crisply) and about half
    the size of the PNG. Each figure stays its own document inside ``<img>``, so
    the ids inside different SVGs cannot collide.
    """
    path = Path(path)
    svg = path.with_suffix(".svg")
    src, mime = (svg, "image/svg+xml") if svg.exists() else (path, "image/png")
    data = base64.b64encode(src.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{e(caption)}" src="data:{mime};base64,{data}">'
            f"<figcaption>{e(caption)}</figcaption></figure>")


def _md_inline(text: str) -> str:
    return e(unescape_md(text))


def markdown_to_html(md: str) -> str:
    """Render the subset of Markdown our generated files use (headings shifted
    down one level, pipe tables, ``- `` lists, paragraphs), escaping all text."""
    out: list[str] = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")) + 2, 6)
            out.append(f"<h{level}>{_md_inline(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            split = [[unescape_md(c) for c in _split_row(b)] for b in block
                     if not set(b) <= set("|-: ")]  # fmt: skip
            if split:
                out.append(table_html(split[0], split[1:]))
            continue
        elif line.startswith("- "):
            out.append("<ul>")
            while i < len(lines) and lines[i].startswith("- "):
                out.append(f"<li>{_md_inline(lines[i][2:])}</li>")
                i += 1
            out.append("</ul>")
            continue
        elif line.strip():
            out.append(f"<p>{_md_inline(line)}</p>")
        i += 1
    return "\n".join(out)


def _split_row(line: str) -> list[str]:
    body = line.strip().strip("|")
    cells, cur, j = [], "", 0
    while j < len(body):
        if body[j] == "\\" and j + 1 < len(body):  # an escaped character (escape_md)
            cur += body[j : j + 2]
            j += 2
            continue
        if body[j] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += body[j]
        j += 1
    cells.append(cur.strip())
    return cells


def _sensitivity_html(blocks: Sequence[Block]) -> list[str]:
    out = []
    for b in blocks:
        if b.kind == "heading":
            out.append(f"<h4>{e(b.text)}</h4>")
        elif b.kind == "paragraph":
            out.append(f"<p>{e(b.text)}</p>")
        else:
            out.append(table_html(b.head, b.rows))
    return out


def _external_html(externals: Sequence[ExternalResult], level: float) -> list[str]:
    if not externals:
        return []
    return ["<p>External published result (not pooled with ours; shown for comparison "
            "only):</p>", table_html(
                ["EXTERNAL source", "Measure", "Estimate", f"{level_percent(level)} CI", "k",
                 "Participants", "Link"],
                [[x.label, x.measure, x.estimate, f"{x.ci_lb} to {x.ci_ub}", x.k,
                  x.n_participants, x.source] for x in externals], cls="external")]


def render_report(
    config: ReviewConfig,
    results: Sequence[OutcomeResult],
    sof_rows: Sequence[Mapping[str, object]],
    effect_rows: Sequence[Mapping[str, object]],
    accounting: Sequence[Mapping[str, object]],
    limitations_md: str,
    provenance: Mapping[str, object],
    figures: Mapping[str, Sequence[str | Path]],
    studies: Sequence[Mapping[str, object]] = (),
) -> str:
    """The whole report as one HTML string.

    ``sof_rows`` are the rows of ``results/summary_of_findings.csv``; ``figures`` maps an
    analysis id (or ``"risk_of_bias"``) to PNG paths, in the order they are shown;
    ``studies`` are the rows of the studies sheet.
    """
    title = config.title
    level = config.model.level
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{e(title)}</h1>"]  # fmt: skip
    names = ["Question and methods", "Flow of comparisons", "Summary of Findings",
             "Results by outcome", "Sensitivity and subgroup analyses", "Limitations",
             "Reproducibility"]  # fmt: skip
    parts.append("<nav><ol>" + "".join(f'<li><a href="#s{i}">{e(n)}</a></li>'
                                       for i, n in enumerate(names, 1)) + "</ol></nav>")
    parts.append(f'<h2 id="s1" class="first">1. {e(names[0])}</h2>')
    parts += [f"<p>{e(p)}</p>" for p in methods_paragraphs(config)]
    pk = provenance.get("packages", {})
    parts.append(table_html(["Software", "Version"], sorted(dict(pk).items())))  # type: ignore[call-overload]
    parts.append(f'<h2 id="s2">2. {e(names[1])}</h2>')
    head, rows = flow_rows(results, accounting)
    parts.append(table_html(head, rows))
    if accounting:
        cols = [c for c in ACCOUNTING_COLUMNS if c in accounting[0]]
        parts.append("<details><summary>Accounting from the data build: every extracted "
                     "comparison and what happened to it (also in "
                     "results/comparisons_accounting.csv)</summary>")
        parts.append(table_html(cols, [[r.get(c, "") for c in cols] for r in accounting], nd=-1))
        parts.append("</details>")
    if studies:
        cols = [c for c in STUDY_COLUMNS if c in studies[0]]
        parts.append("<h3>Trials in the extraction sheets (studies sheet)</h3>")
        parts.append(table_html(cols, [[r.get(c, "") for c in cols] for r in studies], nd=-1))
    parts.append(f'<h2 id="s3">3. {e(names[2])}</h2>')
    head = ["Outcome", "Comparison", "№ of participants (studies)",
            f"Effect ({level_percent(level)} CI)", "Certainty", "Rated down for", "What happens"]
    body = [[r["outcome"], r["comparison"], r["participants_studies"], r["effect"],
             f"{r['certainty_symbols']} {r['certainty']}".strip(), r["rated_down_for"],
             r["plain_language"]] for r in sof_rows]  # fmt: skip
    if any(r.get("relative_effect") for r in sof_rows):  # binary: effects per 1000
        head.insert(3, "Anticipated absolute effects (per 1000)")
        for row, r in zip(body, sof_rows, strict=True):
            row.insert(3, absolute_cell(r))
    parts.append(table_html(head, body))
    parts.append(f'<h2 id="s4">4. {e(names[3])}</h2>')
    for res in results:
        parts.append(f"<h3>{e(res.outcome.label)}</h3>")
        for a in res.analyses:
            parts.append(f"<h4>{e(a.comparison_label)}</h4>")
            parts.append(f"<p>{e(outcome_text(a, res.outcome.measure or config.measure))}</p>")
            for path in figures.get(a.analysis_id, []):
                parts.append(figure_html(path, f"{a.analysis_id}: {Path(path).stem}"))
        parts += _external_html([x for x in config.external_results
                                 if x.outcome_id == res.outcome.id], level)
    parts.append(f'<h2 id="s5">5. {e(names[4])}</h2>')
    for res in results:
        for a in res.analyses:
            measure = res.outcome.measure or config.measure
            parts += _sensitivity_html(sensitivity_blocks(a, measure, level))
    for path in figures.get("risk_of_bias", []):
        parts.append(figure_html(path, f"Risk of bias: {Path(path).stem}"))
    parts.append(f'<h2 id="s6">6. {e(names[5])}</h2>')
    parts.append(markdown_to_html(limitations_md))
    parts += _reproducibility(names[6], provenance)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _reproducibility(name: str, provenance: Mapping[str, object]) -> list[str]:
    git = dict(provenance.get("git") or {})  # type: ignore[call-overload]
    files = [*provenance.get("inputs", []), *provenance.get("config_files", [])]  # type: ignore[misc]
    return [
        f'<h2 id="s7">7. {e(name)}</h2>',
        f"<p>Git commit: <code>{e(git.get('commit'))}</code> (uncommitted changes: "
        f"{e(git.get('dirty'))}).</p>",
        f"<p>Rerun: <code>{e(provenance.get('rerun'))}</code></p>",
        table_html(["Input file", "SHA-256"], [[f["path"], f["sha256"]] for f in files]),
        _results_note(provenance),
        "<p>Configuration used:</p><pre>"
        + e(json.dumps(provenance.get("config", {}), indent=2, sort_keys=True,
                       ensure_ascii=False)) + "</pre>",
    ]


def _results_note(provenance: Mapping[str, object]) -> str:
    """How many results provenance.json hashes (the report is built from those files)."""
    results = provenance.get("results") or []
    n = len(results) if isinstance(results, list) else 0
    return (f"<p><code>provenance.json</code> also records the SHA-256 of the {n} result "
            "files this report was built from (tables, intermediate results, figures); each "
            "step checked the intermediates it read against the checksums their steps "
            "wrote.</p>") if n else ""
