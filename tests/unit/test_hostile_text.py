"""Random text in every free-text column: a located error or an identical, inert result.

Hypothesis (derandomised under CI, see tests/conftest.py) puts printable, control and
line-break characters into one free-text cell of the SYNTHETIC workflow sheets
(tests/workflow/synthetic_data/). Validation must either reject the sheets with located
one-line problems, or accept them; then the data build must give the same pooled numbers
as the clean data, its CSV must read back cell for cell with Python's csv module and
pandas, and no cell may start a spreadsheet formula (reliability review F2, F3, F9).
The workflow's own hostile-text run is tests/workflow/test_workflow.py (synthetic sheets
with a script tag, a formula probe and a minus-led note).
"""

from __future__ import annotations

import csv
import functools
import io
import re
import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialmeta.data.validate import DEFAULT_SCHEMA_DIR, _free_text, _load_schemas, validate_path
from trialmeta.effects.comparisons import build_comparisons
from trialmeta.io.safe_csv import format_cell, to_csv_text
from trialmeta.report.tables import records_and_columns

DATA = Path(__file__).parents[1] / "workflow" / "synthetic_data"
SCHEMAS = _load_schemas(DEFAULT_SCHEMA_DIR)
LINE = re.compile(r"^[^:\s][^:]*(:\d+(:[\w ]+)?)?: .+\(got .+, expected .+\)")


def _text_columns() -> list[tuple[str, str]]:
    out = []
    for sheet in sorted(p.stem for p in DATA.glob("*.csv")):
        header = (DATA / f"{sheet}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        props = SCHEMAS[sheet]["properties"]
        out += [(sheet, c) for c in header if c in props and _free_text(props[c])]
    return out


TEXT_COLUMNS = _text_columns()
# Text that identifies an arm or a comparison (arm key, pairing, sham type): it may change
# which rows are compared, so only the location and inertness promises apply to it.
SEMANTIC = {"intervention", "cointervention", "instrument_detail", "timepoint_label"}
HOSTILE = st.text(alphabet=st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
    st.sampled_from(list("\r\n\t\x00\x1b\x07\x0b\x0c\x85\u2028\u2029\u202e\"',=+-@|<>[]`*&"))),
    min_size=1, max_size=30)  # fmt: skip


def _effects(data: Path) -> pd.DataFrame:
    return build_comparisons(data).effects


@functools.lru_cache(maxsize=1)
def _clean() -> pd.DataFrame:
    return _effects(DATA)


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def test_there_are_text_columns_to_attack():
    assert len(TEXT_COLUMNS) >= 15


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(column=st.sampled_from(TEXT_COLUMNS), text=HOSTILE, row=st.integers(1, 6))
def test_hostile_text_is_rejected_with_a_location_or_kept_inert(tmp_path_factory, column, text,
                                                                row):  # fmt: skip
    d = tmp_path_factory.mktemp("hostile")
    shutil.rmtree(d)
    shutil.copytree(DATA, d)
    sheet, col = column
    with open(d / f"{sheet}.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    j = rows[0].index(col)
    i = min(row, len(rows) - 1)
    rows[i][j] = text
    _write(d / f"{sheet}.csv", rows)
    report = validate_path(d)
    if not report.ok:
        assert not any("vocabulary.yaml" in line for line in report.problems)  # the data's own
        for line in report.problems:
            assert LINE.match(line) and "\n" not in line, line
        return
    effects = _effects(d)
    if col not in SEMANTIC:
        pd.testing.assert_frame_equal(effects[["yi", "vi"]], _clean()[["yi", "vi"]])
    records, cols = records_and_columns(effects)
    out = to_csv_text(records, cols)
    back = list(csv.reader(io.StringIO(out, newline="")))
    assert back[1:] == [[format_cell(r.get(c)) for c in cols] for r in records]
    frame = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert len(frame) == len(records)
    for cells in back:
        for cell in cells:
            assert not cell.lstrip().startswith(("=", "+", "@")) or cell.startswith("'"), cell


def test_the_clean_sheets_validate():
    assert validate_path(DATA).ok
