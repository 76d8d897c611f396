"""trialmeta.report.outcome_labels: one outcome's figure labels from the whole sheets.

Study labels keep the letters the whole review gives two trials of one author and year, even
when only one of them enters the outcome (SYNTHETIC sheet rows).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialmeta.data.validate import read_vocabulary
from trialmeta.errors import IntermediateError
from trialmeta.io.jsonio import dumps
from trialmeta.report.labels import label_map
from trialmeta.report.outcome_labels import figure_labels, read_figure_labels

ROOT = Path(__file__).parents[2]

STUDIES = [
    {"study_id": "SynA", "authors": "Synthetic A", "year": "2010"},
    {"study_id": "SynB", "authors": "Synthetic A", "year": "2010"},
    {"study_id": "SynC", "authors": "Other B", "year": "2012"},
]
ARMS = [
    {"study_id": s, "arm_id": a, "arm_type": t, "intervention": f"synthetic {t}"}
    for s in ("SynA", "SynB", "SynC")
    for a, t in (("ACU", "acupuncture"), ("CTL", "sham"))
]
ROB = [{"study_id": "SynC", "tool": "RoB1", "domain": "random_sequence", "judgement": "low"}]


def test_the_slice_keeps_the_whole_reviews_labels_of_the_outcomes_trials():
    vocab = read_vocabulary(ROOT / "tests" / "workflow" / "synthetic_data")
    whole = label_map({}, STUDIES, ARMS, vocab)
    data = json.loads(dumps(figure_labels(whole, ROB, {"SynB"})))
    assert set(data["studies"]) == {"SynB"} and data["risk_of_bias"] == ROB
    config = {"outcomes": [{"id": "pain_eot", "label": "Pain"}], "comparisons": []}
    labels, rob = read_figure_labels(data, config, vocab, "outcome_labels/pain_eot.json")
    assert labels.study("SynB") == whole.study("SynB") != label_map({}, STUDIES[1:2]).study("SynB")
    assert labels.arm("SynB", "CTL") == whole.arm("SynB", "CTL")
    assert labels.outcome("pain_eot") == "Pain" and rob == ROB


def test_a_file_that_is_not_figure_labels_is_a_located_error():
    vocab = read_vocabulary(ROOT / "tests" / "workflow" / "synthetic_data")
    with pytest.raises(IntermediateError, match="outcome_labels/x.json: not the figure labels"):
        read_figure_labels({"studies": {}}, {}, vocab, "outcome_labels/x.json")
