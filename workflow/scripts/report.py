from zatlas.logs import run_stage
from zatlas.stages import report

run_stage(
    report,
    snakemake.log[0],
    config=snakemake.config,
    inputs=list(snakemake.input.figures),
    captions_dir=snakemake.params.captions,
    benchmarks_dir=snakemake.params.benchmarks,
    out_html=snakemake.output.html,
    source=snakemake.input.source,
    repo=snakemake.params.repo,
)
