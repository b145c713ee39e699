"""The binder between a Snakemake job and its stage, and the layout it enforces."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params, Wildcards

from zatlas.stages import binding as bind_module
from zatlas.stages.binding import BindingError, arguments
from zatlas.stages.registry import RULE_ALIASES, STAGES, report_stages

REPO = Path(__file__).resolve().parents[2]


def _job(inputs=None, outputs=None, params=None, wildcards=None, rule="radius", log=None):
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


def test_every_rule_has_a_two_line_script_a_stage_module_and_a_registry_entry():
    rules = []
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        rules += re.findall(r"^rule\s+(\w+)\s*:", text, re.M)
        rules += re.findall(r"^use rule \w+ as (\w+)", text, re.M)
    registry = {s.name for s in STAGES}
    # a rule that runs another stage (encode_vae runs encode, ingest_vae runs ingest)
    stage_of = {alias: stage for stage, aliases in RULE_ALIASES.items() for alias in aliases}
    for rule in rules:
        script = REPO / "workflow" / "scripts" / f"{stage_of.get(rule, rule)}.py"
        lines = [ln for ln in script.read_text().splitlines() if ln.strip()]
        assert len(lines) == 2 and lines[0] == "from zatlas.stages import bind", rule
        assert (REPO / "src" / "zatlas" / "stages" / f"{script.stem}.py").exists(), rule
        assert rule in registry or rule in stage_of, rule
    assert registry == set(rules) - set(stage_of)


def test_every_report_stage_has_a_caption():
    captions = REPO / "workflow" / "report"
    for s in report_stages():
        assert (captions / f"{s.name}.rst").exists() or list(captions.glob(f"{s.name}-*.rst")), s


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
