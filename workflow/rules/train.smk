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
        figure=figure("results/{run}/models/{model}/history.png"),
    log:
        logs("train/{model}.log"),
    benchmark:
        benchmarks("train/{model}.tsv")
    wildcard_constraints:
        model=one_of(TRAINED),
    # training and encoding are the critical path: the gpu slot goes to them first
    priority: 50
    conda:
        "../../envs/zatlas.yaml"
    threads: MODEL_THREADS
    # side_by_side and trained only feed the run's ETA: as resources, not params, so that
    # another --cores or one more model in the config retrains no finished model
    resources:
        gpu=GPU,
        mem_mb=16000,
        runtime=720,
        side_by_side=TRAININGS_AT_ONCE,
        trained=",".join(TRAINED),
    params:
        model_spec=model_spec,
        training=TrainSpec.from_config(config),
        backup_dir="results/{run}/models/{model}/backup",
    script:
        "../scripts/stage.py"


# Two rules because a VAE has more outputs (mu, logvar) than an AE; which one runs for a
# model follows from the model's type in the config. Both run the stage `encode`.
rule encode:
    input:
        images=rules.prepare.output.images,
        encoder=rules.train.output.encoder,
    output:
        z=latents("z"),
    log:
        logs("encode/{model}.log"),
    benchmark:
        benchmarks("encode/{model}.tsv")
    wildcard_constraints:
        model=one_of(TRAINED_AES),
    priority: 50
    conda:
        "../../envs/zatlas.yaml"
    threads: MODEL_THREADS
    resources:
        gpu=GPU,
        mem_mb=8000,
        runtime=60,
    script:
        "../scripts/stage.py"


use rule encode as encode_vae with:
    output:
        z=latents("z"),
        mu=latents("mu"),
        logvar=latents("logvar"),
    wildcard_constraints:
        model=one_of(TRAINED_VAES),
    params:
        eps_clip=config["architecture"]["eps_clip"],
        seed=config["seed"],
