"""Summary of Findings as Word (GRADEpro layout): cells, repeated header, fixed bytes.

Rows are synthetic (``Synthetic`` outcomes); layout after the GRADE Handbook, section
9.2, and Cochrane Handbook v6.5, Figure 14.1.a.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from docx import Document

from trialmeta.report.docx import (
    FIXED_DATE,
    SofHeader,
    SofRow,
    SofTable,
    read_docx_tables,
    sof_cells,
    write_sof_docx,
)


def synthetic_table(comparison: str = "Sham acupuncture") -> SofTable:
    header = SofHeader(
        f"Acupuncture compared with {comparison.lower()} for synthetic pain",
        "Adults with synthetic pain",
        "Outpatients",
        "Acupuncture",
        comparison,
    )
    rows = (
        SofRow("Pain (VAS 0\u2013100; lower is better) follow-up: 5 to 10 weeks",
               "The mean pain was 51 points", "MD 1.7 lower (9.1 lower to 5.8 higher)",
               "\u2013", "305 (3 RCTs)", "\u2a01\u2a01\u25ef\u25ef", "Low", "a,b",
               "MCID 15 points. Acupuncture may result in little to no difference in pain."),
        SofRow("Disability (ODI 0\u2013100) follow-up: 8 weeks", "The mean disability was 30",
               "MD 4.9 lower (13.1 lower to 3.3 higher)", "\u2013", "91 (1 RCT)",
               "\u2a01\u25ef\u25ef\u25ef", "Very low", "c", "Single trial."),
    )  # fmt: skip
    notes = (
        ("a", "Synthetic: rated down once for risk of bias (54% of the weight at high risk)."),
        ("b", "Synthetic: rated down once for indirectness."),
        ("c", "Synthetic: one trial."),
    )
    return SofTable(header, rows, notes)


def test_docx_opens_and_holds_the_same_cells(tmp_path: Path) -> None:
    tables = [synthetic_table(), synthetic_table("Usual care")]
    path = write_sof_docx(tables, tmp_path / "sof.docx", title="Synthetic summary of findings")
    read = read_docx_tables(path)
    assert read == [sof_cells(t) for t in tables]
    assert read[0][0][1] == "Anticipated absolute effects* (95% CI)"
    assert read[0][1][1:3] == ["Risk with sham acupuncture", "Risk with acupuncture"]
    assert read[0][2][5] == "\u2a01\u2a01\u25ef\u25ef Low a,b"
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    for line in (
        "Patient or population: Adults with synthetic pain",
        "Setting: Outpatients",
        "Intervention: Acupuncture",
        "Comparison: Usual care",
        "a. Synthetic: rated down once for risk of bias",
        "GRADE Working Group grades",
    ):
        assert line in text
    section = doc.sections[0]
    assert section.page_width > section.page_height  # landscape A4
    assert round(section.page_width.mm) == 297 and round(section.left_margin.mm) == 15


def test_header_rows_repeat_on_every_page(tmp_path: Path) -> None:
    path = write_sof_docx([synthetic_table()], tmp_path / "sof.docx")
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert xml.count('<w:tblHeader w:val="true"/>') == 2


def test_reruns_are_byte_identical_with_fixed_metadata(tmp_path: Path) -> None:
    a = write_sof_docx([synthetic_table()], tmp_path / "a.docx").read_bytes()
    b = write_sof_docx([synthetic_table()], tmp_path / "b.docx").read_bytes()
    assert a == b
    with zipfile.ZipFile(tmp_path / "a.docx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = Document(str(tmp_path / "a.docx")).core_properties
    assert props.created == props.modified == FIXED_DATE


def test_control_characters_in_the_data_are_shown_not_fatal(tmp_path: Path) -> None:
    # a sheet cell may hold a NUL or a bell (the hostile-text workflow test writes them);
    # Word cannot store them, so each is shown as U+FFFD and the rest of the text is kept
    bad = "Syn\x00thetic\x07 <b>&"
    header = SofHeader(f"Acupuncture compared with {bad}", bad, bad, "Acupuncture", bad)
    row = SofRow(
        bad,
        bad,
        "MD 1.0 lower",
        "\u2013",
        "10 (1 RCT)",
        "\u2a01\u25ef\u25ef\u25ef",
        "Very low",
        "a",
        bad,
    )
    path = write_sof_docx([SofTable(header, (row,), (("a", bad),))], tmp_path / "sof.docx",
                          title=bad)  # fmt: skip
    (table,) = read_docx_tables(path)
    assert table[2][0] == "Syn\ufffdthetic\ufffd <b>&"
    assert "Syn\ufffdthetic\ufffd <b>&" in [p.text for p in Document(str(path)).paragraphs][0]
