"""Snakemake adapter: results/provenance.json (hashes of the inputs and of every result
before it, versions, commit, rerun command)."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.io.digests import SUFFIX, seal, verified  # noqa: E402
from trialmeta.io.jsonio import write_json  # noqa: E402
from trialmeta.io.provenance import collect_provenance  # noqa: E402

verified(smk.input.validation)
# every intermediate against its checksum (the tables have none: no rule reads them)
checked = [verified(p.removesuffix(SUFFIX)) for p in smk.input.results if p.endswith(SUFFIX)]
results = [p for p in smk.input.results if not p.endswith(SUFFIX)]
repo = Path(smk.scriptdir).parents[1]
write_json(
    smk.output[0],
    collect_provenance(
        smk.input.sheets, smk.input.configs, smk.params.config, repo_dir=repo, results=results
    ),
)
seal(smk.output)
