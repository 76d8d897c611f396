"""Each intermediate of the workflow, read the way the rule that consumes it reads it
(reliability review F8; synthetic rows and files, no workflow run).

Two checks stand between a changed file and a different review:

- the checksum its rule wrote beside it (``verified``), which catches every change,
  including a CSV cut at a row boundary, which is still a valid table;
- for the typed JSON results, the strict reader (``read_result``): an unknown or missing
  field, a value of the wrong type or a file that is not JSON is one located line (file,
  JSON path, value, expected), for a file that has no checksum or a stale one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _synthetic_review import review_config, synthetic_rows

from trialmeta.errors import IntermediateError
from trialmeta.io.digests import verified, write_digest
from trialmeta.io.jsonio import read_json, read_record_dicts, read_records, write_json, write_text
from trialmeta.io.safe_csv import write_csv
from trialmeta.review import robustness
from trialmeta.review.outcome import CertaintySettings, FitSettings, complete_outcome, fit_outcome
from trialmeta.review.results import OutcomeFits, OutcomeResult, read_result, write_result
from trialmeta.review.robustness import CoverageChecks, GoshChecks, PermutationChecks

OUTCOME = "pain_eot"


@pytest.fixture(scope="module")
def stages() -> dict[str, tuple[object, Any]]:
    """Every typed intermediate of one outcome: name → (value, declared type)."""
    config = review_config()
    sim = config.simulation
    fits = fit_outcome(synthetic_rows(), {"Synthetic01": "high"}, {},
                       FitSettings.of(config, OUTCOME))  # fmt: skip
    coverage = robustness.coverage_checks(
        fits, robustness.CoverageSettings(config.model.test, 200, sim.seed)
    )
    gosh = robustness.gosh_checks(fits, robustness.GoshSettings("DL", 1000, sim.seed))
    perms = robustness.permutation_checks(
        fits, robustness.PermutationSettings(config.model.method, config.model.test, 100, sim.seed)
    )
    result = complete_outcome(fits, coverage, gosh, perms, CertaintySettings.of(config, OUTCOME))
    return {"fits": (fits, OutcomeFits), "coverage": (coverage, CoverageChecks),
            "gosh": (gosh, GoshChecks), "permutation": (perms, PermutationChecks),
            "analyses": (result, OutcomeResult)}  # fmt: skip


def _first_run(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The first analysis of a per-analysis mapping whose check ran (JSON path, object)."""
    aid = next(k for k, v in data.items() if v.get("run", True))
    return f"$.{aid}", data[aid]


#: name → the object a mutation edits (its JSON path and the object itself).
TARGETS: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    "fits": lambda d: ("$.analyses[0].analysis", d["analyses"][0]["analysis"]),
    "analyses": lambda d: ("$.analyses[0].analysis", d["analyses"][0]["analysis"]),
    "coverage": _first_run,
    "gosh": _first_run,
    "permutation": _first_run,
}


def _sealed(tmp_path: Path, stages: dict[str, tuple[object, Any]], name: str) -> Path:
    value, tp = stages[name]
    path = tmp_path / f"{name}.json"
    write_result(path, value, tp)
    write_digest(path)
    return path


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_typed_result_reads_back_through_its_checks(tmp_path, stages, name):
    path = _sealed(tmp_path, stages, name)
    value, tp = stages[name]
    back = read_result(verified(path), tp)
    again = tmp_path / "again.json"
    write_result(again, back, tp)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_truncated_typed_result_fails_its_checksum_and_is_not_json(tmp_path, stages, name):
    path = _sealed(tmp_path, stages, name)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(IntermediateError, match=r"changed after the rule that wrote it"):
        verified(path)
    with pytest.raises(IntermediateError) as err:  # without the checksum: still located
        read_result(path, stages[name][1])
    assert str(err.value).startswith(f"{path}:")
    assert ": not valid JSON (got " in str(err.value)


def _mutated(path: Path, name: str, edit: Callable[[dict[str, Any], str], str]) -> str:
    """Apply ``edit`` to the target object of ``name``'s JSON; return the located path."""
    data = json.loads(path.read_text(encoding="utf-8"))
    where, obj = TARGETS[name](data)
    key = edit(obj, where)
    write_json(path, data)
    return key


def _unknown(obj: dict[str, Any], where: str) -> str:
    obj["zz_unexpected"] = 1
    return f"{where}: unknown field (got 'zz_unexpected', expected a field of "


def _missing(obj: dict[str, Any], where: str) -> str:
    key = sorted(k for k in obj if k != "run")[0]
    del obj[key]
    return f"{where}: missing field (got no {key!r}, expected one, as every "


def _wrong_type(obj: dict[str, Any], where: str) -> str:
    key, value = next((k, v) for k, v in sorted(obj.items())
                      if isinstance(v, (int, float, dict)) and not isinstance(v, bool))  # fmt: skip
    obj[key] = "seven"
    expected = "an object" if isinstance(value, dict) else "a number"
    return f"{where}.{key}: wrong value (got 'seven', expected {expected}"


@pytest.mark.parametrize("edit", [_unknown, _missing, _wrong_type], ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_strict_reader_locates_a_field_that_does_not_fit(tmp_path, stages, name, edit):
    path = _sealed(tmp_path, stages, name)
    expected = _mutated(path, name, edit)
    with pytest.raises(IntermediateError, match="changed after the rule"):
        verified(path)  # the checksum catches it first in the workflow
    with pytest.raises(IntermediateError) as err:
        read_result(path, stages[name][1])
    assert str(err.value).startswith(f"{path}: {expected}"), str(err.value)
    assert "\n" not in str(err.value)


def test_a_wrong_enum_value_names_the_allowed_values(tmp_path, stages):
    path = _sealed(tmp_path, stages, "analyses")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["analyses"][0]["analysis"]["flags"] = ["no_such_flag"]
    write_json(path, data)
    with pytest.raises(IntermediateError) as err:
        read_result(path, OutcomeResult)
    assert (
        f"{path}: $.analyses[0].analysis.flags[0]: wrong value (got 'no_such_flag', "
        "expected one of "
    ) in str(err.value)


CSV_ROWS = [
    {"analysis_id": "pain_eot__sham", "study_id": "Synthetic01", "yi": -1.5, "vi": 0.25},
    {"analysis_id": "pain_eot__sham", "study_id": "Synthetic02", "yi": -0.5, "vi": 0.5},
    {"analysis_id": "pain_eot__sham", "study_id": "Synthetic03", "yi": 2.0, "vi": 0.4},
]


@pytest.mark.parametrize("name, reader", [
    ("comparisons.csv", read_records),                  # fit_outcome
    ("comparisons_accounting.csv", read_record_dicts),  # limitations, report
    ("data_warnings.csv", read_record_dicts),           # limitations
    ("summary_of_findings.csv", read_record_dicts),     # report
])  # fmt: skip
def test_a_table_cut_at_a_row_boundary_is_caught_by_its_checksum(tmp_path, name, reader):
    path = tmp_path / name
    write_csv(path, CSV_ROWS, list(CSV_ROWS[0]))
    write_digest(path)
    assert len(pd.DataFrame(reader(verified(path)))) == 3
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")  # still a valid CSV: 2 rows
    assert len(pd.DataFrame(reader(path))) == 2  # what the review audit saw rebuilt
    with pytest.raises(IntermediateError, match=rf"{name}: changed after the rule"):
        reader(verified(path))


@pytest.mark.parametrize("name", ["validation.json", "provenance.json"])
def test_a_plain_json_result_is_checked_and_located(tmp_path, name):
    path = tmp_path / name
    write_json(path, {"status": "valid", "sheets": [{"file": "arms.csv", "sha256": "0" * 64}]})
    write_digest(path)
    assert read_json(verified(path))["status"] == "valid"  # type: ignore[index]
    path.write_text(path.read_text(encoding="utf-8").replace("valid", "invalid"),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(IntermediateError, match="changed after the rule"):
        verified(path)
    path.write_text('{"status": ', encoding="utf-8")
    with pytest.raises(IntermediateError) as err:
        read_json(path)
    assert str(err.value) == (f"{path}:1:12: not valid JSON (got expecting value, expected "
                              "the JSON its rule wrote)")  # fmt: skip


def test_limitations_markdown_and_a_figure_folder_are_checked(tmp_path):
    md = tmp_path / "limitations.md"
    write_text(md, "# Limitations\n\nSynthetic text.\n")
    figures = tmp_path / "figures" / OUTCOME
    figures.mkdir(parents=True)
    (figures / "forest__pain_eot__sham.png").write_bytes(b"synthetic png")
    (figures / "forest__pain_eot__sham.csv").write_text("yi\n-1.5\n", encoding="utf-8")
    for p in (md, figures):
        write_digest(p)
        assert verified(p) == str(p)
    write_text(md, "# Limitations\n")
    (figures / "forest__pain_eot__sham.csv").write_text("yi\n-9.5\n", encoding="utf-8")
    with pytest.raises(IntermediateError, match=r"limitations\.md: changed after"):
        verified(md)
    with pytest.raises(IntermediateError, match=r"pain_eot/forest__pain_eot__sham\.csv: changed"):
        verified(figures)


def test_strict_reading_does_not_change_what_is_read(stages):
    from trialmeta.review.codec import from_data, to_data

    for value, tp in stages.values():
        data = json.loads(json.dumps(to_data(value, tp)))
        assert to_data(from_data(tp, copy.deepcopy(data), strict=True), tp) == to_data(
            from_data(tp, data), tp
        )
