"""Snakemake adapter: every analysis of one outcome → results/analyses/{outcome}.json."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.data.validate import read_vocabulary  # noqa: E402
from trialmeta.io.jsonio import read_records, write_json  # noqa: E402
from trialmeta.review.outcome import control_lookup, rob_lookup, run_outcome  # noqa: E402

config = smk.params.settings
rob_source = sheet_source(smk.input.rob[0], "risk_of_bias") if smk.input.rob else None
rob_sheet = pd.read_csv(rob_source, dtype=str) if rob_source is not None else None
rob = rob_lookup(rob_sheet, float(config["grade"].get("pedro_low_below", 6)))
vocabulary = read_vocabulary(Path(smk.input.vocabulary[0]))  # beside the sheets
controls = control_lookup(pd.read_csv(sheet_source(smk.input.arms, "arms"), dtype=str),
                          vocabulary)
bundle = run_outcome(read_records(smk.input.effects), rob, config, smk.wildcards.outcome,
                     controls)
write_json(smk.output[0], bundle)
