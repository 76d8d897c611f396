# Tables, the Summary of Findings, the limitations summary, provenance and the HTML report:
# these only read results, so editing the title or other report text reruns only them.


rule tables:
    input:
        analyses=analysis_jsons,
        effects="<results>/comparisons.csv",
    output:
        pooled=report(
            "<results>/pooled.csv",
            caption="../report/pooled.rst",
            category="2 Results",
        ),
        effects=directory("<results>/effects"),
        sensitivity="<results>/sensitivity.csv",
        subgroups="<results>/subgroups.csv",
        metaregression="<results>/metaregression.csv",
        coverage=report(
            "<results>/coverage.csv",
            caption="../report/coverage.rst",
            category="2 Results",
        ),
        gosh=report(
            "<results>/gosh.csv",
            caption="../report/gosh.rst",
            category="2 Results",
        ),
    log:
        "<results>/logs/tables.log",
    benchmark:
        "<results>/benchmarks/tables.tsv"
    conda:
        ENV
    params:
        code=code("write_tables.py"),
    script:
        "../scripts/write_tables.py"


rule summary_of_findings:
    input:
        analyses=analysis_jsons,
        accounting="<results>/comparisons_accounting.csv",
        studies=studies_sheet(),
        arms=arms_sheet(),
        vocabulary=vocabulary_file(),
    output:
        csv="<results>/summary_of_findings.csv",
        md=report(
            "<results>/summary_of_findings.md",
            caption="../report/sof.rst",
            category="2 Results",
        ),
        docx=report(
            "<results>/summary_of_findings.docx",
            caption="../report/sof_docx.rst",
            category="2 Results",
        ),
        csv_sha256="<results>/summary_of_findings.csv.sha256",
    log:
        "<results>/logs/summary_of_findings.log",
    benchmark:
        "<results>/benchmarks/summary_of_findings.tsv"
    conda:
        ENV
    params:
        review=review_body_settings,
        labels=label_settings,
        code=code("write_sof.py"),
    script:
        "../scripts/write_sof.py"


rule limitations:
    input:
        analyses=analysis_jsons,
        effects="<results>/comparisons.csv",
        accounting="<results>/comparisons_accounting.csv",
        warnings="<results>/data_warnings.csv",
        studies=studies_sheet(),
        arms=arms_sheet(),
        vocabulary=vocabulary_file(),
    output:
        report(
            "<results>/limitations.md",
            caption="../report/limitations.rst",
            category="3 Certainty and limitations",
        ),
        "<results>/limitations.md.sha256",
    log:
        "<results>/logs/limitations.log",
    benchmark:
        "<results>/benchmarks/limitations.tsv"
    conda:
        ENV
    params:
        review=review_body_settings,
        labels=label_settings,
        code=code("write_limitations.py"),
    script:
        "../scripts/write_limitations.py"


rule provenance:
    input:
        sheets=data_files(),
        configs=CONFIG_FILES,
        validation="<results>/validation.json",
        results=recorded_results,
    output:
        "<results>/provenance.json",
        "<results>/provenance.json.sha256",
    log:
        "<results>/logs/provenance.log",
    benchmark:
        "<results>/benchmarks/provenance.tsv"
    conda:
        ENV
    params:
        config=review_settings,
        code=code("write_provenance.py"),
    script:
        "../scripts/write_provenance.py"


rule report_html:
    input:
        analyses=analysis_jsons,
        figures=figure_dirs,
        rob_figures="<results>/figures/risk_of_bias",
        prisma="<results>/figures/prisma",
        accounting="<results>/comparisons_accounting.csv",
        limitations="<results>/limitations.md",
        provenance="<results>/provenance.json",
        studies=studies_sheet(),
        arms=arms_sheet(),
        vocabulary=vocabulary_file(),
    output:
        report(
            "<results>/report.html",
            caption="../report/report_html.rst",
            category="5 Report",
        ),
        "<results>/report.html.sha256",
    log:
        "<results>/logs/report_html.log",
    benchmark:
        "<results>/benchmarks/report_html.tsv"
    conda:
        ENV
    params:
        review=review_settings,
        labels=label_settings,
        code=code("write_report.py"),
    script:
        "../scripts/write_report.py"


rule report_pdf:
    input:
        "<results>/report.html",
    output:
        report(
            "<results>/report.pdf",
            caption="../report/report_pdf.rst",
            category="5 Report",
        ),
    log:
        "<results>/logs/report_pdf.log",
    benchmark:
        "<results>/benchmarks/report_pdf.tsv"
    conda:
        ENV
    params:
        code=code("write_pdf.py"),
    script:
        "../scripts/write_pdf.py"
