"""Effect sizes of 2x2 tables: metafor ``escalc`` for ``RR``, ``OR``, ``RD`` and ``PETO``.

Each study is a table of events and non-events per group (group 1 the intervention):

===========  ========  ===========
             events    non-events
===========  ========  ===========
group 1      ``ai``    ``bi``
group 2      ``ci``    ``di``
===========  ========  ===========

with ``n1i = ai + bi`` and ``n2i = ci + di``. Zero cells follow metafor exactly: the
constant ``add`` (1/2) goes to every cell of the tables chosen by ``to`` (``"only0"``: the
tables with a zero cell; ``"all"``; ``"if0all"``: all tables if any has a zero cell;
``"none"``), and ``drop00`` leaves out the tables with no events (or only events) in both
groups. The Cochrane Handbook v6.5, section 10.4.4, describes these choices for sparse data;
each is a parameter and raises a flag when it changes a number.

References
----------
Cochrane Handbook for Systematic Reviews of Interventions v6.5, sections 6.4.1 (effect
measures for dichotomous outcomes), 10.4.4 (rare events, zero cells).
Yusuf S, Peto R, Lewis J, Collins R, Sleight P. Beta blockade during and after myocardial
infarction. Prog Cardiovasc Dis. 1985;27:335-71 (the Peto one-step odds ratio).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialmeta import flags as fl
from trialmeta._checks import as_vector, check_choice, check_finite
from trialmeta.effects.sizes import EffectSizes
from trialmeta.errors import InputError

__all__ = [
    "BINARY_MEASURES",
    "RATIO_MEASURES",
    "REVIEW_BINARY_MEASURES",
    "ZERO_RULES",
    "Tables",
    "add_constant",
    "binary_effect_sizes",
    "check_rule",
    "double_zero",
    "two_by_two",
]

BINARY_MEASURES = ("RR", "OR", "RD", "PETO")
#: The measures a binary outcome of a review pools as (Peto's OR is a sensitivity analysis).
REVIEW_BINARY_MEASURES = ("RR", "OR", "RD")
#: Measures analysed on the log scale and reported as ratios (exp of the estimate).
RATIO_MEASURES = ("RR", "OR", "PETO")
ZERO_RULES = ("only0", "all", "if0all", "none")
RD_VTYPES = ("LS", "UB", "AV")


@dataclass(frozen=True)
class Tables:
    """k 2x2 tables as four count vectors (see the module docstring)."""

    ai: np.ndarray
    bi: np.ndarray
    ci: np.ndarray
    di: np.ndarray

    @property
    def n1i(self) -> np.ndarray:
        return np.asarray(self.ai + self.bi, dtype=float)

    @property
    def n2i(self) -> np.ndarray:
        return np.asarray(self.ci + self.di, dtype=float)

    @property
    def k(self) -> int:
        return int(self.ai.shape[0])

    def subset(self, keep: np.ndarray) -> Tables:
        """The tables where ``keep`` is True."""
        return Tables(self.ai[keep], self.bi[keep], self.ci[keep], self.di[keep])


def _counts(name: str, values: object) -> np.ndarray:
    arr = as_vector(name, values)
    check_finite(name, arr)
    bad = np.flatnonzero(arr < 0)
    if bad.size:
        raise InputError(name, arr[bad[0]].item(), "a count >= 0", row=int(bad[0]))
    return arr


def _complement(events: np.ndarray, name: str, other: object, total: object,
                other_name: str, total_name: str) -> np.ndarray:  # fmt: skip
    """Non-events from the given column or from the group size (events checked <= n)."""
    if other is None and total is None:
        raise InputError(other_name, None, f"{other_name} or {total_name} (one is needed)")
    n = _counts(total_name, total) if total is not None else None
    rest = _counts(other_name, other) if other is not None else None
    if n is not None:
        if len(n) != len(events):
            raise InputError(total_name, f"length {len(n)}", f"length {len(events)} (as {name})")
        bad = np.flatnonzero(events > n)
        if bad.size:
            i = int(bad[0])
            raise InputError(name, events[i].item(), f"at most {total_name} = {n[i]:g}", row=i)
        bad = np.flatnonzero(n <= 0)
        if bad.size:
            raise InputError(total_name, n[bad[0]].item(), "a group size > 0", row=int(bad[0]))
    if rest is not None:
        if len(rest) != len(events):
            raise InputError(other_name, f"length {len(rest)}", f"length {len(events)} (as {name})")
        if n is not None:
            bad = np.flatnonzero(events + rest != n)
            if bad.size:
                i = int(bad[0])
                raise InputError(total_name, n[i].item(), f"{name} + {other_name} = "
                                 f"{events[i] + rest[i]:g}", row=i)  # fmt: skip
        bad = np.flatnonzero(events + rest <= 0)
        if bad.size:
            i = int(bad[0])
            raise InputError(other_name, rest[i].item(), "a group with at least 1 participant",
                             row=i)  # fmt: skip
        return rest
    assert n is not None
    return np.asarray(n - events, dtype=float)


def two_by_two(ai: object, bi: object = None, ci: object = None, di: object = None,
               n1i: object = None, n2i: object = None) -> Tables:  # fmt: skip
    """Validated tables from ``ai, bi, ci, di`` or ``ai, n1i, ci, n2i`` (metafor's forms).

    Counts must be finite and >= 0, events at most the group size, and a group size given
    next to both of its cells must equal their sum. Counts need not be whole numbers (as
    in metafor); the extraction sheets check that.
    """
    if ci is None:
        raise InputError("ci", None, "the events of group 2")
    a = _counts("ai", ai)
    c = _counts("ci", ci)
    if len(c) != len(a):
        raise InputError("ci", f"length {len(c)}", f"length {len(a)} (as ai)")
    if len(a) == 0:
        raise InputError("ai", "an empty sequence", "at least one study")
    b = _complement(a, "ai", bi, n1i, "bi", "n1i")
    d = _complement(c, "ci", di, n2i, "di", "n2i")
    return Tables(a, b, c, d)


def double_zero(t: Tables) -> np.ndarray:
    """Tables with no events in both groups, or only events in both (metafor's ``drop00``)."""
    return np.asarray(((t.ai == 0) & (t.ci == 0)) | ((t.bi == 0) & (t.di == 0)), dtype=bool)


def add_constant(
    t: Tables, add: float, to: str, skip: np.ndarray | None = None
) -> tuple[Tables, np.ndarray]:
    """``add`` to every cell of the tables chosen by ``to``; also returns which got it.

    Tables marked in ``skip`` (dropped double zeros) neither count as zero tables for
    ``"if0all"`` nor receive the constant, as in metafor.
    """
    zero = (t.ai == 0) | (t.bi == 0) | (t.ci == 0) | (t.di == 0)
    if skip is not None:
        zero &= ~skip
    if to == "all":
        hit = np.ones(t.k, dtype=bool)
    elif to == "only0":
        hit = zero
    elif to == "if0all":
        hit = np.full(t.k, bool(np.any(zero)))
    else:
        hit = np.zeros(t.k, dtype=bool)
    hit = hit & (add != 0)
    if skip is not None:
        hit &= ~skip
    a = np.where(hit, add, 0.0)
    return Tables(t.ai + a, t.bi + a, t.ci + a, t.di + a), hit


def check_rule(add: object, to: object, drop00: object) -> tuple[float, str, bool]:
    """Validated ``add`` (a number >= 0), ``to`` (one of :data:`ZERO_RULES`) and ``drop00``."""
    try:
        value = float(add)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError("add", add, "a number >= 0, e.g. 0.5") from None
    if not np.isfinite(value) or value < 0:
        raise InputError("add", add, "a number >= 0, e.g. 0.5")
    check_choice("to", to, ZERO_RULES)
    if not isinstance(drop00, (bool, np.bool_)):
        raise InputError("drop00", drop00, "True or False")
    return value, str(to), bool(drop00)


def _risk_difference_variance(p1: np.ndarray, n1: np.ndarray, p2: np.ndarray, n2: np.ndarray,
                              vtype: str) -> np.ndarray:  # fmt: skip
    """``LS``: p(1-p)/n per group; ``UB``: /(n-1); ``AV``: the n-weighted mean risks."""
    if vtype == "UB":
        n1, n2 = n1 - 1, n2 - 1
    elif vtype == "AV":
        ok = np.isfinite(p1) & np.isfinite(p2)
        p1 = np.full_like(p1, np.sum(n1[ok] * p1[ok]) / np.sum(n1[ok]))
        p2 = np.full_like(p2, np.sum(n2[ok] * p2[ok]) / np.sum(n2[ok]))
    return np.asarray(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2, dtype=float)


def _effects(measure: str, t: Tables, vtype: str) -> tuple[np.ndarray, np.ndarray]:
    """``yi, vi`` of the (corrected) tables, Cochrane Handbook 6.4.1 and metafor escalc.

    RR: ``log(p1/p2)``, ``1/a - 1/n1 + 1/c - 1/n2``; OR: ``log(ad/bc)``,
    ``1/a + 1/b + 1/c + 1/d``; RD: ``p1 - p2``; PETO: ``(a - E)/V`` and ``1/V`` with
    ``E = (a+c)n1/N`` and ``V = (a+c)(b+d)n1n2/(N²(N-1))``.
    """
    a, b, c, d, n1, n2 = t.ai, t.bi, t.ci, t.di, t.n1i, t.n2i
    p1, p2 = a / n1, c / n2
    if measure == "RR":
        return np.log(p1) - np.log(p2), 1 / a - 1 / n1 + 1 / c - 1 / n2
    if measure == "OR":
        return np.log(a) - np.log(b) - np.log(c) + np.log(d), 1 / a + 1 / b + 1 / c + 1 / d
    if measure == "RD":
        return p1 - p2, _risk_difference_variance(p1, n1, p2, n2, vtype)
    n = n1 + n2
    e = (a + c) * n1 / n
    v = (a + c) * (b + d) * (n1 / n) * (n2 / n) / (n - 1)
    return (a - e) / v, 1 / v


def binary_effect_sizes(measure: str, tables: Tables, add: float = 0.5, to: str = "only0",
                        drop00: bool = False, vtype: str = "LS") -> EffectSizes:  # fmt: skip
    """Per-study log risk ratio, log odds ratio, risk difference or Peto log odds ratio.

    As metafor ``escalc(measure, ai, bi, ci, di, add, to, drop00, vtype)``: tables that
    ``drop00`` removes, and effects that are not finite (a zero cell with ``to="none"``),
    are NaN. ``vtype`` applies to ``RD`` only (``LS``, ``UB`` or ``AV``).
    """
    check_choice("measure", measure, BINARY_MEASURES)
    value, rule, drop = check_rule(add, to, drop00)
    check_choice("vtype", vtype, RD_VTYPES if measure == "RD" else ("LS",))
    dropped = double_zero(tables) if drop else np.zeros(tables.k, dtype=bool)
    fixed, hit = add_constant(tables, value, rule, skip=dropped)
    nan = np.where(dropped, np.nan, 0.0)  # dropped tables take no part, e.g. in AV's means
    fixed = Tables(fixed.ai + nan, fixed.bi + nan, fixed.ci + nan, fixed.di + nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi, vi = _effects(measure, fixed, vtype)
    bad = dropped | ~np.isfinite(yi) | ~np.isfinite(vi) | (vi < 0)
    yi, vi = np.where(bad, np.nan, yi), np.where(bad, np.nan, vi)
    flags = [fl.ZERO_CELLS_CORRECTED] if np.any(hit) else []
    if np.any(dropped):
        flags.append(fl.DOUBLE_ZERO_DROPPED)
    if np.any(bad & ~dropped) or np.any(vi == 0):  # vi = 0: e.g. RD of 0/1 vs 0/1, to="none"
        flags.append(fl.EFFECT_NOT_ESTIMABLE)
    return EffectSizes(
        measure=measure,
        yi=yi,
        vi=vi,
        ni=tables.n1i + tables.n2i,
        corrected=hit,
        dropped=dropped,
        flags=tuple(flags),
    )
