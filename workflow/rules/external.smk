# Models trained elsewhere (type: external): their checked latents are brought into
# results/{run}/latents/{model}/ in place of train -> encode, rows in the data set's order.
# Two rules, as for encode: an external model given mu and logvar has more outputs.
rule ingest:
    input:
        sources=external_inputs,
        attributes=rules.prepare.output.attributes,
    output:
        z=latents("z"),
        summary="results/{run}/latents/{model}/ingest.json",
    log:
        logs("ingest/{model}.log"),
    benchmark:
        benchmarks("ingest/{model}.tsv")
    wildcard_constraints:
        model=one_of(EXTERNAL_AES),
    conda:
        "../../envs/zatlas.yaml"
    resources:
        mem_mb=2000,
    params:
        spec=external_spec,
        image_size=config["data"]["image_size"] if IMAGES else None,
    script:
        "../scripts/stage.py"


use rule ingest as ingest_vae with:
    output:
        z=latents("z"),
        mu=latents("mu"),
        logvar=latents("logvar"),
        summary="results/{run}/latents/{model}/ingest.json",
    wildcard_constraints:
        model=one_of(EXTERNAL_VAES),


# A run without images (data.dataset: none): the table of its rows (ids, metadata) takes
# the place of the prepared data set's attributes.parquet.
rule metadata:
    input:
        sources=[
            os.path.expanduser(str(p))
            for p in [config["data"].get("metadata")]
            + [config["models"][m].get("ids") for m in EXTERNAL[:1]]
            if p
        ],
    output:
        attributes="results/{run}/data/attributes.parquet",
        summary="results/{run}/data/metadata.json",
    log:
        logs("metadata.log"),
    benchmark:
        benchmarks("metadata/all.tsv")
    conda:
        "../../envs/zatlas.yaml"
    params:
        table=config["data"].get("metadata"),
        ids=config["models"][EXTERNAL[0]].get("ids") if EXTERNAL else None,
        n_rows=n_available(config) if not IMAGES else 0,
    script:
        "../scripts/stage.py"


if IMAGES:

    ruleorder: prepare > metadata

else:

    ruleorder: metadata > prepare
