"""Snakemake adapter: results/provenance.json (hashes, versions, commit, rerun command)."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.io.jsonio import write_json  # noqa: E402
from trialmeta.io.provenance import collect_provenance  # noqa: E402

repo = Path(smk.scriptdir).parents[1]
write_json(smk.output[0], collect_provenance(smk.input.sheets, smk.input.configs,
                                             smk.params.config, repo_dir=repo))
