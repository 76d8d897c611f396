"""GOSH plot: built from a stored GOSH summary, drawn, saved byte-identically, and its CSV
(SYNTHETIC effect sizes only)."""

from __future__ import annotations

import csv

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from trialmeta import plots
from trialmeta.plots.gosh_plot import GOSH_CSV_COLUMNS, HEXBIN_FROM
from trialmeta.plots.outcome import FIGURE_KINDS
from trialmeta.review.codec import from_data, to_data
from trialmeta.review.results import GoshSummary
from trialmeta.review.robustness import gosh_check

Y = [-10.0, -12.0, -9.0, -11.5, -10.5, 8.0]  # SYNTHETIC: the last trial is far off
V = [4.0, 5.0, 3.5, 6.0, 4.5, 4.0]
LABELS = ["SyntheticA", "SyntheticB", "SyntheticC", "SyntheticD", "SyntheticE", "Synthetic<F>"]


def _stored(y=Y, v=V, labels=LABELS) -> GoshSummary:
    g = gosh_check(y, v, labels, "DL", 2_000_000, 3)
    assert isinstance(g, GoshSummary)
    return from_data(GoshSummary, to_data(g))  # as read back from the stored result


def test_gosh_data_reads_the_stored_summary():
    d = plots.gosh_data(_stored(), "pain_eot__synthetic", "Mean difference")
    assert d.k == 6 and d.n_subsets == 63 and d.exhaustive and not d.subsampled
    assert d.drivers[0] == "Synthetic<F>" and d.estimate.size == 57
    with_f = d.contains("Synthetic<F>")
    assert with_f.sum() == 2**5 - 1  # subsets of >= 2 trials that include the last trial
    assert np.all(d.membership[with_f] & np.uint64(1 << 5))


@pytest.mark.parametrize("k", [6, 11])  # points drawn one by one, then as a hexbin density
def test_gosh_plot_draws_and_saves_deterministically(tmp_path, k):
    rng = np.random.default_rng(k)
    y = Y if k == 6 else list(rng.normal(0, 1, k - 1)) + [4.0]
    v = V if k == 6 else list(rng.uniform(0.05, 0.2, k))
    labels = LABELS if k == 6 else [f"Synthetic{i}" for i in range(k)]
    d = plots.gosh_data(_stored(y, v, labels), "synthetic", "Mean difference")
    assert (d.estimate.size >= HEXBIN_FROM) == (k == 11)
    digests = []
    for run in ("a", "b"):
        fig = plots.gosh_plot(d)
        assert isinstance(fig, Figure)
        texts = " ".join(t.get_text() for t in fig.legends[0].get_texts())
        assert f"subsets with {d.drivers[0]}" in texts and f"all {k} trials (DL)" in texts
        paths = plots.save_figure(fig, tmp_path / run / "gosh__synthetic")
        plt.close(fig)
        digests.append([p.read_bytes() for p in paths])
    assert digests[0] == digests[1]


def test_write_gosh_csv_rows_and_driver_membership(tmp_path):
    d = plots.gosh_data(_stored(), "synthetic", "Mean difference")
    path = plots.write_gosh_csv(d, tmp_path / "gosh.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(GOSH_CSV_COLUMNS) and len(rows) == 57
    for r in rows:
        code = int(r["subset_code"])
        assert int(r["k_subset"]) == bin(code).count("1")
        assert ("Synthetic<F>" in r["with_drivers"]) == bool(code >> 5 & 1)
    assert "gosh" in FIGURE_KINDS


def test_colour_bar_numbers_are_plain_text(tmp_path):
    # Figures draw text as typed (no mathtext, review F12), so the colour bar must not use
    # the default log formatter: its "$\mathdefault{10^{1}}$" would print raw.
    rng = np.random.default_rng(11)
    y, v = list(rng.normal(0, 1, 10)) + [4.0], list(rng.uniform(0.05, 0.2, 11))
    d = plots.gosh_data(
        _stored(y, v, [f"Synthetic{i}" for i in range(11)]), "synthetic", "Mean difference"
    )
    assert d.estimate.size >= HEXBIN_FROM
    fig = plots.gosh_plot(d)
    plots.save_figure(fig, tmp_path / "gosh", formats=("png",))
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert not [t for t in texts if "mathdefault" in t or "$" in t]
    assert {"1", "10"} & set(texts)
