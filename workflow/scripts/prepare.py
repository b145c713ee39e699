from pathlib import Path

from zatlas.logs import run_stage
from zatlas.stages import prepare

data = snakemake.params.data
run_stage(
    prepare,
    snakemake.log[0],
    raw_dir=Path(snakemake.input.source[0]).parent,
    images=snakemake.output.images,
    attributes=snakemake.output.attributes,
    summary=snakemake.output.summary,
    image_size=data["image_size"],
    crop=data["crop"],
    n_images=data["n_images"],
    on_corrupt=data["on_corrupt"],
    workers=data["workers"] or snakemake.threads,
)
