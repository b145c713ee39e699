from zatlas.logs import run_stage
from zatlas.stages import tsne

run_stage(
    tsne,
    snakemake.log[0],
    threads=snakemake.threads,
    z=snakemake.input.z,
    attributes=snakemake.input.attributes,
    embedding=snakemake.output.embedding,
    summary=snakemake.output.summary,
    figure=snakemake.output.figure,
    model=snakemake.wildcards.model,
    variant=snakemake.wildcards.variant,
    params=snakemake.params.tsne,
    color_by=snakemake.params.color_by,
    recall_queries=snakemake.params.recall_queries,
    seed=snakemake.params.seed,
)
