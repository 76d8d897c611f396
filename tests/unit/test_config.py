"""The typed review config: shipped configs parse, every bad case is refused with a located
line, defaults come from the schema, and each slice round-trips through its JSON form."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from trialmeta.review.codec import from_data, to_data
from trialmeta.review.config import (
    ConfigError,
    ModelConfig,
    ReviewConfig,
    SimulationConfig,
    load_config,
    parse_config,
    read_schema,
)
from trialmeta.review.config_checks import config_problems
from trialmeta.review.config_yaml import read_config_file

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "config" / "config.yaml"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
BAD = sorted((ROOT / "tests" / "data" / "bad_config").glob("*.yaml"))


def _problems(*paths: Path) -> list[str]:
    try:
        load_config(list(paths), SCHEMA)
    except ConfigError as exc:
        return exc.problems
    return []


def test_shipped_and_test_configs_parse():
    cfg = load_config([SHIPPED], SCHEMA)
    assert cfg.model == ModelConfig("REML", "knha", 0.95, 2)
    assert [o.id for o in cfg.outcomes] == [
        "pain_eot",
        "pain_fu_short",
        "pain_fu",
        "function_eot",
        "function_fu_short",
        "function_fu",
        "responders",
    ]
    assert cfg.outcome_measure("responders") == "RR" and cfg.outcome_measure("pain_eot") == "MD"
    assert cfg.outcome("function_eot").mcid_value == 10
    assert cfg.analysis_ids[:2] == ("pain_eot__sham", "pain_eot__usual_care")
    test_cfg = load_config([ROOT / "tests" / "workflow" / "config.yaml"], SCHEMA)
    assert test_cfg.grade.overrides[0].analysis_id == "pain_eot__sham"


def test_defaults_come_from_the_schema_only():
    # keys the shipped config leaves out take the schema's `default:`; no dataclass has one
    cfg = load_config([SHIPPED], SCHEMA)
    assert cfg.intervention == "acupuncture" and cfg.intervention_label == "Acupuncture"
    assert cfg.outcome_noun("odi") == "disability"
    assert cfg.outcome_noun("length_of_stay") == "length of stay"
    assert cfg.outcome("pain_eot").timepoint_weeks.include_untimed is False
    for cls in (ReviewConfig, ModelConfig, SimulationConfig):  # optional sections: None
        assert all(f.default in (dataclasses.MISSING, None) for f in dataclasses.fields(cls))
    raw, _ = read_config_file(SHIPPED)
    for key in ("intervention", "intervention_label", "outcome_nouns", "results_dir"):
        del raw[key]
    bare = parse_config(raw, read_schema(SCHEMA))
    assert (bare.intervention, bare.intervention_label, bare.results_dir) == (
        "the intervention",
        "Intervention",
        "results",
    )
    assert bare.outcome_noun("odi") == "odi"
    del raw["model"]["min_k"]
    assert parse_config(raw, read_schema(SCHEMA)).model.min_k == 2  # schema default: 2
    del raw["simulation"]["seed"]  # required: no default anywhere
    assert config_problems(raw, read_schema(SCHEMA)) == [
        "config: simulation: required key missing (got no 'seed', expected it; see the "
        "comments in config/config.yaml)"
    ]


def test_config_round_trips_through_its_json_form():
    cfg = load_config([SHIPPED], SCHEMA)
    assert from_data(ReviewConfig, to_data(cfg)) == cfg
    assert from_data(SimulationConfig, to_data(cfg.simulation)) == cfg.simulation


@pytest.mark.parametrize("case", BAD, ids=lambda p: p.stem)
def test_bad_config_is_refused_with_a_located_problem(case: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a config that could run code would write here
    expected = case.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    problems = _problems(SHIPPED, case)
    assert any(expected in p for p in problems), problems
    for p in problems:
        assert p.startswith(str(case)) or p.startswith(str(SHIPPED)), p
        assert "(got " in p and "expected " in p, p
        assert "\n" not in p
    assert not (tmp_path / "PWNED_BY_CONFIG").exists()


def test_every_problem_at_once_and_located_in_its_overlay():
    problems = _problems(SHIPPED, ROOT / "tests" / "data" / "bad_config" / "two_problems.yaml")
    assert len(problems) == 2
    assert all(p.startswith(str(BAD[0].parent / "two_problems.yaml")) for p in problems)
    assert any("model.method: not an allowed value (got 'RMEL'" in p for p in problems)


def test_aliases_are_refused_before_expansion():
    # the event scan finds the alias without building the 10^9-node document
    data, problems = read_config_file(
        ROOT / "tests" / "data" / "bad_config" / "billion_laughs.yaml"
    )
    assert data == {} and len(problems) > 50


def test_not_a_file_and_too_large(tmp_path):
    assert "not a regular file" in read_config_file(tmp_path)[1][0]
    big = tmp_path / "big.yaml"
    big.write_text("title: " + "x" * 1_000_001, encoding="utf-8")
    assert "file too large" in read_config_file(big)[1][0]


def test_key_findings_state_each_mcid_in_its_unit():
    # pain and disability on 0-100 points; the binary responders outcome as a risk
    # difference per 1000 (its MCID in config/config.yaml: 100 more responders per 1000)
    from trialmeta.report.labels import LabelMap
    from trialmeta.report.report_parts import pico_lines

    outcomes = dict(pico_lines(load_config([SHIPPED], SCHEMA), LabelMap()))["Outcomes"]
    assert "pain 15 points" in outcomes and "responders 100 per 1000" in outcomes
