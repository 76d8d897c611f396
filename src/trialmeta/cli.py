"""Command-line interface: ``trialmeta {pool,analyze,validate}``.

Errors are printed on one line each (``trialmeta: error: ...``) with exit code
2; an unexpected failure is one ``internal error`` line with exit code 3; no
traceback reaches the user. Everything printed as text passes
:func:`trialmeta.io.terminal.terminal_safe`, so labels from a file cannot send
escape sequences to the terminal (``--json`` escapes them anyway).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from trialmeta import __version__
from trialmeta._checks import MEASURES, METHODS, TESTS
from trialmeta.effects.metafor_csv import StudyTable, read_study_csv
from trialmeta.errors import DataValidationError, NotComputableError, TrialmetaError
from trialmeta.io.terminal import terminal_safe
from trialmeta.report.console import format_analysis, format_pooled
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import to_jsonable
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill

__all__ = ["LOO_MAX_K", "main"]

#: ``analyze`` runs leave-one-out up to this k (k refits of k studies: about 10 s here).
LOO_MAX_K = 2000


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="trialmeta", description="Meta-analysis that matches R metafor, for evidence reviews."
    )
    ap.add_argument("--version", action="version", version=f"trialmeta {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, text in (
        ("pool", "pool effect sizes from a CSV (metafor-style columns)"),
        ("analyze", "pool, plus heterogeneity CIs, Egger, Begg, trim-and-fill and leave-one-out"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("file", help="CSV with n1i,m1i,sd1i,n2i,m2i,sd2i or yi,vi or yi,sei")
        p.add_argument("--measure", choices=MEASURES, default="MD", help="for arm-level input")
        p.add_argument("--method", choices=METHODS, default="REML", help="tau^2 estimator")
        p.add_argument("--test", choices=TESTS, default="z", help="z or Knapp-Hartung (knha)")
        p.add_argument("--level", type=float, default=0.95, help="confidence level (0-1)")
        p.add_argument("--json", action="store_true", help="machine-readable output")
    v = sub.add_parser("validate", help="check extraction sheets and report every problem")
    v.add_argument("path", help="data directory with the sheets, or an .xlsx workbook")
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
        out["leave_one_out"] = (f"not run: k = {k} > {LOO_MAX_K} (leave-one-out refits the "
                                "model once per study)")
    else:
        out["leave_one_out"] = _guarded(lambda: leave_one_out(
            y, v, method=args.method, test=args.test, level=args.level))
    return out


def _as_json(obj: object) -> object:
    return obj.to_dict() if hasattr(obj, "to_dict") else to_jsonable(obj)


def _run(args: argparse.Namespace) -> int:
    if args.command == "validate":
        from trialmeta.data.validate import main as validate_main

        return int(validate_main([args.path]))
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
    if args.command == "pool":
        res = pool(table.yi, table.vi, method=args.method, test=args.test, level=args.level)
        if args.json:
            payload = {"study": list(table.study), "measure": table.measure, **res.to_dict()}
            print(json.dumps(payload, indent=2, allow_nan=False))
        else:
            print(terminal_safe(format_pooled(res)))
        return 0
    out = _analyze(table, args)
    if args.json:
        payload = {"study": list(table.study), "measure": table.measure}
        payload.update({key: _as_json(val) for key, val in out.items()})
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(terminal_safe(format_analysis(table.study, out)))
    return 0


def _error(line: str) -> None:
    print(terminal_safe(f"trialmeta: error: {line}"), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trialmeta`` console script."""
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
        _error(f"internal error (got {type(exc).__name__}: {str(exc)[:200]}, expected none; "
               "please report this input)")
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
