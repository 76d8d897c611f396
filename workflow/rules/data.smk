# Validate the extraction sheets, then build one effect row per study x comparison.


rule validate_data:
    input:
        sheets=data_files(),
    output:
        "<results>/validation.json",
        "<results>/validation.json.sha256",
    params:
        data_dir=data_dir,
        codes=config_codes,
        code=code("validate_data.py"),
    log:
        "<results>/logs/validate_data.log",
    benchmark:
        "<results>/benchmarks/validate_data.tsv"
    conda:
        ENV
    script:
        "../scripts/validate_data.py"


rule comparisons:
    input:
        validation="<results>/validation.json",
        sheets=data_files(),
    output:
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
    params:
        measure=REVIEW.measure,
        outcomes=comparison_windows,
        comparisons=comparison_groups,
        options=data_build_options,
        code=code("build_comparisons.py"),
    log:
        "<results>/logs/comparisons.log",
    benchmark:
        "<results>/benchmarks/comparisons.tsv"
    conda:
        ENV
    script:
        "../scripts/build_comparisons.py"
