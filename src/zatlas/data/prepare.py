"""CelebA layout -> centre-cropped, resized uint8 array + attribute table.

Reads the zip in place (see `archive`): members are never extracted. The images are
decoded in parallel into a memory-mapped array (see `decode`). A JPEG that fails to decode
(truncated, bad CRC, not an image) is counted and reported; by `on_corrupt` it stops the run
or is dropped with its id recorded, never left as a blank. A verified subset of CelebA
(`source.json` says `subset`) is prepared from the images it holds.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from zatlas.data.archive import (  # noqa: F401  (re-exported: the zip reading lived here)
    image_members,
    member_table,
    read_member,
    safe_member,
)
from zatlas.data.attributes import read_attributes, read_partition
from zatlas.data.container import Container
from zatlas.data.decode import (  # noqa: F401  (re-exported)
    PrepareSpec,
    chunk_size,
    decode_all,
    decode_face,
    publish,
    report_failures,
    report_notes,
)
from zatlas.errors import ZatlasError, reacquire

SOURCE_W, SOURCE_H = 178, 218


def select_rows(table: pd.DataFrame, n_images: int | None) -> pd.DataFrame:
    """First rows of each split, in proportion (largest remainders, so the shares add up to
    exactly `n_images`), so a capped run keeps valid/test images."""
    if n_images is None or n_images >= len(table):
        return table.reset_index(drop=True)
    groups = dict(list(table.groupby("split", sort=False)))
    share = {k: n_images * len(g) / len(table) for k, g in groups.items()}
    take = {k: max(1, int(v)) for k, v in share.items()}
    for k in sorted(share, key=lambda k: int(share[k]) - share[k]):
        if sum(take.values()) >= n_images:
            break
        take[k] = min(take[k] + 1, len(groups[k]))
    parts = [g.head(take[k]) for k, g in groups.items()]
    return pd.concat(parts).sort_index().head(n_images).reset_index(drop=True)


def _is_subset(raw: Path) -> bool:
    """Whether the acquire step verified this folder as a subset of the official CelebA."""
    record = raw / "source.json"
    try:
        return bool(json.loads(record.read_text()).get("subset"))
    except (OSError, ValueError, AttributeError):
        return False


def prepare_celeba_layout(
    raw_dir: str | Path,
    images_out: str | Path,
    attributes_out: str | Path,
    summary_out: str | Path,
    spec: PrepareSpec,
) -> dict:
    t0 = time.perf_counter()
    raw = Path(raw_dir)
    zip_path = raw / "img_align_celeba.zip"
    for need in (zip_path, raw / "list_eval_partition.txt", raw / "list_attr_celeba.txt"):
        if not need.exists():
            raise ZatlasError(f"missing {need}: place the file there, {reacquire(need)}")
    partition = read_partition(raw / "list_eval_partition.txt")
    attributes = read_attributes(raw / "list_attr_celeba.txt")
    for name, frame in (
        ("list_eval_partition.txt", partition),
        ("list_attr_celeba.txt", attributes),
    ):
        dupes = frame["image_id"][frame["image_id"].duplicated()]
        if len(dupes):
            raise ZatlasError(f"{raw / name} lists {dupes.iloc[0]} more than once")
    table = partition.merge(attributes, on="image_id", how="inner", validate="one_to_one")
    if len(table) != len(partition):
        raise ZatlasError("list_eval_partition.txt and list_attr_celeba.txt list different images")

    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = image_members(zf)
            if _is_subset(raw):
                table = table[table["image_id"].isin(members)].reset_index(drop=True)
            table = select_rows(table, spec.n_images)
            missing = [i for i in table["image_id"] if i not in members]
            if missing:
                raise ZatlasError(
                    f"{zip_path} lacks {len(missing)} images listed in the partition file "
                    f"(first: {missing[:5]}): replace the archive with the complete one, "
                    f"{reacquire(zip_path)} (a deliberate subset of CelebA is verified and "
                    "accepted as such when the acquire step runs)"
                )
            locations = member_table(zf, [members[i] for i in table["image_id"]])
    except zipfile.BadZipFile as exc:
        raise ZatlasError(
            f"{zip_path} is not a readable zip ({exc}): replace it, {reacquire(zip_path)}"
        ) from None

    start = time.perf_counter()
    n = len(table)
    part = Path(str(images_out) + ".part.npy")
    items = list(enumerate(locations))
    workers = spec.workers or os.cpu_count() or 1
    step = chunk_size(n, workers)
    chunks = (items[i : i + step] for i in range(0, n, step))
    failures, _, workers, notes = decode_all(Container(str(zip_path), "zip"), chunks, n, part, spec)
    seconds = time.perf_counter() - start
    advice = (
        f"Replace the archive, {reacquire(zip_path)}; or set data.on_corrupt: skip to drop "
        "them (their ids are then recorded)."
    )
    return finish(
        table,
        part,
        failures,
        str(zip_path),
        advice,
        spec,
        seconds,
        t0,
        workers,
        images_out,
        attributes_out,
        summary_out,
        notes=notes,
    )


def check_variety(images_path: Path, names: list[str], where: str, block: int = 4096) -> None:
    """Stop when every image came out the same: the models would learn one picture and every
    analysis of their latent space would have nothing to map. Stops at the first block that
    differs, so a real data set costs one block's read."""
    images = np.load(images_path, mmap_mode="r")
    if len(images) < 2:
        return
    first = np.asarray(images[0])
    for i in range(1, len(images), block):
        if (np.asarray(images[i : i + block]) != first).any():
            return
    images_path.unlink()
    raise ZatlasError(
        f"all {len(images)} images of {where} are identical after cropping and resizing "
        f"(e.g. {names[0]!r} and {names[-1]!r}): there is nothing to learn or map. Point "
        "data.path at the intended images (a folder of copies, or of one flat colour?)"
    )


def finish(
    table: pd.DataFrame,
    part: Path,
    failures: list[tuple[int, str]],
    where: str,
    advice: str,
    spec: PrepareSpec,
    seconds: float,
    t0: float,
    workers: int,
    images_out,
    attributes_out,
    summary_out,
    extra: dict | None = None,
    notes: list[tuple[int, str]] = (),
) -> dict:
    """Stop on corrupt images (by `on_corrupt`) or drop them; write the array, the table and
    the summary."""
    n = len(table)
    names = table["image_id"].tolist()
    bad_rows = [r for r, _ in failures]
    bad_ids = [names[r] for r in bad_rows]
    report_failures(failures, names)
    noted = report_notes(list(notes), names)
    if failures and spec.on_corrupt == "error":
        part.unlink()
        details = "; ".join(f"{names[r]} ({why})" for r, why in failures[:10])
        raise ZatlasError(f"{len(failures)} corrupt image(s) in {where}: {details}. {advice}")
    keep = publish(part, Path(images_out), n, bad_rows)
    table = table.iloc[keep].reset_index(drop=True)
    check_variety(Path(images_out), table["image_id"].tolist(), where)
    table.to_parquet(attributes_out, index=False)
    summary = {
        "n_images": int(len(table)),
        "image_size": spec.image_size,
        "crop": spec.crop,
        "splits": {k: int(v) for k, v in table["split"].value_counts().items()},
        "n_corrupt": len(bad_ids),
        "skipped_corrupt": bad_ids,
        "seconds": round(seconds, 3),
        "images_per_second": round(n / seconds, 1) if seconds > 0 else None,
        "total_seconds": round(time.perf_counter() - t0, 3),
        "workers": workers,
        "notes": {note: {"n": len(which), "first": which[:20]} for note, which in noted.items()},
        **(extra or {}),
    }
    Path(summary_out).write_text(json.dumps(summary, indent=2))
    return summary
