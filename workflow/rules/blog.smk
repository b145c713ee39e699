# The blog's analyses of each model's latent space.
rule radius:
    input:
        z=latents("z"),
    output:
        densities="results/{run}/analysis/{model}/radius/density.csv",
        summary="results/{run}/analysis/{model}/radius/summary.json",
        figure=figure("results/{run}/analysis/{model}/radius/radius.png"),
    log:
        logs("radius/{model}.log"),
    benchmark:
        benchmarks("radius/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    params:
        settings=ANALYSIS["radius"],
    script:
        "../scripts/stage.py"


rule axes:
    input:
        z=latents("z"),
    output:
        table="results/{run}/analysis/{model}/axes/table.csv",
        density="results/{run}/analysis/{model}/axes/density.csv",
        dominant="results/{run}/analysis/{model}/axes/dominant.csv",
        summary="results/{run}/analysis/{model}/axes/summary.json",
        figure_all=figure("results/{run}/analysis/{model}/axes/all_axes.png"),
        figure_dominant=figure("results/{run}/analysis/{model}/axes/dominant_axes.png"),
    log:
        logs("axes/{model}.log"),
    benchmark:
        benchmarks("axes/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    params:
        settings=ANALYSIS["axes"],
        scale=ANALYSIS["scale"],
    script:
        "../scripts/stage.py"


rule pca:
    input:
        z=latents("z"),
        axes_table=rules.axes.output.table,
    output:
        variance="results/{run}/analysis/{model}/pca/variance.csv",
        variance_figure=figure("results/{run}/analysis/{model}/pca/variance.png"),
        zoom_table="results/{run}/analysis/{model}/pca/zoom_counts.csv",
        summary="results/{run}/analysis/{model}/pca/summary.json",
        planes_figure=figure("results/{run}/analysis/{model}/pca/pc_planes.png"),
        axis_planes_figure=figure("results/{run}/analysis/{model}/pca/axis_planes.png"),
    log:
        logs("pca/{model}.log"),
    benchmark:
        benchmarks("pca/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["pca"])
    params:
        settings=ANALYSIS["pca"],
        scale=ANALYSIS["scale"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


rule tsne:
    input:
        z=latents("z"),
        attributes=rules.prepare.output.attributes,
    output:
        embedding="results/{run}/analysis/{model}/tsne/{variant}.csv",
        summary="results/{run}/analysis/{model}/tsne/{variant}.json",
        figure=figure(
            "results/{run}/analysis/{model}/tsne/{variant}.png",
            labels={"model": "{model}", "variant": "{variant}"},
        ),
    log:
        logs("tsne/{model}_{variant}.log"),
    benchmark:
        benchmarks("tsne/{model}_{variant}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: lambda w: analysis_threads(TSNE[w.variant]["n_points"], MOST_THREADS["tsne"])
    resources:
        mem_mb=8000,
    params:
        variant_settings=tsne_settings,
        color_by=ANALYSIS["tsne"]["color_by"],
        recall_queries=ANALYSIS["tsne"]["recall_queries"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


rule kmeans:
    input:
        z=latents("z"),
    output:
        sweep="results/{run}/analysis/{model}/kmeans/sweep.csv",
        summary="results/{run}/analysis/{model}/kmeans/summary.json",
        figure=figure("results/{run}/analysis/{model}/kmeans/kmeans.png"),
    log:
        logs("kmeans/{model}.log"),
    benchmark:
        benchmarks("kmeans/{model}.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["kmeans"])
    resources:
        mem_mb=8000,
    params:
        settings=ANALYSIS["kmeans"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


rule vae_stats:
    input:
        z=latents("z"),
        mu=latents("mu"),
        logvar=latents("logvar"),
    output:
        table="results/{run}/analysis/{model}/vae_stats/stats.csv",
        summary="results/{run}/analysis/{model}/vae_stats/stats.json",
        figure=figure("results/{run}/analysis/{model}/vae_stats/vae_stats.png"),
    log:
        logs("vae_stats/{model}.log"),
    benchmark:
        benchmarks("vae_stats/{model}.tsv")
    wildcard_constraints:
        model=one_of(VAES),
    conda:
        "../../envs/zatlas.yaml"
    script:
        "../scripts/stage.py"


rule samples:
    input:
        z=latents("z"),
        images=rules.prepare.output.images,
        encoder=encoder_file,
        decoder=decoder_file,
    output:
        summary="results/{run}/analysis/{model}/samples/summary.csv",
        samples_figure=figure("results/{run}/analysis/{model}/samples/random_z.png"),
        reconstructions_figure=figure(
            "results/{run}/analysis/{model}/samples/reconstructions.png"
        ),
    log:
        logs("samples/{model}.log"),
    benchmark:
        benchmarks("samples/{model}.tsv")
    wildcard_constraints:
        model=one_of(PLAN["samples"]),
    conda:
        "../../envs/zatlas.yaml"
    resources:
        gpu=GPU,
    params:
        settings=ANALYSIS["samples"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"
