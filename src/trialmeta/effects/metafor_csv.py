"""Read metafor-style CSV input for the ``pool`` and ``analyze`` commands.

Accepted column sets (case-sensitive, as in metafor): ``n1i,m1i,sd1i,n2i,m2i,sd2i``
(arm-level, converted with :func:`trialmeta.effect_sizes`), ``yi,vi`` or
``yi,sei``; an optional ``study`` (or ``study_id``, as in ``results/effects/*.csv``)
column labels rows. Every problem is
reported as ``FILE:LINE:COLUMN: what (got VALUE, expected ...)`` and all
problems of a file are collected before raising. LINE is the line of the file where the
row starts (blank lines and cells spanning lines counted). The file must be a regular
file of at most 200 MB and 2,000,000 rows, and its quoting is read strictly
(:mod:`trialmeta.io.safe_read`). A derived value that leaves double precision (``sei²``
or ``sd²/n`` under- or overflowing) is reported at the column it comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trialmeta._checks import number_hint, parse_number
from trialmeta.effects.escalc import effect_sizes
from trialmeta.errors import DataValidationError, InputError
from trialmeta.io.safe_read import UnreadableFile, csv_records, read_regular_file, swallowed_records

__all__ = ["StudyTable", "read_study_csv"]

ARM_COLUMNS = ("n1i", "m1i", "sd1i", "n2i", "m2i", "sd2i")
_POSITIVE = {"vi", "sei", "sd1i", "sd2i"}
_COUNTS = {"n1i", "n2i"}
MAX_BYTES = 200_000_000
MAX_ROWS = 2_000_000


@dataclass(frozen=True)
class StudyTable:
    """Effect sizes read from a CSV, with their labels, the file line of each row and the
    input columns (``yi,vi``, ``yi,sei`` or the arm-level six)."""

    study: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    measure: str
    lines: tuple[int, ...] = ()
    columns: tuple[str, ...] = ()
    sd_terms: np.ndarray | None = None

    def column_of(self, argument: str, row: int | None) -> str:
        """The input column behind an estimator argument (``vi`` → ``sei`` for yi,sei
        input; for arm-level input the SD whose term dominates ``vi``)."""
        if argument == "vi" and "sei" in self.columns:
            return "sei"
        if self.columns == ARM_COLUMNS:
            if argument == "yi":
                return "m1i" if self.measure == "MD" else "m1i/m2i"
            if row is not None and self.sd_terms is not None:
                return "sd1i" if self.sd_terms[0][row] >= self.sd_terms[1][row] else "sd2i"
        return argument

    def where(self, argument: str | None, row: int | None) -> str:
        """``LINE:COLUMN`` of an estimator's (argument, zero-based row), or ``""``."""
        if argument is None or row is None or row >= len(self.lines):
            return ""
        return f"{self.lines[row]}:{self.column_of(argument, row)}"


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        raw = read_regular_file(path, MAX_BYTES)
    except UnreadableFile as exc:
        raise DataValidationError([f"{path}: {exc}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            [
                f"{path}: not UTF-8 text (byte {exc.start}: got {raw[exc.start]:#04x}, "
                "expected UTF-8)"
            ]
        ) from None
    problems: list[str] = []
    records = csv_records(text, str(path), MAX_ROWS, problems)
    if records is None:
        raise DataValidationError(problems)
    rows = [r for r in records if any(c.strip() for c in r.cells)]
    if not rows:
        raise DataValidationError([f"{path}: the file is empty (expected a header row and data)"])
    header = [c.strip() for c in rows[0].cells]
    problems += swallowed_records(rows, header, str(path))
    if problems:
        raise DataValidationError(problems)
    return header, [(r.first_line, r.cells) for r in rows[1:]]


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
    value = parse_number(text)
    if value is None:
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            problems.append(f"{path}:{line}:{col}: not a finite number (got {cell!r})")
            return math.nan
        hint = " (use a decimal point, not a comma)" if "," in text else ""
        problems.append(
            f"{path}:{line}:{col}: not a number{hint} (got {cell!r}, expected {number_hint(text)})"
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


def _derived_problems(path: Path, table: StudyTable, cells: dict[str, list[str]]) -> list[str]:
    """A derived ``yi``/``vi`` that is not finite or not positive, at its source column."""
    out = []
    for i, (y, v) in enumerate(zip(table.yi, table.vi, strict=True)):
        if not math.isfinite(y):
            col = table.column_of("yi", i)
            out.append(f"{path}:{table.lines[i]}:{col}: derived effect size overflows (got "
                       f"{col}={cells[col][i].strip()!r}, giving yi={y}, expected values whose "
                       "difference is a finite number)")  # fmt: skip
        if not (math.isfinite(v) and v > 0):
            col = table.column_of("vi", i)
            kind = "overflows" if v > 0 else "underflows to 0"
            out.append(f"{path}:{table.lines[i]}:{col}: derived sampling variance {kind} (got "
                       f"{col}={cells[col][i].strip()!r}, giving vi={v}, expected a positive, "
                       "finite variance)")  # fmt: skip
    return out


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
    data: dict[str, list[float]] = {c: [] for c in cols}
    cells: dict[str, list[str]] = {c: [] for c in cols}
    labels: list[str] = []
    lines: list[int] = []
    if not rows:
        raise DataValidationError([f"{path}: no data rows below the header"])
    for n, (line, row) in enumerate(rows, start=1):
        if len(row) != len(header):
            problems.append(f"{path}:{line}: {len(row)} cells (expected {len(header)}, as the "
                            "header)")  # fmt: skip
            continue
        for c in cols:
            data[c].append(_parse(path, line, c, row[index[c]], problems))
            cells[c].append(row[index[c]])
        labels.append(row[sidx].strip() if sidx is not None else f"Study {n}")
        lines.append(line)
    if problems:
        raise DataValidationError(problems)
    arr: dict[str, Any] = {c: np.asarray(v, dtype=float) for c, v in data.items()}
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if cols == ARM_COLUMNS:
            try:
                es = effect_sizes(measure, **arr)
            except InputError as exc:
                at = f"{lines[exc.row]}:" if exc.row is not None else ""
                raise DataValidationError(
                    [f"{path}:{at}{exc.argument}: got {exc.value!r}, expected {exc.expected}"]
                ) from None
            terms = np.vstack([arr["sd1i"] ** 2 / arr["n1i"], arr["sd2i"] ** 2 / arr["n2i"]])
            table = StudyTable(tuple(labels), es.yi, es.vi, measure, tuple(lines), cols, terms)
        else:
            vi = arr["vi"] if "vi" in arr else arr["sei"] ** 2
            table = StudyTable(tuple(labels), arr["yi"], vi, "GEN", tuple(lines), cols)
    problems = _derived_problems(path, table, cells)
    if problems:
        raise DataValidationError(problems)
    return table
