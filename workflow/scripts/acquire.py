from zatlas.logs import run_stage
from zatlas.stages import acquire

run_stage(
    acquire,
    snakemake.log[0],
    dataset=snakemake.params.dataset,
    source_record=snakemake.output.source,
    n_images=snakemake.params.n_images,
    seed=snakemake.params.seed,
    sources=snakemake.params.sources,
)
