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
        figure=figure("results/{run}/analysis/{model}/structure/structure.png"),
        tsne_figure=figure("results/{run}/analysis/{model}/structure/tsne_null.png"),
    log:
        logs("structure/{model}.log"),
    benchmark:
        benchmarks("structure/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["structure"])
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
        "../scripts/stage.py"


rule intrinsic_dim:
    input:
        z=latents("z"),
        mean=latent_mean,
    output:
        table="results/{run}/analysis/{model}/intrinsic_dim/dimensions.csv",
        units="results/{run}/analysis/{model}/intrinsic_dim/active_units.csv",
        summary="results/{run}/analysis/{model}/intrinsic_dim/summary.json",
        figure=figure("results/{run}/analysis/{model}/intrinsic_dim/dimensions.png"),
    log:
        logs("intrinsic_dim/{model}.log"),
    benchmark:
        benchmarks("intrinsic_dim/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["intrinsic_dim"])
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["intrinsic_dim"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


rule sampling:
    input:
        z=latents("z"),
        attributes=rules.prepare.output.attributes,
        encoder=rules.train.output.encoder,
        decoder=rules.train.output.decoder,
    output:
        table="results/{run}/analysis/{model}/sampling/scores.csv",
        decoded_figure=figure("results/{run}/analysis/{model}/sampling/decoded.png"),
        scores_figure=figure("results/{run}/analysis/{model}/sampling/scores.png"),
    log:
        logs("sampling/{model}.log"),
    benchmark:
        benchmarks("sampling/{model}.tsv")
    wildcard_constraints:
        model=one_of(PLAN["sampling"]),
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["sampling"])
    resources:
        gpu=GPU,
        mem_mb=8000,
    params:
        settings=ANALYSIS["sampling"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


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
        scatter_figure=figure("results/{run}/analysis/{model}/attributes/scatters.png"),
        nmi_figure=figure("results/{run}/analysis/{model}/attributes/nmi.png"),
    log:
        logs("attributes/{model}.log"),
    benchmark:
        benchmarks("attributes/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["attributes"])
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["attributes"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


rule umap:
    input:
        z=latents("z"),
        attributes=rules.prepare.output.attributes,
    output:
        embeddings="results/{run}/analysis/{model}/umap/embeddings.csv",
        summary="results/{run}/analysis/{model}/umap/summary.json",
        figure=figure("results/{run}/analysis/{model}/umap/umap.png"),
    log:
        logs("umap/{model}.log"),
    benchmark:
        benchmarks("umap/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    # umap-learn runs on one thread when seeded: a second reserved core would sit idle
    threads: 1
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["umap"],
        n_points=ANALYSIS["tsne"]["n_points"],
        pca_components=ANALYSIS["tsne"]["pca_components"],
        recall_queries=ANALYSIS["tsne"]["recall_queries"],
        color_by=ANALYSIS["tsne"]["color_by"],
        seed=config["seed"],
        # umap-learn's compiled code, kept across jobs and runs like the downloads
        numba_cache="resources/numba-cache",
    script:
        "../scripts/stage.py"


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
        figure=figure("results/{run}/kl_sweep/kl_sweep.png"),
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
        "../scripts/stage.py"
