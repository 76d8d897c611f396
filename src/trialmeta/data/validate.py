"""Validate extraction sheets and report every problem, one per line.

Each problem reads ``file:row:column: what is wrong (got VALUE, expected ...)``; rows are
spreadsheet rows (the header is row 1). Cells are typed against the JSON schemas shipped as
package data in ``trialmeta/data/schemas/`` (one per sheet, ``additionalProperties: false``),
then checked across
rows and sheets (unknown ``study_id``, duplicate arms, bounds out of order). Nothing here
raises on bad content: ``validate_path`` collects, ``read_sheets`` raises one
:class:`~trialmeta.errors.DataValidationError` holding all problems.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import jsonschema
import pandas as pd
import yaml

from trialmeta._checks import number_hint, parse_number
from trialmeta.data.cross_checks import cross_checks, show
from trialmeta.data.sheets import SHEET_NAMES, RawSheet, is_sheet_source, load_raw_sheets
from trialmeta.data.vocabulary import Vocabulary, load_vocabulary
from trialmeta.errors import DataValidationError

__all__ = ["ValidationReport", "read_sheets", "read_vocabulary", "validate_path", "validate_sheets"]

DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
NA_MARKERS = {
    "na",
    "n/a",
    "n.a.",
    "nr",
    "n.r.",
    "n.r",
    "not reported",
    "nan",
    "none",
    "null",
    "missing",
    "-",
    "--",
    "?",
    ".",
    "nd",
    "n.d.",
}
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+\Z")


@dataclass
class ValidationReport:
    """Outcome of a validation: ``problems`` (errors), ``warnings`` (plausibility) and counts."""

    problems: list[str]
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    vocabulary: Vocabulary | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def _load_schemas(schema_dir: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for name in SHEET_NAMES:
        with open(schema_dir / f"{name}.schema.yaml", encoding="utf-8") as fh:
            out[name] = yaml.safe_load(fh)
    return out


def _types(spec: dict[str, Any]) -> list[str]:
    t = spec.get("type", "string")
    return [t] if isinstance(t, str) else list(t)


def _free_text(spec: dict[str, Any]) -> bool:
    return _types(spec)[0] == "string" and "enum" not in spec and "pattern" not in spec


def _coerce(text: str, spec: dict[str, Any]) -> tuple[object, str | None]:
    """Typed value of one cell, or ``(None, 'what is wrong (got .., expected ..)')``."""
    types = _types(spec)
    base = types[0]
    if text.startswith("=") and len(text) > 1:
        return None, f"spreadsheet formula (got {show(text)}, expected a value: paste values only)"
    free = _free_text(spec)
    if not free and text != text.strip():
        return None, (
            f"stray spaces around the value (got {show(text)}, expected {show(text.strip())})"
        )
    t = text.strip()
    if t == "":
        return None, None
    if not free and t.lower() in NA_MARKERS:
        return None, (
            f"missing-value marker (got {show(t)}, expected an empty cell for a value "
            "the source does not report)"
        )
    if base in ("number", "integer"):
        if _DECIMAL_COMMA.match(t):
            return None, f"decimal comma (got {show(t)}, expected {show(t.replace(',', '.'))})"
        if "\u2212" in t:
            return None, (
                f"typographic minus sign (got {show(t)}, expected "
                f"{show(t.replace(chr(0x2212), '-'))})"
            )
        x = parse_number(t)
        if x is None:
            infinite = t.lower().lstrip("+-") in ("inf", "infinity")
            if not infinite:
                return None, f"not a number (got {show(t)}, expected {number_hint(t)})"
            x = math.inf
        if not math.isfinite(x):
            return None, f"not a finite number (got {show(t)}, expected a finite number)"
        if base == "integer":
            if not x.is_integer():
                return None, f"not a whole number (got {show(t)}, expected an integer)"
            if abs(x) > 1e12:
                return None, f"number too large (got {show(t)}, expected at most 1e12)"
            return int(x), None
        return x, None
    if base == "boolean":
        low = t.lower()
        if low in ("true", "false"):
            return low == "true", None
        return None, f"not a boolean (got {show(t)}, expected true or false)"
    return t, None


def _schema_message(err: jsonschema.ValidationError, raw: str, spec: dict[str, Any]) -> str:
    kind, val = err.validator, cast(Any, err.validator_value)
    got = show(raw)
    if kind == "enum":
        allowed = [v for v in val if v is not None]
        hint = difflib.get_close_matches(raw.strip(), [str(a) for a in allowed], n=1)
        more = f"; did you mean {hint[0]!r}?" if hint else ""
        listed = ", ".join(map(str, allowed))
        return f"not an allowed value (got {got}, expected one of {listed}{more})"
    if kind == "type" or (kind == "minLength" and raw.strip() == ""):
        return f"missing value (got an empty cell, expected {spec.get('description', 'a value')})"
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if kind in bounds:
        return f"out of range (got {got}, expected a value {bounds[kind]} {val})"
    if kind == "pattern":
        return f"badly formed (got {got}, expected text matching {val})"
    return f"invalid (got {got}, expected {err.message})"


def _check_header(sheet: RawSheet, schema: dict[str, Any], problems: list[str]) -> list[str | None]:
    """Column name per position (None for unusable columns)."""
    props = schema["properties"]
    names: list[str | None] = []
    seen: dict[str, int] = {}
    for raw in sheet.header:
        name = raw.strip()
        if name != raw:
            problems.append(
                f"{sheet.label}:1:{name}: stray spaces in the column name (got "
                f"{show(raw)}, expected {show(name)})"
            )
        if name in seen:
            seen[name] += 1
            problems.append(
                f"{sheet.label}:1:{name}: column appears more than once (got it "
                f"{seen[name]} times, expected each column once)"
            )
            names.append(None)
            continue
        seen[name] = 1
        if name not in props:
            hint = difflib.get_close_matches(name, list(props), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            shown = name or "(blank)"
            problems.append(
                f"{sheet.label}:1:{shown}: unknown column (got {show(name)}, "
                f"expected a column listed in data/README.md{more})"
            )
            names.append(None)
            continue
        names.append(name)
    for col in schema.get("required", []):
        if col not in seen:
            problems.append(
                f"{sheet.label}:1:{col}: required column is missing (got no column "
                f"{col!r}, expected it in the header row)"
            )
    return names


def _check_sheet(sheet: RawSheet, schema: dict[str, Any], problems: list[str]) -> pd.DataFrame:
    props = schema["properties"]
    names = _check_header(sheet, schema, problems)
    cell_schema = {k: v for k, v in schema.items() if k not in ("required", "description")}
    validator = jsonschema.Draft202012Validator(cell_schema)
    records = []
    unreadable: set[tuple[int, str]] = set()
    for line, cells in sheet.rows:
        row: dict[str, object] = {}
        raw: dict[str, str] = {}
        bad: set[str] = set()
        for name, text in zip(names, cells, strict=True):
            if name is None:
                continue
            raw[name] = text
            value, problem = _coerce(text, props[name])
            if problem:
                problems.append(f"{sheet.label}:{line}:{name}: {problem}")
                bad.add(name)
                unreadable.add((line, name))
            row[name] = value
        for err in validator.iter_errors(row):
            col = err.path[0] if err.path else None
            if col is None or col in bad:
                continue
            problems.append(
                f"{sheet.label}:{line}:{col}: {_schema_message(err, raw.get(col, ''), props[col])}"
            )
        row["_row"] = line
        records.append(row)
    cols = ["_row", *props]
    df = pd.DataFrame.from_records(records, columns=cols) if records else pd.DataFrame(columns=cols)
    df.attrs["present_columns"] = tuple(n for n in names if n is not None)
    df.attrs["unreadable_cells"] = frozenset(unreadable)  # (row, column): already reported
    return df


def validate_sheets(
    sheets: dict[str, RawSheet],
    schema_dir: str | Path | None = None,
    *,
    vocabulary: Vocabulary | None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Type and check raw sheets. Returns ``(tables, problems)``; never raises on content.

    The code columns (population, arm type, outcome, instrument) take the codes of
    ``vocabulary``. ``None`` (the review's vocabulary is missing or invalid, a problem the
    caller reports) checks everything else, so every problem is listed in one run, but
    neither the codes nor the checks that need to know the intervention arms.
    """
    where = Path(schema_dir) if schema_dir else DEFAULT_SCHEMA_DIR
    try:
        schemas = _load_schemas(where)
    except (OSError, yaml.YAMLError) as exc:
        return {}, [
            f"{where}: sheet schemas not readable (got {type(exc).__name__}, expected "
            "studies/arms/contrasts/risk_of_bias.schema.yaml there)"
        ]
    if vocabulary is not None:
        schemas = vocabulary.sheet_schemas(schemas)
    problems: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    labels = {name: f"{name}.csv" for name in SHEET_NAMES}
    for name in SHEET_NAMES:
        if name in sheets:
            labels[name] = sheets[name].label
            tables[name] = _check_sheet(sheets[name], schemas[name], problems)
    cross_checks(
        tables,
        labels,
        problems,
        vocabulary.intervention_types if vocabulary is not None else None,
        vocabulary.binary_outcomes if vocabulary is not None else None,
    )
    return tables, problems


def _validated(
    path: str | Path, schema_dir: str | Path | None
) -> tuple[dict[str, pd.DataFrame], Vocabulary | None, list[str]]:
    raw, problems = load_raw_sheets(path)
    vocab: Vocabulary | None = None
    if is_sheet_source(path):  # else the path itself is the problem
        vocab, vocab_problems = load_vocabulary(path)
        problems += vocab_problems
    tables, more = validate_sheets(raw, schema_dir, vocabulary=vocab)
    return tables, vocab, problems + more


def read_sheets(path: str | Path, schema_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Typed tables of a valid extraction; raises :class:`DataValidationError` otherwise."""
    tables, _vocab, problems = _validated(path, schema_dir)
    if problems:
        raise DataValidationError(problems)
    return tables


def read_vocabulary(path: str | Path) -> Vocabulary:
    """The vocabulary of a data directory or workbook: the ``vocabulary.yaml`` beside the
    sheets (:mod:`trialmeta.data.vocabulary`).

    Raises :class:`DataValidationError` when it is missing or not valid.
    """
    vocab, problems = load_vocabulary(path)
    if vocab is None:
        raise DataValidationError(problems)
    return vocab


def validate_path(path: str | Path, schema_dir: str | Path | None = None) -> ValidationReport:
    """Validate a data directory or workbook; count the sheets' rows when it is valid.

    The counts of what can be pooled (and the data-quality warnings) need the effect
    layer: :func:`trialmeta.effects.validation_summary.with_comparison_counts` adds them.
    """
    tables, vocab, problems = _validated(path, schema_dir)
    report = ValidationReport(problems=problems, tables=tables, vocabulary=vocab)
    if problems:
        return report
    arms = tables["arms"]
    report.summary = {
        "studies": int(len(tables["studies"])),
        "arms": int(arms[["study_id", "arm_id"]].drop_duplicates().shape[0]),
        "arm_rows": int(len(arms)),
        "outcomes": sorted(arms["outcome"].dropna().unique().tolist()),
        "contrasts": int(len(tables.get("contrasts", ()))),
        "risk_of_bias_rows": int(len(tables.get("risk_of_bias", ()))),
    }
    return report
