# The raw files are not declared outputs: Snakemake deletes declared outputs before a job
# runs, and a 1.4 GB archive placed by hand must never be deleted. The source record is.
# A folder's record depends on the folder's content alone (its fingerprint, rewritten at
# parse time only when an image changed), so every config on one folder shares it.
rule acquire:
    input:
        unpack(acquire_inputs),
    output:
        source="resources/{dataset}/source.json",
    log:
        "resources/{dataset}/acquire.log",
    benchmark:
        "resources/{dataset}/acquire.benchmark.tsv"
    conda:
        "../../envs/zatlas.yaml"
    params:
        settings=acquire_settings(config),
    script:
        "../scripts/stage.py"


rule prepare:
    input:
        source=expand(rules.acquire.output.source, dataset=DATASET)[0],
        fingerprints=table_fingerprints(config),
    output:
        images="results/{run}/data/images.npy",
        attributes="results/{run}/data/attributes.parquet",
        summary="results/{run}/data/prepare.json",
    log:
        logs("prepare.log"),
    benchmark:
        benchmarks("prepare/all.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: MOST_THREADS["prepare"]
    resources:
        mem_mb=4000,
    params:
        dataset=config["data"]["dataset"],
        image_size=config["data"]["image_size"],
        crop=config["data"]["crop"],
        n_images=config["data"]["n_images"],
        on_corrupt=config["data"]["on_corrupt"],
        workers=config["data"]["workers"],
        seed=config["seed"],
        attribute_file=config["data"]["attributes"],
        splits=config["data"]["splits"],
        split_fractions=config["data"]["split_fractions"],
    script:
        "../scripts/stage.py"
