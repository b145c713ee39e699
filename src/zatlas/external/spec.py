"""The config's external models and `data.dataset: none`, checked when the config is parsed
(before any job runs): every file opened, shapes and row counts compared, values scanned
(cached), the decoder's latent width and image shape compared with the data."""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from pathlib import Path

from zatlas.errors import ZatlasError

KEYS = ("z", "mu", "logvar", "ids", "decoder")


def external_names(cfg: Mapping) -> list[str]:
    return [m for m, spec in cfg["models"].items() if spec["type"] == "external"]


def trained_names(cfg: Mapping) -> list[str]:
    return [m for m, spec in cfg["models"].items() if spec["type"] != "external"]


def has_mu_logvar(spec: Mapping) -> bool:
    return spec["type"] == "vae" or bool(spec.get("mu") and spec.get("logvar"))


@functools.lru_cache(maxsize=64)
def _shape(spec: str, label: str) -> tuple[int, ...]:
    from zatlas.external.sources import open_source

    return open_source(spec, label).shape


def latent_shape(cfg: Mapping, model: str) -> tuple[int, int]:
    """(rows, width) of an external model's z, from the file's header."""
    return _shape(str(cfg["models"][model]["z"]), f"models.{model}.z")


def model_widths(cfg: Mapping) -> dict[str, int]:
    """Every model's latent width: architecture.z_dim for a trained one, z's for the rest."""
    out = {}
    for name, spec in cfg["models"].items():
        if spec["type"] == "external":
            try:
                out[name] = latent_shape(cfg, name)[1]
            except ZatlasError:
                continue  # reported by external_problems
        else:
            out[name] = cfg["architecture"]["z_dim"]
    return out


def narrowest_width(cfg: Mapping) -> int:
    """The narrowest model's latent width: it bounds what every model's analyses may ask
    for (PC planes, PCA components)."""
    return min(model_widths(cfg).values(), default=cfg["architecture"]["z_dim"])


def none_rows(cfg: Mapping) -> int:
    """Rows of a run without images: those of its first external model."""
    names = external_names(cfg)
    return latent_shape(cfg, names[0])[0] if names else 0


def _model_problems(cfg: Mapping, name: str, n_images: int | None, scan: bool):
    from zatlas.decoders import static_shapes
    from zatlas.external.checks import cached_scan
    from zatlas.external.sources import open_source
    from zatlas.external.tables import count_rows

    spec = cfg["models"][name]
    key = f"models.{name}"
    problems, warnings = [], []
    if not spec.get("z"):
        return [f"config key '{key}.z': required for a model of type external"], []
    if bool(spec.get("mu")) != bool(spec.get("logvar")):
        problems.append(
            f"config key '{key}': give both mu and logvar (the VAE statistics need both) or neither"
        )
    z = open_source(str(spec["z"]), f"{key}.z")
    n, d = z.shape
    if n < 2:
        problems.append(f"config key '{key}.z': {z.path} has {n} row(s); at least 2 are needed")
    if d < 1:
        problems.append(f"config key '{key}.z': {z.path} has no columns")
    if problems:
        return problems, warnings
    sources = [z]
    for part in ("mu", "logvar"):
        if spec.get(part):
            other = open_source(str(spec[part]), f"{key}.{part}")
            if other.shape != z.shape:
                problems.append(
                    f"config key '{key}.{part}': {other.path} has shape {other.shape}, "
                    f"{z.path} (z) has {z.shape}; they must match row for row"
                )
            sources.append(other)
    if spec.get("ids"):
        n_ids = count_rows(str(spec["ids"]), f"{key}.ids")
        if n_ids != n:
            problems.append(
                f"config key '{key}.ids': {spec['ids']} lists {n_ids} ids, {z.path} (z) has "
                f"{n} rows; one id per row is needed"
            )
    # with ids, rows of images the run does not use are left out at ingest
    if n_images is not None and (n < n_images if spec.get("ids") else n != n_images):
        problems.append(
            f"config key '{key}.z': {z.path} has {n} rows but the data set "
            f"({cfg['data']['dataset']}) has {n_images} images; give one row per image, in "
            f"the data set's order, or give models.{name}.ids (then extra rows are left out)"
        )
    if spec.get("decoder"):
        path = Path(spec["decoder"]).expanduser()
        if not path.is_file():
            problems.append(f"config key '{key}.decoder': {path} does not exist")
        else:
            width, image = static_shapes(path)
            if width is not None and width != d:
                problems.append(
                    f"config key '{key}.decoder': {path} takes z of width {width}, {z.path} "
                    f"(z) has width {d}"
                )
            size = cfg["data"]["image_size"]
            if image and n_images is not None and tuple(image[:2]) != (size, size):
                problems.append(
                    f"config key '{key}.decoder': {path} makes {image[0]}x{image[1]} images, "
                    f"the data set's are {size}x{size} (data.image_size)"
                )
    if scan and not problems:
        for src in sources:
            found = cached_scan(src)
            problems += found.errors
            warnings += found.warnings
    return problems, warnings


def external_problems(cfg: Mapping, n_images: int | None, scan: bool = True) -> list[str]:
    """Every problem of the external models and of `data.dataset: none`; warnings are
    printed. `n_images` is the data set's image count (None without images)."""
    problems: list[str] = []
    warnings: list[str] = []
    trained = trained_names(cfg)
    for name in trained:
        given = [k for k in KEYS if cfg["models"][name].get(k)]
        if given:
            problems.append(
                f"config key 'models.{name}': {', '.join(given)} belong to a model of type "
                f"external; a '{cfg['models'][name]['type']}' model is trained by zatlas"
            )
    if cfg["data"]["dataset"] == "none":
        if trained:
            problems.append(
                f"config key 'data.dataset': none (no images) cannot train {trained}; give "
                "them as type external, or use a data set of images"
            )
        if not external_names(cfg):
            problems.append(
                "config key 'data.dataset': none needs at least one model of type external"
            )
    for name in external_names(cfg):
        try:
            more, warn = _model_problems(cfg, name, n_images, scan)
        except ZatlasError as exc:
            more, warn = [str(exc)], []
        problems += more
        warnings += warn
    if cfg["data"]["dataset"] == "none" and not problems:
        problems += _none_problems(cfg)
    for w in warnings:
        print(f"[zatlas] warning: {w}", file=sys.stderr, flush=True)
    return problems


def _none_problems(cfg: Mapping) -> list[str]:
    """A run without images: every external model as many rows as the first, and the
    metadata table one row per latent row."""
    from zatlas.external.tables import count_rows

    names = external_names(cfg)
    n = none_rows(cfg)
    problems = [
        f"config key 'models.{m}.z': {latent_shape(cfg, m)[0]} rows, models.{names[0]}.z has "
        f"{n}; in a run without images (data.dataset: none) row i is the same item in every "
        "model"
        for m in names[1:]
        if latent_shape(cfg, m)[0] != n
    ]
    meta = cfg["data"].get("metadata")
    if meta:
        try:
            rows = count_rows(str(meta), "data.metadata")
        except ZatlasError as exc:
            return [*problems, str(exc)]
        if rows != n:
            problems.append(
                f"config key 'data.metadata': {meta} has {rows} rows, "
                f"{cfg['models'][names[0]]['z']} (models.{names[0]}.z) has {n}; one metadata "
                "row per latent row"
            )
    return problems
