"""A deliberate subset of the official CelebA: which images it holds, and whether each
of them is where the official release puts it.

CelebA's image ids are `000001.jpg` to `202599.jpg` and its split is contiguous in the id
(train, then valid, then test), so every image of a subset can be checked on its own: a
CelebA name within the official range, listed in the partition and attribute files, in
its official split. The images' sizes are checked by the caller, as for the full set.
"""

from __future__ import annotations

import pandas as pd

from zatlas.data.celeba.spec import IMAGE_NAME, Expected, VerificationFailed


def official_split(image_id: str, expected: Expected) -> str | None:
    """The split the official release puts `image_id` in; None if it is not a CelebA id."""
    if not IMAGE_NAME.match(image_id):
        return None
    k = int(image_id[:6])
    if k < 1:
        return None
    last = 0
    for name, count in expected.splits:
        last += count
        if k <= last:
            return name
    return None


def subset_ids(partition: pd.DataFrame, members, expected: Expected, partition_name: str):
    """The image ids of a subset, sorted, and its split counts; VerificationFailed when an
    image is not a listed CelebA image in its official split."""
    members = sorted(members)
    if not members:
        raise VerificationFailed("the archive holds no CelebA JPEGs")
    alien = [m for m in members if official_split(m, expected) is None]
    if alien:
        raise VerificationFailed(
            f"{len(alien):,} image(s) are not CelebA images (names 000001.jpg to "
            f"{expected.n_images:06d}.jpg; first {alien[:3]})"
        )
    split_of = dict(zip(partition["image_id"], partition["split"], strict=True))
    unlisted = [m for m in members if m not in split_of]
    if unlisted:
        raise VerificationFailed(
            f"{len(unlisted):,} image(s) in the archive are not listed in {partition_name} "
            f"(first {unlisted[:3]})"
        )
    moved = [
        f"{m} ({split_of[m]}, officially {official_split(m, expected)})"
        for m in members
        if split_of[m] != official_split(m, expected)
    ]
    if moved:
        raise VerificationFailed(
            f"{partition_name} puts {len(moved):,} image(s) in another split than the "
            f"official one: {'; '.join(moved[:3])}"
        )
    counts = {name: 0 for name, _ in expected.splits}
    for m in members:
        counts[split_of[m]] += 1
    return members, counts
