"""The Summary of Findings tables as HTML, in GRADEpro's layout (one per comparison).

Each outcome row links to its forest plot; each footnote letter links to its footnote;
the legend and the explanation follow every table, as in GRADEpro GDT exports (GRADE
Handbook 2013, section 9.2). The cells are :func:`trialmeta.report.sof_model.sof_cells`,
the same text the CSV, Markdown and Word outputs carry.
"""

from __future__ import annotations

from collections.abc import Sequence

from trialmeta.report.html_blocks import e, prose
from trialmeta.report.sof_build import footnote_anchor
from trialmeta.report.sof_model import SOF_HEAD, SofRow, SofTable

__all__ = ["sof_table_html"]


def _marks(table: SofTable, row: SofRow) -> str:
    if not row.footnote_marks:
        return ""
    links = [f'<a href="#{e(footnote_anchor(table.comparison_id, m))}">{e(m)}</a>'
             for m in row.footnote_marks.split(",")]  # fmt: skip
    return " <sup>" + ",".join(links) + "</sup>"


#: Column widths (percent of the table): wide enough that no header word breaks on an A4
#: landscape page (Outcomes, risk with comparator, risk with intervention, relative effect,
#: participants, certainty, comments).
_WIDTHS = (22, 12, 15, 10, 10, 10, 21)
_COLUMNS = "<colgroup>" + "".join(f'<col style="width:{w}%">' for w in _WIDTHS) + "</colgroup>"


def _row_html(table: SofTable, r: SofRow) -> str:
    outcome = e(prose(r.outcome))
    if r.anchor:
        outcome += f' <a class="more" href="#{e(r.anchor)}">(forest plot)</a>'
    cert = (f'<span class="grade">{e(r.certainty_symbols)}</span> ' if r.certainty_symbols
            else "") + e(r.certainty_word) + _marks(table, r)  # fmt: skip
    cells = [outcome, e(r.risk_control), e(r.risk_intervention), e(r.relative_effect),
             e(r.participants), cert, e(prose(r.comments))]  # fmt: skip
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def sof_table_html(table: SofTable, number: int, heading_level: int = 3) -> str:
    """One comparison's table with its header lines, footnotes and legend."""
    h = table.header
    hl = f"h{heading_level}"
    out = [
        f'<section class="sof" id="sof-{e(table.comparison_id)}">',
        f"<{hl}>Summary of findings {number}. {e(h.title)}</{hl}>",
        '<p class="pico">',
    ]
    out += [f"<b>{e(k)}:</b> {e(v)}<br>" for k, v in (
        ("Patient or population", h.population), ("Setting", h.setting),
        ("Intervention", h.intervention), ("Comparison", h.comparison))]  # fmt: skip
    out.append("</p>")
    comparator, intervention = h.risk_with, h.intervention
    out += ['<div class="scroll"><table class="sof-table">', _COLUMNS, "<thead>",
            f'<tr><th rowspan="2">{e(SOF_HEAD[0])}</th><th colspan="2">{e(SOF_HEAD[1])}</th>'
            + "".join(f'<th rowspan="2">{e(x)}</th>' for x in SOF_HEAD[3:]) + "</tr>",
            f"<tr><th>Risk with {e(comparator[:1].lower() + comparator[1:])}</th>"
            f"<th>Risk with {e(intervention[:1].lower() + intervention[1:])}</th></tr>",
            "</thead><tbody>"]  # fmt: skip
    out += [_row_html(table, r) for r in table.rows]
    out.append("</tbody></table></div>")
    out += _notes(table)
    out.append("</section>")
    return "\n".join(out)


def _notes(table: SofTable) -> list[str]:
    out = [f'<p class="note">{e(table.explanation)}</p>']
    if table.not_reported:
        out.append(
            '<p class="note">No trial reported: ' + e("; ".join(table.not_reported)) + ".</p>"
        )
    if table.footnotes:
        out.append('<p class="note"><b>Explanations</b></p><ol class="footnotes">')
        out += [
            f'<li id="{e(footnote_anchor(table.comparison_id, letter))}" value="'
            f'{"abcdefghijklmnopqrstuvwxyz".index(letter) + 1}"><b>{e(letter)}.</b> '
            f"{e(prose(text))}</li>"
            for letter, text in table.footnotes
        ]
        out.append("</ol>")
    out.append(f'<p class="note legend">{e(table.legend)}</p>')
    return out


def sof_tables_html(tables: Sequence[SofTable]) -> list[str]:
    """Every table, numbered."""
    return [sof_table_html(t, i) for i, t in enumerate(tables, 1)]
