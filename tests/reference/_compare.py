"""Comparison of trialmeta values with metafor reference values (shared by the tests of
metafor_binary.json and metafor_functions.json).

Tolerance: relative 1e-6, absolute 1e-8 near zero (tests/reference/README.md). JSON null
stands for R's NA/NaN/Inf and must meet a NaN (or infinite) value here.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

REL, ABS = 1e-6, 1e-8
HERE = Path(__file__).parent

Pair = tuple[str, object, object]  # (what, got, want)


def _no_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON constant {name}")


def load(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"), parse_constant=_no_constant)


def flat(got: object, want: object, what: str) -> list[Pair]:
    """Element-wise pairs of two scalars or two equally long sequences."""
    if isinstance(want, list):
        g = np.atleast_1d(np.asarray(got, dtype=float)).ravel()
        w = np.asarray([np.nan if x is None else x for x in _ravel(want)], dtype=float)
        assert g.shape == w.shape, f"{what}: shape {g.shape}, metafor {w.shape}"
        return [(f"{what}[{i}]", float(a), None if math.isnan(b) else float(b))
                for i, (a, b) in enumerate(zip(g, w, strict=True))]  # fmt: skip
    return [(what, got, want)]


def _ravel(x: object) -> list:
    if isinstance(x, list):
        return [y for item in x for y in _ravel(item)]
    return [x]


def check(pairs: Iterable[Pair]) -> None:
    """Assert every pair agrees within the tolerance."""
    for what, got, want in pairs:
        if want is None:
            assert got is None or not math.isfinite(float(got)), f"{what}: {got}, metafor NA"
            continue
        assert got is not None and math.isfinite(float(got)), f"{what}: {got}, metafor {want}"
        diff = abs(float(got) - float(want))
        assert diff <= max(REL * abs(float(want)), ABS), f"{what}: got {got!r}, metafor {want!r}"


def max_relative(pairs: Sequence[Pair]) -> float:
    """Largest deviation relative to ``max(|metafor|, ABS/REL)``: the relative error, with
    the suite's absolute floor for values within 0.01 of zero, so that it is <= REL exactly
    when :func:`check` passes."""
    worst = 0.0
    for _, got, want in pairs:
        if want is None or got is None:
            continue
        scale = max(abs(float(want)), ABS / REL)
        worst = max(worst, abs(float(got) - float(want)) / scale)
    return worst


def cached(pairs_of: Callable[[dict], list[Pair]]) -> Callable[[dict], list[Pair]]:
    """Compute a case's pairs once per session (the reference cases live as long as it), so
    the deviation report does not refit what the parametrised tests already fitted."""
    memo: dict[int, list[Pair]] = {}

    def wrapper(case: dict) -> list[Pair]:
        key = id(case)
        if key not in memo:
            memo[key] = pairs_of(case)
        return memo[key]

    return wrapper


def worst_by_section(
    sections: dict[str, Callable[[dict], list[Pair]]],
    ref: dict,
    split: Callable[[str, str], str] = lambda section, what: section,
) -> dict[str, float]:
    """Check every case of every section and return the largest relative deviation per
    key (``split(section, what)``; by default the section)."""
    worst: dict[str, float] = defaultdict(float)
    for section, pairs_of in sections.items():
        for case in ref[section]:
            pairs = pairs_of(case)
            check(pairs)
            for pair in pairs:
                key = split(section, pair[0])
                worst[key] = max(worst[key], max_relative([pair]))
    return dict(worst)
