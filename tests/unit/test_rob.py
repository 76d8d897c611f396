"""Risk-of-bias figures by domain (report review 2.7, B1-B5), robvis style.

Sheet rows here are synthetic (ids ``SynRoB1``, ``SynPEDro``, ``SynRoB2``); the
domain mapping follows the provisional table in ``trialmeta.plots.rob_domains``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.patches import Circle

from trialmeta import plots
from trialmeta.plots.rob_domains import domain_judgements, pick_scheme
from trialmeta.plots.rob_figures import draw_rob_figures, trial_participants

ROB1_ROWS = [
    ("sequence_generation", "low"), ("allocation_concealment", "low"),
    ("blinding_participants", "low"), ("blinding_treatment_provider", "high"),
    ("blinding_outcome_assessor", "unclear"), ("incomplete_outcome_data", "low"),
    ("selective_reporting", "low"), ("other_bias", "unclear"), ("trial_size", "low"),
]  # fmt: skip
PEDRO_ROWS = [
    ("eligibility_criteria", "yes"), ("random_allocation", "yes"),
    ("concealed_allocation", "no"), ("baseline_comparability", "yes"),
    ("blind_subjects", "no"), ("blind_therapists", "no"), ("blind_assessors", "yes"),
    ("adequate_followup", "yes"), ("intention_to_treat", "no"),
    ("between_group_comparisons", "yes"), ("point_estimates_variability", "yes"),
]  # fmt: skip


def _rows(study: str, tool: str, pairs) -> list[dict[str, str]]:
    return [{"study_id": study, "tool": tool, "domain": d, "judgement": j} for d, j in pairs]


SHEET = _rows("SynRoB1", "RoB1", ROB1_ROWS) + _rows("SynPEDro", "PEDro", PEDRO_ROWS)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_rob1_sheet_domains_map_to_revman_letters() -> None:
    cells = domain_judgements(SHEET, "rob1")
    # A B C D E F G; C is the worse of participants and providers; G of other bias and size
    assert cells["SynRoB1"].cells == ("low", "low", "high", "unclear", "low", "low", "unclear")
    assert not cells["SynRoB1"].mapped


def test_pedro_items_are_shown_on_rob2_domains_never_as_a_total() -> None:
    # review B1: a PEDro total >= 6 was drawn as "low risk" for an unblinded trial
    cells = domain_judgements(SHEET, "rob2")["SynPEDro"]
    assert cells.mapped and cells.tool == "pedro"
    # D1-D3 some concerns (an item "no"); D4 high: unblinded participants rate their own pain
    assert cells.cells == ("some_concerns", "some_concerns", "some_concerns", "high",
                           "not_assessed", "high")  # fmt: skip
    observer = domain_judgements(SHEET, "rob2", self_reported=False)["SynPEDro"].cells
    assert observer[3:] == ("low", "not_assessed", "some_concerns")


def test_scheme_is_rob1_letters_only_when_every_assessment_is_rob1() -> None:
    assert pick_scheme(["RoB1", "RoB1"]) == "rob1"
    assert pick_scheme(["RoB1", "PEDro"]) == "rob2"
    assert pick_scheme(["RoB1", "RoB2"]) == "rob2"
    rows = SHEET + _rows("SynRoB2", "RoB2", [("D1", "low"), ("overall", "some_concerns")])
    data, title = plots.rob_domain_data(rows, ["SynRoB2", "SynRoB1", "SynNone"])
    assert data.domains == ("D1", "D2", "D3", "D4", "D5", "Overall")
    assert data.judgements[0] == ("low", *("not_assessed",) * 4, "some_concerns")
    # RoB 1 on RoB 2 domains: an unblinded provider is awareness (some concerns), not high
    assert data.judgements[1] == ("low", "some_concerns", "low", "some_concerns", "low",
                                  "some_concerns")  # fmt: skip
    assert data.judgements[2] == ("not_assessed",) * 6
    assert "RoB 2 domains" in title and "RoB 1 shown on these domains" in title
    letters, title = plots.rob_domain_data(_rows("SynRoB1", "RoB1", ROB1_ROWS), ["SynRoB1"])
    assert letters.domains == tuple("ABCDEFG") and "RoB 1 domains" in title


def _glyphs_inside_dots(fig) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    dots = [p for p in ax.patches if isinstance(p, Circle)]
    for t in ax.texts:
        if t.get_text() not in ("+", "?", "×", "−"):
            continue
        gb = t.get_window_extent(renderer)
        dot = min(dots, key=lambda d: (d.center[0] - t.get_position()[0]) ** 2
                  + (d.center[1] - t.get_position()[1]) ** 2)  # fmt: skip
        db = dot.get_window_extent(renderer)
        assert db.x0 <= gb.x0 and gb.x1 <= db.x1 and db.y0 <= gb.y0 and gb.y1 <= db.y1


@pytest.mark.parametrize("rows", [SHEET, _rows("SynRoB1", "RoB1", ROB1_ROWS)])
def test_traffic_light_uses_short_heads_a_key_and_no_na_text(rows) -> None:
    # review B2 (truncated raw heads) and F1/B ("NA" overflowing its mark)
    data, title = plots.rob_domain_data(rows, ["SynRoB1", "SynPEDro", "SynNone"],
                                        labels={"SynRoB1": "Synthetic 2001"})  # fmt: skip
    fig = plots.traffic_light_plot(data, title)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert all(code in texts for code in data.domains)
    key = (
        "A: Random sequence generation (selection bias)"
        if data.domains[0] == "A"
        else "D1: Bias arising from the randomisation process"
    )
    assert key in texts
    assert "Synthetic 2001" in texts and "NA" not in texts
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 7.0
    _glyphs_inside_dots(fig)


def test_summary_is_weighted_by_participants() -> None:
    # review B4: the summary bars were unweighted although called weighted
    data, _ = plots.rob_domain_data(SHEET, ["SynRoB1", "SynPEDro"],
                                    weights={"SynRoB1": 300.0, "SynPEDro": 100.0})  # fmt: skip
    props = plots.rob_proportions(data)
    assert props["D1"] == {"low": 75.0, "some_concerns": 25.0}
    assert props["Overall"] == {"some_concerns": 75.0, "high": 25.0}
    fig = plots.rob_summary_plot(data, "Synthetic, weighted by participants")
    assert "Synthetic, weighted by participants" in [t.get_text() for t in fig.axes[0].texts]


def test_trial_participants_is_the_largest_comparison() -> None:
    eff = pd.DataFrame({"study_id": ["SynA", "SynA", "SynB"], "n1": ["10", "30", "5"],
                        "n2": ["10", "20", ""]})  # fmt: skip
    assert trial_participants(eff) == {"SynA": 50.0, "SynB": 0.0}


def test_workflow_figures_cover_exactly_the_analysed_trials(tmp_path: Path) -> None:
    # review B5: trials in no analysis were drawn, analysed ones left out
    rob = tmp_path / "risk_of_bias.csv"
    pd.DataFrame(SHEET + _rows("SynUnused", "PEDro", PEDRO_ROWS)).assign(
        support="synthetic", source="synthetic"
    ).to_csv(rob, index=False)
    eff = tmp_path / "comparisons.csv"
    pd.DataFrame({"study_id": ["SynRoB1", "SynPEDro", "SynNone"], "n1": [10, 20, 30],
                  "n2": [10, 20, 30]}).to_csv(eff, index=False)  # fmt: skip
    pngs = draw_rob_figures(rob, eff, tmp_path / "out", labels={"SynNone": "Synthetic 2003"})
    assert {p.name for p in pngs} == {
        "traffic_light_domains.png",
        "summary_domains.png",
        "traffic_light_overall.png",
        "summary_overall.png",
    }
    table = pd.read_csv(tmp_path / "out" / "rob_domains.csv")
    assert set(table["study"]) == {"SynRoB1", "SynPEDro", "Synthetic 2003"}
    overall = pd.read_csv(tmp_path / "out" / "rob_overall.csv")
    assert "SynUnused" not in set(overall["study"])
