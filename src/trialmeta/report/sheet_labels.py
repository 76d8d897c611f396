"""The label map and risk-of-bias rows of a review, read from its (validated) sheets.

Figure and report adapters call :func:`sheet_labels` once. The sheets are read
from the rule's declared inputs when it names them (``studies``, ``arms``,
``rob``), else from the config's ``data_dir`` (a directory of CSVs or one
``.xlsx``), which validation has already checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from trialmeta.data.sheets import RawSheet, load_raw_sheets
from trialmeta.errors import InputError
from trialmeta.report.labels import LabelMap, label_map

__all__ = ["sheet_labels", "sheet_rows"]


def sheet_rows(sheet: RawSheet | None) -> list[dict[str, str]]:
    """A raw sheet as a list of column -> text dicts (empty when the sheet is absent)."""
    if sheet is None:
        return []
    return [dict(zip(sheet.header, cells, strict=False)) for _, cells in sheet.rows]


def _source(config: Mapping[str, object], inputs: object) -> Path:
    for name in ("studies", "arms"):
        path = getattr(inputs, name, None)
        if path:
            p = Path(str(path))
            return p if p.suffix.lower() in (".xlsx", ".xlsm") else p.parent  # workbook: itself
    return Path(str(config.get("data_dir", "data")))


def sheet_labels(config: Mapping[str, object],
                 inputs: object = None) -> tuple[LabelMap, list[dict[str, str]]]:  # fmt: skip
    """(label map, long risk-of-bias rows) for the review in ``config``."""
    src = _source(config, inputs)
    sheets, problems = load_raw_sheets(src)
    if problems:
        raise InputError("data_dir", str(src), "readable extraction sheets: " + problems[0])
    labels = label_map(config, sheet_rows(sheets.get("studies")), sheet_rows(sheets.get("arms")))
    return labels, sheet_rows(sheets.get("risk_of_bias"))
