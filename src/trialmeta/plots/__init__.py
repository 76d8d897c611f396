"""Figures of a review: forest (RevMan 5 style), funnel, risk of bias, diagnostics, GOSH.

Each figure has three kinds of function, never mixed: a builder that computes
what is shown (``forest_data``, ``funnel_data``, ``rob_data``, ``gosh_data``), a drawing function
that returns a :class:`matplotlib.figure.Figure`, and writers:
:func:`save_figure` (PNG, SVG and/or PDF, byte-deterministic) and a CSV
writer for the numbers behind the plot. Importing this package selects the
non-interactive ``Agg`` backend.
"""

from __future__ import annotations

from trialmeta.plots._style import save_figure
from trialmeta.plots.diagnostics_plots import (
    baujat_plot,
    leave_one_out_plot,
    write_baujat_csv,
    write_leave_one_out_csv,
)
from trialmeta.plots.forest import forest_plot, forest_plot_pages
from trialmeta.plots.forest_csv import write_forest_csv
from trialmeta.plots.forest_data import (
    Footnote,
    ForestData,
    ForestGroup,
    ForestStudy,
    forest_data,
)
from trialmeta.plots.funnel import FunnelData, funnel_data, funnel_plot, write_funnel_csv
from trialmeta.plots.gosh_plot import GoshData, gosh_data, gosh_plot, write_gosh_csv
from trialmeta.plots.revman_text import (
    SubgroupTest,
    format_estimate_ci,
    format_p,
    heterogeneity_text,
    overall_effect_text,
    subgroup_test_text,
)
from trialmeta.plots.rob import (
    JUDGEMENTS,
    ROB2_DOMAINS,
    RobData,
    rob_data,
    rob_data_from_long,
    rob_domain_data,
    rob_proportions,
    rob_summary_plot,
    traffic_light_plot,
    write_rob_csv,
)

__all__ = [
    "JUDGEMENTS",
    "ROB2_DOMAINS",
    "Footnote",
    "ForestData",
    "ForestGroup",
    "ForestStudy",
    "FunnelData",
    "GoshData",
    "RobData",
    "SubgroupTest",
    "baujat_plot",
    "forest_data",
    "forest_plot",
    "forest_plot_pages",
    "format_estimate_ci",
    "format_p",
    "funnel_data",
    "funnel_plot",
    "gosh_data",
    "gosh_plot",
    "heterogeneity_text",
    "leave_one_out_plot",
    "overall_effect_text",
    "rob_data",
    "rob_data_from_long",
    "rob_domain_data",
    "rob_proportions",
    "rob_summary_plot",
    "save_figure",
    "subgroup_test_text",
    "traffic_light_plot",
    "write_baujat_csv",
    "write_forest_csv",
    "write_funnel_csv",
    "write_gosh_csv",
    "write_leave_one_out_csv",
    "write_rob_csv",
]
