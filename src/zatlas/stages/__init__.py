"""One module per workflow rule, each with one `run(...)` that reads the rule's inputs,
calls `analysis/` and `plots/`, and writes the rule's outputs.

A workflow script binds the `snakemake` object to its stage with `zatlas.stages.bind`, so
every stage runs (and is tested) without Snakemake. `zatlas.registry.STAGES` lists the stages in
DAG order with their report titles.
"""

from zatlas.stages.binding import bind

__all__ = ["bind"]
