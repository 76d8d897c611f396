# Figures (config figures.formats: SVG + PNG at 150 dpi by default; each with its data as
# CSV), one process per outcome.
# The forest plot draws the MCID line and the TSA plot the RIS from it, so an MCID edit
# reruns this rule for that outcome (through its analysis result).


rule outcome_figures:
    input:
        analysis="<results>/analyses/{outcome}.json",
        labels=outcome_labels,
        vocabulary=vocabulary_file(),
    output:
        report(
            directory("<results>/figures/{outcome}"),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="4 Figures",
            subcategory="{outcome}",
        ),
        "<results>/figures/{outcome}.sha256",
    log:
        "<results>/logs/outcome_figures/{outcome}.log",
    benchmark:
        "<results>/benchmarks/outcome_figures/{outcome}.tsv"
    conda:
        ENV
    params:
        wording=figure_wording,
        files=figure_files_settings,
        labels=label_settings,
        code=code("plot_outcome.py"),
    script:
        "../scripts/plot_outcome.py"


rule risk_of_bias_figures:
    input:
        validation="<results>/validation.json",
        rob=rob_sheet(),
        effects="<results>/comparisons.csv",
        studies=studies_sheet(),
        arms=arms_sheet(),
    output:
        report(
            directory("<results>/figures/risk_of_bias"),
            patterns=["{name}.png"],
            caption="../report/risk_of_bias.rst",
            category="4 Figures",
            subcategory="risk of bias",
        ),
        "<results>/figures/risk_of_bias.sha256",
    log:
        "<results>/logs/risk_of_bias_figures.log",
    benchmark:
        "<results>/benchmarks/risk_of_bias_figures.tsv"
    conda:
        ENV
    params:
        pedro_low_below=REVIEW.grade.pedro_low_below,
        labels=label_settings,
        files=figure_files_settings,
        code=code("plot_risk_of_bias.py"),
    script:
        "../scripts/plot_risk_of_bias.py"


rule prisma_figure:
    input:
        accounting="<results>/comparisons_accounting.csv",
        studies=studies_sheet(),
        arms=arms_sheet(),
        vocabulary=vocabulary_file(),
    output:
        report(
            directory("<results>/figures/prisma"),
            patterns=["{name}.png"],
            caption="../report/prisma.rst",
            category="4 Figures",
            subcategory="flow of trials",
        ),
        "<results>/figures/prisma.sha256",
    log:
        "<results>/logs/prisma_figure.log",
    benchmark:
        "<results>/benchmarks/prisma_figure.tsv"
    conda:
        ENV
    params:
        flow=prisma_settings,
        labels=label_settings,
        files=figure_files_settings,
        code=code("plot_prisma.py"),
    script:
        "../scripts/plot_prisma.py"
