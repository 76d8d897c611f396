"""Command-line interface: ``trialmeta {pool,analyze,validate}``.

Errors are printed on one line each (``trialmeta: error: ...``) with exit code
2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from trialmeta import __version__
from trialmeta._checks import MEASURES, METHODS, TESTS
from trialmeta.effects.metafor_csv import read_study_csv
from trialmeta.errors import DataValidationError, TrialmetaError
from trialmeta.report.console import format_analysis, format_pooled
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.pooling import pool
from trialmeta.stats.results import to_jsonable
from trialmeta.stats.small_study import begg_test, egger_test, trim_and_fill

__all__ = ["main"]


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


def _analyze(table, args) -> dict[str, object]:
    res = pool(table.yi, table.vi, method=args.method, test=args.test, level=args.level)
    out: dict[str, object] = {"pool": res}
    k = len(table.yi)
    skipped = f"not run: needs at least 3 studies (k = {k})"
    out["egger"] = egger_test(table.yi, table.vi) if k >= 3 else skipped
    out["begg"] = begg_test(table.yi, table.vi) if k >= 3 else skipped
    out["trimfill"] = trim_and_fill(table.yi, table.vi, method=args.method) if k >= 3 else skipped
    out["leave_one_out"] = (
        leave_one_out(table.yi, table.vi, method=args.method, test=args.test, level=args.level)
        if k >= 2
        else "not run: needs at least 2 studies"
    )
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
    if args.command == "pool":
        res = pool(table.yi, table.vi, method=args.method, test=args.test, level=args.level)
        if args.json:
            payload = {"study": list(table.study), "measure": table.measure, **res.to_dict()}
            print(json.dumps(payload, indent=2, allow_nan=False))
        else:
            print(format_pooled(res))
        return 0
    out = _analyze(table, args)
    if args.json:
        payload = {"study": list(table.study), "measure": table.measure}
        payload.update({key: _as_json(val) for key, val in out.items()})
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(format_analysis(table.study, out))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trialmeta`` console script."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except DataValidationError as exc:
        for line in exc.problems:
            print(f"trialmeta: error: {line}", file=sys.stderr)
        return 2
    except TrialmetaError as exc:
        print(f"trialmeta: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
