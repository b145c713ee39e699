"""What the config's `data` block means before any data exists: how many images the run
will have and which attribute columns, for the checks made when the config is parsed."""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Mapping
from pathlib import Path

from zatlas.data.attributes import CELEBA_ATTRIBUTES
from zatlas.errors import ConfigError

CELEBA_N_IMAGES = 202_599


@functools.lru_cache(maxsize=8)
def count_folder_images(path: str | None) -> int:
    """Images in `data.path` (a folder data set), counted by name at parse time."""
    from zatlas.data.archive import Container, is_image_name
    from zatlas.errors import ZatlasError

    if not path:
        raise ConfigError(
            "invalid config:\n  config key 'data.path': required with dataset 'folder' "
            "(a folder, .zip or .tar of JPEG, PNG or WebP images)"
        )
    try:
        entries = Container.at(path).entries(lambda _m: None)
    except ZatlasError as exc:
        why = str(exc).removeprefix("data.path: ")
        raise ConfigError(f"invalid config:\n  config key 'data.path': {why}") from None
    n = sum(is_image_name(e.name) for e in entries)
    if n == 0:
        raise ConfigError(
            f"invalid config:\n  config key 'data.path': {path} holds no JPEG, PNG or WebP "
            "images (searched recursively)"
        )
    return n


def recorded_celeba_count(record: str | Path = "resources/celeba/source.json") -> int:
    """CelebA's image count: the official one, or that of a subset the acquire step verified."""
    try:
        data = json.loads(Path(record).read_text())
        if data.get("subset"):
            return int(data["n_images"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return CELEBA_N_IMAGES


def attribute_names(cfg: Mapping) -> tuple[str, ...]:
    """The attribute columns the run will have: CelebA's 40, or a folder's attributes CSV
    header (less its id column), or none."""
    data = cfg["data"]
    if data["dataset"] == "none":
        return metadata_columns(data.get("metadata"))
    if data["dataset"] != "folder":
        return tuple(CELEBA_ATTRIBUTES)
    path = data.get("attributes")
    if not path:
        return ()
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
    except OSError as exc:
        raise ConfigError(
            f"invalid config:\n  config key 'data.attributes': cannot read {path} ({exc})"
        ) from None
    header = [c.strip() for c in header]
    id_col = "image_id" if "image_id" in header else (header[0] if header else None)
    return tuple(c for c in header if c != id_col)


def metadata_columns(path) -> tuple[str, ...]:
    """The attribute columns of a run without images: data.metadata's, less the id and the
    split columns."""
    if not path:
        return ()
    from zatlas.errors import ZatlasError
    from zatlas.external.tables import ID_COLUMNS, header

    try:
        names = header(str(path))
    except ZatlasError as exc:
        raise ConfigError(f"invalid config:\n  config key 'data.metadata': {exc}") from None
    return tuple(c for c in names if c not in (*ID_COLUMNS, "split"))


def attribute_source(cfg: Mapping) -> str:
    if cfg["data"]["dataset"] == "none":
        if not cfg["data"].get("metadata"):
            return "a metadata column: the run has none (set data.metadata to a table)"
        return f"a column of data.metadata ({cfg['data']['metadata']})"
    if cfg["data"]["dataset"] != "folder":
        return "a CelebA attribute"
    if not cfg["data"].get("attributes"):
        return "an attribute: the folder data set has none (set data.attributes to a CSV)"
    return f"a column of data.attributes ({cfg['data']['attributes']})"


def data_problems(cfg: Mapping) -> list[str]:
    """Mistakes in the `data` block that the schema cannot see, each naming its key."""
    data = cfg["data"]
    problems = []
    if data.get("metadata") and data["dataset"] != "none":
        problems.append(
            "config key 'data.metadata': used only with data.dataset: none (with images, "
            "give a folder's data.attributes)"
        )
    elif data.get("metadata") and not Path(data["metadata"]).expanduser().is_file():
        problems.append(f"config key 'data.metadata': {data['metadata']} is not a file")
    if data["dataset"] != "folder":
        for key in ("path", "attributes", "splits"):
            if data.get(key):
                problems.append(
                    f"config key 'data.{key}': used only with data.dataset: folder (the "
                    f"dataset is '{data['dataset']}')"
                )
        if data.get("crop") is not None and data["crop"] > 178:
            problems.append(
                f"config key 'data.crop': {data['crop']} is wider than CelebA's 178x218 images"
            )
    else:
        if not data.get("path"):
            problems.append(
                "config key 'data.path': required with data.dataset: folder (a directory, "
                ".zip or .tar of JPEG, PNG or WebP images)"
            )
        for key in ("attributes", "splits"):
            if data.get(key) and not Path(data[key]).is_file():
                problems.append(f"config key 'data.{key}': {data[key]} is not a file")
        fractions = data.get("split_fractions") or []
        if not data.get("splits") and abs(sum(fractions) - 1.0) > 1e-6:
            problems.append(
                f"config key 'data.split_fractions': {fractions} must sum to 1 (train, valid, test)"
            )
    return problems


def fill_attribute_defaults(resolved: dict, given: Mapping) -> None:
    """For a folder data set (or a run without images), the attributes that colour the
    scatters default to the first four columns of its attributes file (or metadata table;
    CelebA's names mean nothing there), unless the config names them."""
    data = resolved["data"]
    if data["dataset"] not in ("folder", "none") or (
        data["dataset"] == "folder" and data.get("path") is None
    ):
        return
    attrs = resolved.get("analysis", {}).get("attributes")
    if attrs is not None and "color_by" not in (
        (given.get("analysis") or {}).get("attributes") or {}
    ):
        attrs["color_by"] = list(attribute_names(resolved)[:4])
