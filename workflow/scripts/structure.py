from zatlas.logs import run_stage
from zatlas.stages import structure

s = snakemake.params.settings
run_stage(
    structure,
    snakemake.log[0],
    threads=snakemake.threads,
    z=snakemake.input.z,
    nn_table=snakemake.output.nn_table,
    void_table=snakemake.output.void_table,
    verdicts=snakemake.output.verdicts,
    summary=snakemake.output.summary,
    figure=snakemake.output.figure,
    tsne_figure=snakemake.output.tsne_figure,
    model=snakemake.wildcards.model,
    max_points=s["max_points"],
    test_points=s["test_points"],
    alpha=s["alpha"],
    min_effect=s["min_effect"],
    grid=s["grid"],
    null_replicates=s["null_replicates"],
    tsne_points=s["tsne_points"],
    planes=snakemake.params.planes,
    zooms=snakemake.params.zooms,
    tsne_iter=snakemake.params.tsne_iter,
    seed=snakemake.params.seed,
)
