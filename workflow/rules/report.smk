# index.html embeds every figure and table that report_inputs lists, the data set's source
# record (checksums) and every job's benchmark; `snakemake --report` builds Snakemake's own
# report from the figures wrapped in report(...) in the other rules.
rule report:
    input:
        figures=report_inputs,
        source=expand(rules.acquire.output.source, dataset=DATASET)[0],
    output:
        html="results/{run}/report/index.html",
    log:
        "results/{run}/logs/report.log",
    benchmark:
        "results/{run}/benchmarks/report/all.tsv"
    conda:
        "../../envs/zatlas.yaml"
    params:
        captions=os.path.join(workflow.basedir, "workflow", "report"),
        benchmarks="results/{run}/benchmarks",
        repo=workflow.basedir,
    script:
        "../scripts/report.py"
