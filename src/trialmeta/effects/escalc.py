"""Effect sizes from arm-level summaries (metafor ``escalc``).

Group 1 is the intervention, group 2 the control, so ``yi = group1 - group2``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from trialmeta._checks import MEASURES, as_vector, check_choice, check_finite, check_positive
from trialmeta.errors import InputError
from trialmeta.stats.results import EffectSizes

__all__ = ["effect_sizes", "hedges_correction"]


def hedges_correction(df: np.ndarray) -> np.ndarray:
    """Exact small-sample correction ``c(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2))``.

    Hedges (1981); metafor's ``.cmicalc``. ``m = n1 + n2 - 2``.
    """
    m = np.asarray(df, dtype=float)
    return np.exp(gammaln(m / 2.0) - 0.5 * np.log(m / 2.0) - gammaln((m - 1.0) / 2.0))


def effect_sizes(
    measure: str,
    *,
    m1i: object,
    sd1i: object,
    n1i: object,
    m2i: object,
    sd2i: object,
    n2i: object,
) -> EffectSizes:
    """Mean difference or standardised mean difference per study.

    ``MD``: ``yi = m1 - m2``, ``vi = sd1²/n1 + sd2²/n2`` (metafor ``vtype="LS"``).

    ``SMD``: Hedges' g, ``yi = c(m)·(m1 - m2)/s_p`` with the pooled SD
    ``s_p = sqrt(((n1-1)sd1² + (n2-1)sd2²)/(n1+n2-2))`` and the exact
    correction :func:`hedges_correction`; large-sample variance
    ``vi = 1/n1 + 1/n2 + yi²/(2(n1+n2))`` (Hedges & Olkin 1985; metafor's
    default ``vtype="LS"``).

    Raises
    ------
    InputError
        Unknown measure, unequal lengths, NaN, SD <= 0, or n < 2.
    """
    check_choice("measure", measure, MEASURES)
    arrays = {
        name: as_vector(name, val)
        for name, val in (
            ("m1i", m1i), ("sd1i", sd1i), ("n1i", n1i), ("m2i", m2i), ("sd2i", sd2i), ("n2i", n2i)
        )
    }
    n = len(arrays["m1i"])
    for name, arr in arrays.items():
        if len(arr) != n:
            raise InputError(name, f"length {len(arr)}", f"length {n} (as m1i)")
    if n == 0:
        raise InputError("m1i", "an empty sequence", "at least one study")
    for name in ("m1i", "m2i"):
        check_finite(name, arrays[name])
    for name in ("sd1i", "sd2i"):
        check_positive(name, arrays[name])
    for name in ("n1i", "n2i"):
        arr = arrays[name]
        check_finite(name, arr)
        bad = np.flatnonzero(arr < 2)
        if bad.size:
            raise InputError(name, arr[bad[0]].item(), "a group size n >= 2", row=int(bad[0]))
    m1, sd1, n1 = arrays["m1i"], arrays["sd1i"], arrays["n1i"]
    m2, sd2, n2 = arrays["m2i"], arrays["sd2i"], arrays["n2i"]
    if measure == "MD":
        yi = m1 - m2
        vi = sd1**2 / n1 + sd2**2 / n2
    else:
        dfree = n1 + n2 - 2.0
        sdp = np.sqrt(((n1 - 1.0) * sd1**2 + (n2 - 1.0) * sd2**2) / dfree)
        yi = hedges_correction(dfree) * (m1 - m2) / sdp
        vi = 1.0 / n1 + 1.0 / n2 + yi**2 / (2.0 * (n1 + n2))
    return EffectSizes(measure=measure, yi=yi, vi=vi)
