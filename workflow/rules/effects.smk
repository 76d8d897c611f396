# Validate the extraction sheets, then build one effect row per study x comparison.


rule validate_data:
    input:
        sheets=data_files(),
    output:
        "<results>/validation.json",
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
    params:
        measure=config["measure"],
        outcomes=config["outcomes"],
        comparisons=config["comparisons"],
        multiarm=config.get("multi_arm", {}).get("method", "combine"),
        data_quality=config.get("data_quality"),
    log:
        "<results>/logs/comparisons.log",
    benchmark:
        "<results>/benchmarks/comparisons.tsv"
    conda:
        ENV
    script:
        "../scripts/build_comparisons.py"
