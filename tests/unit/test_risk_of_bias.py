"""trialmeta.data.risk_of_bias: tool vocabulary, mapping onto the RoB 2 domains, per-result risk.

Sources: RoB 2 (Sterne et al., BMJ 2019;366:l4898; overall = worst domain), RoB 1 (Higgins
et al., BMJ 2011;343:d5928), PEDro items (Cochrane Handbook v6.5, 8.2.3, discourages scores).
Sheets are SYNTHETIC unless a test names the shipped data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialmeta.data.risk_of_bias import (
    TOOL_DOMAINS,
    domain_judgements,
    result_risk_of_bias,
    rob_lookup,
    worst,
)
from trialmeta.data.validate import read_sheets
from trialmeta.review import outcome

DATA = Path(__file__).parents[2] / "data"


def _sheet(rows):
    return pd.DataFrame(rows, columns=["study_id", "tool", "domain", "judgement"])


def test_outcome_module_re_exports_the_moved_lookup():
    assert outcome.rob_lookup is rob_lookup


def test_worst_domain_rule():
    assert worst(["low", "low"]) == "low"
    assert worst(["low", "unclear"]) == "some_concerns"
    assert worst(["some_concerns", "high", "low"]) == "high"


def test_pedro_unblinded_trial_is_never_low_for_self_reported_pain():
    # Zaringhalam 2010 PEDro (shared/data/pedro.csv): items 5-7 (blinding) all "no"
    items = {
        "random_allocation": "yes",
        "concealed_allocation": "yes",
        "baseline_comparability": "yes",
        "blind_subjects": "no",
        "blind_therapists": "no",
        "blind_assessors": "no",
        "adequate_followup": "yes",
        "intention_to_treat": "no",
        "between_group_comparisons": "yes",
        "point_estimates_variability": "yes",
    }
    sheet = _sheet([("SynZ", "PEDro", k, v) for k, v in items.items()])
    d = domain_judgements(sheet)["SynZ"]
    assert d.domains["D1"] == "low" and d.domains["D4"] == "high"
    assert d.participants_blinded is False
    overall, doms, why = result_risk_of_bias(d, self_reported=True, participants_aware=False)
    assert overall == "high" and doms["D4"] == "high" and "not blinded" in why
    # the old PEDro >= 6 summary called the same trial "low": the mapping no longer does
    assert rob_lookup(sheet, 6)["SynZ"] == "low"


def test_rob1_provider_blinding_is_some_concerns_not_high():
    # Brinkhaus 2006 RoB 1 (Cochrane CD003974): provider high, assessor unclear
    sheet = _sheet(
        [
            ("SynB", "RoB1", "sequence_generation", "low"),
            ("SynB", "RoB1", "allocation_concealment", "low"),
            ("SynB", "RoB1", "blinding_treatment_provider", "high"),
            ("SynB", "RoB1", "blinding_outcome_assessor", "unclear"),
            ("SynB", "RoB1", "incomplete_outcome_data", "low"),
            ("SynB", "RoB1", "selective_reporting", "low"),
        ]
    )
    d = domain_judgements(sheet)["SynB"]
    assert d.domains == {
        "D1": "low",
        "D2": "some_concerns",
        "D3": "low",
        "D4": "some_concerns",
        "D5": "low",
    }
    # vs sham the patients are blinded; vs a waiting list they are not
    assert (
        result_risk_of_bias(d, self_reported=True, participants_aware=False)[0] == "some_concerns"
    )
    assert result_risk_of_bias(d, self_reported=True, participants_aware=True)[0] == "high"


def test_unassessed_and_missing_domains_count_as_unclear():
    assert (
        result_risk_of_bias(None, self_reported=True, participants_aware=False)[0] == "not_assessed"
    )
    d = domain_judgements(_sheet([("S", "RoB2", "D1", "low"), ("S", "RoB2", "D4", "low")]))["S"]
    overall, _, why = result_risk_of_bias(d, self_reported=False, participants_aware=False)
    assert overall == "some_concerns" and "D2, D3, D5 not assessed" in why


def test_shipped_nma_trials_have_secondary_rob1():
    # AUDIT.md 1.3 M5: e.g. Zeng 2005 sequence Unclear, concealment Unclear, patients High
    rob = read_sheets(DATA)["risk_of_bias"]
    zeng = rob[rob.study_id == "Zeng2005"]
    assert set(zeng.verification) == {"secondary_extraction"}
    got = dict(zip(zeng.domain, zeng.judgement, strict=True))
    assert got["sequence_generation"] == "unclear" and got["allocation_concealment"] == "unclear"
    assert got["blinding_participants_personnel"] == "high"
    assert set(rob.domain[rob.tool == "RoB1"]) <= set(TOOL_DOMAINS["RoB1"])
    for sid in ("Zeng2005", "Zhao2012", "Li2005", "Jang2015", "Jiang2013", "Li2016", "Wang2005"):
        assert (rob.study_id == sid).sum() == 7, sid
