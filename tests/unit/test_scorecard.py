"""The reproduction scorecard on fixed headline numbers (issue 16)."""

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from zatlas.analysis.scorecard import roles, scorecard
from zatlas.config import validate_config

REPO = Path(__file__).resolve().parents[2]


def resolved(name: str, schema_path) -> dict:
    return validate_config(yaml.safe_load((REPO / "config" / name).read_text()), schema_path)


# a run's numbers, some inside the blog's ranges, some off by known amounts
HEADLINE = {
    "ae": {
        "radius_peak": 17.0,  # 0.25 above 16.75
        "n_dominant_axes": 14,
        "dominant_fwhm_median": 4.0,
        "dominant_width_ratio": 1.6,
        "elbow_k": 40,  # inside 38..42
        "final_loss": 4600.0,  # 85 above 4,515
    },
    "vae_tiny": {
        "logvar_mean": -13.2,
        "abs_z_minus_mu_max": 0.13,
        "radius_rel_diff_mean": 1.2e-4,
        "final_loss": 4550.0,  # 3 below 4,553
    },
}


def test_blog_config_is_comparable_and_the_card_shows_each_difference(schema_path):
    card = scorecard(HEADLINE, resolved("config.yaml", schema_path))
    assert card["comparable"] and card["differences"].empty
    assert card["roles"] == {"ae": "ae", "vae_tiny": "vae_tiny"}
    t = card["table"].set_index(["quantity", "model"])
    row = t.loc[("radius peak", "ae")]
    assert row["blog"] == "16.5 to 16.75" and row["ours"] == 17.0
    assert row["difference"] == pytest.approx(0.25) and row["in_range"] is False
    assert t.loc[("k-means elbow", "ae"), "difference"] == 0
    assert t.loc[("k-means elbow", "ae"), "in_range"] is True
    assert t.loc[("dominant axes (count)", "ae"), "difference"] == 2
    loss_ae = t.loc[("final total loss per image", "ae")]
    assert loss_ae["difference"] == pytest.approx(85)
    assert loss_ae["relative_difference"] == pytest.approx(85 / 4515)
    assert t.loc[("final total loss per image", "vae_tiny"), "difference"] == pytest.approx(-3)
    assert t.loc[("logvar mean", "vae_tiny"), "difference"] == pytest.approx(0.5)
    assert t.loc[("max |z - mu|", "vae_tiny"), "relative_difference"] == pytest.approx(-0.5)
    rel = t.loc[("mean relative radius difference (z vs mu)", "vae_tiny"), "difference"]
    assert rel == pytest.approx(6e-5)
    width = t.loc[("dominant axes: median FWHM", "ae")]
    assert width["ours"] == 4.0 and math.isnan(width["difference"])
    assert len(card["table"]) == 10


def test_demo_run_lists_the_settings_that_differ_from_the_blog(schema_path):
    card = scorecard(HEADLINE, resolved("demo.yaml", schema_path))
    assert not card["comparable"]
    diff = card["differences"].set_index("setting")
    assert set(diff.index) == {
        "data.dataset",
        "data.n_images",
        "data.image_size",
        "training.epochs",
        "training.batch_size",
        "analysis.kmeans.k_max",
        "analysis.kmeans.n_seeds",
    }
    assert (
        diff.loc["data.dataset", "ours"] == "synthetic"
        and diff.loc["data.n_images", "ours"] == 3000
    )
    assert diff.loc["training.epochs", "blog"] == 24


def test_other_models_and_a_missing_vae(schema_path):
    cfg = resolved("config.yaml", schema_path)
    cfg["models"] = {"plain": {"type": "ae"}, "big": {"type": "vae", "kl_factor": 1e-3}}
    cfg["data"]["n_images"] = 250_000  # more than CelebA has: all of it, as the blog
    card = scorecard({"plain": HEADLINE["ae"], "big": HEADLINE["vae_tiny"]}, cfg)
    assert card["roles"] == {"ae": "plain", "vae_tiny": "big"}
    assert card["differences"].to_dict("records") == [
        {"setting": "models.big.kl_factor", "blog": 1e-5, "ours": 1e-3}
    ]
    assert roles({"a": {"type": "ae"}}) == {"ae": "a", "vae_tiny": None}
    cfg["models"] = {"a": {"type": "ae"}}
    card = scorecard({"a": HEADLINE["ae"]}, cfg)
    vae_rows = card["table"][card["table"]["quantity"] == "logvar mean"]
    assert vae_rows["note"].item() == "no VAE in this run" and np.isnan(vae_rows["ours"].item())
    assert "models" in set(card["differences"]["setting"])
