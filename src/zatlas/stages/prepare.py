"""prepare: centre-crop and resize the raw images into one uint8 array, with the split and
attributes of every image."""

from __future__ import annotations

import json
from pathlib import Path

CELEBA_CROP = 178  # the face square of CelebA's 178x218 aligned images


def run(
    source,
    images,
    attributes,
    summary,
    dataset: str,
    image_size: int,
    crop,
    n_images,
    on_corrupt: str,
    workers: int,
    seed: int,
    attribute_file,
    splits,
    split_fractions,
    fingerprints=None,  # the attribute and split files' content: they decide a rerun
    threads: int = 1,
) -> None:
    from zatlas.data.prepare import PrepareSpec, prepare_celeba_layout

    if dataset == "folder":
        from zatlas.data.container import NO_LIMITS
        from zatlas.data.folder import prepare_folder

        spec = PrepareSpec(image_size, crop, n_images, on_corrupt, workers or threads)
        # data.max_image_mb and max_total_mb were checked with the folder's fingerprint when
        # the workflow was read; as params they would rerun every run's prepare
        limits = NO_LIMITS
        result = prepare_folder(
            source,
            images,
            attributes,
            summary,
            spec,
            attribute_file,
            splits,
            split_fractions,
            seed,
            limits,
        )
    else:
        crop = CELEBA_CROP if crop is None else crop
        spec = PrepareSpec(image_size, crop, n_images, on_corrupt, workers or threads)
        result = prepare_celeba_layout(Path(source).parent, images, attributes, summary, spec)
    print(json.dumps(result, indent=2))
