from zatlas.config import ModelSpec, TrainSpec
from zatlas.logs import run_stage
from zatlas.stages import train

run_stage(
    train,
    snakemake.log[0],
    images=snakemake.input.images,
    attributes=snakemake.input.attributes,
    model=ModelSpec.from_config(snakemake.config, snakemake.wildcards.model),
    training=TrainSpec.from_config(snakemake.config),
    encoder=snakemake.output.encoder,
    decoder=snakemake.output.decoder,
    history=snakemake.output.history,
    summary=snakemake.output.summary,
    figure=snakemake.output.figure,
    backup_dir=snakemake.params.backup,
    threads=snakemake.threads,
)
