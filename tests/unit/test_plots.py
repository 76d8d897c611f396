"""Figures: every plot type draws for k = 2, 10, 60 with long names, saves PNG/SVG/PDF
byte-identically, writes its CSV, and the forest footer reads as RevMan prints it.

All data here are synthetic (seeded NumPy draws), named ``synthetic``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pytest
from matplotlib.lines import Line2D

import trialmeta
from trialmeta import plots
from trialmeta.errors import InputError
from trialmeta.plots._style import fit_text, text_width_in
from trialmeta.plots.forest_layout import STUDY_MAX_IN
from trialmeta.stats.influence import baujat
from trialmeta.stats.leave_one_out import leave_one_out
from trialmeta.stats.results import TrimFillResult
from trialmeta.stats.subgroups import subgroup_difference

KS = (2, 10, 60)
LONG = " with a deliberately long name that cannot fit in the study column at all"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def synthetic(k: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed + k)
    n1, n2 = rng.integers(15, 80, k), rng.integers(15, 80, k)
    sd1, sd2 = rng.uniform(12, 25, k), rng.uniform(12, 25, k)
    m2 = rng.uniform(40, 60, k)
    m1 = m2 + rng.normal(-8, 8, k)
    labels = [f"Synthetic {i + 1} {2000 + i}" + (LONG if i % 3 == 0 else "") for i in range(k)]
    return {
        "labels": labels,
        "yi": m1 - m2,
        "vi": sd1**2 / n1 + sd2**2 / n2,
        "arms": {"m1": m1, "sd1": sd1, "n1": n1, "m2": m2, "sd2": sd2, "n2": n2},
        "groups": [("Sham", "Usual care")[i % 2] for i in range(k)],
    }


def synthetic_forest(k: int, **kw) -> plots.ForestData:
    d = synthetic(k)
    fit = trialmeta.pool(d["yi"], d["vi"], method="REML", test="knha")
    results = {}
    for g in dict.fromkeys(d["groups"]):
        idx = [i for i, x in enumerate(d["groups"]) if x == g]
        results[g] = trialmeta.pool(d["yi"][idx], d["vi"][idx], method="REML", test="knha")
    judgements = ["low", "some_concerns", "high", None, "no_information"]
    return plots.forest_data(
        d["labels"], d["yi"], d["vi"], overall=fit, subgroups=d["groups"],
        subgroup_results=results, arms=d["arms"],
        derived={"sd1": [i % 4 == 0 for i in range(k)]},
        rob=[judgements[i % 5] for i in range(k)], mcid=(-10.0,), **kw,
    )  # fmt: skip


def _saved(fig, stem: Path) -> list[Path]:
    paths = plots.save_figure(fig, stem)
    plots_close(fig)
    return paths


def plots_close(fig) -> None:
    plt.close(fig)


def _assert_written(paths: list[Path]) -> None:
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
    for p in paths:
        assert p.stat().st_size > 1000, p
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[2].read_bytes()[:5] == b"%PDF-"


# --------------------------------------------------------------------------- forest
@pytest.mark.parametrize("k", KS)
def test_forest_draws_saves_and_writes_csv(k: int, tmp_path: Path) -> None:
    data = synthetic_forest(k)
    paths = _saved(plots.forest_plot(data), tmp_path / "forest")
    _assert_written(paths)
    csv = plots.write_forest_csv(data, tmp_path / "forest.csv").read_text().splitlines()
    n_subtotals = sum(g.result is not None for g in data.groups)
    n_pi = 1 if math.isfinite(data.overall.pi_lb) else 0
    assert len(csv) == 1 + k + n_subtotals + 1 + n_pi
    assert csv[0].startswith("row_type,subgroup,label,estimate,ci_lb,ci_ub,weight_percent")


def test_forest_height_grows_with_rows() -> None:
    heights = [plots.forest_plot(synthetic_forest(k)).get_size_inches()[1] for k in KS]
    assert heights[0] < heights[1] < heights[2]


def test_per_study_ci_is_revman_normal_interval() -> None:
    # R: yi + c(-1, 1) * qnorm(0.975) * sqrt(vi)
    data = plots.forest_data(["synthetic A", "synthetic B"], [-5.0, 2.0], [4.0, 9.0])
    assert data.studies[0].ci_lb == pytest.approx(-5.0 - 1.959963984540054 * 2.0, abs=1e-12)
    assert data.studies[1].ci_ub == pytest.approx(2.0 + 1.959963984540054 * 3.0, abs=1e-12)


@pytest.mark.parametrize("k", (10, 60))
def test_forest_text_does_not_overlap(k: int) -> None:
    fig = plots.forest_plot(synthetic_forest(k))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = np.array([
        t.get_window_extent(renderer).extents
        for ax in fig.axes for t in ax.texts if t.get_text().strip()
    ])  # fmt: skip
    x0, y0, x1, y1 = (boxes[:, i][:, None] for i in range(4))
    overlap_w = np.minimum(x1, x1.T) - np.maximum(x0, x0.T)
    overlap_h = np.minimum(y1, y1.T) - np.maximum(y0, y0.T)
    clash = (overlap_w > 1.0) & (overlap_h > 1.0)  # more than one pixel in both directions
    np.fill_diagonal(clash, False)
    assert not clash.any(), np.argwhere(clash)[:5]
    plots_close(fig)


def test_long_names_end_in_ellipsis_and_fit() -> None:
    name = "Synthetic" + LONG
    cut = fit_text(name, 1.5, 7.5)
    assert cut.endswith("…") and len(cut) < len(name)
    assert text_width_in(cut, 7.5) <= 1.5
    assert fit_text("short", 1.5, 7.5) == "short"
    fig = plots.forest_plot(synthetic_forest(10))
    texts = [t for t in fig.axes[0].texts if t.get_gid() == "study-label"]
    first = next(i for i, t in enumerate(texts) if t.get_text().startswith("Synthetic 1 2000"))
    assert texts[first + 1].get_text().endswith("…")  # wrapped onto a second row, then cut
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    column_px = STUDY_MAX_IN * fig.dpi + 1
    assert all(t.get_window_extent(renderer).width <= column_px for t in texts)
    plots_close(fig)


def _arrows(fig) -> list[Line2D]:
    return [a for ax in fig.axes for a in ax.lines if a.get_gid() == "ci-arrow"]


def test_arrow_drawn_when_ci_runs_off_axis() -> None:
    narrow = synthetic_forest(2, xlim=(-2.0, 2.0))
    wide = synthetic_forest(2)
    fig_n, fig_w = plots.forest_plot(narrow), plots.forest_plot(wide)
    assert len(_arrows(fig_n)) >= 2
    assert _arrows(fig_w) == []  # the default axis covers every interval
    plots_close(fig_n)
    plots_close(fig_w)


def test_forest_without_arm_stats_or_subgroups(tmp_path: Path) -> None:
    d = synthetic(10)
    fit = trialmeta.pool(d["yi"], d["vi"], method="FE", test="z")
    data = plots.forest_data(d["labels"], d["yi"], d["vi"], overall=fit)
    assert not data.has_arm_stats and not data.has_rob
    assert data.model_label == "IV, Fixed, 95% CI"
    _assert_written(_saved(plots.forest_plot(data), tmp_path / "plain"))


def test_forest_builder_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="vi"):
        plots.forest_data(["synthetic a", "synthetic b"], [1.0, 2.0], [1.0])
    with pytest.raises(InputError, match="arms"):
        plots.forest_data(["synthetic a"], [1.0], [1.0], arms={"mean1": [1.0]})
    with pytest.raises(InputError, match="rob_labels"):
        plots.forest_data(["synthetic a"], [1.0], [1.0], rob=[("low", "high")])


# --------------------------------------------------------------------------- RevMan text
def synthetic_fit(**changes) -> trialmeta.PooledResult:
    base = trialmeta.pool([-10.0, -2.0, -6.0, 1.0], [4.0, 5.0, 6.0, 7.0], method="REML")
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.1289, "P = 0.13"),
        (0.04, "P = 0.04"),
        (0.0101, "P = 0.01"),
        (0.00234, "P = 0.002"),
        (0.000987, "P = 0.001"),
        (0.0000321, "P = 0.00003"),
        (0.0000009, "P < 0.00001"),
        (1.0, "P = 1.00"),
        (float("nan"), "P = NA"),
    ],
)
def test_format_p_as_revman(p: float, text: str) -> None:
    assert plots.format_p(p) == text


def test_heterogeneity_line_random_and_fixed() -> None:
    fit = synthetic_fit(tau2=12.3449, q=5.6712, q_df=3, q_pval=0.1289, i2_percent=47.2)
    assert plots.heterogeneity_text(fit) == (
        "Heterogeneity: Tau² = 12.34; Chi² = 5.67, df = 3 (P = 0.13); I² = 47%"
    )
    fe = dataclasses.replace(fit, method="FE")
    assert plots.heterogeneity_text(fe) == "Heterogeneity: Chi² = 5.67, df = 3 (P = 0.13); I² = 47%"
    one = dataclasses.replace(fit, k=1, q=float("nan"))
    assert plots.heterogeneity_text(one) == "Heterogeneity: Not applicable"


def test_overall_effect_line_z_and_knha() -> None:
    z = synthetic_fit(test="z", stat=-2.1004, pval=0.0357)
    assert plots.overall_effect_text(z) == "Test for overall effect: Z = 2.10 (P = 0.04)"
    t = synthetic_fit(test="knha", stat=-2.1004, pval=0.1036, df=4.0)
    assert plots.overall_effect_text(t) == "Test for overall effect: t = 2.10, df = 4 (P = 0.10)"
    tiny = synthetic_fit(test="z", stat=6.2, pval=5.6e-10)
    assert plots.overall_effect_text(tiny) == "Test for overall effect: Z = 6.20 (P < 0.00001)"


def test_subgroup_differences_line() -> None:
    diff = subgroup_difference([-10.0, -2.0], [2.0, 2.0])
    assert plots.subgroup_test_text(diff) == (
        "Test for subgroup differences: Chi² = 8.00, df = 1 (P = 0.005), I² = 87.5%"
    )
    # one estimable subgroup: RevMan prints "Not applicable", never "Chi² = nan"
    one = subgroup_difference([-10.0], [2.0])
    assert plots.subgroup_test_text(one) == "Test for subgroup differences: Not applicable"


def test_estimate_ci_text() -> None:
    # a true minus sign (U+2212), as RevMan prints it
    assert plots.format_estimate_ci(-12.3, -20.104, -4.5) == "\u221212.30 [\u221220.10, \u22124.50]"
    assert plots.format_estimate_ci(-0.001, -1.0, 1.0) == "0.00 [\u22121.00, 1.00]"
    assert plots.format_estimate_ci(1.0, float("nan"), 2.0) == "Not estimable"


# --------------------------------------------------------------------------- funnel
@pytest.mark.parametrize("k", KS)
def test_funnel_any_k(k: int, tmp_path: Path) -> None:
    d = synthetic(k)
    fit = trialmeta.pool(d["yi"], d["vi"])
    data = plots.funnel_data(d["labels"], d["yi"], d["vi"], fit, centre=0.0 if k == 10 else None)
    _assert_written(_saved(plots.funnel_plot(data), tmp_path / "funnel"))
    rows = plots.write_funnel_csv(data, tmp_path / "funnel.csv").read_text().splitlines()
    assert len(rows) == k + 1
    assert data.z == pytest.approx((1.6448536269514722, 1.959963984540054, 2.5758293035489004))


def test_funnel_with_trimfill_and_inverted_axis() -> None:
    d = synthetic(10)
    fit = trialmeta.pool(d["yi"], d["vi"])
    tf = TrimFillResult(
        k=10, k0=2, se_k0=1.0, side="right", method="L0", estimate=-5.0, se=1.0, ci_lb=-7.0,
        ci_ub=-3.0, pval=0.001, tau2=1.0, filled_yi=np.array([3.0, 4.0]),
        filled_vi=np.array([20.0, 30.0]),
    )  # fmt: skip
    fig = plots.funnel_plot(plots.funnel_data(d["labels"], d["yi"], d["vi"], fit, trimfill=tf))
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert lo > hi == 0.0  # standard error increases downwards
    plots_close(fig)


def test_funnel_needs_two_studies() -> None:
    fit = trialmeta.pool([1.0, 2.0], [1.0, 1.0])
    with pytest.raises(InputError, match="at least 2"):
        plots.funnel_data(["synthetic"], [1.0], [1.0], fit)


# --------------------------------------------------------------------------- risk of bias
ROB2 = ("D1", "D2", "D3", "D4", "D5", "Overall")


def synthetic_rob(k: int) -> plots.RobData:
    cycle = ["low", "some concerns", "high", "no information", None]
    judgements = [[cycle[(i * j + i) % 5] for j in range(6)] for i in range(k)]
    return plots.rob_data(synthetic(k)["labels"], ROB2, judgements, weights=[1.0] * k)


@pytest.mark.parametrize("k", KS)
def test_rob_plots_any_k(k: int, tmp_path: Path) -> None:
    data = synthetic_rob(k)
    _assert_written(_saved(plots.traffic_light_plot(data), tmp_path / "traffic"))
    _assert_written(_saved(plots.rob_summary_plot(data), tmp_path / "summary"))
    rows = plots.write_rob_csv(data, tmp_path / "rob.csv").read_text().splitlines()
    assert len(rows) == 1 + 6 * k


def test_pedro_and_not_assessed(tmp_path: Path) -> None:
    data = plots.rob_data(
        ["synthetic A", "synthetic B"], ["Item 2", "Item 3"], [["yes", "no"], ["Y", None]]
    )
    assert data.judgements == (("yes", "no"), ("yes", "not_assessed"))
    _assert_written(_saved(plots.traffic_light_plot(data, title="PEDro"), tmp_path / "pedro"))


def test_rob_symbols_are_distinct_per_tool() -> None:
    rob2 = [plots.JUDGEMENTS[j][1] for j in ("low", "some_concerns", "high", "no_information")]
    assert len(set(rob2)) == 4  # colour is never the only cue
    assert plots.JUDGEMENTS["yes"][1] != plots.JUDGEMENTS["no"][1]


def test_rob_weighted_proportions() -> None:
    data = plots.rob_data(
        ["synthetic A", "synthetic B", "synthetic C"],
        ["D1"],
        [["low"], ["high"], ["high"]],
        weights=[50.0, 30.0, 20.0],
    )
    assert plots.rob_proportions(data) == {"D1": {"low": 50.0, "high": 50.0}}


def test_rob_long_table_fills_not_assessed() -> None:
    data = plots.rob_data_from_long(
        ["synthetic A", "synthetic A", "synthetic B"], ["D1", "D2", "D1"], ["low", "high", "low"]
    )
    assert data.judgements == (("low", "high"), ("low", "not_assessed"))


def test_rob_rejects_unknown_judgement() -> None:
    with pytest.raises(InputError, match="judgements"):
        plots.rob_data(["synthetic A"], ["D1"], [["probably fine"]])


# --------------------------------------------------------------------------- diagnostics
@pytest.mark.parametrize("k", KS)
def test_leave_one_out_and_baujat_any_k(k: int, tmp_path: Path) -> None:
    d = synthetic(k)
    fit = trialmeta.pool(d["yi"], d["vi"], method="REML", test="knha")
    loo = leave_one_out(d["yi"], d["vi"], method="REML", test="knha")
    _assert_written(_saved(plots.leave_one_out_plot(d["labels"], loo, fit), tmp_path / "loo"))
    bj = baujat(d["yi"], d["vi"], fit, loo)
    _assert_written(_saved(plots.baujat_plot(d["labels"], bj), tmp_path / "baujat"))
    assert (
        len(
            plots.write_leave_one_out_csv(d["labels"], loo, fit, tmp_path / "l.csv")
            .read_text()
            .splitlines()
        )
        == k + 2
    )
    assert (
        len(plots.write_baujat_csv(d["labels"], bj, tmp_path / "b.csv").read_text().splitlines())
        == k + 1
    )


# --------------------------------------------------------------------------- determinism
def _all_figures():
    d = synthetic(10)
    fit = trialmeta.pool(d["yi"], d["vi"], method="REML", test="knha")
    loo = leave_one_out(d["yi"], d["vi"], method="REML", test="knha")
    rob = synthetic_rob(10)
    return {
        "forest": plots.forest_plot(synthetic_forest(10)),
        "funnel": plots.funnel_plot(plots.funnel_data(d["labels"], d["yi"], d["vi"], fit)),
        "traffic": plots.traffic_light_plot(rob),
        "summary": plots.rob_summary_plot(rob),
        "loo": plots.leave_one_out_plot(d["labels"], loo, fit),
        "baujat": plots.baujat_plot(d["labels"], baujat(d["yi"], d["vi"], fit, loo)),
    }


def test_two_runs_give_byte_identical_files(tmp_path: Path) -> None:
    for run in ("a", "b"):
        for name, fig in _all_figures().items():
            _saved(fig, tmp_path / run / name)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(files) == 18
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_saved_files_carry_no_timestamp(tmp_path: Path) -> None:
    png, svg, pdf = _saved(plots.forest_plot(synthetic_forest(2)), tmp_path / "f")
    assert b"<dc:date>" not in svg.read_bytes()
    assert b"CreationDate" not in pdf.read_bytes()
    assert b"tEXtSoftware" not in png.read_bytes()


def test_csv_neutralises_formula_labels(tmp_path: Path) -> None:
    data = plots.forest_data(["=HYPERLINK(1)", "synthetic B"], [-1.5, 2.0], [1.0, 1.0])
    text = plots.write_forest_csv(data, tmp_path / "f.csv").read_text()
    assert "'=HYPERLINK(1)" in text
    assert ",-1.5," in text  # numbers are not touched


# ------------------------------------------------------------------ plain text (review F12)
TEX = ["Acupuncture vs sham $x^{$", "$\\alpha$ cost $5", "50$ and $"]


def test_labels_with_dollar_signs_are_drawn_as_typed(tmp_path: Path) -> None:
    # Labels come from data and config: "$x^{$" is invalid TeX and stopped the drawing
    # (matplotlib mathtext ValueError); "$\alpha$" was silently drawn as a Greek letter.
    d = synthetic(3)
    d["labels"] = [f"Synthetic {t}" for t in TEX]
    fit = trialmeta.pool(d["yi"], d["vi"])
    data = plots.forest_data(d["labels"], d["yi"], d["vi"], overall=fit)
    fig = plots.forest_plot(data)
    fig.suptitle(TEX[0])
    fig.text(0.1, 0.02, TEX[0], parse_math=True, usetex=False)  # even when asked for math
    _assert_written(_saved(fig, tmp_path / "forest_tex"))
    fig = plots.forest_plot(data)
    plots.save_figure(fig, tmp_path / "again", formats=("svg",))
    texts = [t for t in fig.findobj(matplotlib.text.Text) if "$" in t.get_text()]
    assert texts and all(not t.get_parse_math() and not t.get_usetex() for t in texts)
