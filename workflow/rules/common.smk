# Helpers shared by every rules file - the typed config (parsed once), per-rule config slices,
# code digests. Only named functions here, no rules and no lambdas.
import dataclasses
import sys
from pathlib import Path

from trialmeta.io.code_digest import script_digest
from trialmeta.review.codec import to_data
from trialmeta.review.config import ConfigError, parse_config, read_schema
from trialmeta.review.config_yaml import read_config_files
from trialmeta.review.settings import (
    CertaintySettings,
    CoverageSettings,
    FitSettings,
    GoshSettings,
    PermutationSettings,
)
from trialmeta.report.figure_wording import FigureWording

CONFIG_FILES = sorted(str(Path(f)) for f in workflow.configfiles)
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"
SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"


def config_files_in_merge_order():
    """The config files as Snakemake merges them: the Snakefile's `configfile:` first, then
    the --configfile overlays in the order given (later ones win); paths relative when
    they lie below the working directory."""
    overlays = [Path(p).resolve() for p in workflow.config_settings.configfiles]
    own = [Path(p).resolve() for p in workflow.configfiles if Path(p).resolve() not in overlays]
    cwd = Path.cwd().resolve()
    return [str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p) for p in own + overlays]


def load_review():
    """The typed config from Snakemake's merged `config`, every problem of every config
    file located (file, key path, value, expected); exit 1 without a traceback on any."""
    _, problems, parts = read_config_files(config_files_in_merge_order())
    try:
        if problems:
            raise ConfigError(problems)
        return parse_config(config, read_schema(SCHEMA), parts)
    except ConfigError as err:
        sys.exit(
            "\n".join(
                [
                    *err.problems,
                    f"{len(err.problems)} problem(s) in the config; " "nothing was run.",
                ]
            )
        )


REVIEW = load_review()
ENV = "../envs/trialmeta.yaml"
OUTCOMES = [o.id for o in REVIEW.outcomes]
DATA_DIR = Path(REVIEW.data_dir)
# data_dir is a directory of CSV sheets or one .xlsx workbook holding them as tabs; the
# adapters read either through trialmeta.data.sheets.sheet_source.
WORKBOOK = DATA_DIR.suffix.lower() in (".xlsx", ".xlsm")
# The review's codes: vocabulary.yaml beside the sheets (a workbook's: in its directory).
VOCABULARY = (DATA_DIR.parent if WORKBOOK else DATA_DIR) / "vocabulary.yaml"


# The digests' parsed imports are kept by file content beside Snakemake's own metadata, so
# a rerun does not parse the package again (trialmeta.io.code_digest; same digests).
CODE_IMPORTS = Path(".snakemake") / "trialmeta" / "code_imports.json"


def code(script):
    """Digest of the trialmeta code `script` runs (a params value: edits rerun the rule)."""
    return script_digest(SCRIPTS / script, CODE_IMPORTS)


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


def rob_sheet():
    """The risk-of-bias sheet when the data have one (it is optional; a workbook is
    listed, and its adapters read the tab when it is there)."""
    if WORKBOOK:
        return [str(DATA_DIR)]
    path = DATA_DIR / "risk_of_bias.csv"
    return [str(path)] if path.exists() else []


def vocabulary_file():
    """The review's vocabulary.yaml. Validation requires it: a missing one is listed only
    when present, so that validation, not the DAG, reports it as a located problem."""
    return [str(VOCABULARY)] if VOCABULARY.exists() else []


def _prepared(name, wildcards):
    """One outcome's file among the outputs ``name`` of checkpoint prepare_data. Asking the
    checkpoint makes Snakemake decide whether this outcome's job reruns only after the data
    were prepared (workflow/rules/data.smk)."""
    outputs = getattr(checkpoints.prepare_data.get().output, name)
    return outputs[OUTCOMES.index(wildcards.outcome)]


def outcome_data(wildcards):
    """What the fits of one outcome read: its effect rows, controls and risk of bias."""
    return _prepared("outcome_data", wildcards)


def outcome_labels(wildcards):
    """What the figures of one outcome read from the sheets: its trials' labels, RoB rows."""
    return _prepared("outcome_labels", wildcards)


def outcome_fits(wildcards):
    """The fits of one outcome, for the rules after fit_outcome. Through the checkpoint too:
    Snakemake re-decides after prepare_data only the jobs that ask it (their planned reason
    to rerun is made anew), so every per-outcome rule asks it (workflow/rules/data.smk)."""
    checkpoints.prepare_data.get()
    return expand("<results>/fits/{outcome}.json", outcome=wildcards.outcome)[0]


def analysis_jsons(wildcards=None):
    """One analysis result per outcome, in config order (the order of every table)."""
    return expand("<results>/analyses/{outcome}.json", outcome=OUTCOMES)


def figure_dirs(wildcards=None):
    """One figure directory per outcome."""
    return expand("<results>/figures/{outcome}", outcome=OUTCOMES)


# ---- config slices: each rule gets only what it reads (a plain dict, so Snakemake can
# compare it with the last run; the script rebuilds the typed object with from_data)
def data_dir(wildcards=None):
    """The data directory or workbook (validation reads it whole, even when it is empty)."""
    return str(DATA_DIR)


def config_codes(wildcards=None):
    """The config's codes that validation checks against vocabulary.yaml."""
    return {
        "target_population": REVIEW.target_population,
        "outcomes": [{"outcome": o.outcome} for o in REVIEW.outcomes],
        "comparisons": [{"control_types": list(c.control_types)} for c in REVIEW.comparisons],
    }


def comparison_windows(wildcards=None):
    """Outcomes, their timepoint rules and own measures (RR/OR/RD of a binary outcome) for
    the data build (no labels, MCIDs or SDs)."""
    keep = ("id", "outcome", "timepoint", "timepoint_weeks", "measure")
    return [{k: v for k, v in to_data(o).items() if k in keep} for o in REVIEW.outcomes]


def comparison_groups(wildcards=None):
    """Control types (and active design, members) of each comparison (no labels)."""
    keep = ("id", "control_types", "active_design", "members")
    return [{k: v for k, v in to_data(c).items() if k in keep} for c in REVIEW.comparisons]


def data_build_options(wildcards=None):
    """The multi-arm method and data-quality rules, as given (absent: the data layer's)."""
    out = {}
    if REVIEW.multi_arm is not None:
        out["multiarm"] = REVIEW.multi_arm.method
    if REVIEW.data_quality is not None:
        out["data_quality"] = to_data(REVIEW.data_quality)
    return out


def label_settings(wildcards=None):
    """What the label map reads from the config: outcome and comparison labels."""
    return {
        "data_dir": str(DATA_DIR),
        "outcomes": [{"id": o.id, "label": o.label} for o in REVIEW.outcomes],
        "comparisons": [
            {"id": c.id, "label": c.label, "comparator": c.comparator} for c in REVIEW.comparisons
        ],
    }


def fit_settings(wildcards):
    return to_data(FitSettings.of(REVIEW, wildcards.outcome))


def coverage_settings(wildcards=None):
    s = REVIEW.simulation
    return to_data(CoverageSettings(REVIEW.model.test, s.coverage_n_sim, s.seed))


def gosh_settings(wildcards=None):
    s = REVIEW.simulation
    return to_data(GoshSettings(s.gosh_method, s.gosh_max_subsets, s.seed))


def permutation_settings(wildcards=None):
    s = REVIEW.simulation
    return to_data(
        PermutationSettings(REVIEW.model.method, REVIEW.model.test, s.permutations, s.seed)
    )


def certainty_settings(wildcards):
    return to_data(CertaintySettings.of(REVIEW, wildcards.outcome))


def figure_wording(wildcards=None):
    return to_data(FigureWording.of(REVIEW))


def figure_files_settings(wildcards=None):
    """Formats, PNG resolution and the diagnostics' smallest k of every figure."""
    return to_data(REVIEW.figures)


def review_settings(wildcards=None):
    """The whole typed config, for the report (which prints most of it)."""
    return to_data(REVIEW)


def prisma_settings(wildcards=None):
    """What the PRISMA flow reads from the config: each outcome code's noun and the search
    statement (so only those edits redraw it)."""
    codes = sorted({c for o in REVIEW.outcomes for c in o.codes})
    return {
        "outcome_labels": {c: REVIEW.outcome_noun(c).capitalize() for c in codes},
        "how_found": REVIEW.search.statement if REVIEW.search is not None else "",
    }


def review_body_settings(wildcards=None):
    """The typed config without its title, for the rules whose outputs never print it
    (Summary of Findings, limitations): a title edit reruns only the report."""
    return to_data(dataclasses.replace(REVIEW, title=""))


# Rules whose outputs provenance.json records with their SHA-256 (every rule before it).
RECORDED_RULES = (
    "prepare_data",
    "fit_outcome",
    "coverage",
    "gosh",
    "permutation",
    "certainty",
    "outcome_figures",
    "risk_of_bias_figures",
    "prisma_figure",
    "tables",
    "summary_of_findings",
    "limitations",
)


def recorded_results(wildcards=None):
    """Every output of RECORDED_RULES, for each outcome: the results provenance.json lists
    with their hashes, and the checksums (.sha256) of the intermediates, which it checks."""
    paths = set()
    for name in RECORDED_RULES:
        for pattern in getattr(rules, name).output:
            paths.update(expand(str(pattern), outcome=OUTCOMES))
    return sorted(paths)


def final_outputs():
    """Targets of rule all."""
    return [
        "<results>/validation.json",
        "<results>/comparisons.csv",
        "<results>/pooled.csv",
        "<results>/summary_of_findings.csv",
        "<results>/summary_of_findings.md",
        "<results>/summary_of_findings.docx",
        "<results>/limitations.md",
        "<results>/provenance.json",
        "<results>/report.html",
        "<results>/report.pdf",
        *figure_dirs(),
        "<results>/figures/risk_of_bias",
        "<results>/figures/prisma",
    ]


def report_failed_cluster_jobs(logs):
    """Print, for each cluster job that SLURM ended, the resource to raise (onerror hook)."""
    from trialmeta.io.failed_jobs import failure_hints

    hints = failure_hints(logs, profile="workflow/profiles/slurm/config.yaml")
    if hints:
        print("Cluster jobs that SLURM ended, and what to change:", file=sys.stderr)
        for hint in hints:
            print(f"  {hint}", file=sys.stderr)
