# What is where in z: traversals along directions, interpolations between faces, and the
# interactive explorer of every embedded face.


rule traversals:
    input:
        z=latents("z"),
        axes_table=rules.axes.output.table,
        decoder=decoder_file,
    output:
        table="results/{run}/analysis/{model}/traversals/change.csv",
        change_figure=figure("results/{run}/analysis/{model}/traversals/change.png"),
        grids=[
            figure(
                f"results/{{run}}/analysis/{{model}}/traversals/{name}.png",
                labels={"model": "{model}", "direction": name},
            )
            for name in TRAVERSAL_GRIDS
        ],
    log:
        logs("traversals/{model}.log"),
    benchmark:
        benchmarks("traversals/{model}.tsv")
    wildcard_constraints:
        model=one_of(PLAN["traversals"]),
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["traversals"])
    resources:
        gpu=GPU,
        mem_mb=4000,
    params:
        settings=ANALYSIS["traversals"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


rule interpolations:
    input:
        z=latents("z"),
        attributes=rules.prepare.output.attributes,
        decoder=decoder_file,
    output:
        table="results/{run}/analysis/{model}/interpolations/paths.csv",
        pairs="results/{run}/analysis/{model}/interpolations/pairs.csv",
        scores="results/{run}/analysis/{model}/interpolations/scores.csv",
        figure=figure("results/{run}/analysis/{model}/interpolations/paths.png"),
    log:
        logs("interpolations/{model}.log"),
    benchmark:
        benchmarks("interpolations/{model}.tsv")
    wildcard_constraints:
        model=one_of(PLAN["interpolations"]),
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["interpolations"])
    resources:
        gpu=GPU,
        mem_mb=8000,
    params:
        settings=ANALYSIS["interpolations"],
        seed=config["seed"],
    script:
        "../scripts/stage.py"


# One folder per run: index.html, a page per model, the sprite sheets and the scripts the
# pages load (copied from the installed Bokeh), so it opens from disk with no network.
rule explore:
    input:
        images=images_file,
        attributes=rules.prepare.output.attributes,
        z=expand(latents("z"), model=MODELS, allow_missing=True),
        embeddings=expand(
            rules.tsne.output.embedding,
            model=MODELS,
            variant=EXPLORE_VARIANTS,
            allow_missing=True,
        ),
    output:
        index="results/{run}/explore/index.html",
        pages=expand("results/{{run}}/explore/{model}.html", model=MODELS),
        summary="results/{run}/explore/summary.json",
    log:
        logs("explore.log"),
    benchmark:
        benchmarks("explore/all.tsv")
    conda:
        "../../envs/zatlas.yaml"
    threads: analysis_threads(N_POINTS, MOST_THREADS["explore"])
    resources:
        mem_mb=8000,
    params:
        settings={k: v for k, v in ANALYSIS["explore"].items() if k != "tsne"},
        models=MODELS,
        variants=EXPLORE_VARIANTS,
        seed=config["seed"],
    script:
        "../scripts/stage.py"
