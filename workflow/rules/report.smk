rule report:
    input:
        report_inputs,
    output:
        html="results/{run}/report/index.html",
    log:
        "results/{run}/logs/report.log",
    conda:
        "../../envs/zatlas.yaml"
    params:
        captions=os.path.join(workflow.basedir, "workflow", "report"),
        benchmarks="results/{run}/benchmarks",
    script:
        "../scripts/report.py"
