"""The forest plot of a binary outcome (RevMan 5 layout for dichotomous data): Events and
Total per arm, ratios printed and drawn on a log axis. Synthetic counts (not real data)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trialmeta import plots
from trialmeta.plots.forest import describe_axis
from trialmeta.plots.forest_binary import BINARY_ARM_FIELDS, ratio_limit
from trialmeta.plots.forest_cells import cells, forest_lines
from trialmeta.stats.pooling import pool

# synthetic 2x2 tables: events/total per arm
AI, N1, CI, N2 = [12, 5, 30], [50, 40, 100], [20, 9, 41], [50, 41, 98]


def _data():
    a, n1, c, n2 = (np.array(x, float) for x in (AI, N1, CI, N2))
    yi = np.log((a / n1) / (c / n2))
    vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    fit = pool(yi, vi, method="REML", test="knha")
    return plots.forest_data(
        ["A 2001", "B 2002", "C 2003"],
        yi,
        vi,
        overall=fit,
        measure="RR",
        intervention="P6 stimulation",
        control="Sham",
        arms={"events1": AI, "n1": N1, "events2": CI, "n2": N2},
        model_note="Mantel-Haenszel (fixed) Risk Ratio 0.70 [0.52, 0.93].",
    )


def test_binary_forest_has_events_and_totals_and_ratios():
    d = _data()
    assert d.arm_fields == BINARY_ARM_FIELDS and d.log_scale
    assert d.measure_label == "Risk Ratio"
    lines = forest_lines(d)
    first = cells(d, next(ln for ln in lines if ln.kind == "study"))
    assert (first["events1"], first["n1"], first["events2"], first["n2"]) == (
        "12",
        "50",
        "20",
        "50",
    )
    rr, lo, hi = (
        0.6,
        math.exp(math.log(0.6) - 1.959964 * math.sqrt(1 / 12 - 1 / 50 + 1 / 20 - 1 / 50)),
        math.exp(math.log(0.6) + 1.959964 * math.sqrt(1 / 12 - 1 / 50 + 1 / 20 - 1 / 50)),
    )
    assert first["effect"] == f"{rr:.2f} [{lo:.2f}, {hi:.2f}]"
    total = cells(d, next(ln for ln in lines if ln.kind == "total"))
    assert (total["events1"], total["n1"], total["events2"], total["n2"]) == (
        "47",
        "190",
        "70",
        "189",
    )
    assert d.favours_left == "Favours P6 stimulation"


def test_log_axis_ends_at_round_ratios():
    d = _data()
    assert describe_axis(d).endswith("(log scale)")
    assert math.exp(ratio_limit(math.log(3.2))) == pytest.approx(5.0)


def test_binary_forest_draws_with_its_note():
    fig = plots.forest_plot(_data())
    texts = [t.get_text() for t in fig.findobj(match=lambda o: hasattr(o, "get_text"))]
    assert "Events" in texts and "Total" in texts
    assert any("Mantel-Haenszel (fixed) Risk Ratio" in t for t in texts)
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
    assert "1" in ticks
