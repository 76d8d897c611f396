"""Snakemake adapter: every figure of one outcome → results/figures/{outcome}/."""

import sys

smk = snakemake  # noqa: F821  (injected by Snakemake)
sys.stderr = open(smk.log[0], "w", encoding="utf-8")

from trialmeta.io.jsonio import read_json  # noqa: E402
from trialmeta.plots.outcome import draw_outcome_figures  # noqa: E402

draw_outcome_figures(read_json(smk.input.analysis), smk.output[0],
                     smk.params.settings["measure"])
