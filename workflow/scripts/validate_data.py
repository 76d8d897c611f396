"""Snakemake adapter: validate the extraction sheets (first rule of the DAG).

On failure every earlier result is removed (logs and benchmarks are kept), so no
stale table or report can be mistaken for a result of the invalid data.
"""

from trialmeta.io.rule_log import fail, log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

from trialmeta.data.validate import validate_path  # noqa: E402
from trialmeta.effects.validation_summary import with_comparison_counts  # noqa: E402
from trialmeta.io.digests import seal  # noqa: E402
from trialmeta.io.jsonio import write_json  # noqa: E402
from trialmeta.io.provenance import remove_stale_results, sha256_file  # noqa: E402
from trialmeta.review.config_codes import config_code_problems  # noqa: E402

data_dir = smk.params.data_dir
report = with_comparison_counts(validate_path(data_dir))
if report.ok and report.vocabulary is not None:  # the config's codes are the vocabulary's
    report = replace(report, problems=config_code_problems(smk.params.codes, report.vocabulary))
if not report.ok:
    removed = remove_stale_results(Path(smk.output[0]).parent)  # <results>/validation.json
    fail([*report.problems, f"{len(report.problems)} problem(s) in {data_dir}; no results "
          f"written; removed stale results: {', '.join(removed) or 'none'}"])

write_json(smk.output[0], {
    "status": "valid",
    "data_dir": str(data_dir),
    "sheets": [{"file": Path(p).name, "sha256": sha256_file(p)} for p in sorted(smk.input.sheets)],
    "summary": report.summary,
    "warnings": sorted(str(w) for w in report.warnings),
})
seal(smk.output)
