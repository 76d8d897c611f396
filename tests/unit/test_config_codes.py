"""The config's codes must be the data vocabulary's (review/config_codes.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from trialmeta.data.validate import read_vocabulary
from trialmeta.review.config_codes import config_code_problems

ROOT = Path(__file__).resolve().parents[2]


def _config(path: str = "config/config.yaml") -> dict:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def test_shipped_configs_use_their_vocabularies():
    assert config_code_problems(_config(), read_vocabulary(ROOT / "data")) == []
    example = "examples/normand1999"
    assert config_code_problems(_config(f"{example}/config.yaml"),
                                read_vocabulary(ROOT / example / "data")) == []  # fmt: skip


def test_every_unknown_code_is_located():
    cfg = _config()
    cfg["target_population"] = "SJI"
    cfg["outcomes"][1]["outcome"] = ["pain", "pian"]
    cfg["comparisons"][0]["control_types"] = ["sham", "waitinglist"]
    assert config_code_problems(cfg, read_vocabulary(ROOT / "data"), "config.yaml") == [
        "config.yaml:target_population: not one of the vocabulary.yaml populations (got 'SJI', "
        "expected one of SIJ, PGP, CLBP, other; did you mean 'SIJ'?)",
        "config.yaml:outcomes[1].outcome: not one of the vocabulary.yaml outcomes (got 'pian', "
        "expected one of pain, odi, rmdq, responders, adverse_events; did you mean 'pain'?)",
        "config.yaml:comparisons[0].control_types: not one of the vocabulary.yaml control_types "
        "(got 'waitinglist', expected one of sham, usual_care, no_treatment, waitlist, active; "
        "did you mean 'waitlist'?)",
    ]


def test_the_first_review_codes_are_unknown_to_another_review():
    # the acupuncture config against the Normand 1999 vocabulary: nothing matches
    problems = config_code_problems(_config(), read_vocabulary(ROOT / "examples/normand1999/data"))
    assert problems[0].startswith(
        "config:target_population: not one of the vocabulary.yaml populations"
    )
    assert all("expected one of" in p for p in problems) and len(problems) > 5


def test_outcome_measure_must_fit_the_vocabulary_type():
    # a binary outcome (vocabulary type binary) pools as RR, OR or RD; a continuous one
    # as MD or SMD (issue 11)
    cfg = _config()
    cfg["outcomes"][0]["outcome"] = "responders"
    cfg["outcomes"][1]["measure"] = "RR"
    problems = config_code_problems(cfg, read_vocabulary(ROOT / "data"), "config.yaml")
    assert problems == [
        "config.yaml:outcomes[0].outcome: measure does not fit the outcome (got MD for the "
        "binary outcome responders, expected RR, OR or RD: set outcomes[].measure)",
        "config.yaml:outcomes[1].measure: measure does not fit the outcome (got RR for the "
        "continuous outcome pain, expected MD or SMD: set outcomes[].measure)",
    ]
