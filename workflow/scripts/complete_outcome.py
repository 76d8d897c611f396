"""Snakemake adapter: fits + simulation checks → certainty (GRADE) and trial sequential
analysis → results/analyses/{outcome}.json."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.outcome import CertaintySettings, complete_outcome  # noqa: E402
from trialmeta.review.results import OutcomeFits, read_result, write_result  # noqa: E402
from trialmeta.review.robustness import CoverageChecks, GoshChecks, PermutationChecks  # noqa: E402

result = complete_outcome(
    read_result(verified(smk.input.fits), OutcomeFits),
    read_result(verified(smk.input.coverage), CoverageChecks),
    read_result(verified(smk.input.gosh), GoshChecks),
    read_result(verified(smk.input.permutation), PermutationChecks),
    from_data(CertaintySettings, smk.params.settings),
)
write_result(smk.output[0], result)
seal(smk.output)
