"""The reproduction scorecard: the blog's published numbers beside a run's own.

The blog trained a convolutional AE and a VAE with a tiny KL weight (1e-5) on all of CelebA
at 96 px for 24 epochs and published a handful of numbers. A run at those settings should
land near them; for any other run the card says which settings differ, so nobody reads a
demo's numbers as a failed reproduction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

CELEBA_N_IMAGES = 202_599


@dataclass(frozen=True)
class Published:
    """One number from the blog: a range (low, high), or a point when low == high."""

    quantity: str
    key: str  # the name of our number in the headline dict
    role: str  # "ae" or "vae_tiny": which of our models it is compared with
    low: float | None
    high: float | None
    note: str = ""

    @property
    def text(self) -> str:
        if self.low is None:
            return "not published as a number"
        if self.low == self.high:
            return f"about {self.low:g}"
        return f"{self.low:g} to {self.high:g}"


BLOG_NUMBERS = (
    Published("radius peak", "radius_peak", "ae", 16.5, 16.75),
    Published(
        "dominant axes (count)", "n_dominant_axes", "ae", 12, 12, "axis indices differ per run"
    ),
    Published("dominant axes: median FWHM", "dominant_fwhm_median", "ae", None, None),
    Published(
        "dominant axes: median FWHM / median FWHM of all axes",
        "dominant_width_ratio",
        "ae",
        None,
        None,
    ),
    Published("k-means elbow", "elbow_k", "ae", 38, 42),
    Published("final total loss per image", "final_loss", "ae", 4515, 4515),
    Published("logvar mean", "logvar_mean", "vae_tiny", -13.7, -13.7),
    Published("max |z - mu|", "abs_z_minus_mu_max", "vae_tiny", 0.26, 0.26),
    Published(
        "mean relative radius difference (z vs mu)", "radius_rel_diff_mean", "vae_tiny", 6e-5, 6e-5
    ),
    Published("final total loss per image", "final_loss", "vae_tiny", 4553, 4555),
)

# The blog's settings behind those numbers, as config keys (config/config.yaml holds them).
BLOG_SETTINGS = {
    "data.dataset": "celeba",
    "data.n_images": CELEBA_N_IMAGES,
    "data.image_size": 96,
    "data.crop": 178,
    "architecture.z_dim": 256,
    "architecture.filters": [32, 64, 128, 256],
    "architecture.kernel_size": 3,
    "architecture.batch_norm": True,
    "architecture.eps_clip": 5.0,
    "training.epochs": 24,
    "training.batch_size": 128,
    "training.learning_rate": 0.0005,
    "analysis.radius.bin_widths": [0.5, 0.05],
    "analysis.axes.bin_width": 0.25,
    "analysis.axes.center_threshold": 1.0,
    "analysis.axes.width_factor": 2.0,
    "analysis.kmeans.k_min": 2,
    "analysis.kmeans.k_max": 80,
    "analysis.kmeans.k_step": 2,
    "analysis.kmeans.n_seeds": 3,
}
BLOG_TINY_KL = 1.0e-5


def roles(models: Mapping[str, Mapping]) -> dict[str, str | None]:
    """Our model playing each of the blog's: the first AE, and the VAE with the smallest KL."""
    aes = [name for name, spec in models.items() if spec["type"] == "ae"]
    vaes = sorted(
        (spec.get("kl_factor", 1.0), name) for name, spec in models.items() if spec["type"] == "vae"
    )
    return {"ae": aes[0] if aes else None, "vae_tiny": vaes[0][1] if vaes else None}


def _get(config: Mapping, dotted: str):
    value = config
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _same(a, b) -> bool:
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return isinstance(a, list | tuple) and isinstance(b, list | tuple) and list(a) == list(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(np.isclose(a, b, rtol=1e-9, atol=0))
    return a == b


def differing_settings(config: Mapping) -> pd.DataFrame:
    """Every setting of a (schema-completed) config that differs from the blog's run."""
    ours = {key: _get(config, key) for key in BLOG_SETTINGS}
    n = ours["data.n_images"]
    if config["data"]["dataset"] == "celeba":
        ours["data.n_images"] = min(n or CELEBA_N_IMAGES, CELEBA_N_IMAGES)
    if ours["data.crop"] is None and config["data"]["dataset"] in ("celeba", "synthetic"):
        ours["data.crop"] = 178  # crop: null is CelebA's own 178 px square for these
    rows = [
        {"setting": key, "blog": blog, "ours": ours[key]}
        for key, blog in BLOG_SETTINGS.items()
        if not _same(ours[key], blog)
    ]
    who = roles(config["models"])
    if who["ae"] is None:
        rows.append({"setting": "models", "blog": "an AE", "ours": "no AE"})
    if who["vae_tiny"] is None:
        rows.append(
            {"setting": "models", "blog": f"a VAE, kl_factor {BLOG_TINY_KL:g}", "ours": "no VAE"}
        )
    else:
        kl = config["models"][who["vae_tiny"]].get("kl_factor", 1.0)
        if not _same(kl, BLOG_TINY_KL):
            rows.append(
                {"setting": f"models.{who['vae_tiny']}.kl_factor", "blog": BLOG_TINY_KL, "ours": kl}
            )
    return pd.DataFrame(rows, columns=["setting", "blog", "ours"])


def _difference(ours: float, pub: Published) -> tuple[float, float, bool | None]:
    """Signed distance from the published range (0 inside it), relative to its middle."""
    if pub.low is None or ours is None or not np.isfinite(ours):
        return np.nan, np.nan, None
    diff = ours - float(np.clip(ours, pub.low, pub.high))
    middle = (pub.low + pub.high) / 2
    rel = diff / abs(middle) if middle else np.nan
    return float(diff), float(rel), bool(diff == 0) if pub.low != pub.high else None


def scorecard(headline: Mapping[str, Mapping], config: Mapping) -> dict:
    """The blog's numbers beside ours.

    `headline` maps each model name to its numbers (keys as in BLOG_NUMBERS: the columns
    of compare.csv); `config` is the run's schema-completed config. Returns
    `comparable` (CelebA at the blog's settings), `differences` (setting, blog, ours),
    `table` (quantity, model, blog, ours, difference, relative_difference, in_range, note)
    and `roles`.
    """
    who = roles(config["models"])
    rows = []
    for pub in BLOG_NUMBERS:
        model = who[pub.role]
        numbers = headline.get(model, {}) if model else {}
        value = numbers.get(pub.key)
        ours = float(value) if value is not None else np.nan
        diff, rel, in_range = _difference(ours, pub)
        note = pub.note if model else f"no {'AE' if pub.role == 'ae' else 'VAE'} in this run"
        if not np.isfinite(ours) and numbers.get(f"{pub.key}_note"):
            # the estimator does not apply (e.g. a multimodal radius has no single peak)
            note = str(numbers[f"{pub.key}_note"])
        rows.append(
            {
                "quantity": pub.quantity,
                "model": model or "",
                "blog": pub.text,
                "ours": ours,
                "difference": diff,
                "relative_difference": rel,
                "in_range": in_range,
                "note": note,
            }
        )
    differences = differing_settings(config)
    return {
        "comparable": differences.empty,
        "differences": differences,
        "table": pd.DataFrame(rows),
        "roles": who,
    }
