"""Snakemake adapter: one simulation check (rule coverage, gosh or permutation) of every
analysis of one outcome → results/simulation/<rule>/{outcome}.json."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from trialmeta.io.digests import seal, verified  # noqa: E402
from trialmeta.review import robustness  # noqa: E402
from trialmeta.review.codec import from_data  # noqa: E402
from trialmeta.review.results import OutcomeFits, read_result, write_result  # noqa: E402

CHECKS = {  # rule → (check, its settings, the declared type of what it returns)
    "coverage": (
        robustness.coverage_checks,
        robustness.CoverageSettings,
        robustness.CoverageChecks,
    ),
    "gosh": (robustness.gosh_checks, robustness.GoshSettings, robustness.GoshChecks),
    "permutation": (
        robustness.permutation_checks,
        robustness.PermutationSettings,
        robustness.PermutationChecks,
    ),
}
check, settings, returned = CHECKS[smk.rule]
write_result(
    smk.output[0],
    check(
        read_result(verified(smk.input.fits), OutcomeFits), from_data(settings, smk.params.settings)
    ),
    returned,
)
seal(smk.output)
