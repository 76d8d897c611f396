# Limitations summary: GRADE reasons, flags, protocol spread, data-quality warnings.
# (Small-study tests themselves run inside analyse_outcome, only when k >= 10.)


rule limitations:
    input:
        analyses=analysis_jsons,
        effects="<results>/comparisons.csv",
        accounting="<results>/comparisons_accounting.csv",
        warnings="<results>/data_warnings.csv",
    output:
        report(
            "<results>/limitations.md",
            caption="../report/limitations.rst",
            category="3 Certainty and limitations",
        ),
    params:
        settings=config,
    log:
        "<results>/logs/limitations.log",
    benchmark:
        "<results>/benchmarks/limitations.tsv"
    conda:
        ENV
    script:
        "../scripts/write_limitations.py"
