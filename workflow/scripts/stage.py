"""Every rule's script: run the stage its rule names (zatlas.stages.bind)."""

from zatlas.stages import bind

bind(snakemake)
