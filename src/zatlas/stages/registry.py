"""Every stage in DAG order: its name (rule = stage module = config key = results folder =
report section = caption file), its report title and what it runs over. The report's
sections and the report rule's inputs are both built from this one list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    title: str
    # "run": once per run; "model": per model; "vae": per VAE; "variant": per model and
    # t-SNE variant
    per: str
    # shown in the report (its PNG/CSV/JSON outputs are the report rule's inputs)
    report: bool = True


STAGES: tuple[Stage, ...] = (
    Stage("acquire", "Data source", "run", report=False),
    Stage("prepare", "Data", "run"),
    # a run without images: the table of its rows (ids, metadata)
    Stage("metadata", "Metadata", "run", report=False),
    Stage("train", "Training curves", "model"),
    Stage("encode", "Encoding", "model", report=False),
    # a model trained elsewhere: its given latents, checked, in place of train -> encode
    Stage("ingest", "Given latents", "model", report=False),
    # the blog's analyses
    Stage("radius", "Number density vs radius", "model"),
    Stage("axes", "Number density along the axes", "model"),
    Stage("pca", "PCA", "model"),
    Stage("tsne", "t-SNE", "variant"),
    Stage("umap", "UMAP", "model"),
    Stage("kmeans", "k-means inertia", "model"),
    Stage("vae_stats", "VAE statistics", "vae"),
    Stage("samples", "Images from random z-points", "model"),
    # beyond the blog
    Stage("structure", "Structure against its nulls", "model"),
    Stage("intrinsic_dim", "Intrinsic dimension and active units", "model"),
    Stage("sampling", "Sampling strategies: how on-manifold are the samples?", "model"),
    Stage("attributes", "k-means clusters against the image attributes", "model"),
    # what is where
    Stage("traversals", "Traversals: what a direction changes in a face", "model"),
    Stage("interpolations", "Interpolations: the straight line against the data's path", "model"),
    Stage("explore", "Interactive explorer", "run"),
    # all models together
    Stage("kl_sweep", "Models against their KL factor", "run"),
    Stage("compare", "All models side by side", "run"),
    Stage("report", "Report", "run", report=False),
)

BY_NAME = {s.name: s for s in STAGES}
# Rules that run a stage under another name (its benchmarks sort with the stage's).
RULE_ALIASES = {"encode": ("encode_vae",), "ingest": ("ingest_vae",)}


def stage_names() -> list[str]:
    return [s.name for s in STAGES]


def report_stages() -> list[Stage]:
    return [s for s in STAGES if s.report]
