# Simulation and resampling checks of every pooled analysis of one outcome, one rule each
# (cached separately, run in parallel): coverage simulation, GOSH, permutation tests.


rule coverage:
    input:
        fits=outcome_fits,
    output:
        "<results>/simulation/coverage/{outcome}.json",
        "<results>/simulation/coverage/{outcome}.json.sha256",
    log:
        "<results>/logs/coverage/{outcome}.log",
    benchmark:
        "<results>/benchmarks/coverage/{outcome}.tsv"
    conda:
        ENV
    params:
        settings=coverage_settings,
        code=code("simulate.py"),
    script:
        "../scripts/simulate.py"


rule gosh:
    input:
        fits=outcome_fits,
    output:
        "<results>/simulation/gosh/{outcome}.json",
        "<results>/simulation/gosh/{outcome}.json.sha256",
    log:
        "<results>/logs/gosh/{outcome}.log",
    benchmark:
        "<results>/benchmarks/gosh/{outcome}.tsv"
    conda:
        ENV
    params:
        settings=gosh_settings,
        code=code("simulate.py"),
    script:
        "../scripts/simulate.py"


rule permutation:
    input:
        fits=outcome_fits,
    output:
        "<results>/simulation/permutation/{outcome}.json",
        "<results>/simulation/permutation/{outcome}.json.sha256",
    log:
        "<results>/logs/permutation/{outcome}.log",
    benchmark:
        "<results>/benchmarks/permutation/{outcome}.tsv"
    conda:
        ENV
    params:
        settings=permutation_settings,
        code=code("simulate.py"),
    script:
        "../scripts/simulate.py"
