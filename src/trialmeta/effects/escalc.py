"""Effect sizes from arm-level summaries (metafor ``escalc``).

Group 1 is the intervention, group 2 the control, so ``yi`` compares group 1 with group 2.
Means and SDs give ``MD``, ``SMD``, ``SMDH`` and ``ROM`` (:mod:`.continuous`); 2x2 tables
give ``RR``, ``OR``, ``RD`` and ``PETO`` (:mod:`.binary`).
"""

from __future__ import annotations

import numpy as np

from trialmeta._checks import as_vector, check_choice, check_finite, check_positive
from trialmeta.effects.binary import BINARY_MEASURES, binary_effect_sizes, two_by_two
from trialmeta.effects.continuous import (
    CONTINUOUS_MEASURES,
    CORRECTIONS,
    VTYPES,
    continuous_effects,
    hedges_correction,
)
from trialmeta.effects.sizes import EffectSizes
from trialmeta.errors import InputError

__all__ = ["ALL_MEASURES", "EffectSizes", "effect_sizes", "hedges_correction"]

ALL_MEASURES = CONTINUOUS_MEASURES + BINARY_MEASURES
_ARM_COLUMNS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")


def _arms(columns: dict[str, object]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name in _ARM_COLUMNS:
        if columns[name] is None:
            raise InputError(name, None, f"a value per study ({name} is needed)")
        arrays[name] = as_vector(name, columns[name])
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
    return arrays


def _unused(measure: str, given: dict[str, object]) -> None:
    for name, value in given.items():
        if value is not None:
            raise InputError(name, "a value", f"no {name} for measure {measure}")


def effect_sizes(
    measure: str,
    *,
    m1i: object = None,
    sd1i: object = None,
    n1i: object = None,
    m2i: object = None,
    sd2i: object = None,
    n2i: object = None,
    ai: object = None,
    bi: object = None,
    ci: object = None,
    di: object = None,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = False,
    vtype: str = "LS",
    correct: str = "exact",
) -> EffectSizes:
    """Per-study effect sizes and sampling variances, as metafor ``escalc``.

    Means and SDs (``m1i, sd1i, n1i, m2i, sd2i, n2i``):

    - ``MD``: ``m1 - m2``, ``vi = sd1²/n1 + sd2²/n2`` (``vtype="HO"``: pooled SD).
    - ``SMD``: Hedges' g with the correction ``correct`` (``"exact"`` c(m), ``"approx"``
      ``1 - 3/(4m - 1)``, ``"none"``) and ``vtype`` ``LS`` (default,
      ``1/n1 + 1/n2 + g²/(2(n1+n2))``), ``UB`` (unbiased), ``LS2`` or ``AV``.
    - ``SMDH``: the SMD with heteroscedastic SDs (Bonett 2008), ``vtype`` ``LS``/``LS2``.
    - ``ROM``: the log ratio of means, ``vtype`` ``LS``, ``HO``, ``AV`` or ``AVHO``.

    Event counts (``ai, bi, ci, di`` or ``ai, n1i, ci, n2i``):

    - ``RR`` log risk ratio, ``OR`` log odds ratio, ``RD`` risk difference (``vtype``
      ``LS``, ``UB``, ``AV``), ``PETO`` Peto's log odds ratio; zero cells by ``add``,
      ``to`` and ``drop00`` exactly as metafor (see :mod:`trialmeta.effects.binary`).

    Raises
    ------
    InputError
        Unknown measure or option, unequal lengths, NaN, SD <= 0, n < 2 for means, a
        negative count, events above the group size, or arguments of the other data type.

    Examples
    --------
    >>> es = effect_sizes("RR", ai=[4, 0], n1i=[20, 25], ci=[9, 3], n2i=[21, 24])
    >>> [round(float(y), 4) for y in es.yi], [str(f) for f in es.flags]
    ([-0.7621, -1.9851], ['zero_cells_continuity_corrected'])
    """
    check_choice("measure", measure, ALL_MEASURES)
    check_choice("correct", correct, CORRECTIONS)
    counts = {"ai": ai, "bi": bi, "ci": ci, "di": di}
    if measure in BINARY_MEASURES:
        _unused(measure, {"m1i": m1i, "sd1i": sd1i, "m2i": m2i, "sd2i": sd2i})
        tables = two_by_two(ai, bi, ci, di, n1i, n2i)
        return binary_effect_sizes(measure, tables, add, to, drop00, vtype)
    _unused(measure, counts)
    check_choice("vtype", vtype, VTYPES[measure])
    arms = _arms({"m1i": m1i, "sd1i": sd1i, "n1i": n1i, "m2i": m2i, "sd2i": sd2i, "n2i": n2i})
    yi, vi = continuous_effects(measure, arms, vtype, correct)
    return EffectSizes(measure=measure, yi=yi, vi=vi, ni=arms["n1i"] + arms["n2i"])
