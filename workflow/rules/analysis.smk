rule radius:
    input:
        z="results/{run}/latents/{model}/z.npy",
    output:
        densities="results/{run}/analysis/{model}/radius/density.csv",
        summary="results/{run}/analysis/{model}/radius/summary.json",
        figure=report(
            "results/{run}/analysis/{model}/radius/radius.png",
            caption="../report/radius.rst",
            category="Radius",
            subcategory="{model}",
        ),
    log:
        "results/{run}/logs/radius/{model}.log",
    benchmark:
        "results/{run}/benchmarks/radius/{model}.tsv"
    conda:
        "../../envs/zatlas.yaml"
    params:
        settings=config["analysis"]["radius"],
    script:
        "../scripts/radius.py"


rule axes:
    input:
        z="results/{run}/latents/{model}/z.npy",
    output:
        table="results/{run}/analysis/{model}/axes/table.csv",
        density="results/{run}/analysis/{model}/axes/density.csv",
        dominant="results/{run}/analysis/{model}/axes/dominant.csv",
        figure_all=report(
            "results/{run}/analysis/{model}/axes/all_axes.png",
            caption="../report/axes-all_axes.rst",
            category="Axes",
            subcategory="{model}",
        ),
        figure_dominant=report(
            "results/{run}/analysis/{model}/axes/dominant_axes.png",
            caption="../report/axes-dominant_axes.rst",
            category="Axes",
            subcategory="{model}",
        ),
    log:
        "results/{run}/logs/axes/{model}.log",
    benchmark:
        "results/{run}/benchmarks/axes/{model}.tsv"
    conda:
        "../../envs/zatlas.yaml"
    params:
        settings=config["analysis"]["axes"],
    script:
        "../scripts/axes.py"


rule pca:
    input:
        z="results/{run}/latents/{model}/z.npy",
        axes_table=rules.axes.output.table,
    output:
        variance="results/{run}/analysis/{model}/pca/variance.csv",
        variance_figure=report(
            "results/{run}/analysis/{model}/pca/variance.png",
            caption="../report/pca-variance.rst",
            category="PCA",
            subcategory="{model}",
        ),
        zoom_table="results/{run}/analysis/{model}/pca/zoom_counts.csv",
        planes_figure=report(
            "results/{run}/analysis/{model}/pca/pc_planes.png",
            caption="../report/pca-pc_planes.rst",
            category="PCA",
            subcategory="{model}",
        ),
        axis_planes_figure=report(
            "results/{run}/analysis/{model}/pca/axis_planes.png",
            caption="../report/pca-axis_planes.rst",
            category="PCA",
            subcategory="{model}",
        ),
    log:
        "results/{run}/logs/pca/{model}.log",
    benchmark:
        "results/{run}/benchmarks/pca/{model}.tsv"
    conda:
        "../../envs/zatlas.yaml"
    threads: 2
    params:
        settings=config["analysis"]["pca"],
        seed=config["seed"],
    script:
        "../scripts/pca.py"


rule tsne:
    input:
        z="results/{run}/latents/{model}/z.npy",
        attributes=rules.prepare.output.attributes,
    output:
        embedding="results/{run}/analysis/{model}/tsne/{variant}.csv",
        summary="results/{run}/analysis/{model}/tsne/{variant}.json",
        figure=report(
            "results/{run}/analysis/{model}/tsne/{variant}.png",
            caption="../report/tsne.rst",
            category="t-SNE",
            subcategory="{model}",
            labels={"model": "{model}", "variant": "{variant}"},
        ),
    log:
        "results/{run}/logs/tsne/{model}_{variant}.log",
    benchmark:
        "results/{run}/benchmarks/tsne/{model}_{variant}.tsv"
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        mem_mb=8000,
    params:
        tsne=tsne_params,
        color_by=config["analysis"]["tsne"]["color_by"],
        recall_queries=config["analysis"]["tsne"]["recall_queries"],
        seed=config["seed"],
    script:
        "../scripts/tsne.py"


rule inertia:
    input:
        z="results/{run}/latents/{model}/z.npy",
    output:
        sweep="results/{run}/analysis/{model}/inertia/sweep.csv",
        summary="results/{run}/analysis/{model}/inertia/summary.json",
        figure=report(
            "results/{run}/analysis/{model}/inertia/inertia.png",
            caption="../report/inertia.rst",
            category="k-means",
            subcategory="{model}",
        ),
    log:
        "results/{run}/logs/inertia/{model}.log",
    benchmark:
        "results/{run}/benchmarks/inertia/{model}.tsv"
    conda:
        "../../envs/zatlas.yaml"
    threads: 4
    resources:
        mem_mb=8000,
    params:
        settings=config["analysis"]["kmeans"],
        seed=config["seed"],
    script:
        "../scripts/inertia.py"


rule vae_stats:
    input:
        z="results/{run}/latents/{model}/z.npy",
        mu="results/{run}/latents/{model}/mu.npy",
        logvar="results/{run}/latents/{model}/logvar.npy",
    output:
        table="results/{run}/analysis/{model}/vae_stats/stats.csv",
        summary="results/{run}/analysis/{model}/vae_stats/stats.json",
        figure=report(
            "results/{run}/analysis/{model}/vae_stats/vae_stats.png",
            caption="../report/vae_stats.rst",
            category="VAE statistics",
            subcategory="{model}",
        ),
    log:
        "results/{run}/logs/vae_stats/{model}.log",
    benchmark:
        "results/{run}/benchmarks/vae_stats/{model}.tsv"
    wildcard_constraints:
        model=one_of(VAES),
    conda:
        "../../envs/zatlas.yaml"
    script:
        "../scripts/vae_stats.py"


rule samples:
    input:
        z="results/{run}/latents/{model}/z.npy",
        images=rules.prepare.output.images,
        encoder=rules.train.output.encoder,
        decoder=rules.train.output.decoder,
    output:
        summary="results/{run}/analysis/{model}/samples/summary.csv",
        samples_figure=report(
            "results/{run}/analysis/{model}/samples/random_z.png",
            caption="../report/samples-random_z.rst",
            category="Samples",
            subcategory="{model}",
        ),
        reconstructions_figure=report(
            "results/{run}/analysis/{model}/samples/reconstructions.png",
            caption="../report/samples-reconstructions.rst",
            category="Samples",
            subcategory="{model}",
        ),
    log:
        "results/{run}/logs/samples/{model}.log",
    benchmark:
        "results/{run}/benchmarks/samples/{model}.tsv"
    conda:
        "../../envs/zatlas.yaml"
    resources:
        gpu=1,
    params:
        settings=config["analysis"]["samples"],
        seed=config["seed"],
    script:
        "../scripts/samples.py"


rule compare:
    input:
        radius_tables=expand(
            rules.radius.output.densities, model=MODELS, allow_missing=True
        ),
        radius_summaries=expand(
            rules.radius.output.summary, model=MODELS, allow_missing=True
        ),
        dominant=expand(rules.axes.output.dominant, model=MODELS, allow_missing=True),
        inertia=expand(rules.inertia.output.summary, model=MODELS, allow_missing=True),
        vae=expand(rules.vae_stats.output.summary, model=VAES, allow_missing=True),
    output:
        table="results/{run}/compare/compare.csv",
        figure=report(
            "results/{run}/compare/radius_overlay.png",
            caption="../report/compare-radius_overlay.rst",
            category="Comparison",
        ),
        inertia_figure=report(
            "results/{run}/compare/inertia_overlay.png",
            caption="../report/compare-inertia_overlay.rst",
            category="Comparison",
        ),
    log:
        "results/{run}/logs/compare.log",
    benchmark:
        "results/{run}/benchmarks/compare/all.tsv"
    conda:
        "../../envs/zatlas.yaml"
    params:
        models=MODELS,
        vaes=VAES,
        z_dim=config["architecture"]["z_dim"],
    script:
        "../scripts/compare.py"
