"""Snakemake adapter: every fit of one outcome → results/fits/{outcome}.json."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from trialmeta.data.sheets import sheet_source  # noqa: E402
from trialmeta.data.validate import read_vocabulary  # noqa: E402
from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.jsonio import read_records  # noqa: E402
from trialmeta.review.annotate import control_lookup, result_rob_lookup  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.outcome import FitSettings, fit_outcome  # noqa: E402
from trialmeta.review.results import write_result  # noqa: E402

effects = read_records(verified(smk.input.effects))
rob_source = sheet_source(smk.input.rob[0], "risk_of_bias") if smk.input.rob else None
rob_sheet = pd.read_csv(rob_source, dtype=str) if rob_source is not None else None
vocabulary = read_vocabulary(Path(smk.input.vocabulary[0]))  # beside the sheets
rob = result_rob_lookup(rob_sheet, vocabulary)  # per result (RoB 2 is outcome-specific)
controls = control_lookup(pd.read_csv(sheet_source(smk.input.arms, "arms"), dtype=str),
                          vocabulary)
fits = fit_outcome(effects, rob, controls,
                   from_data(FitSettings, smk.params.settings))
write_result(smk.output[0], fits)
seal(smk.output)
