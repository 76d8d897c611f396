# One job for the data: validate the extraction sheets (a located error stops the run before
# any analysis), then build one effect row per study x comparison, and write what each
# outcome's analysis and figures read from the sheets into one file per outcome.
#
# A checkpoint: once it has run, Snakemake evaluates the jobs after it again. A per-outcome
# file whose bytes did not change (the edited trial does not enter that outcome) has the
# checksum Snakemake recorded when its analysis last ran, so that analysis, its simulations,
# its certainty and its figures are not rerun (dag.py: an input newer than the outputs but
# with the recorded checksum is not an updated input; files under --max-checksum-file-size).
# A dry run before this job has run lists every job after it: which outcomes rerun is known
# only once the new per-outcome files exist.


checkpoint prepare_data:
    input:
        sheets=data_files(),
    output:
        validation="<results>/validation.json",
        validation_sha256="<results>/validation.json.sha256",
        effects=report(
            "<results>/comparisons.csv",
            caption="../report/comparisons.rst",
            category="1 Data",
        ),
        accounting="<results>/comparisons_accounting.csv",
        warnings="<results>/data_warnings.csv",
        effects_sha256="<results>/comparisons.csv.sha256",
        accounting_sha256="<results>/comparisons_accounting.csv.sha256",
        warnings_sha256="<results>/data_warnings.csv.sha256",
        outcome_data=expand("<results>/outcome_data/{outcome}.json", outcome=OUTCOMES),
        outcome_data_sha256=expand("<results>/outcome_data/{outcome}.json.sha256", outcome=OUTCOMES),
        outcome_labels=expand("<results>/outcome_labels/{outcome}.json", outcome=OUTCOMES),
        outcome_labels_sha256=expand(
            "<results>/outcome_labels/{outcome}.json.sha256", outcome=OUTCOMES
        ),
    log:
        "<results>/logs/prepare_data.log",
    benchmark:
        "<results>/benchmarks/prepare_data.tsv"
    conda:
        ENV
    params:
        data_dir=data_dir,
        codes=config_codes,
        measure=REVIEW.measure,
        outcomes=comparison_windows,
        comparisons=comparison_groups,
        options=data_build_options,
        code=code("prepare_data.py"),
    script:
        "../scripts/prepare_data.py"
