rule report:
    input:
        report_inputs,
    output:
        html="results/{run}/report/index.html",
    params:
        captions=os.path.join(workflow.basedir, "workflow", "report"),
        benchmarks="results/{run}/benchmarks",
    log:
        "results/{run}/logs/report.log",
    conda:
        "../../envs/zatlas.yaml"
    script:
        "../scripts/report.py"
