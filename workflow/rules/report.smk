# Provenance (hashes, versions, commit, rerun command) and the self-contained HTML report.


rule provenance:
    input:
        sheets=data_files(),
        configs=CONFIG_FILES,
        validation="<results>/validation.json",
    output:
        "<results>/provenance.json",
    params:
        settings=config,
    log:
        "<results>/logs/provenance.log",
    benchmark:
        "<results>/benchmarks/provenance.tsv"
    conda:
        ENV
    script:
        "../scripts/write_provenance.py"


rule report_html:
    input:
        analyses=analysis_jsons,
        figures=figure_dirs,
        rob_figures="<results>/figures/risk_of_bias",
        comparisons="<results>/comparisons.csv",
        accounting="<results>/comparisons_accounting.csv",
        pooled="<results>/pooled.csv",
        sof="<results>/summary_of_findings.md",
        limitations="<results>/limitations.md",
        provenance="<results>/provenance.json",
        studies=studies_sheet(),
    output:
        report(
            "<results>/report.html",
            caption="../report/report_html.rst",
            category="5 Report",
        ),
    params:
        settings=config,
    log:
        "<results>/logs/report_html.log",
    benchmark:
        "<results>/benchmarks/report_html.tsv"
    conda:
        ENV
    script:
        "../scripts/write_report.py"
