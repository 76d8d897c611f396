# The analyses of one outcome, in two rules around the simulation checks (simulation.smk):
# every fit (pooling, subgroups, sensitivity, leave-one-out, small-study tests,
# meta-regression), then certainty (GRADE) and trial sequential analysis, which read the
# MCID and SD; so an MCID edit reruns only the second rule of that outcome.


rule fit_outcome:
    input:
        inputs=outcome_data,
    output:
        "<results>/fits/{outcome}.json",
        "<results>/fits/{outcome}.json.sha256",
    log:
        "<results>/logs/fit_outcome/{outcome}.log",
    benchmark:
        "<results>/benchmarks/fit_outcome/{outcome}.tsv"
    conda:
        ENV
    params:
        settings=fit_settings,
        code=code("fit_outcome.py"),
    script:
        "../scripts/fit_outcome.py"


rule certainty:
    input:
        fits=outcome_fits,
        coverage="<results>/simulation/coverage/{outcome}.json",
        gosh="<results>/simulation/gosh/{outcome}.json",
        permutation="<results>/simulation/permutation/{outcome}.json",
    output:
        "<results>/analyses/{outcome}.json",
        "<results>/analyses/{outcome}.json.sha256",
    log:
        "<results>/logs/certainty/{outcome}.log",
    benchmark:
        "<results>/benchmarks/certainty/{outcome}.tsv"
    conda:
        ENV
    params:
        settings=certainty_settings,
        code=code("complete_outcome.py"),
    script:
        "../scripts/complete_outcome.py"
