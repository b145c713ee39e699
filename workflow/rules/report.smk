rule compare:
    input:
        radius_tables=expand(
            rules.radius.output.densities, model=MODELS, allow_missing=True
        ),
        radius_summaries=expand(
            rules.radius.output.summary, model=MODELS, allow_missing=True
        ),
        dominant=expand(rules.axes.output.dominant, model=MODELS, allow_missing=True),
        axes=expand(rules.axes.output.summary, model=MODELS, allow_missing=True),
        kmeans=expand(rules.kmeans.output.summary, model=MODELS, allow_missing=True),
        vae=expand(rules.vae_stats.output.summary, model=VAES, allow_missing=True),
        train=expand(rules.train.output.summary, model=TRAINED, allow_missing=True),
        intrinsic_dim=expand(
            rules.intrinsic_dim.output.summary, model=MODELS, allow_missing=True
        ),
        structure=expand(
            rules.structure.output.verdicts, model=MODELS, allow_missing=True
        ),
    output:
        table="results/{run}/compare/compare.csv",
        figure=figure("results/{run}/compare/radius_overlay.png"),
        kmeans_figure=figure("results/{run}/compare/kmeans_overlay.png"),
    log:
        logs("compare.log"),
    benchmark:
        benchmarks("compare/all.tsv")
    conda:
        "../../envs/zatlas.yaml"
    params:
        models=config["models"],
        vaes=VAES,
        trained=TRAINED,
        z_dim=config["architecture"]["z_dim"],
    script:
        "../scripts/stage.py"


# index.html embeds every figure and table that report_inputs lists (built from the stage
# registry), the data set's source record (checksums) and every job's benchmark;
# `snakemake --report` builds Snakemake's own report from the figures wrapped in report(...).
rule report:
    input:
        figures=report_inputs,
        source=source_record,
    output:
        html="results/{run}/report/index.html",
    log:
        logs("report.log"),
    benchmark:
        benchmarks("report/all.tsv")
    conda:
        "../../envs/zatlas.yaml"
    params:
        config=config,
        captions=os.path.join(WORKFLOW_DIR, "report"),
        left_out=LEFT_OUT,
        benchmarks="results/{run}/benchmarks",
        repo=os.path.dirname(WORKFLOW_DIR),
    script:
        "../scripts/stage.py"
