"""ingest: an external model's latents (z, and mu and logvar when given), checked and put in
the data set's row order, written where encode writes a trained model's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.stages.files import write_json


def run(
    sources,
    attributes,
    z,
    summary,
    spec: dict,
    image_size,
    model: str,
    mu=None,
    logvar=None,
) -> None:
    from zatlas.external.checks import cached_scan
    from zatlas.external.ingest import check_decoder, match_ids, write_rows
    from zatlas.external.sources import open_source
    from zatlas.external.tables import read_ids

    key = f"models.{model}"
    given = {"z": open_source(spec["z"], f"{key}.z")}
    for part in ("mu", "logvar"):
        if spec.get(part):
            given[part] = open_source(spec[part], f"{key}.{part}")
    warnings = []
    for src in given.values():  # cached when the config was parsed: a look-up here
        found = cached_scan(src)
        if found.errors:
            from zatlas.errors import ZatlasError

            raise ZatlasError("\n".join(found.errors))
        warnings += found.warnings
    order = None
    if spec.get("ids") and image_size is not None:
        image_ids = pd.read_parquet(attributes, columns=["image_id"])["image_id"].tolist()
        order = match_ids(read_ids(spec["ids"], f"{key}.ids"), image_ids, spec["ids"], attributes)
    outputs = {"z": z, "mu": mu, "logvar": logvar}
    for part, src in given.items():
        write_rows(src, outputs[part], order)
        print(f"{part}: {src.path} {src.shape} -> {outputs[part]}", flush=True)
    record = {
        "model": model,
        "n": given["z"].shape[0] if order is None else len(order),
        "n_given": given["z"].shape[0],
        "z_dim": given["z"].shape[1],
        "files": {part: str(src.path) for part, src in given.items()},
        "matched_by_id": order is not None,
        "reordered": bool(
            order is not None
            and (
                len(order) != given["z"].shape[0]
                or not np.array_equal(order, np.arange(len(order)))
            )
        ),
        "warnings": warnings,
    }
    if spec.get("decoder"):
        first = np.load(z, mmap_mode="r")[:2]
        record["decoder"] = {
            "path": spec["decoder"],
            **check_decoder(spec["decoder"], first, image_size),
        }
    write_json(summary, record)
