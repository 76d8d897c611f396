"""Read metafor-style CSV input for the ``pool`` and ``analyze`` commands.

Accepted column sets (case-sensitive, as in metafor): ``n1i,m1i,sd1i,n2i,m2i,sd2i``
(arm-level, converted with :func:`trialmeta.effect_sizes`), ``yi,vi`` or
``yi,sei``; an optional ``study`` (or ``study_id``, as in ``results/effects/*.csv``)
column labels rows. Every problem is
reported as ``FILE:LINE:COLUMN: what (got VALUE, expected ...)`` and all
problems of a file are collected before raising.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trialmeta.effects.escalc import effect_sizes
from trialmeta.errors import DataValidationError, InputError

__all__ = ["StudyTable", "read_study_csv"]

ARM_COLUMNS = ("n1i", "m1i", "sd1i", "n2i", "m2i", "sd2i")
_POSITIVE = {"vi", "sei", "sd1i", "sd2i"}
_COUNTS = {"n1i", "n2i"}


@dataclass(frozen=True)
class StudyTable:
    """Effect sizes read from a CSV, with their labels."""

    study: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    measure: str


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataValidationError([f"{path}: cannot read file ({exc.strerror})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            [
                f"{path}: not UTF-8 text (byte {exc.start}: got {raw[exc.start]:#04x}, "
                "expected UTF-8)"
            ]
        ) from None
    rows = list(csv.reader(text.splitlines()))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise DataValidationError([f"{path}: the file is empty (expected a header row and data)"])
    return [c.strip() for c in rows[0]], rows[1:]


def _which_columns(path: Path, header: list[str]) -> tuple[str, ...]:
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise DataValidationError([f"{path}:1: duplicated column(s) {', '.join(dup)}"])
    have = set(header)
    for cols in (ARM_COLUMNS, ("yi", "vi"), ("yi", "sei")):
        if set(cols) <= have:
            return cols
    raise DataValidationError(
        [
            f"{path}:1: missing columns (got {', '.join(header) or 'none'}; expected "
            "n1i,m1i,sd1i,n2i,m2i,sd2i or yi,vi or yi,sei, plus an optional study)"
        ]
    )


def _parse(path: Path, line: int, col: str, cell: str, problems: list[str]) -> float:
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        hint = " (use a decimal point, not a comma)" if "," in text else ""
        problems.append(
            f"{path}:{line}:{col}: not a number{hint} (got {cell!r}, expected a number)"
        )
        return math.nan
    if not math.isfinite(value):
        problems.append(f"{path}:{line}:{col}: not a finite number (got {cell!r})")
    elif col in _POSITIVE and value <= 0:
        problems.append(f"{path}:{line}:{col}: must be positive (got {cell!r}, expected > 0)")
    elif col in _COUNTS and (value < 2 or value != int(value)):
        problems.append(
            f"{path}:{line}:{col}: bad group size (got {cell!r}, expected a whole n >= 2)"
        )
    return value


def read_study_csv(path: str | Path, measure: str = "MD") -> StudyTable:
    """Read a study CSV into effect sizes.

    Raises :class:`DataValidationError` listing every problem found.
    """
    path = Path(path)
    header, rows = _read_rows(path)
    cols = _which_columns(path, header)
    index = {c: header.index(c) for c in cols}
    label_col = next((c for c in ("study", "study_id") if c in header), None)
    sidx = header.index(label_col) if label_col else None
    problems: list[str] = []
    data = {c: [] for c in cols}
    labels: list[str] = []
    if not rows:
        raise DataValidationError([f"{path}: no data rows below the header"])
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            problems.append(f"{path}:{n}: {len(row)} cells (expected {len(header)}, as the header)")
            continue
        for c in cols:
            data[c].append(_parse(path, n, c, row[index[c]], problems))
        labels.append(row[sidx].strip() if sidx is not None else f"Study {n - 1}")
    if problems:
        raise DataValidationError(problems)
    arr = {c: np.asarray(v, dtype=float) for c, v in data.items()}
    if cols == ARM_COLUMNS:
        try:
            es = effect_sizes(measure, **arr)
        except InputError as exc:
            line = f"{exc.row + 2}:" if exc.row is not None else ""
            raise DataValidationError(
                [f"{path}:{line}{exc.argument}: got {exc.value!r}, expected {exc.expected}"]
            ) from None
        return StudyTable(tuple(labels), es.yi, es.vi, measure)
    vi = arr["vi"] if "vi" in arr else arr["sei"] ** 2
    return StudyTable(tuple(labels), arr["yi"], vi, "GEN")
