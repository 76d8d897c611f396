"""The checks of a review config that come after the YAML read: the schema, then what a
schema cannot say. Each problem is ``(key path, text)`` and is printed with the file that
set the key (:func:`config_problems`); :func:`with_defaults` applies the schema's
``default:`` keywords, the only place defaults live.
"""

from __future__ import annotations

import copy
import math
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jsonschema

from trialmeta.effects.binary import REVIEW_BINARY_MEASURES as BINARY_MEASURES

__all__ = ["config_problems", "with_defaults"]


def _integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_VALIDATOR: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _integer),
)


def _key_path(parts: Sequence[object]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _lookup(data: object, parts: Sequence[object]) -> tuple[bool, object]:
    for p in parts:
        if isinstance(data, Mapping) and p in data:
            data = data[p]
        elif isinstance(data, list) and isinstance(p, int) and 0 <= p < len(data):
            data = data[p]
        else:
            return False, None
    return True, data


class _Where:
    """Names the file that set a key path (the last of the merged files that has it)."""

    def __init__(self, parts: Sequence[tuple[str, Mapping[str, Any]]]):
        self.parts = list(parts)

    def __call__(self, path: Sequence[object]) -> str:
        for label, data in reversed(self.parts):
            for depth in range(len(path), 0, -1):
                if _lookup(data, path[:depth])[0]:
                    return str(label)
        return str(self.parts[-1][0]) if self.parts else "config"


def _schema_problem(err: jsonschema.ValidationError) -> tuple[list[object], str]:
    path: list[object] = list(err.absolute_path)
    kind, val, got = (
        err.validator,
        typing.cast(Any, err.validator_value),
        typing.cast(Any, err.instance),
    )
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    if kind == "required":
        missing = [k for k in val if isinstance(got, Mapping) and k not in got]
        return path, (
            f"required key missing (got no {', '.join(map(repr, missing))}, "
            "expected it; see the comments in config/config.yaml)"
        )
    if kind == "additionalProperties":
        extra = sorted(set(got) - set(typing.cast(Mapping[str, Any], schema.get("properties", {}))))
        return (
            path,
            f"unknown key (got {', '.join(map(repr, extra))}, expected only the keys of "
            "workflow/schemas/config.schema.yaml)",
        )
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if kind in bounds:
        return path, f"out of range (got {got!r}, expected a value {bounds[kind]} {val})"
    if kind == "type":
        what = " or ".join(val) if isinstance(val, list) else str(val)
        if what == "integer" and isinstance(got, float):
            what = "integer (a whole number written without a decimal point)"
        return path, f"wrong type (got {got!r}, expected {what})"
    if kind == "enum":
        allowed = ", ".join(map(str, val))
        return path, f"not an allowed value (got {got!r}, expected one of {allowed})"
    if kind == "pattern":
        return path, f"badly formed (got {got!r}, expected text matching {val})"
    return path, f"invalid (got {got!r}, expected {err.message})"


def _non_finite(data: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    if isinstance(data, float) and not math.isfinite(data):
        yield path
    elif isinstance(data, Mapping):
        for k, v in data.items():
            yield from _non_finite(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _non_finite(v, (*path, i))


def _duplicates(items: Sequence[Mapping[str, Any]], key: str) -> Iterator[tuple[int, int]]:
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        v = item.get(key)
        if v in seen:
            yield i, seen[v]
        else:
            seen[v] = i


def _semantic_problems(cfg: Mapping[str, Any]) -> Iterator[tuple[list[object], str]]:
    """Problems the schema cannot see: ids, windows, thresholds and cross-references."""
    yield from _id_problems(cfg)
    yield from _window_problems(cfg["outcomes"])
    yield from _binary_problems(cfg)
    yield from _grade_problems(cfg)
    yield from _external_problems(cfg)


def _id_problems(cfg: Mapping[str, Any]) -> Iterator[tuple[list[object], str]]:
    """Duplicate outcome or comparison ids; members that name no other comparison."""
    outcomes, comparisons = cfg["outcomes"], cfg["comparisons"]
    for section, items in (("outcomes", outcomes), ("comparisons", comparisons)):
        for i, first in _duplicates(items, "id"):
            yield (
                [section, i, "id"],
                (
                    f"duplicate id (got {items[i]['id']!r}, expected each id "
                    f"once; {section}[{first}] has it too)"
                ),
            )
    comparison_ids = [c["id"] for c in comparisons]
    for i, c in enumerate(comparisons):
        for j, m in enumerate(c.get("members") or ()):
            if m not in comparison_ids or m == c["id"]:
                yield (
                    ["comparisons", i, "members", j],
                    (
                        f"no such other comparison (got {m!r}, expected one of "
                        f"{', '.join(x for x in comparison_ids if x != c['id'])})"
                    ),
                )


def _window_problems(outcomes: Sequence[Mapping[str, Any]]) -> Iterator[tuple[list[object], str]]:
    """Inverted timepoint windows, targets outside them, missing MCIDs."""
    for i, o in enumerate(outcomes):
        w = o["timepoint_weeks"]
        if w["min"] > w["max"]:
            yield (
                [*("outcomes", i, "timepoint_weeks")],
                (f"window inverted (got min {w['min']} > max {w['max']}, expected min <= max)"),
            )
        elif not w["min"] <= w["target"] <= w["max"]:
            yield (
                [*("outcomes", i, "timepoint_weeks", "target")],
                (
                    f"target outside the window (got {w['target']}, "
                    f"expected {w['min']} to {w['max']})"
                ),
            )
        if o["mcid"]["value"] is None:
            yield (
                ["outcomes", i, "mcid", "value"],
                ("no MCID (got null, expected a number > 0: imprecision is judged against it)"),
            )


def _binary_problems(cfg: Mapping[str, Any]) -> Iterator[tuple[list[object], str]]:
    """Keys of the other outcome type: ``ois_sd`` is a continuous outcome's (needed there),
    ``control_risk`` and ``ois_rrr`` a binary outcome's (RR, OR, RD); proportions in (0, 1)."""
    for i, o in enumerate(cfg["outcomes"]):
        measure = o.get("measure", cfg["measure"])
        binary = measure in BINARY_MEASURES
        if binary and "ois_sd" in o:
            yield (
                ["outcomes", i, "ois_sd"],
                (
                    f"an SD on a binary outcome (got ois_sd with measure {measure}, expected no "
                    "ois_sd: the optimal information size of a binary outcome comes from its "
                    "control risk and ois_rrr)"
                ),
            )
        if not binary and "ois_sd" not in o:
            yield (
                ["outcomes", i, "ois_sd"],
                (
                    f"missing (got no ois_sd for measure {measure}, expected the SD of the optimal "
                    "information size, or value null for the trials' median SD)"
                ),
            )
        for key in ("control_risk", "ois_rrr"):
            if key in o and not binary:
                yield (
                    ["outcomes", i, key],
                    (
                        f"a binary outcome's key on a continuous one (got {key} with measure "
                        f"{measure}, expected measure RR, OR or RD, or no {key})"
                    ),
                )
            value = (o.get(key) or {}).get("value")
            if value is not None and not 0 < value < 1:
                yield (
                    ["outcomes", i, key, "value"],
                    (f"not a proportion (got {value}, expected a number between 0 and 1)"),
                )


def _grade_problems(cfg: Mapping[str, Any]) -> Iterator[tuple[list[object], str]]:
    """Inverted GRADE thresholds; overrides of no analysis, or twice of one domain."""
    outcomes, comparisons, g = cfg["outcomes"], cfg["comparisons"], cfg["grade"]
    for low, high in (("rob_serious_percent", "rob_very_serious_percent"),):
        if g[low] > g[high]:
            yield (
                ["grade", low],
                (
                    f"thresholds inverted (got {g[low]} > {high} {g[high]}, "
                    f"expected {low} <= {high})"
                ),
            )
    analyses = {f"{o['id']}__{c['id']}" for o in outcomes for c in comparisons}
    for i, ov in enumerate(g["overrides"]):
        if ov["analysis_id"] not in analyses:
            yield (
                ["grade", "overrides", i, "analysis_id"],
                (
                    f"no such analysis (got {ov['analysis_id']!r}, expected one of "
                    f"{', '.join(sorted(analyses))})"
                ),
            )
    for i, first in _duplicates(
        [{"k": (o["analysis_id"], o["domain"])} for o in g["overrides"]], "k"
    ):
        yield (
            ["grade", "overrides", i],
            (
                f"second override of one domain (got "
                f"{g['overrides'][i]['domain']!r} again, expected one "
                f"per analysis and domain; overrides[{first}])"
            ),
        )


def _external_problems(cfg: Mapping[str, Any]) -> Iterator[tuple[list[object], str]]:
    """External results of no outcome, or whose interval misses its estimate."""
    ids = {o["id"] for o in cfg["outcomes"]}
    for i, x in enumerate(cfg["external_results"]):
        if x["outcome_id"] not in ids:
            yield (
                ["external_results", i, "outcome_id"],
                (
                    f"no such outcome (got {x['outcome_id']!r}, expected one of "
                    f"{', '.join(sorted(ids))})"
                ),
            )
        if not x["ci_lb"] <= x["estimate"] <= x["ci_ub"]:
            yield (
                ["external_results", i],
                (
                    f"interval does not contain its estimate (got {x['estimate']} with CI "
                    f"{x['ci_lb']} to {x['ci_ub']}, expected ci_lb <= estimate <= ci_ub)"
                ),
            )


def _defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """``instance`` with the schema's ``default:`` values filled in (recursively)."""
    if "$ref" in schema:
        ref = str(schema["$ref"]).lstrip("#/").split("/")
        target: Any = root
        for part in ref:
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                instance[key] = _defaults(instance[key], sub, root)
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        return [_defaults(v, schema["items"], root) for v in instance]
    return instance


def config_problems(
    config: Mapping[str, Any],
    schema: Mapping[str, Any],
    sources: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> list[str]:
    """Every problem of a merged config, located in the file that set the key (``sources``:
    ``(file, its own data)`` in merge order; the default labels problems ``config``)."""
    where = _Where(sources or [("config", config)])
    located: list[tuple[list[object], str]] = []
    for path in _non_finite(config):
        found = _lookup(config, path)[1]
        located.append(
            (list(path), f"not a finite number (got {found!r}, expected a finite number)")
        )
    errors = sorted(_VALIDATOR(schema).iter_errors(config), key=lambda e: list(map(str, e.path)))
    located += [_schema_problem(e) for e in errors]
    if not located:
        located += list(_semantic_problems(with_defaults(copy.deepcopy(dict(config)), schema)))
    return [f"{where(path)}: {_key_path(path)}: {text}" for path, text in located]


def with_defaults(config: dict[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` (changed in place) with the schema's ``default:`` values filled in."""
    out: dict[str, Any] = _defaults(config, schema, schema)
    return out
