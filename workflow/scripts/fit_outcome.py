"""Snakemake adapter: every fit of one outcome → results/fits/{outcome}.json.

It reads only results/outcome_data/{outcome}.json (trialmeta.review.outcome_inputs), so an
edit of a trial that does not enter this outcome leaves its input, and this job, unchanged.
"""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.io.jsonio import read_json  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.outcome import FitSettings, fit_outcome  # noqa: E402
from trialmeta.review.outcome_inputs import read_fit_inputs  # noqa: E402
from trialmeta.review.results import write_result  # noqa: E402

rows, rob, controls = read_fit_inputs(read_json(verified(smk.input.inputs)), smk.input.inputs)
fits = fit_outcome(rows, rob, controls, from_data(FitSettings, smk.params.settings))
write_result(smk.output[0], fits)
seal(smk.output)
