"""Forest plot conventions of RevMan 5 / new RevMan (report review, section 2.1, F1-F12).

All data here are synthetic (seeded NumPy draws), named ``Synthetic``. Geometry is
checked with matplotlib's text bounding boxes after drawing.
"""

from __future__ import annotations

import math
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Circle

import trialmeta
from trialmeta import plots
from trialmeta.plots.forest_footer import footer_text, footnote_symbols
from trialmeta.plots.forest_layout import MAX_WIDTH_IN, MIN_TEXT_PT
from trialmeta.plots.rob_domains import ROB1, ROB2

KS = (2, 10, 60)
CONTROL = "Usual care or no treatment"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def synthetic_review(k: int, *, overall: bool = True, rob=ROB1, **kw) -> plots.ForestData:
    rng = np.random.default_rng(100 + k)
    n1, n2 = rng.integers(15, 80, k), rng.integers(15, 80, k)
    sd1, sd2 = rng.uniform(12, 25, k), rng.uniform(12, 25, k)
    m2 = rng.uniform(40, 60, k)
    m1 = m2 + rng.normal(-8, 8, k)
    yi, vi = m1 - m2, sd1**2 / n1 + sd2**2 / n2
    groups = ["Sham acupuncture" if i % 3 else CONTROL for i in range(k)]
    groups[-1] = "Waiting list"  # always a one-study subgroup
    fits = {g: trialmeta.pool(yi[idx], vi[idx], method="REML", test="knha")
            for g in dict.fromkeys(groups)
            if len(idx := [i for i, x in enumerate(groups) if x == g]) > 1}  # fmt: skip
    judgements = ("low", "unclear", "high", None, "some_concerns")
    return plots.forest_data(
        [f"Synthetic{i + 1} {2000 + i} (acupuncture plus $5 usual care vs usual care)"
         for i in range(k)], yi, vi,
        overall=trialmeta.pool(yi, vi, method="REML", test="knha") if overall else None,
        subgroups=groups, subgroup_results=fits, intervention="Acupuncture", control=CONTROL,
        arms={"m1": m1, "sd1": sd1, "n1": n1, "m2": m2, "sd2": sd2, "n2": n2},
        derived={"sd1": [i % 4 == 1 for i in range(k)]},
        n_split={"n2": [i % 5 == 2 for i in range(k)]},
        measures=["change" if i % 3 == 1 else "final" for i in range(k)],
        notes=[("sd_flag",) if i == 0 else () for i in range(k)],
        footnotes={"sd_flag": "SD implausibly small (synthetic flag)."},
        rob=[tuple(judgements[(i + j) % 5] for j in range(len(rob))) for i in range(k)],
        rob_labels=rob, mcid=(-15.0, 15.0), scale_span=100.0, **kw,
    )  # fmt: skip


def _drawn(data: plots.ForestData):
    fig = plots.forest_plot(data)
    fig.canvas.draw()
    return fig, fig.canvas.get_renderer()


def _texts(fig):
    return [t for ax in fig.axes for t in ax.texts if t.get_text().strip()]


@pytest.mark.parametrize("k", KS)
def test_column_group_headers_never_collide(k: int) -> None:
    # review F6: "Acupuncture" and "Usual care or no treatment" ran together
    fig, renderer = _drawn(synthetic_review(k))
    heads = [t for t in _texts(fig) if t.get_gid() == "group-head"]
    assert {t.get_text() for t in heads} >= {"Acupuncture", CONTROL, "Risk of Bias"}
    boxes = [t.get_window_extent(renderer) for t in heads]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0
    rules = [ln for ln in fig.axes[0].lines if len(ln.get_xdata()) == 2
             and ln.get_ydata()[0] == ln.get_ydata()[1] and ln.get_linewidth() == 0.5]  # fmt: skip
    for head in (t for t in heads if t.get_text() in ("Acupuncture", CONTROL)):
        box = head.get_window_extent(renderer).transformed(fig.axes[0].transData.inverted())
        rule = min(rules, key=lambda ln: abs(np.mean(ln.get_xdata()) - box.x0 - box.width / 2))
        x0, x1 = sorted(rule.get_xdata())
        assert x0 <= min(box.x0, box.x1) and max(box.x0, box.x1) <= x1  # the head sits on its rule


@pytest.mark.parametrize(("domains", "codes"), [(ROB1, "ABCDEFG"), (ROB2, None)])
def test_risk_of_bias_one_column_per_domain_and_marks_hold_their_glyph(domains, codes) -> None:
    # review F1: one "Overall" column, and "NA" overflowing its circle
    k = 10
    fig, renderer = _drawn(synthetic_review(k, rob=domains))
    texts = [t.get_text() for t in _texts(fig)]
    want = list(codes) if codes else ["D1", "D2", "D3", "D4", "D5", "Overall"]
    assert all(c in texts for c in want)
    assert "NA" not in texts
    dots = [p for p in fig.axes[0].patches if isinstance(p, Circle)]
    assert len(dots) == k * len(domains)
    assert Counter(p.get_gid() for p in dots)["rob-not_assessed"] > 0
    glyphs = [t for t in fig.axes[0].texts if t.get_text() in ("+", "?", "\u2212")]
    centres = np.array([d.center for d in dots])
    for g in glyphs:  # every glyph lies inside the dot it labels
        gb = g.get_window_extent(renderer)
        dot = dots[int(np.argmin(np.hypot(*(centres - g.get_position()).T)))]
        db = dot.get_window_extent(renderer)
        assert db.x0 <= gb.x0 and gb.x1 <= db.x1, g.get_text()
    footer = " ".join(texts)
    assert "Risk of bias" in footer and "not assessed" in footer


def test_single_study_subgroup_shows_that_study() -> None:
    # review F2: "Not estimable" for a one-study subgroup whose own CI is known
    data = synthetic_review(10)
    group = data.groups[-1]
    assert len(group.studies) == 1
    s = data.studies[group.studies[0]]
    assert group.subtotal == (s.yi, s.ci_lb, s.ci_ub)
    z = abs(s.yi / s.se)  # RevMan: Z = yi / sqrt(vi) for one study
    assert group.subtotal_lines[0] == "Heterogeneity: Not applicable"
    assert f"Z = {z:.2f}" in group.subtotal_lines[1]
    fig, _ = _drawn(data)
    texts = [t.get_text() for t in _texts(fig)]
    assert "Not estimable" not in texts
    diamonds = [p for ax in fig.axes for p in ax.patches if p.get_gid() == "diamond"]
    assert len(diamonds) == len(data.groups) + 1


@pytest.mark.parametrize("k", KS)
def test_each_footnote_letter_has_one_meaning(k: int) -> None:
    # review F9: "†" meant both "derived" and "n split"
    data = synthetic_review(k)
    symbols = footnote_symbols(data)
    assert len(set(symbols.values())) == len(symbols)
    notes = footer_text(data, symbols).notes
    lettered = [sym for sym, _ in notes if sym]
    assert sorted(lettered) == sorted(symbols.values())
    texts = dict(notes)
    assert "Change from baseline" in texts[symbols["change"]]
    assert texts[symbols["sd_flag"]] == "SD implausibly small (synthetic flag)."
    if k > 2:  # both marks occur from k = 3 on
        assert texts[symbols["derived"]] != texts[symbols["n_split"]]


def test_change_score_rows_carry_their_mark() -> None:
    # review F4: change and final values shared one Mean column unmarked
    data = synthetic_review(10)
    letter = footnote_symbols(data)["change"]
    fig, renderer = _drawn(data)
    labels = [t for t in fig.axes[0].texts if t.get_gid() == "study-label"]
    sups = [t for t in fig.axes[0].texts if letter in t.get_text().split(",")]
    n_change = sum(s.measure == "change" for s in data.studies)
    assert len([t for t in sups if t.get_fontsize() == MIN_TEXT_PT]) >= n_change
    assert labels


def test_dollar_in_labels_is_plain_text(tmp_path) -> None:
    data = synthetic_review(2)
    paths = plots.save_figure(plots.forest_plot(data), tmp_path / "dollar")
    assert all(p.stat().st_size > 1000 for p in paths)
    fig, _ = _drawn(data)
    assert any("$5" in t.get_text() for t in _texts(fig))


def test_axis_is_symmetric_configurable_and_clips_with_arrows() -> None:
    # review F7: -200..200 on a 0-100 scale
    data = synthetic_review(10)
    fig, _ = _drawn(data)
    graph = fig.axes[1]
    lo, hi = graph.get_xlim()
    assert lo == -hi and hi <= 100
    narrow = synthetic_review(10, axis_limit=5.0)
    fig, _ = _drawn(narrow)
    assert fig.axes[1].get_xlim() == (-5.0, 5.0)
    assert any(ln.get_gid() == "ci-arrow" for ln in fig.axes[1].lines)
    assert plots.forest.describe_axis(narrow) == "\u22125 to 5"


def test_mcid_lines_are_explained_in_the_footer() -> None:
    # review F10
    fig, _ = _drawn(synthetic_review(10, mcid_note="Dashed lines: synthetic MCID of 15."))
    assert "Dashed lines: synthetic MCID of 15." in [t.get_text() for t in _texts(fig)]
    mcid = [ln for ln in fig.axes[1].lines if ln.get_gid() == "mcid"]
    assert len(mcid) == 2
    fig, _ = _drawn(synthetic_review(2))
    assert any("minimal clinically important difference" in t.get_text() for t in _texts(fig))


@pytest.mark.parametrize("k", KS)
def test_text_is_at_least_7pt_and_fits_a4_landscape(k: int) -> None:
    fig, _ = _drawn(synthetic_review(k))
    sizes = [t.get_fontsize() for t in _texts(fig)]
    sizes += [lab.get_fontsize() for ax in fig.axes for lab in ax.get_xticklabels()]
    assert min(sizes) >= MIN_TEXT_PT
    assert fig.get_size_inches()[0] <= MAX_WIDTH_IN + 1e-9


def test_subtotals_only_when_no_total() -> None:
    # review F3: different comparators get subtotals, never a pooled total
    data = synthetic_review(10, overall=False)
    fig, _ = _drawn(data)
    texts = [t.get_text() for t in _texts(fig)]
    assert not any(t.startswith("Total (") for t in texts)
    assert any(t.startswith("Total: not pooled") for t in texts)


def test_pages_repeat_heads_and_end_with_the_footer() -> None:
    data = synthetic_review(60)
    landscape_in = (210 - 30) / 25.4  # A4 landscape less two 15 mm margins
    pages = plots.forest_plot_pages(data, page_height_in=landscape_in)
    assert len(pages) >= 3
    for page in pages:
        assert "Study or Subgroup" in [t.get_text() for t in page.axes[0].texts]
        assert page.get_size_inches()[1] <= landscape_in + 1e-9
        assert page.get_size_inches()[0] <= MAX_WIDTH_IN + 1e-9
    last = [t.get_text() for t in pages[-1].axes[0].texts]
    assert any(t.startswith("Heterogeneity: Tau²") for t in last)
    first = [t.get_text() for t in pages[0].axes[0].texts]
    assert "(continued on the next page)" in first

    def n_labels(fig) -> int:
        return sum(t.get_gid() == "study-label" for t in fig.axes[0].texts)

    assert sum(map(n_labels, pages)) == n_labels(plots.forest_plot(data))  # no row lost
    with pytest.raises(ValueError, match="max_rows"):
        plots.forest_plot_pages(data, max_rows=0)


def test_notes_must_have_a_sentence() -> None:
    with pytest.raises(trialmeta.InputError, match="notes"):
        plots.forest_data(["Synthetic A"], [1.0], [1.0], notes=[("unknown",)])
    with pytest.raises(trialmeta.InputError, match="measures"):
        plots.forest_data(["Synthetic A"], [1.0], [1.0], measures=["baseline"])
    with pytest.raises(trialmeta.InputError, match="axis_limit"):
        plots.forest_data(["Synthetic A"], [1.0], [1.0], axis_limit=-1.0)
    assert math.isfinite(plots.forest_data(["Synthetic A"], [1.0], [1.0]).studies[0].se)


def test_two_study_hartung_knapp_interval_is_explained() -> None:
    # review F12: a k = 2 knha diamond wider than both studies, unexplained
    from trialmeta.plots.forest_footer import KNHA_K2_NOTE

    yi, vi = [-4.0, -6.2], [10.0, 2.2]
    fit = trialmeta.pool(yi, vi, method="REML", test="knha")
    data = plots.forest_data(["Synthetic A 2001", "Synthetic B 2002"], yi, vi, overall=fit)
    assert fit.ci_ub - fit.ci_lb > max(s.ci_ub - s.ci_lb for s in data.studies)
    assert ("", KNHA_K2_NOTE) in footer_text(data, footnote_symbols(data)).notes
    z_fit = trialmeta.pool(yi, vi, method="REML", test="z")
    z_data = plots.forest_data(["Synthetic A 2001", "Synthetic B 2002"], yi, vi, overall=z_fit)
    assert ("", KNHA_K2_NOTE) not in footer_text(z_data, footnote_symbols(z_data)).notes


def test_page_breaks_never_split_a_wrapped_label() -> None:
    from trialmeta.plots.forest import _chunks
    from trialmeta.plots.forest_cells import Line

    lines = [Line("study", "Synthetic", i // 2) if i % 2 == 0 else Line("cont", "rest", i // 2)
             for i in range(20)]  # fmt: skip
    for max_rows in (3, 4, 5, 7):
        chunks = _chunks(lines, max_rows, last_rows=3)
        assert sum(map(len, chunks)) == len(lines)
        assert all(c and c[0].kind != "cont" and len(c) <= max_rows for c in chunks)
        assert len(chunks[-1]) <= 3
