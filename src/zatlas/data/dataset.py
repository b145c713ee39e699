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
def folder_images(path: str | None):
    """The container at `data.path` and its images (by name), listed once per parse."""
    from zatlas.data.container import Container, bad_names, is_image_name
    from zatlas.data.formats import FORMATS_IN_WORDS
    from zatlas.errors import ZatlasError

    if not path:
        raise ConfigError(
            "invalid config:\n  config key 'data.path': required with dataset 'folder' "
            f"(a folder, .zip or .tar of {FORMATS_IN_WORDS} images)"
        )
    try:
        container = Container.at(Path(path).expanduser())
        entries = container.entries()
    except ZatlasError as exc:
        why = str(exc).removeprefix("data.path: ")
        raise ConfigError(f"invalid config:\n  config key 'data.path': {why}") from None
    images = [e for e in entries if is_image_name(e.name)]
    if not images:
        raise ConfigError(
            f"invalid config:\n  config key 'data.path': {path} holds no {FORMATS_IN_WORDS} "
            "images (searched recursively)"
        )
    bad = bad_names([e.name for e in images])
    if bad:  # they could not be recorded in the manifest, a CSV or a parquet table
        raise ConfigError(
            f"invalid config:\n  config key 'data.path': {len(bad)} image name(s) in {path} "
            "hold bytes that are not UTF-8 or control characters such as a newline (shown "
            f"with Python escapes): {', '.join(repr(n) for n in bad[:5])}. Rename them (e.g. "
            "`convmv -f latin1 -t utf8 -r --notest <folder>`, or by hand) and run again"
        )
    return container, images


def count_folder_images(path: str | None) -> int:
    """Images in `data.path` (a folder data set), counted by name at parse time."""
    return len(folder_images(path)[1])


count_folder_images.cache_clear = folder_images.cache_clear  # the cache it reads from


def folder_fingerprint(cfg: Mapping, dataset: str) -> str:
    """Write (when it changed) and return resources/<dataset>/fingerprint.txt, the content
    digest of the folder's images: the acquire rule's input, so a changed image reruns it."""
    from dataclasses import replace

    from zatlas.data.container import limits_mb
    from zatlas.data.fingerprint import folder_fingerprint as write
    from zatlas.errors import ZatlasError

    data = cfg["data"]
    container, images = folder_images(data["path"])
    container = replace(container, limits=limits_mb(data["max_image_mb"], data["max_total_mb"]))
    try:  # an image above the limits stops the run here, before a byte of it is read
        container.check_sizes(images)
    except ZatlasError as exc:
        raise ConfigError(f"invalid config:\n  config key 'data.path': {exc}") from None
    return str(write(container, images, Path("resources") / dataset / "fingerprint.txt"))


def table_fingerprints(cfg: Mapping) -> list[str]:
    """The content digests of the attribute and split files: the prepare rule's inputs."""
    from zatlas.data.fingerprint import file_fingerprint

    data = cfg["data"]
    return [str(file_fingerprint(data[k])) for k in ("attributes", "splits") if data.get(k)]


def expand_paths(resolved: dict) -> None:
    """`~` in data.path, data.attributes and data.splits means the home folder, everywhere."""
    data = resolved["data"]
    for key in ("path", "attributes", "splits"):
        if data.get(key):
            data[key] = str(Path(data[key]).expanduser())


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
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"invalid config:\n  config key 'data.attributes': {path} is not UTF-8 text "
            f"(byte {exc.object[exc.start : exc.start + 1]!r} at offset {exc.start}, in "
            "its first line); save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > "
            "out.csv`) and point data.attributes at that"
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
                ".zip or .tar of images)"
            )
        for key in ("attributes", "splits"):
            if data.get(key) and not Path(data[key]).is_file():
                problems.append(f"config key 'data.{key}': {data[key]} is not a file")
        fractions = data.get("split_fractions") or []
        if not data.get("splits") and abs(sum(fractions) - 1.0) > 1e-6:
            problems.append(
                f"config key 'data.split_fractions': {fractions} must sum to 1 (train, valid, test)"
            )
        elif not data.get("splits") and fractions and fractions[0] <= 0:
            problems.append(
                f"config key 'data.split_fractions': {fractions} puts no image in train (the "
                "first fraction); training needs some, e.g. [0.8, 0.1, 0.1]"
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
