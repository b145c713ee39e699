"""Every stage in DAG order: its name (rule = stage module = plot module = results folder =
log folder = report section = caption file = config key `analysis.<name>`, unless `config`
names another block), its report title (also its category in Snakemake's report) and what it
runs over. The report's sections and the report rule's inputs are both built from this one
list; tests/unit/test_stages.py checks that every place uses the one name."""

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
    # its module has check_config(cfg, n): cross-field checks run when the config is read
    checked: bool = False
    # the config block it reads when that is not `analysis.<name>` ("" = none of its own)
    config: str | None = None

    @property
    def config_key(self) -> str:
        return f"analysis.{self.name}" if self.config is None else self.config


STAGES: tuple[Stage, ...] = (
    Stage("acquire", "Data source", "run", report=False, config="data"),
    Stage("prepare", "Data", "run", config="data"),
    # a run without images: the table of its rows (ids, metadata)
    Stage("metadata", "Metadata", "run", report=False, config="data"),
    Stage("train", "Training curves", "model", checked=True, config="training"),
    Stage("encode", "Encoding", "model", report=False, config="architecture"),
    # a model trained elsewhere: its given latents, checked, in place of train -> encode
    Stage("ingest", "Given latents", "model", report=False, config="models"),
    # the blog's analyses
    Stage("radius", "Number density vs radius", "model", checked=True),
    Stage("axes", "Number density along the axes", "model"),
    Stage("pca", "PCA", "model", checked=True),
    Stage("tsne", "t-SNE", "variant", checked=True),
    Stage("umap", "UMAP", "model"),
    Stage("kmeans", "k-means inertia", "model", checked=True),
    Stage("vae_stats", "VAE statistics", "vae", config=""),
    Stage("samples", "Images from random z-points", "model", checked=True),
    # beyond the blog
    Stage("structure", "Structure against its nulls", "model"),
    Stage("intrinsic_dim", "Intrinsic dimension and active units", "model", checked=True),
    Stage("sampling", "Sampling strategies: how on-manifold are the samples?", "model"),
    Stage("attributes", "k-means clusters against the image attributes", "model", checked=True),
    # what is where
    Stage("traversals", "Traversals: what a direction changes in a face", "model"),
    Stage("interpolations", "Interpolations: the straight line against the data's path", "model"),
    Stage("explore", "Interactive explorer", "run"),
    # all models together
    Stage("kl_sweep", "Models against their KL factor", "run", config=""),
    Stage("compare", "All models side by side", "run", config=""),
    Stage("report", "Report", "run", report=False, config=""),
)

BY_NAME = {s.name: s for s in STAGES}
# Rules that run a stage under another name (its benchmarks sort with the stage's).
RULE_ALIASES = {"encode": ("encode_vae",), "ingest": ("ingest_vae",)}


def stage_names() -> list[str]:
    return [s.name for s in STAGES]


def report_stages() -> list[Stage]:
    return [s for s in STAGES if s.report]
