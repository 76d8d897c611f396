"""Command-line interface: ``trialmeta {pool,analyze,validate} ... [--json]``.

One parser for every command; ``--json`` prints stable field names on each.

- ``pool FILE.csv`` / ``analyze FILE.csv``: metafor-style columns (``n1i,m1i,sd1i,n2i,m2i,
  sd2i``, ``yi,vi`` or ``yi,sei``). Bad input is printed on one line per problem
  (``trialmeta: error: FILE:LINE:COLUMN: ...``) on stderr, exit code 2.
- ``validate DATA_DIR_OR_XLSX``: the problems *are* the command's output, so they go to
  stdout, one ``file:row:column: what (got ..., expected ...)`` line each, like a linter;
  exit code 2 when there is any, 0 otherwise.

No traceback reaches the user: an unexpected failure is one ``internal error`` line naming
the input, with exit code 3. Everything printed as text passes
:func:`trialmeta.io.terminal.terminal_safe`, so labels from a file cannot send escape
sequences to the terminal (``--json`` escapes them anyway).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from trialmeta import __version__
from trialmeta._checks import MEASURES, METHODS, TESTS
from trialmeta._jsonable import to_jsonable
from trialmeta.data.validate import ValidationReport, validate_path
from trialmeta.effects.metafor_csv import StudyTable, read_study_csv
from trialmeta.effects.validation_summary import with_comparison_counts
from trialmeta.errors import DataValidationError, NotComputableError, TrialmetaError
from trialmeta.io.terminal import terminal_safe
from trialmeta.report.console import format_analysis, format_pooled
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.pooling import pool
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill

__all__ = ["LOO_MAX_K", "main"]

#: ``analyze`` runs leave-one-out up to this k (k refits of k studies: about 10 s here).
LOO_MAX_K = 2000

_POOL_HELP = "pool effect sizes from a CSV (metafor-style columns)"
_ANALYZE_HELP = "pool, plus heterogeneity CIs, Egger, Begg, trim-and-fill and leave-one-out"
_VALIDATE_HELP = "check extraction sheets and report every problem"


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="trialmeta", description="Meta-analysis that matches R metafor, for evidence reviews."
    )
    ap.add_argument("--version", action="version", version=f"trialmeta {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, text in (("pool", _POOL_HELP), ("analyze", _ANALYZE_HELP)):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("file", help="CSV with n1i,m1i,sd1i,n2i,m2i,sd2i or yi,vi or yi,sei")
        p.add_argument("--measure", choices=MEASURES, default="MD", help="for arm-level input")
        p.add_argument("--method", choices=METHODS, default="REML", help="tau^2 estimator")
        p.add_argument("--test", choices=TESTS, default="z", help="z or Knapp-Hartung (knha)")
        p.add_argument("--level", type=float, default=0.95, help="confidence level (0-1)")
        _add_json(p)
    v = sub.add_parser("validate", help=_VALIDATE_HELP, description=_VALIDATE_HELP)
    v.add_argument("path", help="data directory (studies.csv, arms.csv, ...) or .xlsx workbook")
    _add_json(v)
    return ap


def _guarded(fn: Callable[[], object]) -> object:
    """The result of ``fn()``, or ``"not computable (reason)"``."""
    try:
        return fn()
    except NotComputableError as exc:
        return f"not computable ({exc.reason})"


def _analyze(table: StudyTable, args: argparse.Namespace) -> dict[str, object]:
    y, v = table.yi, table.vi
    res = pool(y, v, method=args.method, test=args.test, level=args.level)
    out: dict[str, object] = {"pool": res}
    k = len(y)
    skipped = f"not run: needs at least 3 studies (k = {k})"
    tests: dict[str, Callable[[], object]] = {
        "egger": lambda: egger_test(y, v),
        "begg": lambda: begg_test(y, v),
        "trimfill": lambda: trim_and_fill(y, v, method=args.method),
    }
    for name, fn in tests.items():
        out[name] = _guarded(fn) if k >= 3 else skipped
    if k < 2:
        out["leave_one_out"] = "not run: needs at least 2 studies"
    elif k > LOO_MAX_K:
        out["leave_one_out"] = (
            f"not run: k = {k} > {LOO_MAX_K} (leave-one-out refits the model once per study)"
        )
    else:
        out["leave_one_out"] = _guarded(
            lambda: leave_one_out(y, v, method=args.method, test=args.test, level=args.level)
        )
    return out


def _as_json(obj: object) -> object:
    to_dict = getattr(obj, "to_dict", None)
    return to_dict() if callable(to_dict) else to_jsonable(obj)


def _print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, allow_nan=False))


def _run_pool(args: argparse.Namespace) -> int:
    if not 0.0 < args.level < 1.0:
        raise TrialmetaError(f"--level: got {args.level}, expected a number between 0 and 1")
    table = read_study_csv(args.file, measure=args.measure)
    try:
        return _report(table, args)
    except NotComputableError as exc:
        where = table.where(exc.argument, exc.row)
        raise DataValidationError(
            [f"{args.file}:{where + ': ' if where else ' '}not computable ({exc.reason})"]
        ) from None


def _report(table: StudyTable, args: argparse.Namespace) -> int:
    head: dict[str, object] = {"study": list(table.study), "measure": table.measure}
    if args.command == "pool":
        res = pool(table.yi, table.vi, method=args.method, test=args.test, level=args.level)
        if args.json:
            _print_json({**head, **res.to_dict()})
        else:
            print(terminal_safe(format_pooled(res)))
        return 0
    out = _analyze(table, args)
    if args.json:
        _print_json({**head, **{key: _as_json(val) for key, val in out.items()}})
    else:
        print(terminal_safe(format_analysis(table.study, out)))
    return 0


def _error(line: str) -> None:
    print(terminal_safe(f"trialmeta: error: {line}"), file=sys.stderr)


def _items(value: object) -> list[tuple[object, object]]:
    return list(value.items()) if isinstance(value, dict) else []


def _validation_lines(report: ValidationReport) -> list[str]:
    """The human-readable validation report (problems, or warnings and counts)."""
    if not report.ok:
        n = len(report.problems)
        return [*report.problems, f"{n} problem{'s' if n != 1 else ''} found; nothing was pooled."]
    s = report.summary
    outcomes = s["outcomes"] if isinstance(s["outcomes"], list) else []
    lines = [f"warning: {w}" for w in report.warnings]
    lines.append(
        f"OK: {s['studies']} studies, {s['arms']} arms ({s['arm_rows']} arm rows), "
        f"outcomes {', '.join(map(str, outcomes))}, {s['contrasts']} contrasts."
    )
    lines.append(
        f"Comparisons: {s['identified']} identified, {s['poolable']} poolable, "
        f"{s['excluded']} excluded (measure {s['measure']}, multi-arm {s['multiarm']})."
    )
    lines += [f"  poolable {key}: {k}" for key, k in _items(s.get("poolable_by"))]
    lines += [f"  excluded, {why}: {k}" for why, k in _items(s.get("excluded_by_reason"))]
    return lines


def _run_validate(args: argparse.Namespace) -> int:
    try:
        report = with_comparison_counts(validate_path(args.path))
    except DataValidationError as exc:  # validate_path collects; a deeper step may raise
        report = ValidationReport(problems=list(exc.problems))
    if args.json:
        _print_json(
            to_jsonable(
                {
                    "ok": report.ok,
                    "problems": report.problems,
                    "warnings": report.warnings,
                    "summary": report.summary,
                }
            )
        )
    else:
        print(terminal_safe("\n".join(_validation_lines(report))))
    return 0 if report.ok else 2


def _run(args: argparse.Namespace) -> int:
    return _run_validate(args) if args.command == "validate" else _run_pool(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trialmeta`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except DataValidationError as exc:
        for line in exc.problems:
            _error(line)
        return 2
    except TrialmetaError as exc:
        _error(str(exc).splitlines()[0])
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:  # output closed early (e.g. piped into head): not an error
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for exit flush
        return 0
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        where = getattr(args, "file", None) or getattr(args, "path", "")
        _error(
            f"{where}: internal error (got {type(exc).__name__}: {str(exc)[:200]}, expected "
            "none; please report this input)"
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
