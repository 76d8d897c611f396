"""Summary of Findings tables as a Word document, in GRADEpro's layout (python-docx).

One table per comparison, as GRADEpro GDT exports them (Schünemann H, Brożek J,
Guyatt G, Oxman A, eds. GRADE Handbook, 2013, section 9.2 "Summary of Findings
tables"; Cochrane Handbook v6.5, chapter 14, Figure 14.1.a): a title and the
Patient or population / Setting / Intervention / Comparison lines; columns
Outcomes | Anticipated absolute effects (95% CI): Risk with <comparison>, Risk with
<intervention> | Relative effect (95% CI) | № of participants (studies) |
Certainty of the evidence (GRADE) | Comments; the two header rows repeat on every
page; then the footnotes (a, b, c, ...) and the GRADE legend.

The tables are :mod:`trialmeta.report.sof_model` values: this module writes them and
computes nothing.
Reruns are byte-identical: the core properties carry a fixed date, and the zip
entries a fixed timestamp and order.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell

from trialmeta.io.outputs import replace_bytes
from trialmeta.report.sof_model import (
    GRADE_LEGEND,
    SOF_HEAD,
    SofHeader,
    SofRow,
    SofTable,
    sof_cells,
)

__all__ = [
    "FIXED_DATE",
    "SOF_HEAD",
    "GRADE_LEGEND",
    "SofHeader",
    "SofRow",
    "SofTable",
    "read_docx_tables",
    "sof_cells",
    "write_sof_docx",
]

FIXED_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # core properties of every file
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FONT = "Calibri"
SYMBOL_FONT = "Cambria Math"  # has ⨁ (U+2A01) and ◯ (U+25EF) at the same size
_WIDTHS_MM = (52, 42, 48, 22, 28, 34, 41)  # 267 mm: A4 landscape less two 15 mm margins


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids (C0 controls other than tab, newline
    and carriage return; lone surrogates; U+FFFE, U+FFFF) shown as U+FFFD, since a Word
    file cannot hold them (the HTML escapes them; the CSV keeps the data as it is)."""
    return _NOT_XML.sub("\ufffd", text)


def _set_repeat_header(row_element: object) -> None:
    tr_pr = row_element.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _write_cell(cell: _Cell, text: str, bold: bool = False, size: float = 8.0) -> None:
    cell.text = ""
    text = xml_safe(text)
    para = cell.paragraphs[0]
    symbols = {"\u2a01", "\u25ef"}
    run_text, in_symbols = "", False
    for ch in text + "\0":
        is_sym = ch in symbols
        if (is_sym != in_symbols or ch == "\0") and run_text:
            run = para.add_run(run_text)
            run.bold, run.font.size = bold, Pt(size)
            run.font.name = SYMBOL_FONT if in_symbols else FONT
            run_text = ""
        in_symbols = is_sym
        run_text += "" if ch == "\0" else ch


def _table(doc: DocxDocument, sof: SofTable) -> Table:
    cells = sof_cells(sof)
    table = doc.add_table(rows=len(cells), cols=len(SOF_HEAD))
    table.style = "Table Grid"
    for i, row in enumerate(cells):
        for j, text in enumerate(row):
            if i >= 2 or (i == 1 and j in (1, 2)):
                _write_cell(table.cell(i, j), text, bold=i < 2)
    top = table.cell(0, 1).merge(table.cell(0, 2))
    _write_cell(top, SOF_HEAD[1], bold=True)
    for j in (0, 3, 4, 5, 6):
        _write_cell(table.cell(0, j).merge(table.cell(1, j)), SOF_HEAD[j], bold=True)
    for i in (0, 1):
        _set_repeat_header(table.rows[i]._tr)
    for j, width in enumerate(_WIDTHS_MM):
        for row in table.rows:
            row.cells[j].width = Mm(width)
    return table  # type: ignore[no-any-return]


def _paragraph(doc: DocxDocument, text: str, bold: bool = False, size: float = 8.0) -> None:
    run = doc.add_paragraph().add_run(xml_safe(text))
    run.bold, run.font.size, run.font.name = bold, Pt(size), FONT


def _document(tables: Sequence[SofTable], title: str) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = xml_safe(title), "trialmeta", "trialmeta"
    props.created = props.modified = props.last_printed = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    _paragraph(doc, title, bold=True, size=12)
    for sof in tables:
        h = sof.header
        _paragraph(doc, h.title, bold=True, size=10)
        for name, value in (
            ("Patient or population", h.population),
            ("Setting", h.setting),
            ("Intervention", h.intervention),
            ("Comparison", h.comparison),
        ):
            _paragraph(doc, f"{name}: {value}")
        _table(doc, sof)
        _paragraph(doc, sof.explanation, size=7)
        if sof.not_reported:
            _paragraph(doc, "No trial reported: " + "; ".join(sof.not_reported) + ".", size=7)
        for letter, text in sof.footnotes:
            _paragraph(doc, f"{letter}. {text}", size=7)
        _paragraph(doc, sof.legend, size=7)
    return doc


def _fixed_zip(blob: bytes) -> bytes:
    """The same zip with fixed entry timestamps and attributes (byte-identical reruns)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_sof_docx(tables: Sequence[SofTable], path: str | Path,
                   title: str = "Summary of findings") -> Path:  # fmt: skip
    """Write every table into one A4-landscape Word document; return its path."""
    buffer = io.BytesIO()
    _document(tables, title).save(buffer)
    return replace_bytes(path, _fixed_zip(buffer.getvalue()))  # atomic: a kill leaves no half file


def read_docx_tables(path: str | Path) -> list[list[list[str]]]:
    """Every table of a .docx as rows of cell text (merged cells repeat their text)."""
    doc = Document(str(path))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]
