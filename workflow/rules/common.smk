# Helpers and validation shared by every rule file. Only named functions here, no rules.
import sys
from pathlib import Path

from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")


# Every output path starts with <results>, the review's results directory (config results_dir).
pathvars:
    results=config["results_dir"],


ENV = "../envs/trialmeta.yaml"
OUTCOMES = [o["id"] for o in config["outcomes"]]
COMPARISONS = [c["id"] for c in config["comparisons"]]
DATA_DIR = Path(config["data_dir"])
# data_dir is a directory of CSV sheets or one .xlsx workbook holding them as tabs; the
# adapters read either through trialmeta.data.sheets.sheet_source.
WORKBOOK = DATA_DIR.suffix.lower() in (".xlsx", ".xlsm")
# The review's codes: vocabulary.yaml beside the sheets (a workbook's: in its directory).
VOCABULARY = (DATA_DIR.parent if WORKBOOK else DATA_DIR) / "vocabulary.yaml"
CONFIG_FILES = sorted(str(Path(f)) for f in workflow.configfiles)


def data_files():
    """Every extraction sheet (sorted): the CSVs of data_dir, or the workbook it names; then
    the review's vocabulary.yaml beside them, if present (validation requires it)."""
    sheets = [str(DATA_DIR)] if WORKBOOK else sorted(str(p) for p in DATA_DIR.glob("*.csv"))
    return [*sheets, *vocabulary_file()]


def studies_sheet():
    """The studies sheet (required by validation, so it exists once validation passed)."""
    return str(DATA_DIR) if WORKBOOK else str(DATA_DIR / "studies.csv")


def arms_sheet():
    """The arms sheet (required by validation), for the control interventions."""
    return str(DATA_DIR) if WORKBOOK else str(DATA_DIR / "arms.csv")


def vocabulary_file():
    """The review's vocabulary.yaml. Validation requires it: a missing one is listed only
    when present, so that validation, not the DAG, reports it as a located problem."""
    return [str(VOCABULARY)] if VOCABULARY.exists() else []


def rob_sheet():
    """The risk-of-bias sheet when the data have one (it is optional; a workbook is
    listed, and its adapters read the tab when it is there)."""
    if WORKBOOK:
        return [str(DATA_DIR)]
    path = DATA_DIR / "risk_of_bias.csv"
    return [str(path)] if path.exists() else []


def analysis_jsons(wildcards=None):
    """One analysis bundle per outcome, in config order (the order of every table)."""
    return expand("<results>/analyses/{outcome}.json", outcome=OUTCOMES)


def figure_dirs(wildcards=None):
    """One figure directory per outcome."""
    return expand("<results>/figures/{outcome}", outcome=OUTCOMES)


def final_outputs():
    """Targets of rule all."""
    return [
        "<results>/validation.json",
        "<results>/comparisons.csv",
        "<results>/pooled.csv",
        "<results>/summary_of_findings.csv",
        "<results>/summary_of_findings.md",
        "<results>/limitations.md",
        "<results>/provenance.json",
        "<results>/report.html",
        *figure_dirs(),
        "<results>/figures/risk_of_bias",
    ]


def report_failed_cluster_jobs(logs):
    """Print, for each cluster job that SLURM ended, the resource to raise (onerror hook)."""
    from trialmeta.io.failed_jobs import failure_hints

    hints = failure_hints(logs, profile="workflow/profiles/slurm/config.yaml")
    if hints:
        print("Cluster jobs that SLURM ended, and what to change:", file=sys.stderr)
        for hint in hints:
            print(f"  {hint}", file=sys.stderr)
