"""Snakemake adapter: the self-contained results/report.html."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.io.jsonio import read_json, read_records, write_text  # noqa: E402
from trialmeta.report import summary_of_findings as sof  # noqa: E402
from trialmeta.report.html import render_report  # noqa: E402


def records(path):
    """Rows of a CSV as dicts; empty cells become None (shown blank)."""
    df = read_records(path).astype(object)
    return df.where(df.notna(), None).to_dict(orient="records")


def figures(dirs):
    """analysis id → PNGs: a figure directory holds <kind>__<analysis_id>.png files."""
    order = {"forest": 0, "funnel": 1, "loo": 2, "baujat": 3, "tsa": 4, "gosh": 5}
    found = {}
    for d in dirs:
        pngs = sorted(Path(d).glob("*.png"), key=lambda p: (order.get(p.stem.split("__")[0], 9),
                                                            p.name))
        for png in pngs:
            key = png.stem.split("__", 1)[1] if "__" in png.stem else Path(d).name
            found.setdefault(key, []).append(png)
    return found


bundles = [read_json(p) for p in smk.input.analyses]
config = smk.params.settings
html = render_report(
    config,
    bundles,
    sof.sof_rows(bundles, config["measure"]),
    records(smk.input.comparisons),
    records(smk.input.accounting),
    Path(smk.input.limitations).read_text(encoding="utf-8"),
    read_json(smk.input.provenance),
    figures([*smk.input.figures, smk.input.rob_figures]),
    records(sheet_source(smk.input.studies, "studies")),
)
write_text(smk.output[0], html)
