"""Snakemake adapter: pooled.csv, effects/<analysis_id>.csv, sensitivity, subgroups,
meta-regression, coverage and GOSH.

The effect tables get their rows' notes from comparisons.csv: the analyses do not carry
them (trialmeta.review.outcome_inputs), so a notes edit reruns no analysis."""

from trialmeta.io.worker import hand_to_worker

hand_to_worker()  # runs this script in the run's warm worker, if it has one
from trialmeta.io.rule_log import log_errors  # noqa: E402

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.io.digests import verified  # noqa: E402
from trialmeta.io.jsonio import read_records  # noqa: E402
from trialmeta.io.safe_csv import write_csv  # noqa: E402
from trialmeta.report import tables  # noqa: E402
from trialmeta.review.outcome_inputs import reader_columns, with_reader_columns  # noqa: E402
from trialmeta.review.results import read_result  # noqa: E402

results = [read_result(verified(p)) for p in smk.input.analyses]
notes = reader_columns(read_records(verified(smk.input.effects)))  # no fit reads the notes
write_csv(smk.output.pooled, tables.pooled_rows(results), tables.POOLED_COLUMNS)
effects_dir = Path(smk.output.effects)
effects_dir.mkdir(parents=True, exist_ok=True)
for _kind, analysis, effects, _grade in tables.iter_analyses(results):
    rows = with_reader_columns(tables.effect_records(effects), notes, smk.input.effects)
    write_csv(effects_dir / f"{analysis.analysis_id}.csv", rows, tables.effect_columns(rows))
write_csv(smk.output.sensitivity, tables.sensitivity_rows(results), tables.SENSITIVITY_COLUMNS)
write_csv(smk.output.subgroups, tables.subgroup_rows(results), tables.SUBGROUP_COLUMNS)
write_csv(smk.output.metaregression, tables.metareg_rows(results), tables.METAREG_COLUMNS)
write_csv(smk.output.coverage, tables.coverage_rows(results), tables.COVERAGE_COLUMNS)
write_csv(smk.output.gosh, tables.gosh_rows(results), tables.GOSH_COLUMNS)
