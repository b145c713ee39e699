import pytest
import yaml

from tests.conftest import REPO
from zatlas.config import ModelSpec, tsne_variants, validate_config
from zatlas.errors import ConfigError


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
