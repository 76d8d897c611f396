"""Snakemake adapter: pooled.csv, effects/<analysis_id>.csv, sensitivity, subgroups,
meta-regression, coverage, GOSH and the Summary of Findings."""

from trialmeta.io.rule_log import log_errors

smk = snakemake  # noqa: F821  (injected by Snakemake)
log_errors(smk)

from pathlib import Path  # noqa: E402

from trialmeta.io.jsonio import read_json, write_text  # noqa: E402
from trialmeta.io.safe_csv import write_csv  # noqa: E402
from trialmeta.report import summary_of_findings as sof  # noqa: E402
from trialmeta.report import tables  # noqa: E402

bundles = [read_json(p) for p in smk.input.analyses]
write_csv(smk.output.pooled, tables.pooled_rows(bundles), tables.POOLED_COLUMNS)
effects_dir = Path(smk.output.effects)
effects_dir.mkdir(parents=True, exist_ok=True)
for _kind, analysis, effects, _grade in tables.iter_analyses(bundles):
    write_csv(effects_dir / f"{analysis['analysis_id']}.csv", effects,
              tables.effect_columns(effects))
write_csv(smk.output.sensitivity, tables.sensitivity_rows(bundles), tables.SENSITIVITY_COLUMNS)
write_csv(smk.output.subgroups, tables.subgroup_rows(bundles), tables.SUBGROUP_COLUMNS)
write_csv(smk.output.metaregression, tables.metareg_rows(bundles), tables.METAREG_COLUMNS)
write_csv(smk.output.coverage, tables.coverage_rows(bundles), tables.COVERAGE_COLUMNS)
write_csv(smk.output.gosh, tables.gosh_rows(bundles), tables.GOSH_COLUMNS)
rows = sof.sof_rows(bundles, smk.params.settings["measure"])
write_csv(smk.output.sof_csv, rows, sof.SOF_COLUMNS)
write_text(smk.output.sof_md, sof.sof_markdown(rows))
