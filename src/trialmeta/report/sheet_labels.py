"""The label map and risk-of-bias rows of a review, read from its (validated) sheets.

Figure and report adapters call :func:`sheet_labels` once (and
:func:`sheet_vocabulary` for what the review's codes mean). The sheets are read
from the rule's declared inputs when it names them (``studies``, ``arms``,
``rob``), else from the config's ``data_dir`` (a directory of CSVs or one
``.xlsx``), which validation has already checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from trialmeta.data.sheets import RawSheet, load_raw_sheets
from trialmeta.data.vocabulary import Vocabulary, load_vocabulary
from trialmeta.errors import InputError
from trialmeta.report.labels import LabelMap, label_map

__all__ = ["sheet_labels", "sheet_rows", "sheet_vocabulary"]


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


def sheet_vocabulary(config: Mapping[str, object], inputs: object = None) -> Vocabulary:
    """The review's vocabulary (``vocabulary.yaml`` beside its sheets)."""
    src = _source(config, inputs)
    vocab, problems = load_vocabulary(src)
    if vocab is None:
        raise InputError("data_dir", str(src), "the review's vocabulary.yaml: " + problems[0])
    return vocab


def sheet_labels(config: Mapping[str, object],
                 inputs: object = None) -> tuple[LabelMap, list[dict[str, str]]]:  # fmt: skip
    """(label map, long risk-of-bias rows) for the review in ``config``."""
    src = _source(config, inputs)
    sheets, problems = load_raw_sheets(src)
    if problems:
        raise InputError("data_dir", str(src), "readable extraction sheets: " + problems[0])
    labels = label_map(config, sheet_rows(sheets.get("studies")), sheet_rows(sheets.get("arms")),
                       sheet_vocabulary(config, inputs))  # fmt: skip
    return labels, sheet_rows(sheets.get("risk_of_bias"))
