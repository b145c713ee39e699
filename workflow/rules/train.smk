# The per-epoch backup lives in results/{run}/models/{model}/backup/: it is not a declared
# output (Snakemake would delete it before the rerun that needs it) and no rule is shadowed.
rule train:
    input:
        images=rules.prepare.output.images,
        attributes=rules.prepare.output.attributes,
    output:
        encoder="results/{run}/models/{model}/encoder.keras",
        decoder="results/{run}/models/{model}/decoder.keras",
        history="results/{run}/models/{model}/history.csv",
        summary="results/{run}/models/{model}/train.json",
        figure=report(
            "results/{run}/models/{model}/history.png",
            caption="../report/training.rst",
            category="Training",
            subcategory="{model}",
        ),
    log:
        "results/{run}/logs/train/{model}.log",
    benchmark:
        "results/{run}/benchmarks/train/{model}.tsv"
    conda:
        "../../envs/zatlas.yaml"
    threads: 8
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=720,
    params:
        backup="results/{run}/models/{model}/backup",
    script:
        "../scripts/train.py"
