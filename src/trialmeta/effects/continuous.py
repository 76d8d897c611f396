"""Effect sizes of two groups' means and SDs: metafor ``escalc`` for ``MD``, ``SMD``,
``SMDH`` and ``ROM``, each with metafor's variance types (``vtype``).

Group 1 is the intervention, so effects are group 1 versus group 2. ``m = n1 + n2 - 2``
and the pooled SD is ``s_p = sqrt(((n1-1)sd1² + (n2-1)sd2²)/m)``.

References
----------
Hedges LV. Distribution theory for Glass's estimator of effect size and related
estimators. J Educ Stat. 1981;6:107-28 (the exact correction c(m) and its approximation).
Bonett DG. Confidence intervals for standardized linear contrasts of means. Psychol
Methods. 2008;13:99-109 (SMDH: the SMD with heteroscedastic SDs).
Hedges LV, Gurevitch J, Curtis PS. The meta-analysis of response ratios in experimental
ecology. Ecology. 1999;80:1150-6 (ROM: the log ratio of means).
Cochrane Handbook for Systematic Reviews of Interventions v6.5, sections 6.5.1.1 (MD),
6.5.1.2 (SMD, Hedges' g and its approximate correction), 6.5.1.3 (ratio of means).
"""

from __future__ import annotations

import numpy as np

from trialmeta.errors import InputError

__all__ = [
    "CONTINUOUS_MEASURES",
    "CORRECTIONS",
    "VTYPES",
    "continuous_effects",
    "hedges_correction",
]

CONTINUOUS_MEASURES = ("MD", "SMD", "SMDH", "ROM")
CORRECTIONS = ("exact", "approx", "none")
VTYPES: dict[str, tuple[str, ...]] = {
    "MD": ("LS", "UB", "HO"),
    "SMD": ("LS", "UB", "LS2", "AV"),
    "SMDH": ("LS", "LS2"),
    "ROM": ("LS", "HO", "AV", "AVHO"),
}

Arms = dict[str, np.ndarray]


def hedges_correction(df: object, correct: str = "exact") -> np.ndarray:
    """Small-sample correction of the SMD for ``m = n1 + n2 - 2`` degrees of freedom.

    - ``"exact"``: ``c(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2))`` (Hedges 1981; metafor's
      ``.cmicalc``);
    - ``"approx"``: ``1 - 3/(4m - 1)`` (Hedges 1981), the Handbook's
      ``1 - 3/(4N - 9)`` with ``N = n1 + n2`` (Cochrane Handbook 6.5.1.2);
    - ``"none"``: 1, Cohen's d (metafor >= 4.0 ``correct=FALSE``).

    Examples
    --------
    >>> [round(float(x), 6) for x in hedges_correction([8, 8], "exact")] + [
    ...     round(float(hedges_correction(8, "approx")), 6)]
    [0.902703, 0.902703, 0.903226]
    """
    m = np.asarray(df, dtype=float)  # the shape of the input, as before
    if correct == "approx":
        return 1.0 - 3.0 / (4.0 * m - 1.0)
    if correct == "none":
        return np.ones_like(m)
    if correct != "exact":
        raise InputError("correct", correct, "one of " + ", ".join(CORRECTIONS))
    from scipy.special import gammaln  # on first use: only an SMD needs it

    return np.asarray(np.exp(gammaln(m / 2.0) - 0.5 * np.log(m / 2.0) - gammaln((m - 1.0) / 2.0)))


def _mean_difference(a: Arms, vtype: str, sdp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``m1 - m2``; ``LS``/``UB``: ``sd1²/n1 + sd2²/n2``; ``HO``: ``s_p²(1/n1 + 1/n2)``."""
    yi = a["m1i"] - a["m2i"]
    if vtype == "HO":
        return yi, sdp**2 * (1 / a["n1i"] + 1 / a["n2i"])
    return yi, a["sd1i"] ** 2 / a["n1i"] + a["sd2i"] ** 2 / a["n2i"]


def _smd(a: Arms, vtype: str, cm: np.ndarray, sdp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' g ``c·(m1 - m2)/s_p`` with metafor's variances (``n = n1 + n2``):
    ``LS`` ``1/n1 + 1/n2 + g²/(2n)``; ``UB`` ``1/n1 + 1/n2 + (1 - (m-2)/(m c²))g²``;
    ``LS2`` ``c²(1/n1 + 1/n2 + d²/(2n))``; ``AV`` as LS with the n-weighted mean g."""
    n1, n2 = a["n1i"], a["n2i"]
    d = (a["m1i"] - a["m2i"]) / sdp
    g = cm * d
    n, m = n1 + n2, n1 + n2 - 2.0
    base = 1 / n1 + 1 / n2
    if vtype == "UB":
        return g, base + (1 - (m - 2) / (m * cm**2)) * g**2
    if vtype == "LS2":
        return g, cm**2 * (base + d**2 / (2 * n))
    if vtype == "AV":
        return g, base + (np.sum(n * g) / np.sum(n)) ** 2 / (2 * n)
    return g, base + g**2 / (2 * n)


def _smdh(a: Arms, vtype: str, cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bonett's SMD ``c·(m1 - m2)/sqrt((sd1² + sd2²)/2)`` and its variance (metafor:
    ``LS`` Bonett's 2008 variance times c², ``LS2`` its large-sample form)."""
    n1, n2 = a["n1i"], a["n2i"]
    s1, s2 = a["sd1i"] ** 2, a["sd2i"] ** 2
    g = cm * (a["m1i"] - a["m2i"]) / np.sqrt((s1 + s2) / 2)
    if vtype == "LS2":
        vi = (g**2 * s1 / (2 * n1 * (s1 + s2) ** 2) + g**2 * s2 / (2 * n2 * (s1 + s2) ** 2)
              + 2 * s1 / (n1 * (s1 + s2)) + 2 * s2 / (n2 * (s1 + s2)))  # fmt: skip
        return g, vi
    vi = (g**2 * (s1**2 / (n1 - 1) + s2**2 / (n2 - 1)) / (2 * (s1 + s2) ** 2)
          + (s1 / (n1 - 1) + s2 / (n2 - 1)) / ((s1 + s2) / 2))  # fmt: skip
    return g, cm**2 * vi


def _rom(a: Arms, vtype: str, sdp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(m1/m2)``; ``LS`` ``sd1²/(n1 m1²) + sd2²/(n2 m2²)``; ``HO`` with ``s_p``;
    ``AV`` with each group's n-weighted mean CV; ``AVHO`` with the overall mean CV."""
    m1, m2, n1, n2 = a["m1i"], a["m2i"], a["n1i"], a["n2i"]
    ratio = m1 / m2
    bad = np.flatnonzero(ratio <= 0)
    if bad.size:
        raise InputError(
            "m1i",
            m1[bad[0]].item(),
            f"a mean of the same sign as m2i = {m2[bad[0]]:g} (a ratio of means must be > 0)",
            row=int(bad[0]),
        )
    yi = np.log(ratio)
    cv1, cv2 = a["sd1i"] / m1, a["sd2i"] / m2
    if vtype == "HO":
        return yi, sdp**2 / (n1 * m1**2) + sdp**2 / (n2 * m2**2)
    if vtype == "AV":
        return yi, (np.sum(n1 * cv1) / np.sum(n1)) ** 2 / n1 + (
            np.sum(n2 * cv2) / np.sum(n2)) ** 2 / n2  # fmt: skip
    if vtype == "AVHO":
        cv = (np.sum(n1 * cv1) + np.sum(n2 * cv2)) / np.sum(n1 + n2)
        return yi, cv**2 * (1 / n1 + 1 / n2)
    return yi, cv1**2 / n1 + cv2**2 / n2


def continuous_effects(
    measure: str, arms: Arms, vtype: str = "LS", correct: str = "exact"
) -> tuple[np.ndarray, np.ndarray]:
    """``yi, vi`` of validated arm-level arrays (keys ``m1i, sd1i, n1i, m2i, sd2i, n2i``)."""
    n1, n2 = arms["n1i"], arms["n2i"]
    m = n1 + n2 - 2.0
    sdp = np.sqrt(((n1 - 1.0) * arms["sd1i"] ** 2 + (n2 - 1.0) * arms["sd2i"] ** 2) / m)
    if measure == "MD":
        return _mean_difference(arms, vtype, sdp)
    if measure == "ROM":
        return _rom(arms, vtype, sdp)
    cm = hedges_correction(m, correct)
    if measure == "SMD":
        return _smd(arms, vtype, cm, sdp)
    return _smdh(arms, vtype, cm)
