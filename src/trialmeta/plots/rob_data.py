"""Risk-of-bias judgements as the figures hold them: vocabulary, the study x domain
matrix, its builders (from a long sheet, or mapped onto RoB 1 / RoB 2 domains) and
the (weighted) share of each judgement per domain (robvis, McGuinness & Higgins
2021, Res Synth Methods 12:55-61)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trialmeta.errors import InputError
from trialmeta.plots.rob_domains import (
    ROB2,
    Scheme,
    domain_judgements,
    pick_scheme,
    scheme_domains,
)

__all__ = [
    "DARK_TEXT",
    "JUDGEMENTS",
    "ROB2_DOMAINS",
    "RobData",
    "judgement_style",
    "rob_data",
    "rob_data_from_long",
    "rob_domain_data",
    "rob_proportions",
]

# judgement -> (fill colour, symbol, legend label); order = stacking order in the summary
JUDGEMENTS: dict[str, tuple[str, str, str]] = {
    "low": ("#009E73", "+", "Low risk"),
    "yes": ("#009E73", "+", "Yes (criterion met)"),
    "some_concerns": ("#F0E442", "−", "Some concerns"),
    "unclear": ("#F0E442", "?", "Unclear"),
    "high": ("#D55E00", "×", "High risk"),
    "no": ("#D55E00", "−", "No (criterion not met)"),
    "no_information": ("#56B4E9", "?", "No information"),
    "not_assessed": ("#E6E6E6", "", "Not assessed"),
}
_ALIASES = {
    "some concerns": "some_concerns",
    "some": "some_concerns",
    "no information": "no_information",
    "ni": "no_information",
    "not assessed": "not_assessed",
    "na": "not_assessed",
    "": "not_assessed",
    "y": "yes",
    "n": "no",
}
DARK_TEXT = {"some_concerns", "unclear", "no_information", "not_assessed"}

ROB2_DOMAINS: dict[str, str] = {d.code: d.name for d in ROB2}


def judgement_style(judgement: str) -> tuple[str, str, str]:
    """(colour, symbol, label) of a normalised judgement."""
    return JUDGEMENTS[judgement]


def _normalise(value: object, where: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not_assessed"
    key = str(value).strip().lower()
    key = _ALIASES.get(key, key.replace(" ", "_"))
    if key not in JUDGEMENTS:
        raise InputError(where, value, "one of " + ", ".join(JUDGEMENTS) + " or None")
    return key


@dataclass(frozen=True)
class RobData:
    """Judgements per study (rows) and domain (columns), normalised to ``JUDGEMENTS`` keys."""

    studies: tuple[str, ...]
    domains: tuple[str, ...]
    judgements: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...] | None = None
    domain_descriptions: tuple[str, ...] = ()


def rob_data(
    studies: Sequence[str],
    domains: Sequence[str],
    judgements: Sequence[Sequence[object]],
    weights: Sequence[float] | None = None,
    domain_descriptions: Sequence[str] | None = None,
) -> RobData:
    """Validate a study × domain matrix of judgements.

    ``None``/NaN/empty means *not assessed*. ``weights`` (e.g. the forest-plot
    weights in percent) make the summary bars weighted, as robvis ``weighted=TRUE``.
    Descriptions default to the RoB 2 domain names for ``D1``..``D5``/``Overall``.
    """
    studies = tuple(str(s) for s in studies)
    domains = tuple(str(d) for d in domains)
    if len(judgements) != len(studies):
        raise InputError("judgements", f"{len(judgements)} rows", f"{len(studies)} (as studies)")
    rows = []
    for i, row in enumerate(judgements):
        if len(row) != len(domains):
            raise InputError("judgements", f"{len(row)} columns", f"{len(domains)}", row=i)
        rows.append(tuple(_normalise(v, f"judgements[{i}][{j}]") for j, v in enumerate(row)))
    w = None
    if weights is not None:
        w = tuple(float(x) for x in weights)
        if len(w) != len(studies) or not all(math.isfinite(x) and x >= 0 for x in w):
            raise InputError("weights", weights, f"{len(studies)} finite numbers >= 0")
    if domain_descriptions is None:
        desc = tuple(ROB2_DOMAINS.get(d, "") for d in domains)
    else:
        desc = tuple(domain_descriptions)
    return RobData(studies, domains, tuple(rows), w, desc)


def rob_data_from_long(
    study_ids: Sequence[str],
    domains: Sequence[str],
    judgements: Sequence[object],
    *,
    study_order: Sequence[str] | None = None,
    domain_order: Sequence[str] | None = None,
    weights: dict[str, float] | None = None,
) -> RobData:
    """Build :class:`RobData` from a long table (one row per study × domain).

    Missing study × domain cells become *not assessed*. Orders default to first appearance.
    """
    cells: dict[tuple[str, str], object] = {}
    for s, d, j in zip(study_ids, domains, judgements, strict=True):
        cells[(str(s), str(d))] = j
    s_order = list(study_order or dict.fromkeys(str(s) for s in study_ids))
    d_order = list(domain_order or dict.fromkeys(str(d) for d in domains))
    matrix = [[cells.get((s, d)) for d in d_order] for s in s_order]
    w = None if weights is None else [weights.get(s, 0.0) for s in s_order]
    return rob_data(s_order, d_order, matrix, w)


def rob_proportions(data: RobData) -> dict[str, dict[str, float]]:
    """Domain -> judgement -> percent of studies (weighted when ``data.weights``)."""
    w = np.ones(len(data.studies)) if data.weights is None else np.asarray(data.weights)
    total = float(w.sum()) or 1.0
    out: dict[str, dict[str, float]] = {}
    for j, dom in enumerate(data.domains):
        col = [row[j] for row in data.judgements]
        out[dom] = {
            key: float(sum(wi for wi, c in zip(w, col, strict=True) if c == key) / total * 100)
            for key in JUDGEMENTS
            if key in col
        }
    return out


_TOOL_TITLES = {"rob1": "RoB 1 domains", "rob2": "RoB 2 domains, self-reported outcomes"}


def rob_domain_data(
    rows: Iterable[Mapping[str, str]],
    studies: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    weights: Mapping[str, float] | None = None,
    scheme: Scheme | None = None,
) -> tuple[RobData, str]:
    """Every study of ``studies`` on one set of domains (RoB 1 A-G or RoB 2 D1-D5, Overall).

    Sheet rows are mapped by :func:`~trialmeta.plots.rob_domains.domain_judgements`
    (RoB 1 and PEDro onto the RoB 2 domains, as GRADE reads them); studies without
    rows are *not assessed*. Returns the data and a title naming the scheme and any mapping.
    """
    rows = list(rows)
    scheme = scheme or pick_scheme(str(r.get("tool", "")) for r in rows)
    domains = scheme_domains(scheme)
    found = domain_judgements(rows, scheme)
    names = labels or {}
    blank = ("not_assessed",) * len(domains)
    matrix = [found[s].cells if s in found else blank for s in studies]
    w = None if weights is None else [float(weights.get(s, 0.0)) for s in studies]
    data = rob_data([names.get(s, s) for s in studies], [d.code for d in domains], matrix, w,
                    [d.name for d in domains])  # fmt: skip
    mapped = sorted({j.tool for j in found.values() if j.mapped and j.study_id in studies})
    note = ""
    if mapped and scheme == "rob2":
        tools = " and ".join({"pedro": "PEDro", "rob1": "RoB 1"}[t] for t in mapped)
        note = f"; {tools} shown on these domains"
    return data, f"Risk of bias ({_TOOL_TITLES[scheme]}{note})"
