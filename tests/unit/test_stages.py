"""The binder between a Snakemake job and its stage, and the layout it enforces."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from snakemake.iocontainers import (
    InputFiles,
    Log,
    OutputFiles,
    Params,
    ResourceList,
    Wildcards,
)

from zatlas.registry import STAGES, report_stages
from zatlas.stages import binding as bind_module
from zatlas.stages.binding import BindingError, arguments

REPO = Path(__file__).resolve().parents[2]


def _job(
    inputs=None, outputs=None, params=None, wildcards=None, rule="radius", log=None, resources=None
):
    def named(cls, mapping):
        section = cls()
        for name, value in (mapping or {}).items():
            section.append(value)
            section._add_name(name)
        return section

    return SimpleNamespace(
        rule=rule,
        input=named(InputFiles, inputs),
        output=named(OutputFiles, outputs),
        params=named(Params, params),
        wildcards=named(Wildcards, wildcards),
        resources=ResourceList(fromdict={"_cores": 3, "mem_mb": 1000, **(resources or {})}),
        threads=3,
        log=Log([log]) if log else Log(),
    )


def stage(z, table, figure, model, bin_width, seed=0, threads=1):
    return {
        "z": z,
        "table": table,
        "figure": figure,
        "model": model,
        "bw": bin_width,
        "seed": seed,
        "threads": threads,
    }


def _sections(job):
    return {
        w: bind_module._named(getattr(job, w), w, job.rule) for w in ("input", "output", "params")
    }


def test_names_of_the_rule_become_keywords_and_settings_are_spread():
    job = _job(
        {"z": "z.npy"},
        {"table": "t.csv", "figure": "f.png"},
        {"settings": {"bin_width": 0.25}, "seed": 5},
        {"model": "ae", "run": "r"},
    )
    implicit = {**bind_module._named(job.wildcards, "wildcard", "radius"), "threads": 3}
    got = stage(**arguments(stage, "radius", _sections(job), implicit))
    assert got == {
        "z": "z.npy",
        "table": "t.csv",
        "figure": "f.png",
        "model": "ae",
        "bw": 0.25,
        "seed": 5,
        "threads": 3,
    }


@pytest.mark.parametrize(
    "inputs, params, message",
    [
        ({"zz": "z.npy"}, {"settings": {"bin_width": 1}}, "names 'zz' (input)"),
        ({"z": "z.npy"}, {"settings": {"bin_widht": 1}}, "names 'bin_widht' (params)"),
        ({"z": "z.npy"}, {}, "needs ['bin_width']"),
        ({"z": "z.npy"}, {"settings": {"bin_width": 1}, "z": 3}, "'z' is named in both"),
    ],
)
def test_a_name_that_does_not_match_fails_loudly(inputs, params, message):
    job = _job(inputs, {"table": "t.csv", "figure": "f.png"}, params, {"model": "ae"})
    with pytest.raises(BindingError, match=re.escape(message)):
        arguments(stage, "radius", _sections(job), {"model": "ae", "threads": 1})


def test_an_unnamed_entry_fails():
    job = _job({"z": "z.npy"})
    job.input.append("stray.npy")
    with pytest.raises(BindingError, match="unnamed"):
        bind_module._named(job.input, "input", "radius")


def test_bind_runs_the_stage_module_of_the_rule(tmp_path, monkeypatch):
    calls = {}
    fake = SimpleNamespace(run=lambda z, model: calls.update(z=z, model=model))
    fake.run.__module__ = "fake"
    monkeypatch.setattr(
        bind_module.importlib, "import_module", lambda name: calls.update(module=name) or fake
    )
    job = _job(
        {"z": "z.npy"}, wildcards={"model": "vae"}, rule="encode_vae", log=str(tmp_path / "x.log")
    )
    bind_module.bind(job, "encode")
    assert calls == {"module": "zatlas.stages.encode", "z": "z.npy", "model": "vae"}
    assert (tmp_path / "x.log").exists()


def test_bind_passes_the_resources_a_stage_asks_for_and_no_others(tmp_path, monkeypatch):
    # a fact about the schedule reaches the stage as a resource: unlike a param, a resource
    # that changes (another --cores) makes Snakemake rerun nothing
    calls = {}

    def run(z, side_by_side, threads=1):
        calls.update(z=z, side_by_side=side_by_side, threads=threads)

    fake = SimpleNamespace(run=run)
    monkeypatch.setattr(bind_module.importlib, "import_module", lambda name: fake)
    job = _job({"z": "z.npy"}, resources={"side_by_side": 2}, log=str(tmp_path / "x.log"))
    bind_module.bind(job, "train")
    assert calls == {"z": "z.npy", "side_by_side": 2, "threads": 3}


def test_every_rule_runs_the_one_script_and_has_a_stage_module_and_a_registry_entry():
    rules = []
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        rules += re.findall(r"^rule\s+(\w+)\s*:", text, re.M)
        rules += re.findall(r"^use rule \w+ as (\w+)", text, re.M)
        # every rule runs the one script, which binds the job to the stage its name says
        assert set(re.findall(r'script:\s*"([^"]+)"', text)) <= {"../scripts/stage.py"}, smk
    assert [p.name for p in (REPO / "workflow" / "scripts").glob("*.py")] == ["stage.py"]
    registry = {s.name for s in STAGES}
    for rule in rules:
        stage = bind_module.stage_of(rule)
        assert (REPO / "src" / "zatlas" / "stages" / f"{stage}.py").exists(), rule
        assert stage in registry, rule
    assert registry == {bind_module.stage_of(r) for r in rules}


def test_a_rule_under_a_module_prefix_runs_its_stage():
    assert bind_module.stage_of("encode_vae") == "encode"
    assert bind_module.stage_of("zatlas_encode_vae") == "encode"
    # the registry's aliases: one mechanism for every rule that runs another stage's module
    assert bind_module.stage_of("ingest_vae") == "ingest"
    assert bind_module.stage_of("zatlas_ingest_vae") == "ingest"
    assert bind_module.stage_of("zatlas_metadata") == "metadata"
    assert bind_module.stage_of("zatlas_vae_stats") == "vae_stats"
    assert bind_module.stage_of("my_zatlas_samples") == "samples"
    assert bind_module.stage_of("zatlas_sampling") == "sampling"
    with pytest.raises(BindingError, match="runs no stage"):
        bind_module.stage_of("zatlas_nothing")


def test_every_report_stage_has_a_caption():
    from zatlas.captions import caption

    for s in report_stages():
        assert caption(s.name), f"{s.name}: no CAPTION in src/zatlas/plots/{s.name}.py"


def _figures() -> list[tuple[str, str]]:
    """(rule, figure path) of every figure(...) in workflow/rules/*.smk."""
    return [
        (rule, path.replace("{{", "{").replace("}}", "}"))
        for rule, text in _rule_blocks().items()
        for path in re.findall(r'figure\(\s*f?"([^"]+)"', text)
    ]


def test_every_figure_has_caption_text():
    """Each figure of Snakemake's report and of our page has words under it: its own text in
    the stage's plot module (FILE_CAPTIONS) or the stage's CAPTION."""
    from zatlas.captions import caption
    from zatlas.report.artifacts import classify

    figures = _figures()
    assert len(figures) >= 20
    for rule, path in figures:
        stage = classify(path)[0]
        text = caption(stage, Path(path).stem)
        assert len(text.split()) >= 10, f"{rule}: {path} has no caption text"
        # plain reStructuredText: Snakemake's report would fill in Jinja, our page would not
        assert "{{" not in text and "{%" not in text, f"{rule}: {path}"


def test_profiles_print_no_shell_command_for_script_rules():
    import yaml

    rules = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    assert "shell:" not in rules  # every rule runs a script ...
    for profile in ("default", "slurm"):
        cfg = yaml.safe_load((REPO / "profiles" / profile / "config.yaml").read_text())
        # ... so printing shell commands would print "Shell command: None" for every job
        assert not cfg.get("printshellcmds"), profile


def test_the_lock_pins_every_dependency_and_the_conda_env_installs_it():
    import tomllib

    from packaging.requirements import Requirement

    lock = (REPO / "requirements.lock").read_text()
    pinned = {
        m.group(1).lower().replace("_", "-"): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+) \\", lock, re.M)
    }
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [
        d for extra in ("dev", "slurm") for d in project["optional-dependencies"][extra]
    ]
    for dep in map(Requirement, wanted):
        name = dep.name.lower().replace("_", "-")
        assert name in pinned, f"{dep.name} is not in requirements.lock: run `make lock`"
        assert dep.specifier.contains(pinned[name]), f"{dep}: lock has {pinned[name]}"
    # every pinned line carries a hash, so pip --require-hashes accepts the file
    assert lock.count("--hash=sha256:") >= len(pinned)
    env = (REPO / "envs" / "zatlas.yaml").read_text()
    assert "-r ../requirements.lock" in env and "--require-hashes" in env


# The only defaults a stage's run() may have: its thread count, an input or output a rule
# may leave out (None), and the AE encoder's fixed seed (the VAE's rule passes the config's).
# Every setting's default lives in the schema alone.
STAGE_DEFAULTS = {("encode", "seed")}


def test_no_stage_repeats_a_default_of_the_schema():
    import importlib
    import inspect

    for s in STAGES:
        params = inspect.signature(
            importlib.import_module(f"zatlas.stages.{s.name}").run
        ).parameters
        for name, p in params.items():
            if p.default is inspect.Parameter.empty or p.default is None:
                continue
            assert name == "threads" or (s.name, name) in STAGE_DEFAULTS, f"{s.name}.run({name}=)"


def test_each_stage_checks_its_own_settings_and_config_py_checks_none():
    import ast

    src = REPO / "src" / "zatlas"
    for s in STAGES:
        tree = ast.parse((src / "stages" / f"{s.name}.py").read_text())
        defines = any(
            isinstance(n, ast.FunctionDef) and n.name == "check_config" for n in tree.body
        )
        assert defines == s.checked, (
            f"{s.name}: check_config defined {defines}, registry {s.checked}"
        )
    # no stage's key is named in config.py: its checks live with its stage
    text = (src / "config.py").read_text()
    for key in ("analysis", "models", "architecture"):
        assert f"config key '{key}." not in text, key


def _rule_blocks() -> dict[str, str]:
    """{rule name: its text} over workflow/rules/*.smk."""
    blocks = {}
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        parts = re.split(r"^(?=rule \w+:|use rule )", smk.read_text(), flags=re.M)
        for part in parts:
            m = re.match(r"rule (\w+):|use rule \w+ as (\w+)", part)
            if m:
                blocks[m.group(1) or m.group(2)] = part
    return blocks


def test_one_name_per_stage_everywhere():
    """Rule = stage module = plot module = results and log folder = caption = config key,
    or the registry says where they differ (its `config`; RULE_ALIASES)."""
    import ast

    import yaml

    from zatlas.registry import BY_NAME, RULE_ALIASES

    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    aliases = {alias: name for name, names in RULE_ALIASES.items() for alias in names}
    src = REPO / "src" / "zatlas"
    for s in STAGES:
        if s.config_key:  # the block the registry names exists
            node = schema
            for part in s.config_key.split("."):
                node = node["properties"][part]
        # a stage draws only from its own plot module
        tree = ast.parse((src / "stages" / f"{s.name}.py").read_text())
        plots = {
            n.module.split(".")[2]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("zatlas.plots.")
        }
        assert plots <= {s.name}, f"{s.name} draws with plots.{plots}"
    # every analysis block of the schema is a stage's (but the shared `scale`)
    analysis = set(schema["properties"]["analysis"]["properties"]) - {"scale"}
    assert analysis == {s.name for s in STAGES if s.config_key.startswith("analysis.")}
    for rule, text in _rule_blocks().items():
        name = aliases.get(rule, rule)
        assert name in BY_NAME, rule
        # its own settings, results folder and logs, under its own name
        assert set(re.findall(r'settings=ANALYSIS\["(\w+)"\]', text)) <= {name}, rule
        assert set(re.findall(r'logs\("(\w+)', text)) <= {name}, rule
        assert set(re.findall(r'benchmarks\("(\w+)', text)) <= {name}, rule
        assert "category=" not in text and "caption=" not in text, f"{rule}: use figure()"
        output = text.split("output:")[1].split("log:")[0] if "output:" in text else ""
        assert set(re.findall(r"/analysis/\{+model\}+/(\w+)/", output)) <= {name}, rule
    # the report's own sections keep their .rst (workflow.rst: Snakemake's front page); a
    # stage's captions live in its plot module, each FILE_CAPTIONS key a file its rule writes
    import importlib

    from zatlas.captions import captions_of

    rst = {p.stem for p in (REPO / "workflow" / "report").glob("*.rst")}
    assert rst == {"workflow", "summary", "scorecard"}
    blocks = _rule_blocks()
    for path in sorted((src / "plots").glob("*.py")):
        section, files = captions_of(path.stem)
        module = importlib.import_module(f"zatlas.plots.{path.stem}")
        # read without importing (the workflow's parse), equal to what the module holds
        assert section == getattr(module, "CAPTION", "").strip(), path.stem
        assert files == {k: v.strip() for k, v in getattr(module, "FILE_CAPTIONS", {}).items()}
        if section or files:
            assert path.stem in BY_NAME and BY_NAME[path.stem].report, path.stem
        for stem in files:
            assert f"/{path.stem}/{stem}." in blocks[path.stem].replace("{{", "{"), stem


JAX_JOB = """
import jax
import numpy as np

from zatlas.stages.files import limit_threads

limit_threads(1, tensorflow=True)  # as every Keras stage starts
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)  # this program is tiny
jax.jit(lambda x: x * 2.0 + 1.0)(np.ones(3, np.float32)).block_until_ready()
print(jax.config.jax_compilation_cache_dir)
"""


def test_a_keras_job_under_jax_keeps_its_compiled_programs_under_resources(tmp_path):
    pytest.importorskip("jax")
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_")}
    proc = subprocess.run(
        [sys.executable, "-c", JAX_JOB],
        cwd=tmp_path,
        env={**env, "KERAS_BACKEND": "jax", "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    cache = tmp_path / "resources" / "jax-cache"
    assert proc.stdout.split()[-1] == str(cache)
    assert [p for p in cache.iterdir() if p.is_file()], "no compiled program was kept"
