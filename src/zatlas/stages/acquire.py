"""acquire: fill resources/<dataset>/ with the data set's raw files (or, for a folder of
your own images, its manifest) and write the record of where they came from (source,
verification, every attempt, counts) and their checksums."""

from __future__ import annotations

from pathlib import Path

from zatlas.stages.files import write_json


def run(
    source,
    dataset: str,
    n_images: int,
    seed: int,
    sources,
    path,
    attributes,
    splits,
    split_fractions,
) -> None:
    from zatlas.data.celeba import md5sum

    out_dir = Path(source).parent
    if dataset == "synthetic":
        from zatlas.data.synthetic import write_synthetic_celeba

        layout = write_synthetic_celeba(out_dir, n_images, seed)
        record = {
            "source": "synthetic",
            "n_images": n_images,
            "seed": seed,
            "md5": {p.name: md5sum(p) for p in (layout.zip, layout.partition, layout.attributes)},
        }
    elif dataset == "folder":
        from zatlas.data.folder import acquire_folder

        record = acquire_folder(path, out_dir, attributes, splits, split_fractions, seed)
    else:
        from zatlas.data.celeba import acquire_celeba

        record = acquire_celeba(out_dir, sources)
    write_json(source, record)
