from zatlas.logs import run_stage
from zatlas.stages import samples

run_stage(
    samples,
    snakemake.log[0],
    z=snakemake.input.z,
    images=snakemake.input.images,
    encoder=snakemake.input.encoder,
    decoder=snakemake.input.decoder,
    summary=snakemake.output.summary,
    samples_figure=snakemake.output.samples_figure,
    reconstructions_figure=snakemake.output.reconstructions_figure,
    model=snakemake.wildcards.model,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    **snakemake.params.settings,
)
