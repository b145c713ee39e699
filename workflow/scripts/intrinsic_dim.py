from zatlas.logs import run_stage
from zatlas.stages import intrinsic_dim

s = snakemake.params.settings
run_stage(
    intrinsic_dim,
    snakemake.log[0],
    threads=snakemake.threads,
    z=snakemake.input.z,
    mean=snakemake.input.mean,
    table=snakemake.output.table,
    units=snakemake.output.units,
    summary=snakemake.output.summary,
    figure=snakemake.output.figure,
    model=snakemake.wildcards.model,
    max_points=s["max_points"],
    mle_k=s["mle_k"],
    active_threshold=s["active_threshold"],
    seed=snakemake.params.seed,
)
