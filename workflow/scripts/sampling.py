from zatlas.logs import run_stage
from zatlas.stages import sampling_strategies

run_stage(
    sampling_strategies,
    snakemake.log[0],
    threads=snakemake.threads,
    z=snakemake.input.z,
    attributes=snakemake.input.attributes,
    encoder=snakemake.input.encoder,
    decoder=snakemake.input.decoder,
    table=snakemake.output.table,
    samples_figure=snakemake.output.samples_figure,
    scores_figure=snakemake.output.scores_figure,
    model=snakemake.wildcards.model,
    seed=snakemake.params.seed,
    **snakemake.params.settings,
)
