"""Plain-text summaries in the layout of metafor's ``print.rma.uni``.

These functions only format numbers that the estimators already computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from trialmeta.flags import describe
from trialmeta.stats.results import (
    BeggResult,
    EggerResult,
    LeaveOneOutResult,
    PooledResult,
    TrimFillResult,
)

__all__ = ["format_pooled", "format_analysis", "fmt_num", "fmt_p"]


def fmt_num(x: float, digits: int = 4) -> str:
    """Fixed decimals; ``NA`` for NaN, as R prints."""
    return "NA" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def fmt_p(p: float, digits: int = 4) -> str:
    """metafor's p-value style: ``<.0001`` below 1e-4."""
    if p is None or not math.isfinite(p):
        return "NA"
    return "<.0001" if p < 10**-digits else f"{p:.{digits}f}"


def _stars(p: float) -> str:
    if not math.isfinite(p):
        return ""
    for cut, s in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return s
    return ""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    out = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return out


def format_pooled(r: PooledResult) -> str:
    """Model summary with heterogeneity, Q test and the pooled estimate."""
    pct = f"{100 * r.level:g}%"
    if r.method == "FE":
        lines = [f"Fixed-Effects Model (k = {r.k})", ""]
    else:
        lines = [f"Random-Effects Model (k = {r.k}; tau^2 estimator: {r.method})", ""]
        tau = math.sqrt(r.tau2) if math.isfinite(r.tau2) else float("nan")
        lines += [
            f"tau^2 (estimated amount of total heterogeneity): {fmt_num(r.tau2)} "
            f"(SE = {fmt_num(r.tau2_se)})",
            f"tau (square root of estimated tau^2 value):      {fmt_num(tau)}",
        ]
    lines += [
        f"I^2 (total heterogeneity / total variability):   {fmt_num(r.i2_percent, 2)}%",
        f"H^2 (total variability / sampling variability):  {fmt_num(r.h2, 2)}",
        "",
        "Test for Heterogeneity:",
    ]
    qp = fmt_p(r.q_pval)
    lines.append(f"Q(df = {r.q_df}) = {fmt_num(r.q)}, p-val {'<' if qp.startswith('<') else '='} "
                 f"{qp.lstrip('<')}")  # fmt: skip
    stat_name = "tval" if r.test == "knha" else "zval"
    header = ["estimate", "se", stat_name]
    row = [fmt_num(r.estimate), fmt_num(r.se), fmt_num(r.stat)]
    if r.test == "knha":
        header.append("df")
        row.append(f"{r.df:g}")
    header += ["pval", "ci.lb", "ci.ub"]
    row += [fmt_p(r.pval), fmt_num(r.ci_lb), fmt_num(r.ci_ub)]
    lines += ["", "Model Results:", ""] + _table(header, [row])
    lines[-1] += "  " + _stars(r.pval)
    lines += [
        "",
        f"Heterogeneity CIs ({pct}, Q-profile): tau^2 [{fmt_num(r.tau2_ci_lb)}, "
        f"{fmt_num(r.tau2_ci_ub)}]; I^2 [{fmt_num(r.i2_ci_lb, 2)}%, {fmt_num(r.i2_ci_ub, 2)}%]; "
        f"H^2 [{fmt_num(r.h2_ci_lb, 2)}, {fmt_num(r.h2_ci_ub, 2)}]",
        f"Prediction interval ({pct}, t with k-2 df): [{fmt_num(r.pi_lb)}, {fmt_num(r.pi_ub)}]",
    ]
    lines += [f"Note: {describe(f)}." for f in r.flags]
    return "\n".join(lines)


def _fmt_egger(e: EggerResult) -> list[str]:
    return [
        "Regression Test for Funnel Plot Asymmetry (Egger; weighted regression, predictor: sei)",
        f"  t = {fmt_num(e.stat)}, df = {e.df}, p = {fmt_p(e.pval)}; bias = {fmt_num(e.bias)}",
        f"  Limit estimate (as sei -> 0): b = {fmt_num(e.limit_estimate)} "
        f"(CI: {fmt_num(e.limit_ci_lb)}, {fmt_num(e.limit_ci_ub)})",
    ] + [f"  Note: {describe(f)}." for f in e.flags]


def _fmt_begg(b: BeggResult) -> list[str]:
    return [
        "Rank Correlation Test for Funnel Plot Asymmetry (Begg)",
        f"  Kendall's tau = {fmt_num(b.tau)}, p = {fmt_p(b.pval)}"
        f" ({'exact' if b.exact else 'normal approximation, ties'})",
    ] + [f"  Note: {describe(f)}." for f in b.flags]


def _fmt_trimfill(t: TrimFillResult) -> list[str]:
    return [
        "Trim-and-fill (L0)",
        f"  Estimated number of missing studies on the {t.side} side: {t.k0} "
        f"(SE = {fmt_num(t.se_k0)})",
        f"  Filled estimate = {fmt_num(t.estimate)} (CI: {fmt_num(t.ci_lb)}, {fmt_num(t.ci_ub)}), "
        f"p = {fmt_p(t.pval)}",
    ]


def _fmt_loo(study: Sequence[str], o: LeaveOneOutResult) -> list[str]:
    header = ["omitted", "estimate", "se", "pval", "ci.lb", "ci.ub", "tau2", "I2"]
    rows = [
        [
            s, fmt_num(o.estimate[i]), fmt_num(o.se[i]), fmt_p(o.pval[i]), fmt_num(o.ci_lb[i]),
            fmt_num(o.ci_ub[i]), fmt_num(o.tau2[i]), fmt_num(o.i2_percent[i], 2),
        ]
        for i, s in enumerate(study)
    ]  # fmt: skip
    return ["Leave-one-out:"] + _table(header, rows)


def format_analysis(study: Sequence[str], out: Mapping[str, object]) -> str:
    """Pooled model plus the small-study and sensitivity analyses."""
    parts = [format_pooled(out["pool"])]  # type: ignore[arg-type]
    formatters: tuple[tuple[str, Callable[[Any], list[str]]], ...] = (
        ("egger", _fmt_egger),
        ("begg", _fmt_begg),
        ("trimfill", _fmt_trimfill),
    )
    for key, fmt in formatters:
        val = out[key]
        parts.append("\n".join(fmt(val) if not isinstance(val, str) else [f"{key}: {val}"]))
    loo = out["leave_one_out"]
    parts.append(
        "\n".join(_fmt_loo(study, loo) if isinstance(loo, LeaveOneOutResult) else [str(loo)])
    )
    return "\n\n".join(parts)
