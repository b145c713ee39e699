import re

import pytest
import yaml

from tests.conftest import REPO
from zatlas.config import ModelSpec, validate_config
from zatlas.errors import ConfigError
from zatlas.stages.tsne import tsne_variants


def demo():
    return yaml.safe_load((REPO / "config" / "demo.yaml").read_text())


def test_defaults_are_filled(schema_path):
    cfg = validate_config({}, schema_path)
    assert cfg["architecture"]["z_dim"] == 256
    assert cfg["training"]["learning_rate"] == 0.0005
    assert cfg["models"]["vae_tiny"]["kl_factor"] == 1e-5
    assert cfg["analysis"]["tsne"]["params"][0]["early_exaggeration"] == 12
    assert cfg["analysis"]["tsne"]["schedule"] == "opentsne"
    assert cfg["analysis"]["tsne"]["n_iter"] == 1000
    assert cfg["analysis"]["scale"] == "relative"


def test_shipped_configs_validate(schema_path):
    for name in ("config.yaml", "demo.yaml"):
        validate_config(yaml.safe_load((REPO / "config" / name).read_text()), schema_path)


@pytest.mark.parametrize(
    "patch, key",
    [
        ({"architecture": {"z_dim": -4}}, "architecture.z_dim"),
        ({"models": {"v": {"type": "vae", "kl_factor": "big"}}}, "models.v.kl_factor"),
        ({"training": {"epocs": 3}}, "training.epocs"),
        ({"data": {"image_size": 50}}, "data.image_size"),
        (
            {"analysis": {"tsne": {"params": [{"perplexity": 2000}]}}},
            "analysis.tsne.params[0].perplexity",
        ),
        ({"analysis": {"tsne": {"color_by": "Smilng"}}}, "analysis.tsne.color_by"),
        ({"analysis": {"tsne": {"schedule": "auto"}}}, "analysis.tsne.schedule"),
        ({"analysis": {"pca": {"planes": [[1, 300]]}}}, "analysis.pca.planes[0]"),
        ({"analysis": {"scale": "blog"}}, "analysis.scale"),
    ],
)
def test_bad_values_name_the_key(schema_path, patch, key):
    cfg = demo()
    for section, value in patch.items():
        if isinstance(cfg.get(section), dict) and section != "models":
            for k, v in value.items():
                if isinstance(cfg[section].get(k), dict):
                    cfg[section][k].update(v)
                else:
                    cfg[section][k] = v
        else:
            cfg[section] = value
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, schema_path)
    assert key in str(err.value)


def test_tsne_variants_capped_and_unique(schema_path):
    cfg = demo()
    cfg["analysis"]["tsne"]["n_points"] = [20000, 80000]
    variants = tsne_variants(validate_config(cfg, schema_path))
    counts = {v["n_points"] for v in variants.values()}
    assert counts == {cfg["data"]["n_images"]}
    assert len(variants) == 2 + len(cfg["analysis"]["tsne"]["pca_components"])
    assert {v["schedule"] for v in variants.values()} == {"opentsne"}
    cfg["analysis"]["tsne"]["schedule"] = "sklearn"  # the blog's optimiser
    variants = tsne_variants(validate_config(cfg, schema_path))
    assert {v["schedule"] for v in variants.values()} == {"sklearn"}


def test_model_spec(schema_path):
    cfg = validate_config(demo(), schema_path)
    spec = ModelSpec.from_config(cfg, "vae_tiny")
    assert spec.variational and spec.kl_factor == 1e-5 and spec.image_size == 64
    assert ModelSpec.from_config(cfg, "ae").kl_factor == 0.0
    with pytest.raises(ConfigError, match="unknown model"):
        ModelSpec.from_config(cfg, "nope")


@pytest.mark.parametrize(
    "section, values, key",
    [
        ("pca", {"axis_planes": [[3, 300]]}, "analysis.pca.axis_planes[0]"),
        ("intrinsic_dim", {"mle_k": [5, 5000]}, "analysis.intrinsic_dim.mle_k"),
        ("attributes", {"k": 5000}, "analysis.attributes.k"),
        ("attributes", {"color_by": ["Male", "Smilling"]}, "analysis.attributes.color_by[1]"),
    ],
)
def test_cross_field_checks_of_later_analyses(schema_path, section, values, key):
    cfg = demo()
    cfg.setdefault("analysis", {}).setdefault(section, {}).update(values)
    with pytest.raises(ConfigError) as err:
        validate_config(cfg, schema_path)
    assert key in str(err.value)


@pytest.mark.parametrize(
    "key, value",
    [
        ("training.learning_rate", float("nan")),
        ("models.vae.kl_factor", float("inf")),
        ("analysis.samples.distributions[0].low", float("-inf")),
    ],
)
def test_nan_and_infinity_are_refused_naming_the_key(schema_path, key, value):
    """`.nan` passes the schema's `type: number` (and `minimum`): refused before training."""
    cfg = demo()
    cfg["training"]["learning_rate"] = value if key.startswith("training") else 5e-4
    if key.startswith("models"):
        cfg["models"]["vae"]["kl_factor"] = value
    if key.startswith("analysis.samples"):
        cfg["analysis"]["samples"] = {
            "distributions": [{"name": "u", "kind": "uniform", "low": value, "high": 1.0}]
        }
    with pytest.raises(
        ConfigError, match=rf"config key '{re.escape(key)}': -?(nan|inf) is not a finite number"
    ):
        validate_config(cfg, schema_path)


@pytest.mark.parametrize(
    "text, match",
    [
        (
            "data:\n  dataset: celeba\ntraining:\n  epochs: [1, 2\nmodels: {}\n",
            r"c\.yaml:5:7: invalid YAML: .*opened on line 4",
        ),
        (
            "data:\n  dataset: celeba\nmodels:\n  ae: {type: ae}\ndata:\n  n_images: 3\n",
            r"c\.yaml:5:1: the key 'data' is given twice \(first on line 1\)",
        ),
        (
            "models:\n  ae: {type: ae}\n  ae: {type: vae}\n",
            r"c\.yaml:3:3: the key 'ae' is given twice",
        ),
        ("training:\n  learning_rate: .nan\n", r"c\.yaml:2:18: \.nan is not a finite number"),
        ("data:\n\tdataset: celeba\n", r"c\.yaml:2:1: invalid YAML: .*tabs cannot indent YAML"),
        ("- 1\n- 2\n", r"c\.yaml:1:1: a config file is a mapping"),
    ],
)
def test_config_file_mistakes_name_file_line_and_column(tmp_path, text, match):
    from zatlas.config_file import load_config_file, main

    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_config_file(path)
    assert main([str(path)]) == 2
    assert path.read_text() == text


def test_shipped_config_files_pass_the_strict_loader():
    from zatlas.config_file import load_config_file

    for name in ("config.yaml", "demo.yaml"):
        assert load_config_file(REPO / "config" / name) == yaml.safe_load(
            (REPO / "config" / name).read_text()
        )


def test_folder_data_set_counts_its_images_and_checks_attribute_names(schema_path, tmp_path):
    from zatlas.config import n_available
    from zatlas.data.dataset import attribute_names, count_folder_images

    for k in range(40):
        (tmp_path / "imgs" / f"d{k % 3}").mkdir(parents=True, exist_ok=True)
        (tmp_path / "imgs" / f"d{k % 3}" / f"{k}.png").write_bytes(b"png")
    (tmp_path / "imgs" / "notes.txt").write_text("x")
    (tmp_path / "a.csv").write_text("file,smiling,age\n")
    count_folder_images.cache_clear()
    cfg = demo()
    cfg["data"] = {
        "dataset": "folder",
        "path": str(tmp_path / "imgs"),
        "attributes": str(tmp_path / "a.csv"),
        "image_size": 64,
    }
    assert n_available({"data": {**cfg["data"], "n_images": None}}) == 40
    assert n_available({"data": {**cfg["data"], "n_images": 25}}) == 25
    assert attribute_names(cfg) == ("smiling", "age")
    assert attribute_names({"data": {"dataset": "folder"}}) == ()
    with pytest.raises(ConfigError, match=r"'data.path': .*nowhere does not exist"):
        count_folder_images(str(tmp_path / "nowhere"))


def test_a_verified_celeba_subset_sets_the_image_count(tmp_path):
    from zatlas.data.dataset import CELEBA_N_IMAGES, recorded_celeba_count

    record = tmp_path / "source.json"
    assert recorded_celeba_count(record) == CELEBA_N_IMAGES
    record.write_text('{"subset": true, "n_images": 1234}')
    assert recorded_celeba_count(record) == 1234


def test_each_data_set_has_its_own_resources_folder(tmp_path):
    from zatlas.config import dataset_name

    a, b = tmp_path / "My Faces", tmp_path / "other" / "My Faces"
    names = {
        dataset_name({"data": {"dataset": "folder", "path": str(p)}, "seed": 0}) for p in (a, b)
    }
    assert len(names) == 2 and all(n.startswith("folder_My-Faces_") for n in names)
    assert dataset_name({"data": {"dataset": "celeba"}, "seed": 0}) == "celeba"


def folder_config(tmp_path, attributes=True, **data):
    from zatlas.data.dataset import count_folder_images

    count_folder_images.cache_clear()
    (tmp_path / "imgs" / "a").mkdir(parents=True, exist_ok=True)
    for k in range(300):
        (tmp_path / "imgs" / "a" / f"{k}.jpg").write_bytes(b"jpg")
    (tmp_path / "attrs.csv").write_text("file,smiling,age,glasses,hat,beard\n")
    cfg = demo()
    cfg["data"] = {"dataset": "folder", "path": str(tmp_path / "imgs"), "image_size": 64}
    if attributes:
        cfg["data"]["attributes"] = str(tmp_path / "attrs.csv")
    cfg["data"].update(data)
    return cfg


def test_folder_config_takes_its_attribute_names_from_the_csv(schema_path, tmp_path):
    resolved = validate_config(folder_config(tmp_path), schema_path)
    assert resolved["data"]["crop"] is None and resolved["data"]["split_fractions"] == [
        0.8,
        0.1,
        0.1,
    ]
    assert resolved["analysis"]["attributes"]["color_by"] == ["smiling", "age", "glasses", "hat"]
    cfg = folder_config(tmp_path)
    cfg["analysis"]["tsne"]["color_by"] = "Smiling"
    with pytest.raises(
        ConfigError, match=r"'analysis.tsne.color_by': 'Smiling' is not a column of data.attributes"
    ):
        validate_config(cfg, schema_path)
    cfg = folder_config(tmp_path)
    cfg["analysis"]["attributes"] = {"color_by": ["Male"]}
    with pytest.raises(ConfigError, match=r"color_by\[0\]': 'Male' is not a column"):
        validate_config(cfg, schema_path)


@pytest.mark.parametrize(
    "data, match",
    [
        ({"path": None}, r"'data.path': required with data.dataset: folder"),
        (
            {"split_fractions": [0.8, 0.3, 0.1]},
            r"'data.split_fractions': \[0.8, 0.3, 0.1\] must sum to 1",
        ),
        ({"splits": "/nowhere/splits.csv"}, r"'data.splits': /nowhere/splits.csv is not a file"),
    ],
)
def test_folder_config_mistakes_name_the_key(schema_path, tmp_path, data, match):
    with pytest.raises(ConfigError, match=match):
        validate_config(folder_config(tmp_path, **data), schema_path)


def test_folder_keys_with_another_dataset_are_refused(schema_path):
    cfg = demo()
    cfg["data"]["path"] = "/data/faces"
    with pytest.raises(ConfigError, match=r"'data.path': used only with data.dataset: folder"):
        validate_config(cfg, schema_path)


def test_config_readme_is_generated_from_the_schema(schema_path):
    from zatlas.config_docs import describe, keys

    schema = yaml.safe_load(schema_path.read_text())
    current = (REPO / "config" / "README.md").read_text()
    assert current == describe(schema), "config/README.md is stale: run `make config-docs`"
    # every key that holds a value says what it means, and has its one default there
    for key, sub in keys(schema):
        if "properties" not in sub and not isinstance(sub.get("additionalProperties"), dict):
            assert sub.get("description"), f"{key} has no description in the schema"
            assert "default" in sub or key == "models.<name>.type", f"{key} has no default"
