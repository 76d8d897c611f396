"""Conversions from reported statistics to the means and SDs a meta-analysis needs.

Every function follows the Cochrane Handbook, chapter 6 (Higgins et al., version 6.4,
2023), section 6.5.2, unless its docstring names another source. Each returns plain
floats; the caller records which formula was used (see ``comparisons.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trialmeta import _dist
from trialmeta.errors import InputError

__all__ = [
    "QuantileEstimate",
    "combine_groups",
    "mean_sd_from_quantiles",
    "sd_from_ci",
    "sd_from_se",
    "se_from_ci",
    "se_from_p",
    "t_quantile_threshold",
]

#: Below this group size a CI of a mean is taken to be t-based (Handbook 6.5.2.2).
t_quantile_threshold = 60


def _number(name: str, value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(name, value, "a number") from None
    if not math.isfinite(x):
        raise InputError(name, value, "a finite number")
    return x


def _positive(name: str, value: object) -> float:
    x = _number(name, value)
    if x <= 0:
        raise InputError(name, value, "a number > 0")
    return x


def _level(level: object) -> float:
    lv = _number("level", level)
    if not 0.0 < lv < 1.0:
        raise InputError("level", level, "a number between 0 and 1, e.g. 0.95")
    return lv


def _interval(lower: object, upper: object) -> tuple[float, float]:
    lo = _number("lower", lower)
    up = _number("upper", upper)
    if up <= lo:
        raise InputError("upper", upper, f"a bound above lower={lo}")
    return lo, up


def sd_from_se(se: float, n: float) -> float:
    """Standard deviation of a group from the standard error of its mean.

    ``SD = SE * sqrt(n)`` (Cochrane Handbook, section 6.5.2.2).

    Raises
    ------
    InputError
        ``se`` not > 0 or ``n`` not >= 1.
    """
    s = _positive("se", se)
    m = _number("n", n)
    if m < 1:
        raise InputError("n", n, "a group size >= 1")
    return s * math.sqrt(m)


def _critical(level: float, df: float | None) -> float:
    q = 1.0 - (1.0 - level) / 2.0
    if df is None:
        return float(_dist.norm_ppf(q))
    return float(_dist.t_ppf(q, df))


def sd_from_ci(lower: float, upper: float, n: float, level: float = 0.95) -> float:
    """Standard deviation of a group from the confidence interval of its mean.

    ``SD = sqrt(n) * (upper - lower) / (2 * q)``, where ``q`` is the
    ``1 - (1 - level)/2`` quantile of the t distribution with ``n - 1`` degrees of
    freedom when ``n < 60`` and of the standard normal otherwise (Cochrane Handbook,
    section 6.5.2.2: for a 95% CI, ``2q = 3.92`` in large samples and ``2 * 2.0639 =
    4.128`` for n = 25).

    The same formula applies to the CI of a within-group change from baseline.
    """
    lo, up = _interval(lower, upper)
    m = _number("n", n)
    if m < 2:
        raise InputError("n", n, "a group size >= 2")
    lv = _level(level)
    df = m - 1.0 if m < t_quantile_threshold else None
    return math.sqrt(m) * (up - lo) / (2.0 * _critical(lv, df))


def se_from_ci(lower: float, upper: float, level: float = 0.95, df: float | None = None) -> float:
    """Standard error of an estimate (a difference or a change) from its CI.

    ``SE = (upper - lower) / (2 * q)``; ``q`` is the normal quantile, or the t quantile
    with ``df`` degrees of freedom when ``df`` is given (Cochrane Handbook, section
    6.5.2.3: ``3.92`` for a 95% CI in large trials; for a difference between two small
    groups, ``df = n1 + n2 - 2``).
    """
    lo, up = _interval(lower, upper)
    lv = _level(level)
    if df is not None:
        df = _positive("df", df)
    return (up - lo) / (2.0 * _critical(lv, df))


def se_from_p(estimate: float, p: float, df: float | None = None) -> float:
    """Standard error of an estimate from its exact two-sided P value.

    ``SE = |estimate| / q`` with ``q`` the ``1 - p/2`` quantile of the normal
    distribution, or of the t distribution with ``df`` degrees of freedom when given
    (Cochrane Handbook, section 6.5.2.3: MD 3.8, P = 0.008, df = 45 gives t = 2.78 and
    SE = 1.37). A P value reported as an inequality ("P < 0.05") is not exact; pass the
    bound only as a conservative choice, and say so.
    """
    est = _number("estimate", estimate)
    if est == 0:
        raise InputError("estimate", estimate, "a non-zero estimate (SE is undefined at 0)")
    pv = _number("p", p)
    if not 0.0 < pv < 1.0:
        raise InputError("p", p, "a P value strictly between 0 and 1")
    if df is not None:
        df = _positive("df", df)
    q = 1.0 - pv / 2.0
    crit = float(_dist.norm_ppf(q)) if df is None else float(_dist.t_ppf(q, df))
    return abs(est) / crit


@dataclass(frozen=True)
class QuantileEstimate:
    """Mean and SD estimated from a median with quartiles and/or range.

    ``scenario`` is ``"S1"`` (min, median, max), ``"S2"`` (q1, median, q3) or ``"S3"``
    (all five). ``skew_stat`` and ``skew_crit`` are the test of Shi et al. (2023) as in
    metafor's ``conv.fivenum``; ``skewed`` is True when ``skew_stat >= skew_crit``, in
    which case metafor (``test=TRUE``) returns NA and the estimate should be used only
    in a sensitivity analysis. ``formula`` names the estimators used.
    """

    mean: float
    sd: float
    scenario: str
    skew_stat: float
    skew_crit: float
    skewed: bool
    formula: str


def _xi(n: float) -> float:
    return 2.0 * float(_dist.norm_ppf((n - 0.375) / (n + 0.25)))


def _eta(n: float) -> float:
    return 2.0 * float(_dist.norm_ppf((0.75 * n - 0.125) / (n + 0.25)))


def mean_sd_from_quantiles(
    n: float,
    median: float,
    q1: float | None = None,
    q3: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> QuantileEstimate:
    """Estimate a group's mean and SD from its median with quartiles and/or range.

    Defaults follow metafor's ``conv.fivenum`` (metafor >= 4.0; ``dist="norm"``):

    - S1 (min, median, max): mean ``w (a + b)/2 + (1 - w) m`` with ``w = 4/(4 + n^0.75)``
      (Luo et al. 2018, eq. 7); SD ``(b - a)/xi(n)``, ``xi = 2 Φ⁻¹((n - 0.375)/(n + 0.25))``
      (Wan et al. 2014, eq. 9).
    - S2 (q1, median, q3): mean ``w (q1 + q3)/2 + (1 - w) m`` with ``w = 0.7 + 0.39/n``
      (Luo 2018, eq. 11); SD ``(q3 - q1)/eta(n)``,
      ``eta = 2 Φ⁻¹((0.75 n - 0.125)/(n + 0.25))`` (Wan 2014, eq. 16).
    - S3 (all five): mean with ``w1 = 2.2/(2.2 + n^0.75)``, ``w2 = 0.7 - 0.72/n^0.55``
      (Luo 2018, eq. 15); SD ``w (b - a)/xi + (1 - w)(q3 - q1)/eta`` with
      ``w = 1/(1 + 0.07 n^0.6)`` (Shi et al. 2020, eq. 10).

    The skewness test is that of Shi, Luo, Wan et al. (2023), with the critical values
    used by ``conv.fivenum``. Cochrane Handbook, section 6.5.2.5 warns that a median is
    often reported because the data are skewed.

    Raises
    ------
    InputError
        n < 5 (``conv.fivenum`` gives NA there), quantiles out of order, or a set of
        inputs that is none of S1, S2, S3 (e.g. a median alone).
    """
    m_n = _number("n", n)
    if m_n < 5:
        raise InputError("n", n, "a group size >= 5 (conv.fivenum gives NA below 5)")
    med = _number("median", median)
    given = {
        name: _number(name, v)
        for name, v in (("q1", q1), ("q3", q3), ("minimum", minimum), ("maximum", maximum))
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    }
    has_q = "q1" in given and "q3" in given
    has_r = "minimum" in given and "maximum" in given
    if (
        not (has_q or has_r)
        or (("q1" in given) != ("q3" in given))
        or (("minimum" in given) != ("maximum" in given))
    ):
        raise InputError(
            "median", median, "a median with both quartiles (q1, q3) and/or minimum and maximum"
        )
    ordered = [given.get("minimum"), given.get("q1"), med, given.get("q3"), given.get("maximum")]
    values = [v for v in ordered if v is not None]
    if any(b < a for a, b in zip(values, values[1:], strict=False)):
        raise InputError("median", values, "minimum <= q1 <= median <= q3 <= maximum")
    if (
        has_q
        and (given["q3"] - given["q1"]) <= 0
        or has_r
        and (given["maximum"] - given["minimum"]) <= 0
    ):
        raise InputError("median", values, "a spread > 0 (q3 > q1, maximum > minimum)")
    if has_q and has_r:
        a, b, lo, hi = given["minimum"], given["maximum"], given["q1"], given["q3"]
        w1 = 2.2 / (2.2 + m_n**0.75)
        w2 = 0.7 - 0.72 / m_n**0.55
        mean = w1 * (a + b) / 2 + w2 * (lo + hi) / 2 + (1 - w1 - w2) * med
        w = 1.0 / (1.0 + 0.07 * m_n**0.6)
        sd = w * (b - a) / _xi(m_n) + (1 - w) * (hi - lo) / _eta(m_n)
        t_range = abs((a + b - 2 * med) / (b - a))
        t_iqr = abs((lo + hi - 2 * med) / (hi - lo))
        stat = max(2.65 * math.log(0.6 * m_n) / math.sqrt(m_n) * t_range, t_iqr)
        crit = 3.0 / math.sqrt(m_n) - 40.0 / m_n**3
        return QuantileEstimate(
            mean, sd, "S3", stat, crit, stat >= crit, "mean Luo 2018 (S3), sd Shi 2020 (S3)"
        )
    if has_q:
        lo, hi = given["q1"], given["q3"]
        w = 0.7 + 0.39 / m_n
        mean = w * (lo + hi) / 2 + (1 - w) * med
        sd = (hi - lo) / _eta(m_n)
        stat = abs((lo + hi - 2 * med) / (hi - lo))
        crit = 2.65 / math.sqrt(m_n) - 6.0 / m_n**2
        return QuantileEstimate(
            mean, sd, "S2", stat, crit, stat >= crit, "mean Luo 2018 (S2), sd Wan 2014 (IQR)"
        )
    a, b = given["minimum"], given["maximum"]
    w = 4.0 / (4.0 + m_n**0.75)
    mean = w * (a + b) / 2 + (1 - w) * med
    sd = (b - a) / _xi(m_n)
    stat = abs((a + b - 2 * med) / (b - a))
    crit = 1.0 / math.log(m_n + 9) + 2.5 / (m_n + 1)
    return QuantileEstimate(
        mean, sd, "S1", stat, crit, stat >= crit, "mean Luo 2018 (S1), sd Wan 2014 (range)"
    )


def combine_groups(
    n1: float, m1: float, sd1: float, n2: float, m2: float, sd2: float
) -> tuple[float, float, float]:
    """Combine two groups into one: ``(n, mean, sd)``.

    ``N = N1 + N2``; ``M = (N1 M1 + N2 M2)/N``;
    ``SD = sqrt(((N1-1)SD1² + (N2-1)SD2² + N1 N2/N (M1² + M2² - 2 M1 M2)) / (N - 1))``
    (Cochrane Handbook, section 6.5.2.10, Table 6.5.a). Used for multi-arm trials so that
    a shared arm is counted once.
    """
    a, b = _positive("n1", n1), _positive("n2", n2)
    x1, x2 = _number("m1", m1), _number("m2", m2)
    s1, s2 = _number("sd1", sd1), _number("sd2", sd2)
    if s1 < 0 or s2 < 0:
        raise InputError("sd", (s1, s2), "standard deviations >= 0")
    total = a + b
    mean = (a * x1 + b * x2) / total
    ss = (a - 1) * s1**2 + (b - 1) * s2**2 + a * b / total * (x1**2 + x2**2 - 2 * x1 * x2)
    return total, mean, math.sqrt(ss / (total - 1))
