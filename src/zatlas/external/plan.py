"""Which stages run for which models, and why a stage is left out for a model: a stage
that needs what a model lacks (a decoder, an encoder, images, mu and logvar, a training
history) does not run for it, and the report says so."""

from __future__ import annotations

from collections.abc import Mapping

from zatlas.external.spec import external_names, has_mu_logvar, trained_names

# stages run once per model for every model, with or without images or a decoder
IMAGE_FREE = (
    "radius",
    "axes",
    "pca",
    "tsne",
    "umap",
    "kmeans",
    "structure",
    "intrinsic_dim",
    "attributes",
)


def _why_not(stage: str, spec: Mapping, images: bool) -> str | None:
    """Why `stage` cannot run for an external model, or None when it can."""
    decoder = bool(spec.get("decoder"))
    if stage == "vae_stats" and not has_mu_logvar(spec):
        return "no mu and logvar were given (models.<name>.mu, .logvar)"
    if stage in ("samples", "traversals", "interpolations") and not decoder:
        return "no decoder was given (models.<name>.decoder)"
    if stage == "samples" and not images:
        return "its reconstructions need images (data.dataset: none)"
    if stage == "sampling":
        return "it scores decode -> encode -> decode cycles, and an external model gives no encoder"
    if stage in ("train", "kl_sweep"):
        return "it was not trained here (no training history, no KL factor)"
    return None


def plan(cfg: Mapping, has_attributes: bool) -> tuple[dict[str, list[str]], list[dict]]:
    """({stage: models it runs for}, [{stage, model, reason} for each stage left out]).

    `has_attributes`: whether the run has attribute columns (for the attributes stage).
    """
    images = cfg["data"]["dataset"] != "none"
    trained, external = trained_names(cfg), external_names(cfg)
    models = list(cfg["models"])
    runs: dict[str, list[str]] = {s: list(models) for s in IMAGE_FREE}
    left: list[dict] = []
    for stage in ("train", "vae_stats", "samples", "sampling", "traversals", "interpolations"):
        own = [m for m in trained if stage != "vae_stats" or cfg["models"][m]["type"] == "vae"]
        runs[stage] = own
        for m in external:
            why = _why_not(stage, cfg["models"][m], images)
            if why is None:
                runs[stage].append(m)
            elif stage != "train":  # train's place is taken by ingest: nothing is missing
                left.append({"stage": stage, "model": m, "reason": why.replace("<name>", m)})
        runs[stage] = [m for m in models if m in runs[stage]]
    runs["kl_sweep"] = trained
    if trained:
        left += [
            {"stage": "kl_sweep", "model": m, "reason": _why_not("kl_sweep", {}, images)}
            for m in external
        ]
    else:
        left.append(
            {
                "stage": "kl_sweep",
                "model": "all models",
                "reason": "no model of the run was trained here",
            }
        )
    if not has_attributes:
        runs["attributes"] = []
        what = "data.metadata" if not images else "data.attributes"
        left.append(
            {
                "stage": "attributes",
                "model": "all models",
                "reason": f"the run has no attribute columns (set {what})",
            }
        )
    return runs, left
