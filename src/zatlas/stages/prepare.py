"""prepare: centre-crop and resize the raw images into one uint8 array, with the split and
attributes of every image."""

from __future__ import annotations

import json
from pathlib import Path


def run(
    source,
    images,
    attributes,
    summary,
    image_size: int,
    crop: int,
    n_images,
    on_corrupt: str,
    workers: int,
    threads: int = 1,
) -> None:
    from zatlas.data.prepare import PrepareSpec, prepare_celeba_layout

    spec = PrepareSpec(image_size, crop, n_images, on_corrupt, workers or threads)
    result = prepare_celeba_layout(Path(source).parent, images, attributes, summary, spec)
    print(json.dumps(result, indent=2))
