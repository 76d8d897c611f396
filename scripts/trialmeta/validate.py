"""Validate extraction sheets and report every problem, one per line.

Each problem reads ``file:row:column: what is wrong (got VALUE, expected ...)``; rows are
spreadsheet rows (the header is row 1). Cells are typed against the JSON schemas in
``workflow/schemas/`` (one per sheet, ``additionalProperties: false``), then checked across
rows and sheets (unknown ``study_id``, duplicate arms, bounds out of order). Nothing here
raises on bad content: ``validate_path`` collects, ``read_sheets`` raises one
:class:`~trialmeta.errors.DataValidationError` holding all problems.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

from .errors import DataValidationError
from .sheets import SHEET_NAMES, RawSheet, load_raw_sheets

__all__ = ["ValidationReport", "main", "read_sheets", "validate_path", "validate_sheets"]

DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "workflow" / "schemas"
NA_MARKERS = {"na", "n/a", "n.a.", "nr", "n.r.", "n.r", "not reported", "nan", "none", "null",
              "missing", "-", "--", "?", ".", "nd", "n.d."}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_ROB_JUDGEMENTS = {"RoB2": ("low", "some_concerns", "high"), "RoB1": ("low", "unclear", "high"),
                   "PEDro": ("yes", "no")}
_ROB_DOMAINS = {"RoB2": ("D1", "D2", "D3", "D4", "D5", "overall"),
                "PEDro": ("eligibility_criteria", "random_allocation", "concealed_allocation",
                          "baseline_comparability", "blind_subjects", "blind_therapists",
                          "blind_assessors", "adequate_followup", "intention_to_treat",
                          "between_group_comparisons", "point_estimates_variability")}
ARM_KEY = ("study_id", "arm_id", "outcome", "instrument", "instrument_detail", "timepoint_weeks",
           "timepoint_label", "measure")


@dataclass
class ValidationReport:
    """Outcome of a validation: ``problems`` (errors), ``warnings`` (plausibility) and counts."""

    problems: list[str]
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def _load_schemas(schema_dir: Path) -> dict[str, dict]:
    out = {}
    for name in SHEET_NAMES:
        with open(schema_dir / f"{name}.schema.yaml", encoding="utf-8") as fh:
            out[name] = yaml.safe_load(fh)
    return out


def _show(text: object) -> str:
    s = str(text)
    return repr(s if len(s) <= 40 else s[:37] + "...")


def _types(spec: dict) -> list[str]:
    t = spec.get("type", "string")
    return [t] if isinstance(t, str) else list(t)


def _free_text(spec: dict) -> bool:
    return _types(spec)[0] == "string" and "enum" not in spec and "pattern" not in spec


def _coerce(text: str, spec: dict) -> tuple[object, str | None]:
    """Typed value of one cell, or ``(None, 'what is wrong (got .., expected ..)')``."""
    types = _types(spec)
    base = types[0]
    if text.startswith("=") and len(text) > 1:
        return None, f"spreadsheet formula (got {_show(text)}, expected a value: paste values only)"
    free = _free_text(spec)
    if not free and text != text.strip():
        return None, (f"stray spaces around the value (got {_show(text)}, expected "
                      f"{_show(text.strip())})")
    t = text.strip()
    if t == "":
        return None, None
    if not free and t.lower() in NA_MARKERS:
        return None, (f"missing-value marker (got {_show(t)}, expected an empty cell for a value "
                      "the source does not report)")
    if base in ("number", "integer"):
        if _DECIMAL_COMMA.match(t):
            return None, f"decimal comma (got {_show(t)}, expected {_show(t.replace(',', '.'))})"
        if "\u2212" in t:
            return None, (f"typographic minus sign (got {_show(t)}, expected "
                          f"{_show(t.replace(chr(0x2212), '-'))})")
        try:
            x = float(t)
        except ValueError:
            return None, f"not a number (got {_show(t)}, expected a number)"
        if not math.isfinite(x):
            return None, f"not a finite number (got {_show(t)}, expected a finite number)"
        if base == "integer":
            if not x.is_integer():
                return None, f"not a whole number (got {_show(t)}, expected an integer)"
            if abs(x) > 1e12:
                return None, f"number too large (got {_show(t)}, expected at most 1e12)"
            return int(x), None
        return x, None
    if base == "boolean":
        low = t.lower()
        if low in ("true", "false"):
            return low == "true", None
        return None, f"not a boolean (got {_show(t)}, expected true or false)"
    return t, None


def _schema_message(err: jsonschema.ValidationError, raw: str, spec: dict) -> str:
    kind, val = err.validator, err.validator_value
    got = _show(raw)
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


def _check_header(sheet: RawSheet, schema: dict, problems: list[str]) -> list[str | None]:
    """Column name per position (None for unusable columns)."""
    props = schema["properties"]
    names: list[str | None] = []
    seen: dict[str, int] = {}
    for raw in sheet.header:
        name = raw.strip()
        if name != raw:
            problems.append(f"{sheet.label}:1:{name}: stray spaces in the column name (got "
                            f"{_show(raw)}, expected {_show(name)})")
        if name in seen:
            seen[name] += 1
            problems.append(f"{sheet.label}:1:{name}: column appears more than once (got it "
                            f"{seen[name]} times, expected each column once)")
            names.append(None)
            continue
        seen[name] = 1
        if name not in props:
            hint = difflib.get_close_matches(name, list(props), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            shown = name or "(blank)"
            problems.append(f"{sheet.label}:1:{shown}: unknown column (got {_show(name)}, "
                            f"expected a column listed in data/README.md{more})")
            names.append(None)
            continue
        names.append(name)
    for col in schema.get("required", []):
        if col not in seen:
            problems.append(f"{sheet.label}:1:{col}: required column is missing (got no column "
                            f"{col!r}, expected it in the header row)")
    return names


def _check_sheet(sheet: RawSheet, schema: dict, problems: list[str]) -> pd.DataFrame:
    props = schema["properties"]
    names = _check_header(sheet, schema, problems)
    cell_schema = {k: v for k, v in schema.items() if k not in ("required", "description")}
    validator = jsonschema.Draft202012Validator(cell_schema)
    records = []
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
            row[name] = value
        for err in validator.iter_errors(row):
            col = err.path[0] if err.path else None
            if col is None or col in bad:
                continue
            problems.append(f"{sheet.label}:{line}:{col}: "
                            f"{_schema_message(err, raw.get(col, ''), props[col])}")
        row["_row"] = line
        records.append(row)
    cols = ["_row", *props]
    return pd.DataFrame.from_records(records, columns=cols) if records else pd.DataFrame(
        columns=cols)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _cross_checks(tables: dict[str, pd.DataFrame], labels: dict[str, str], problems: list[str]):
    studies = tables.get("studies")
    known = set(studies["study_id"].dropna()) if studies is not None else set()
    if studies is not None:
        dup = studies[studies["study_id"].notna() & studies["study_id"].duplicated(keep="first")]
        for r in dup.to_dict("records"):
            problems.append(f"{labels['studies']}:{r['_row']}:study_id: duplicate study "
                            f"(got {_show(r['study_id'])}, expected each study once)")
    for name in ("arms", "contrasts", "risk_of_bias"):
        df = tables.get(name)
        if df is None or studies is None:
            continue
        for r in df[df["study_id"].notna() & ~df["study_id"].isin(known)].to_dict("records"):
            hint = difflib.get_close_matches(str(r["study_id"]), sorted(known), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.append(f"{labels[name]}:{r['_row']}:study_id: unknown study (got "
                            f"{_show(r['study_id'])}, expected a study_id of studies.csv{more})")
    arms = tables.get("arms")
    if arms is not None:
        _check_arms(arms, labels["arms"], problems)
    if tables.get("contrasts") is not None:
        _check_contrasts(tables["contrasts"], arms, labels["contrasts"], problems)
    if tables.get("risk_of_bias") is not None:
        _check_rob(tables["risk_of_bias"], labels["risk_of_bias"], problems)


def _ordered(r: dict, cols: tuple[str, ...], label: str, problems: list[str]) -> None:
    vals = [(c, r[c]) for c in cols if not _blank(r.get(c))]
    for (c1, v1), (c2, v2) in zip(vals, vals[1:], strict=False):
        if v2 < v1:
            problems.append(f"{label}:{r['_row']}:{c2}: bound out of order (got {c2}={v2} below "
                            f"{c1}={v1}, expected {' <= '.join(cols)})")


def _pair(r: dict, a: str, b: str, label: str, problems: list[str]) -> None:
    if _blank(r.get(a)) != _blank(r.get(b)):
        missing = a if _blank(r.get(a)) else b
        problems.append(f"{label}:{r['_row']}:{missing}: half an interval (got only one of {a}/"
                        f"{b}, expected both or neither)")


def _check_arms(arms: pd.DataFrame, label: str, problems: list[str]) -> None:
    seen: dict[tuple, int] = {}
    kinds: dict[tuple, tuple[object, int]] = {}
    for r in arms.to_dict("records"):
        line = r["_row"]
        _pair(r, "ci_lb", "ci_ub", label, problems)
        _pair(r, "q1", "q3", label, problems)
        _pair(r, "min", "max", label, problems)
        _ordered(r, ("ci_lb", "ci_ub"), label, problems)
        _ordered(r, ("min", "q1", "median", "q3", "max"), label, problems)
        if not _blank(r["scale_min"]) and not _blank(r["scale_max"]) and \
                r["scale_max"] <= r["scale_min"]:
            problems.append(f"{label}:{line}:scale_max: scale upper end not above the lower (got "
                            f"{r['scale_max']}, expected > scale_min={r['scale_min']})")
        if r["measure"] == "change" and _blank(r.get("change_sign")):
            problems.append(f"{label}:{line}:change_sign: missing for a change score (got an empty "
                            "cell, expected post_minus_baseline or baseline_minus_post)")
        if r["measure"] == "final" and not _blank(r.get("change_sign")):
            problems.append(f"{label}:{line}:change_sign: set on a final score (got "
                            f"{_show(r['change_sign'])}, expected an empty cell)")
        acu = r["arm_type"] in ("acupuncture", "electroacupuncture")
        if not acu and not _blank(r.get("acupuncture_type")) and r["arm_type"] is not None:
            problems.append(f"{label}:{line}:acupuncture_type: set on a {r['arm_type']} arm (got "
                            f"{_show(r['acupuncture_type'])}, expected an empty cell)")
        if any(r.get(k) is None for k in ("study_id", "arm_id")):
            continue
        key = tuple("" if _blank(r.get(k)) else r.get(k) for k in ARM_KEY)
        if key in seen:
            problems.append(f"{label}:{line}:arm_id: duplicate arm row (got {_show(r['arm_id'])} "
                            f"again for the same outcome, instrument and timepoint as row "
                            f"{seen[key]}, expected one row per arm x outcome x timepoint)")
        else:
            seen[key] = line
        akey = (r["study_id"], r["arm_id"])
        if akey in kinds and r["arm_type"] is not None and kinds[akey][0] != r["arm_type"]:
            problems.append(f"{label}:{line}:arm_type: arm changes type (got "
                            f"{_show(r['arm_type'])}, expected {_show(kinds[akey][0])} as on row "
                            f"{kinds[akey][1]})")
        elif akey not in kinds and r["arm_type"] is not None:
            kinds[akey] = (r["arm_type"], line)


def _check_contrasts(con: pd.DataFrame, arms: pd.DataFrame | None, label: str,
                     problems: list[str]) -> None:
    arm_ids = set()
    if arms is not None:
        arm_ids = set(zip(arms["study_id"], arms["arm_id"], strict=True))
    for r in con.to_dict("records"):
        line = r["_row"]
        _pair(r, "ci_lb", "ci_ub", label, problems)
        _ordered(r, ("ci_lb", "ci_ub"), label, problems)
        if r["arm_id_1"] is not None and r["arm_id_1"] == r["arm_id_2"]:
            problems.append(f"{label}:{line}:arm_id_2: an arm compared with itself (got "
                            f"{_show(r['arm_id_2'])}, expected a different arm from arm_id_1)")
        for col in ("arm_id_1", "arm_id_2"):
            if arms is not None and r[col] is not None and r["study_id"] is not None and \
                    (r["study_id"], r[col]) not in arm_ids:
                problems.append(f"{label}:{line}:{col}: unknown arm (got {_show(r[col])}, "
                                f"expected an arm_id of {r['study_id']} in arms.csv)")
        if r["measure"] == "change" and _blank(r.get("change_sign")):
            problems.append(f"{label}:{line}:change_sign: missing for a change score (got an empty "
                            "cell, expected post_minus_baseline or baseline_minus_post)")


def _check_rob(rob: pd.DataFrame, label: str, problems: list[str]) -> None:
    seen: dict[tuple, int] = {}
    for r in rob.to_dict("records"):
        tool, line = r["tool"], r["_row"]
        if tool in _ROB_JUDGEMENTS and r["judgement"] is not None and \
                r["judgement"] not in _ROB_JUDGEMENTS[tool]:
            problems.append(f"{label}:{line}:judgement: not a {tool} judgement (got "
                            f"{_show(r['judgement'])}, expected one of "
                            f"{', '.join(_ROB_JUDGEMENTS[tool])})")
        domains = _ROB_DOMAINS.get(tool)
        if domains and r["domain"] is not None and r["domain"] not in domains:
            problems.append(f"{label}:{line}:domain: not a {tool} domain (got "
                            f"{_show(r['domain'])}, expected one of {', '.join(domains)})")
        key = (r["study_id"], tool, r["domain"])
        if key in seen:
            problems.append(f"{label}:{line}:domain: duplicate judgement (got {_show(r['domain'])} "
                            f"again, expected one row per study x tool x domain; see row "
                            f"{seen[key]})")
        else:
            seen[key] = line


def validate_sheets(
    sheets: dict[str, RawSheet], schema_dir: str | Path | None = None
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Type and check raw sheets. Returns ``(tables, problems)``; never raises on content."""
    where = Path(schema_dir) if schema_dir else DEFAULT_SCHEMA_DIR
    try:
        schemas = _load_schemas(where)
    except (OSError, yaml.YAMLError) as exc:
        return {}, [f"{where}: sheet schemas not readable (got {type(exc).__name__}, expected "
                    "studies/arms/contrasts/risk_of_bias.schema.yaml there)"]
    problems: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    labels = {name: f"{name}.csv" for name in SHEET_NAMES}
    for name in SHEET_NAMES:
        if name in sheets:
            labels[name] = sheets[name].label
            tables[name] = _check_sheet(sheets[name], schemas[name], problems)
    _cross_checks(tables, labels, problems)
    return tables, problems


def read_sheets(path: str | Path, schema_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Typed tables of a valid extraction; raises :class:`DataValidationError` otherwise."""
    raw, problems = load_raw_sheets(path)
    tables, more = validate_sheets(raw, schema_dir)
    problems += more
    if problems:
        raise DataValidationError(problems)
    return tables


def validate_path(path: str | Path, schema_dir: str | Path | None = None) -> ValidationReport:
    """Validate a data directory or workbook; count what can be pooled when it is valid."""
    raw, problems = load_raw_sheets(path)
    tables, more = validate_sheets(raw, schema_dir)
    problems += more
    report = ValidationReport(problems=problems, tables=tables)
    if problems:
        return report
    from .comparisons import build_comparisons  # local import: comparisons needs validate

    cset = build_comparisons(tables)
    arms = tables["arms"]
    report.warnings = list(cset.warnings)
    report.summary = {
        "studies": int(len(tables["studies"])),
        "arms": int(arms[["study_id", "arm_id"]].drop_duplicates().shape[0]),
        "arm_rows": int(len(arms)),
        "outcomes": sorted(arms["outcome"].dropna().unique().tolist()),
        "contrasts": int(len(tables.get("contrasts", ()))),
        "risk_of_bias_rows": int(len(tables.get("risk_of_bias", ()))),
        **cset.counts,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    """``trialmeta validate DATA_DIR_OR_XLSX [--json]``: exit 2 on any problem, else 0."""
    parser = argparse.ArgumentParser(prog="trialmeta validate",
                                     description="Check extraction sheets; list every problem.")
    parser.add_argument("path", help="data directory (studies.csv, arms.csv, ...) or .xlsx")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = validate_path(args.path)
    except DataValidationError as exc:  # pragma: no cover - validate_path collects instead
        report = ValidationReport(problems=exc.problems)
    except Exception as exc:  # noqa: BLE001  # pragma: no cover - last resort: never a traceback
        report = ValidationReport(problems=[
            f"{args.path}: internal error (got {type(exc).__name__}: {exc}, expected none; "
            "please report this input)"])
    if args.json:
        print(json.dumps({"ok": report.ok, "problems": report.problems,
                          "warnings": report.warnings, "summary": report.summary},
                         indent=2, default=str))
        return 0 if report.ok else 2
    if not report.ok:
        for p in report.problems:
            print(p)
        n = len(report.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found; nothing was pooled.")
        return 2
    for w in report.warnings:
        print(f"warning: {w}")
    s = report.summary
    print(f"OK: {s['studies']} studies, {s['arms']} arms ({s['arm_rows']} arm rows), outcomes "
          f"{', '.join(s['outcomes'])}, {s['contrasts']} contrasts.")
    print(f"Comparisons: {s['identified']} identified, {s['poolable']} poolable, "
          f"{s['excluded']} excluded (measure {s['measure']}, multi-arm {s['multiarm']}).")
    for key, k in s.get("poolable_by", {}).items():
        print(f"  poolable {key}: {k}")
    for reason, k in s.get("excluded_by_reason", {}).items():
        print(f"  excluded, {reason}: {k}")
    return 0


if __name__ == "__main__":  # pragma: no cover - `python -m trialmeta.validate DATA_DIR`
    raise SystemExit(main())
