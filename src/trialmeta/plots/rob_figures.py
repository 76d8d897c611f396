"""Risk-of-bias figures of a review: a traffic-light and a weighted summary plot on one
set of domains (RoB 1 A-G, or RoB 2 D1-D5 and Overall when any trial used RoB 2; PEDro
items mapped onto the domains they inform), for every trial in the effect table; and
the overall judgement GRADE uses for each of them (trials without an assessment appear
as "not assessed"; trials in no comparison are left out).

The summary is weighted by each trial's participants in its largest comparison of the
effect table (robvis ``weighted = TRUE`` with sample-size weights; McGuinness &
Higgins 2021).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, cast

import pandas as pd

from trialmeta import plots
from trialmeta.data.risk_of_bias import rob_lookup
from trialmeta.review.config import FiguresConfig

__all__ = ["draw_rob_figures", "trial_participants"]


def _draw(data: plots.RobData, stem: str, outdir: Path, title: str, files: FiguresConfig) -> None:
    summary_title = f"{title}, weighted by participants" if data.weights else title
    for name, fig in (("traffic_light", plots.traffic_light_plot(data, title)),
                      ("summary", plots.rob_summary_plot(data, summary_title))):  # fmt: skip
        plots.save_figure(fig, outdir / f"{name}_{stem}", files.formats, files.png_dpi)
    plots.write_rob_csv(data, outdir / f"rob_{stem}.csv")


def trial_participants(effects: pd.DataFrame) -> dict[str, float]:
    """Trial -> participants (n1 + n2) of its largest comparison in the effect table."""
    if effects.empty or not {"study_id", "n1", "n2"} <= set(effects.columns):
        return {}
    n = pd.to_numeric(effects["n1"], errors="coerce") + pd.to_numeric(effects["n2"],
                                                                      errors="coerce")  # fmt: skip
    per = n.groupby(effects["study_id"]).max().fillna(0.0)
    return {str(k): float(v) for k, v in per.items()}


def draw_rob_figures(rob_csv: str | Path | IO[str] | None, effects_csv: str | Path,
                     outdir: str | Path, pedro_low_below: float = 6.0,
                     labels: Mapping[str, str] | None = None,
                     files: FiguresConfig | None = None) -> list[Path]:  # fmt: skip
    """Write the risk-of-bias figures into ``outdir`` (in ``files.formats``, default SVG +
    PNG at 150 dpi); return the PNG paths (SVGs when no PNG is written), sorted.

    ``rob_csv`` is the risk-of-bias sheet as a path or text stream (a workbook tab, see
    :func:`trialmeta.data.sheets.sheet_source`), or None when there is none. ``labels``
    maps study ids to "Author Year" (from :mod:`trialmeta.report.labels`).
    """
    files = files or FiguresConfig(("svg", "png"), 150, 5)  # the schema's defaults
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rob = pd.read_csv(rob_csv, dtype=str) if rob_csv is not None else pd.DataFrame()
    effects = pd.read_csv(effects_csv, dtype=str)
    trials: Sequence[str] = sorted(set(effects["study_id"].dropna()) if "study_id" in effects
                                   else set())  # fmt: skip
    names = dict(labels or {})
    trials = sorted(trials, key=lambda s: names.get(s, s))
    if trials:
        rows = cast(list[dict[str, str]], rob.to_dict("records")) if not rob.empty else []
        data, title = plots.rob_domain_data(rows, trials, labels=names,
                                            weights=trial_participants(effects))  # fmt: skip
        _draw(data, "domains", out, title, files)
    overall = rob_lookup(rob if not rob.empty else None, pedro_low_below)
    studies = list(trials)  # the trials of the effect table, assessed or not
    if studies:
        data = plots.rob_data([names.get(s, s) for s in studies], ["Overall"],
                              [[overall.get(s)] for s in studies])  # fmt: skip
        _draw(data, "overall", out, "Overall risk of bias used for GRADE", files)
    return sorted(out.glob("*.png" if "png" in files.formats else "*.svg"))
