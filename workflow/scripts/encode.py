from zatlas.logs import run_stage
from zatlas.stages import encode

run_stage(
    encode,
    snakemake.log[0],
    images=snakemake.input.images,
    encoder=snakemake.input.encoder,
    z=snakemake.output.z,
    mu=snakemake.output.get("mu"),
    logvar=snakemake.output.get("logvar"),
    eps_clip=snakemake.config["architecture"]["eps_clip"],
    seed=snakemake.config["seed"],
    threads=snakemake.threads,
)
