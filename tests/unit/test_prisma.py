"""PRISMA 2020 trial-level flow (Page et al. BMJ 2021;372:n71, Figure 1; report review R4).

Flow rows are synthetic (``Synthetic`` trials), except the last test, which reads the
shipped sheets through a synthetic accounting table.
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from trialmeta.errors import InputError
from trialmeta.plots import save_figure
from trialmeta.plots.prisma import (
    TrialFlow,
    participants,
    prisma_data,
    prisma_from_accounting,
    prisma_plot,
    write_prisma_csv,
)

ROOT = Path(__file__).resolve().parents[2]


def synthetic_flow(k: int = 6) -> list[TrialFlow]:
    reasons = ("synthetic outcome not analysed", "n not reported")
    return [TrialFlow(f"Syn{i}", f"Synthetic {2000 + i}", None if i == 0 else 10 * (i + 1),
                      i % 2 == 0, "" if i % 2 == 0 else reasons[i % 4 == 1])
            for i in range(k)]  # fmt: skip


def test_counts_and_participants_per_box() -> None:
    data = prisma_data(synthetic_flow())
    assert len(data.included()) == 3 and len(data.not_pooled()) == 3
    assert participants(data.included()) == (
        "at least 80 participants randomised (not reported for 1 trial)"
    )
    assert participants(data.not_pooled()) == "120 participants randomised"
    assert list(data.reasons()) == ["n not reported", "synthetic outcome not analysed"]


def test_every_trial_not_pooled_needs_a_reason_and_ids_are_unique() -> None:
    with pytest.raises(InputError, match="reason"):
        prisma_data([TrialFlow("SynA", "Synthetic A", 10, False, "")])
    with pytest.raises(InputError, match="unique"):
        prisma_data([TrialFlow("SynA", "A", 1, True), TrialFlow("SynA", "B", 1, True)])


def test_figure_shows_boxes_counts_and_every_trial_not_pooled(tmp_path: Path) -> None:
    data = prisma_data(synthetic_flow(), how_found="Synthetic: no systematic search.")
    fig = prisma_plot(data)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "Trials in the extraction sheets (n = 6)" in texts
    assert "Trials in at least one meta-analysis (n = 3)" in texts
    assert "Trials in no meta-analysis (n = 3)" in texts
    for t in data.not_pooled():
        assert t.label in texts
    assert "Synthetic: no systematic search." in texts
    assert sum(p.get_gid() == "prisma-box" for p in fig.axes[0].patches) == 3
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in fig.axes[0].patches
             if p.get_gid() == "prisma-box"]  # fmt: skip
    for t in fig.axes[0].texts[1:]:  # every line sits inside a box, a phase bar or the note
        tb = t.get_window_extent(renderer)
        inside = any(b.x0 <= tb.x0 and tb.x1 <= b.x1 + 1 for b in boxes)
        assert inside or t.get_rotation() == 90 or t.get_text().startswith("Participants:")
    paths = save_figure(fig, tmp_path / "prisma", ("png", "svg"))
    assert all(p.stat().st_size > 1000 for p in paths)
    rows = write_prisma_csv(data, tmp_path / "prisma.csv").read_text().splitlines()
    assert rows[0] == "study_id,trial,n_randomised,in_analysis,reason" and len(rows) == 7
    plt.close(fig)


def test_shipped_sheets_through_an_accounting_table() -> None:
    with open(ROOT / "data" / "studies.csv", encoding="utf-8") as f:
        studies = list(csv.DictReader(f))
    accounting = [  # synthetic accounting rows for two shipped trial ids
        {
            "study_id": "Cherkin2009",
            "status": "excluded",
            "outcome": "rmdq",
            "reason_code": "outcome not analysed",
        },
        {"study_id": "Bishop2016", "status": "poolable"},
        {"study_id": "Bishop2016", "status": "excluded", "reason_code": "another timepoint used"},
    ]
    data = prisma_from_accounting(studies, accounting, {"Cherkin2009": "Cherkin 2009"},
                                  {"rmdq": "Disability (RMDQ)"})  # fmt: skip
    flow = {t.study_id: t for t in data.trials}
    assert len(data.trials) == len(studies)
    assert flow["Bishop2016"].in_analysis and flow["Bishop2016"].n_randomised == 125
    assert flow["Cherkin2009"].reason == "Disability (RMDQ): outcome not analysed"
    assert flow["Cherkin2009"].label == "Cherkin 2009"
    assert flow["Kong2020"].reason == "no extractable comparison in the arms sheet"
