"""SYNTHETIC effect rows and config for unit tests of the review layer (not trial data)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from trialmeta.review.config import ModelConfig, ReviewConfig, parse_config, read_schema

SCHEMA = Path(__file__).parents[2] / "workflow" / "schemas" / "config.schema.yaml"
MODEL = ModelConfig(method="REML", test="knha", level=0.95, min_k=2)

SYNTHETIC_CONFIG: dict = {
    "title": "Synthetic review",
    "question": "Synthetic question?",
    "data_dir": "data",
    "target_population": "SIJ",
    "measure": "MD",
    "model": {"method": "REML", "test": "knha", "level": 0.95, "min_k": 2},
    "outcomes": [{
        "id": "pain_eot", "outcome": "pain", "label": "Pain (0-100), end of treatment",
        "timepoint_weeks": {"min": 0, "max": 12, "target": 8},
        "mcid": {"value": 15, "citation": "synthetic threshold"},
        "ois_sd": {"value": 20, "citation": "synthetic SD"},
    }],
    "comparisons": [
        {"id": "sham", "label": "Acupuncture vs sham", "control_types": ["sham"]},
        {"id": "active", "label": "Acupuncture vs active", "control_types": ["active"]},
        {"id": "none", "label": "Acupuncture vs waitlist", "control_types": ["waitlist"]},
        {"id": "any", "label": "Acupuncture vs any control", "subgroups": True,
         "control_types": ["sham", "usual_care", "active", "waitlist", "no_treatment"]},
    ],
    "subgroups": ["control_type", "population"],
    "sensitivity": {"leave_one_out": True, "exclude_high_rob": True, "exclude_secondary": True,
                    "common_vs_random": True,
                    "estimator_grid": {"methods": ["DL", "REML"], "tests": ["z", "knha"]}},
    "meta_regression": {"moderators": ["n_sessions"], "min_k": 10},
    "simulation": {"coverage_n_sim": 400, "gosh_method": "DL", "gosh_max_subsets": 2_000_000,
                   "permutations": 200, "seed": 11},
    "grade": {"rob_serious_percent": 25, "rob_very_serious_percent": 50,
              "pedro_low_below": 6, "i2_serious": 50,
              "subgroup_alpha": 0.10, "indirect_serious_percent": 50,
              "sham_variants_rate_down": False, "ois_alpha": 0.05, "ois_power": 0.80,
              "pubbias_min_k": 10, "egger_alpha": 0.10, "overrides": []},
    "external_results": [],
}  # fmt: skip


def synthetic_config() -> dict:
    return copy.deepcopy(SYNTHETIC_CONFIG)


def review_config(raw: dict | None = None) -> ReviewConfig:
    """The typed config of ``raw`` (default: the synthetic config), checked by the schema."""
    return parse_config(synthetic_config() if raw is None else raw, read_schema(SCHEMA))


def synthetic_rows(k_sham: int = 5, seed: int = 7) -> pd.DataFrame:
    """k_sham sham trials, one active trial, no waitlist trial; two timepoints each."""
    rng = np.random.default_rng(seed)
    rows = []
    controls = ["sham"] * k_sham + ["active"]
    for i, ctl in enumerate(controls):
        for tp in (4, 8, 26):
            n1, n2 = 20 + 3 * i, 22 + 2 * i
            m1, m2 = 40.0 + rng.normal(0, 4), 52.0 + rng.normal(0, 4)
            sd1, sd2 = 18.0 + i, 20.0 - i / 2
            rows.append({
                "study_id": f"Synthetic{i + 1:02d}", "comparison": ctl, "control_type": ctl,
                "technique": "manual", "population": "SIJ" if i % 2 else "CLBP",
                "outcome": "pain", "timepoint_weeks": tp, "measure": "final",
                "n1": n1, "n2": n2, "m1": m1, "sd1": sd1, "m2": m2, "sd2": sd2,
                "yi": m1 - m2, "vi": sd1**2 / n1 + sd2**2 / n2,
                "derivation": "reported" if i else "sd_from_se",
                "verification": "secondary_extraction" if i == 2 else "primary_verbatim",
                "n_sessions": 6 + i, "year": 2000 + i, "notes": "synthetic",
            })  # fmt: skip
    return pd.DataFrame(rows)
