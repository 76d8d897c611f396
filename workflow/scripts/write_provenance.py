"""Snakemake adapter: results/provenance.json (hashes, versions, commit, rerun command)."""

import sys

smk = snakemake  # noqa: F821  (injected by Snakemake)
sys.stderr = open(smk.log[0], "w", encoding="utf-8")

from pathlib import Path  # noqa: E402

from trialmeta.io.jsonio import write_json  # noqa: E402
from trialmeta.io.provenance import collect_provenance  # noqa: E402

repo = Path(smk.scriptdir).parents[1]
write_json(smk.output[0], collect_provenance(smk.input.sheets, smk.input.configs,
                                             smk.params.settings, repo_dir=repo))
