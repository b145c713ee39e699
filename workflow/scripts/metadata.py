from zatlas.stages import bind

bind(snakemake, "metadata")
