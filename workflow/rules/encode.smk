# Two rules because a VAE has more outputs (mu, logvar) than an AE; which one runs for a
# model follows from the model's type in the config.
rule encode:
    input:
        images=rules.prepare.output.images,
        encoder=rules.train.output.encoder,
    output:
        z="results/{run}/latents/{model}/z.npy",
    log:
        "results/{run}/logs/encode/{model}.log",
    benchmark:
        "results/{run}/benchmarks/encode/{model}.tsv"
    wildcard_constraints:
        model=one_of(AES),
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    script:
        "../scripts/encode.py"


rule encode_vae:
    input:
        images=rules.prepare.output.images,
        encoder=rules.train.output.encoder,
    output:
        z="results/{run}/latents/{model}/z.npy",
        mu="results/{run}/latents/{model}/mu.npy",
        logvar="results/{run}/latents/{model}/logvar.npy",
    log:
        "results/{run}/logs/encode/{model}.log",
    benchmark:
        "results/{run}/benchmarks/encode/{model}.tsv"
    wildcard_constraints:
        model=one_of(VAES),
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    params:
        eps_clip=config["architecture"]["eps_clip"],
        seed=config["seed"],
    script:
        "../scripts/encode.py"
