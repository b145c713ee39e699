"""metadata: the table of a run without images (data.dataset: none), written where prepare
writes a data set's attributes.parquet: image_id (the metadata's id column, else the first
external model's ids, else the row number), split, and the metadata columns (numbers and
categories, kept as they are)."""

from __future__ import annotations

import pandas as pd

from zatlas.stages.files import write_json


def build(table, ids, n_rows: int) -> pd.DataFrame:
    from zatlas.errors import ZatlasError
    from zatlas.external.tables import ID_COLUMNS, read_ids, read_metadata

    meta = read_metadata(table) if table else pd.DataFrame(index=range(n_rows))
    if len(meta) != n_rows:
        raise ZatlasError(f"data.metadata: {table} has {len(meta)} rows, the latents {n_rows}")
    id_col = next((c for c in ID_COLUMNS if c in meta), None)
    if id_col is not None:
        names = meta.pop(id_col).astype(str).tolist()
    elif ids:
        names = read_ids(ids, "ids")
    else:
        names = [str(i) for i in range(n_rows)]
    split = meta.pop("split").astype(str) if "split" in meta else pd.Series(["all"] * n_rows)
    out = pd.DataFrame({"image_id": names, "split": split.to_numpy()})
    return pd.concat([out, meta.reset_index(drop=True)], axis=1)


def run(sources, attributes, summary, table, ids, n_rows: int) -> None:
    frame = build(table, ids, n_rows)
    frame.to_parquet(attributes, index=False)
    columns = [c for c in frame.columns if c not in ("image_id", "split")]
    write_json(
        summary,
        {
            "n": len(frame),
            "metadata": table,
            "columns": {c: str(frame[c].dtype) for c in columns},
        },
    )
