# Beyond the blog: the open questions answered with numbers, each against a null or a
# reference (matched Gaussian, held-out real z-points, chance-adjusted NMI).
rule structure:
    input:
        z=latents("z"),
    output:
        nn_table="results/{run}/analysis/{model}/structure/nn_distances.csv",
        void_table="results/{run}/analysis/{model}/structure/voids.csv",
        verdicts="results/{run}/analysis/{model}/structure/verdicts.csv",
        summary="results/{run}/analysis/{model}/structure/summary.json",
        figure=report(
            "results/{run}/analysis/{model}/structure/structure.png",
            caption="../report/structure-structure.rst",
            category="Structure vs null",
            subcategory="{model}",
        ),
        tsne_figure=report(
            "results/{run}/analysis/{model}/structure/tsne_null.png",
            caption="../report/structure-tsne_null.rst",
            category="Structure vs null",
            subcategory="{model}",
        ),
    log:
        logs("structure/{model}.log"),
    benchmark:
        benchmarks("structure/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["structure"],
        planes=ANALYSIS["pca"]["planes"],
        zooms=ANALYSIS["pca"]["zooms"],
        scale=ANALYSIS["scale"],
        tsne_iter=ANALYSIS["tsne"]["n_iter"],
        tsne_schedule=ANALYSIS["tsne"]["schedule"],
        seed=config["seed"],
    script:
        "../scripts/structure.py"


rule intrinsic_dim:
    input:
        z=latents("z"),
        mean=latent_mean,
    output:
        table="results/{run}/analysis/{model}/intrinsic_dim/dimensions.csv",
        units="results/{run}/analysis/{model}/intrinsic_dim/active_units.csv",
        summary="results/{run}/analysis/{model}/intrinsic_dim/summary.json",
        figure=report(
            "results/{run}/analysis/{model}/intrinsic_dim/dimensions.png",
            caption="../report/intrinsic_dim.rst",
            category="Intrinsic dimension",
            subcategory="{model}",
        ),
    log:
        logs("intrinsic_dim/{model}.log"),
    benchmark:
        benchmarks("intrinsic_dim/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["intrinsic_dim"],
        seed=config["seed"],
    script:
        "../scripts/intrinsic_dim.py"


rule sampling:
    input:
        z=latents("z"),
        attributes=rules.prepare.output.attributes,
        encoder=rules.train.output.encoder,
        decoder=rules.train.output.decoder,
    output:
        table="results/{run}/analysis/{model}/sampling/scores.csv",
        samples_figure=report(
            "results/{run}/analysis/{model}/sampling/samples.png",
            caption="../report/sampling-samples.rst",
            category="Sampling strategies",
            subcategory="{model}",
        ),
        scores_figure=report(
            "results/{run}/analysis/{model}/sampling/scores.png",
            caption="../report/sampling-scores.rst",
            category="Sampling strategies",
            subcategory="{model}",
        ),
    log:
        logs("sampling/{model}.log"),
    benchmark:
        benchmarks("sampling/{model}.tsv")
    wildcard_constraints:
        model=one_of(PLAN["sampling"]),
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        gpu=1,
        mem_mb=8000,
    params:
        settings=ANALYSIS["sampling"],
        seed=config["seed"],
    script:
        "../scripts/sampling.py"


rule attributes:
    input:
        z=latents("z"),
        attributes=rules.prepare.output.attributes,
        tsne_embedding=expand(
            rules.tsne.output.embedding, variant=list(TSNE)[:1], allow_missing=True
        )[0],
    output:
        table="results/{run}/analysis/{model}/attributes/nmi.csv",
        summary="results/{run}/analysis/{model}/attributes/summary.json",
        scatter_figure=report(
            "results/{run}/analysis/{model}/attributes/scatters.png",
            caption="../report/attributes-scatters.rst",
            category="Attributes",
            subcategory="{model}",
        ),
        nmi_figure=report(
            "results/{run}/analysis/{model}/attributes/nmi.png",
            caption="../report/attributes-nmi.rst",
            category="Attributes",
            subcategory="{model}",
        ),
    log:
        logs("attributes/{model}.log"),
    benchmark:
        benchmarks("attributes/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["attributes"],
        seed=config["seed"],
    script:
        "../scripts/attributes.py"


rule umap:
    input:
        z=latents("z"),
        attributes=rules.prepare.output.attributes,
    output:
        embeddings="results/{run}/analysis/{model}/umap/embeddings.csv",
        summary="results/{run}/analysis/{model}/umap/summary.json",
        figure=report(
            "results/{run}/analysis/{model}/umap/umap.png",
            caption="../report/umap.rst",
            category="UMAP",
            subcategory="{model}",
        ),
    log:
        logs("umap/{model}.log"),
    benchmark:
        benchmarks("umap/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["umap"],
        n_points=ANALYSIS["tsne"]["n_points"],
        pca_components=ANALYSIS["tsne"]["pca_components"],
        recall_queries=ANALYSIS["tsne"]["recall_queries"],
        color_by=ANALYSIS["tsne"]["color_by"],
        seed=config["seed"],
    script:
        "../scripts/umap.py"


rule kl_sweep:
    input:
        z=expand(latents("z"), model=TRAINED, allow_missing=True),
        logvar=expand(latents("logvar"), model=TRAINED_VAES, allow_missing=True),
        histories=expand(rules.train.output.history, model=TRAINED, allow_missing=True),
        dimensions=expand(
            rules.intrinsic_dim.output.summary, model=TRAINED, allow_missing=True
        ),
    output:
        table="results/{run}/kl_sweep/kl_sweep.csv",
        figure=report(
            "results/{run}/kl_sweep/kl_sweep.png",
            caption="../report/kl_sweep.rst",
            category="Comparison",
        ),
    log:
        logs("kl_sweep.log"),
    benchmark:
        benchmarks("kl_sweep/all.tsv")
    conda:
        "../../envs/zatlas.yaml"
    params:
        models={m: config["models"][m] for m in TRAINED},
        vaes=TRAINED_VAES,
        z_dim=config["architecture"]["z_dim"],
    script:
        "../scripts/kl_sweep.py"
