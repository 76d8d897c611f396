"""Snakemake adapter: validate the extraction sheets, then build the effect rows (the first
rule of the DAG, a checkpoint).

On invalid data every earlier result is removed (logs and benchmarks are kept), so no
stale table or report can be mistaken for a result of the invalid data, and nothing after
this job runs. On valid data it writes results/validation.json, results/comparisons.csv
(one effect row per study × comparison × outcome × timepoint, with its derivations), the
accounting table (what was identified and why a comparison cannot be pooled), the
data-quality warnings, and per outcome what its fits read (outcome_data/<id>.json,
trialmeta.review.outcome_inputs) and what its figures read (outcome_labels/<id>.json,
trialmeta.report.outcome_labels).
"""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import fail, log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from trialmeta.data.sheets import data_source, sheet_in  # noqa: E402
from trialmeta.data.validate import read_vocabulary, validate_path  # noqa: E402
from trialmeta.effects.comparisons import build_comparisons  # noqa: E402
from trialmeta.effects.validation_summary import with_comparison_counts  # noqa: E402
from trialmeta.io.digests import seal  # noqa: E402
from trialmeta.io.jsonio import read_records, write_json  # noqa: E402
from trialmeta.io.provenance import remove_stale_results, sha256_file  # noqa: E402
from trialmeta.io.safe_csv import write_csv  # noqa: E402
from trialmeta.report.outcome_labels import figure_labels  # noqa: E402
from trialmeta.report.sheet_labels import sheet_labels  # noqa: E402
from trialmeta.report.tables import records_and_columns  # noqa: E402
from trialmeta.review.config_codes import config_code_problems  # noqa: E402
from trialmeta.review.outcome_inputs import fit_inputs, outcome_studies  # noqa: E402

data_dir = smk.params.data_dir
report = with_comparison_counts(validate_path(data_dir))
if report.ok and report.vocabulary is not None:  # the config's codes are the vocabulary's
    report = replace(report, problems=config_code_problems(smk.params.codes, report.vocabulary))
if not report.ok:
    removed = remove_stale_results(Path(smk.output.validation).parent)  # <results>/
    fail(
        [
            *report.problems,
            f"{len(report.problems)} problem(s) in {data_dir}; no results "
            f"written; removed stale results: {', '.join(removed) or 'none'}",
        ]
    )

sheets = list(smk.input.sheets)
write_json(
    smk.output.validation,
    {
        "status": "valid",
        "data_dir": str(data_dir),
        "sheets": [{"file": Path(p).name, "sha256": sha256_file(p)} for p in sorted(sheets)],
        "summary": report.summary,
        "warnings": sorted(str(w) for w in report.warnings),
    },
)

# the sheets (a directory's CSVs or one workbook) and vocabulary.yaml are the input
cset = build_comparisons(
    data_source(sheets),
    outcomes=smk.params.outcomes,
    comparisons=smk.params.comparisons,
    measure=smk.params.measure,
    **smk.params.options,
)
for name, table in (("effects", cset.effects), ("accounting", cset.accounting)):
    write_csv(smk.output[name], *records_and_columns(table))
write_csv(smk.output.warnings, *records_and_columns(cset.warnings_table))

# per outcome: the fits' inputs (the effect rows as the fits read the whole table) and the
# figures' labels; the files of outcomes an edit does not reach keep their bytes
effects = read_records(smk.output.effects)
source = data_source(sheets)
arms = pd.read_csv(sheet_in(source, "arms"), dtype=str)  # required: validated
rob_source = sheet_in(source, "risk_of_bias")  # optional
rob = pd.read_csv(rob_source, dtype=str) if rob_source is not None else None
vocabulary = read_vocabulary(source)  # vocabulary.yaml beside the sheets
labels, rob_rows = sheet_labels({"data_dir": str(data_dir)})
ids = [o["id"] for o in smk.params.outcomes]
for oid, fits_path, labels_path in zip(ids, smk.output.outcome_data, smk.output.outcome_labels,
                                       strict=True):  # fmt: skip
    write_json(fits_path, fit_inputs(effects, arms, rob, vocabulary, oid))
    write_json(labels_path, figure_labels(labels, rob_rows, outcome_studies(effects, oid)))
seal(smk.output)
