"""Snakemake adapter: every analysis of one outcome → results/analyses/{outcome}.json."""

import sys

smk = snakemake  # noqa: F821  (injected by Snakemake)
sys.stderr = open(smk.log[0], "w", encoding="utf-8")

import pandas as pd  # noqa: E402

from trialmeta.io.jsonio import read_records, write_json  # noqa: E402
from trialmeta.review.outcome import control_lookup, rob_lookup, run_outcome  # noqa: E402

config = smk.params.settings
rob_sheet = pd.read_csv(smk.input.rob[0], dtype=str) if smk.input.rob else None
rob = rob_lookup(rob_sheet, float(config["grade"].get("pedro_low_below", 6)))
controls = control_lookup(pd.read_csv(smk.input.arms, dtype=str))
bundle = run_outcome(read_records(smk.input.effects), rob, config, smk.wildcards.outcome,
                     controls)
write_json(smk.output[0], bundle)
