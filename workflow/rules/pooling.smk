# All analyses of one outcome in one Python process: pooling, subgroups, sensitivity,
# small-study tests, meta-regression, GRADE, and the coverage simulation, GOSH and
# permutation tests (scripts/trialmeta/review.py, robustness.py).


rule analyse_outcome:
    input:
        effects="<results>/comparisons.csv",
        arms=arms_sheet(),
        vocabulary=vocabulary_file(),
        rob=rob_sheet(),
    output:
        "<results>/analyses/{outcome}.json",
    params:
        settings=config,
    log:
        "<results>/logs/analyse_outcome/{outcome}.log",
    benchmark:
        "<results>/benchmarks/analyse_outcome/{outcome}.tsv"
    conda:
        ENV
    script:
        "../scripts/analyse_outcome.py"


rule tables:
    input:
        analyses=analysis_jsons,
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
        sof_csv="<results>/summary_of_findings.csv",
        sof_md=report(
            "<results>/summary_of_findings.md",
            caption="../report/sof.rst",
            category="2 Results",
        ),
    params:
        settings=config,
    log:
        "<results>/logs/tables.log",
    benchmark:
        "<results>/benchmarks/tables.tsv"
    conda:
        ENV
    script:
        "../scripts/write_tables.py"
