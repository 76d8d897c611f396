"""Risk-of-bias figures: one traffic-light and one summary plot per tool in the sheet,
and an overall plot of the judgement GRADE uses for every trial in the effect table
(trials without any assessment appear as "not assessed")."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from trialmeta import plots
from trialmeta.review.cell import slug
from trialmeta.review.outcome import rob_lookup

__all__ = ["draw_rob_figures"]


def _draw(data: plots.RobData, stem: str, outdir: Path, title: str) -> None:
    for name, fig in (("traffic_light", plots.traffic_light_plot(data, title)),
                      ("summary", plots.rob_summary_plot(data, title))):
        plots.save_figure(fig, outdir / f"{name}_{stem}")
        plt.close(fig)
    plots.write_rob_csv(data, outdir / f"rob_{stem}.csv")


def draw_rob_figures(rob_csv: str | Path | None, effects_csv: str | Path, outdir: str | Path,
                     pedro_low_below: float = 6.0) -> list[Path]:  # fmt: skip
    """Write the risk-of-bias figures into ``outdir``; return the PNG paths, sorted."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rob = pd.read_csv(rob_csv, dtype=str) if rob_csv else pd.DataFrame()
    effects = pd.read_csv(effects_csv, dtype=str)
    trials = sorted(set(effects["study_id"].dropna()) if "study_id" in effects else set())
    if not rob.empty:
        tool_col = rob["tool"] if "tool" in rob.columns else pd.Series("RoB", index=rob.index)
        for tool in sorted(set(tool_col)):
            part = rob.loc[tool_col == tool]
            data = plots.rob_data_from_long(
                part["study_id"].tolist(), part["domain"].tolist(), part["judgement"].tolist(),
                study_order=sorted(set(part["study_id"])),
            )  # fmt: skip
            _draw(data, slug(tool), out, f"Risk of bias ({tool})")
    overall = rob_lookup(rob if not rob.empty else None, pedro_low_below)
    studies = sorted(set(trials) | set(overall))
    if studies:
        data = plots.rob_data(studies, ["Overall"], [[overall.get(s)] for s in studies])
        _draw(data, "overall", out, "Overall risk of bias used for GRADE")
    return sorted(out.glob("*.png"))
