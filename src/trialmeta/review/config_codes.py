"""The review config's codes against the data's vocabulary (one check, before any analysis).

The config schema (``workflow/schemas/config.schema.yaml``) can only check that
``target_population``, ``outcomes[].outcome`` and ``comparisons[].control_types`` look like
codes: which codes exist is the review's, in the ``vocabulary.yaml`` beside its sheets
(:mod:`trialmeta.data.vocabulary`). A code the vocabulary lacks would silently match
nothing (every trial "indirect", an outcome or comparison with no rows), so each is a
located problem, ``config:KEY: not one of the vocabulary.yaml LIST (got ..., expected ...)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from trialmeta.data.vocabulary import Vocabulary
from trialmeta.effects.binary import REVIEW_BINARY_MEASURES

__all__ = ["config_code_problems"]


def _codes(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, Sequence) else []


def _used(config: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(config key, code, vocabulary key) of every code the config uses."""
    if "target_population" in config:
        yield "target_population", str(config["target_population"]), "populations"
    for i, o in enumerate(config.get("outcomes") or ()):
        for code in _codes(o.get("outcome")):
            yield f"outcomes[{i}].outcome", code, "outcomes"
    for i, c in enumerate(config.get("comparisons") or ()):
        for code in _codes(c.get("control_types")):
            yield f"comparisons[{i}].control_types", code, "control_types"


def config_code_problems(
    config: Mapping[str, Any], vocabulary: Vocabulary, label: str = "config"
) -> list[str]:
    """Problem lines for the config codes that ``vocabulary`` does not have (none: ``[]``).

    >>> from trialmeta.data.vocabulary import OutcomeCodes
    >>> v = Vocabulary(("SIJ", "other"), ("acupuncture",), ("sham",),
    ...                {"pain": OutcomeCodes(("VAS",), ("VAS",), "0-100")}, "doctest")
    >>> config_code_problems({"target_population": "SJI", "outcomes": [{"outcome": "pain"}]}, v)
    ["config:target_population: not one of the vocabulary.yaml populations (got 'SJI', expected one of SIJ, other; did you mean 'SIJ'?)"]
    """  # noqa: E501
    allowed: dict[str, tuple[str, ...]] = {
        "populations": vocabulary.populations,
        "outcomes": tuple(vocabulary.outcomes),
        "control_types": vocabulary.control_types,
    }
    out = []
    for key, code, kind in _used(config):
        if code in allowed[kind]:
            continue
        hint = difflib.get_close_matches(code, allowed[kind], n=1)
        more = f"; did you mean {hint[0]!r}?" if hint else ""
        out.append(
            f"{label}:{key}: not one of the vocabulary.yaml {kind} (got {code!r}, "
            f"expected one of {', '.join(allowed[kind])}{more})"
        )
    return out + _measure_problems(config, vocabulary, label)


def _measure_problems(config: Mapping[str, Any], vocabulary: Vocabulary, label: str) -> list[str]:
    """An outcome whose measure does not fit its codes' type: a binary code (vocabulary
    ``type: binary``) pools as RR, OR or RD, a continuous one as MD or SMD."""
    out = []
    for i, o in enumerate(config.get("outcomes") or ()):
        measure = o.get("measure") or config.get("measure")
        for code in _codes(o.get("outcome")):
            if code not in vocabulary.outcomes or measure is None:
                continue
            binary = vocabulary.is_binary(code)
            if binary != (measure in REVIEW_BINARY_MEASURES):
                kind, want = ("binary", "RR, OR or RD") if binary else ("continuous", "MD or SMD")
                where = "measure" if "measure" in o else "outcome"
                out.append(
                    f"{label}:outcomes[{i}].{where}: measure does not fit the outcome "
                    f"(got {measure} for the {kind} outcome {code}, expected {want}: "
                    "set outcomes[].measure)"
                )
    return out
