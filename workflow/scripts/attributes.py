from zatlas.logs import run_stage
from zatlas.stages import attributes

run_stage(
    attributes,
    snakemake.log[0],
    threads=snakemake.threads,
    z=snakemake.input.z,
    attributes=snakemake.input.attributes,
    tsne_embedding=snakemake.input.tsne_embedding[0],
    table=snakemake.output.table,
    summary=snakemake.output.summary,
    scatter_figure=snakemake.output.scatter_figure,
    nmi_figure=snakemake.output.nmi_figure,
    model=snakemake.wildcards.model,
    seed=snakemake.params.seed,
    **snakemake.params.settings,
)
