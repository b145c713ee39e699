"""acquire: fill resources/<dataset>/ with the data set's raw files (or, for a folder of
your own images, its manifest) and write the record of where they came from (source,
verification, every attempt, counts) and their checksums.

A folder's record depends on its content alone (its `fingerprint` input changes when an
image does), never on a run's settings: every config on the same folder shares it."""

from __future__ import annotations

from pathlib import Path

from zatlas.stages.files import write_json


def run(
    source,
    dataset: str,
    # only what the record depends on is passed (common.smk's acquire_settings): a synthetic
    # set's size and seed, a folder's path and content fingerprint, CelebA's sources
    n_images=None,
    seed=None,
    sources=None,
    path=None,
    fingerprint=None,
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
        from zatlas.data.container import NO_LIMITS
        from zatlas.data.folder import acquire_folder

        # data.max_image_mb and max_total_mb were checked with the fingerprint, when the
        # workflow was parsed: as params here they would tie the shared record to a setting
        record = acquire_folder(path, out_dir, NO_LIMITS)
    else:
        from zatlas.data.celeba import acquire_celeba

        record = acquire_celeba(out_dir, sources)
    write_json(source, record)
