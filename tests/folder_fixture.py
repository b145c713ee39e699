"""A folder of real photographs, reachable offline: tiles cut from the two sample photos
that scikit-learn ships (china.jpg and flower.jpg, 640x427), written as a user's folder
would be: nested sub-folders, any names, JPEG, PNG and WebP, colour and grayscale, square,
landscape and portrait tiles of different sizes, plus files that are not images.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

# (sub-folder, format, mode, width, height) per tile, cycled over both photos
SHAPES = [
    ("", "JPEG", "RGB", 96, 96),
    ("china/", "JPEG", "RGB", 120, 80),
    ("china/deep/er/", "PNG", "RGB", 70, 110),
    ("flowers/", "WEBP", "RGB", 100, 100),
    ("flowers/grey/", "JPEG", "L", 90, 60),
    ("mixed case/", "PNG", "L", 64, 64),
]
SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


def photos() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_sample_images

    data = load_sample_images()
    return {Path(name).stem: img for name, img in zip(data.filenames, data.images, strict=True)}


def tile_images(n: int, seed: int = 0) -> list[tuple[str, Image.Image]]:
    """`n` (relative name, image) pairs, tiles at seeded positions in the two photos."""
    rng = np.random.default_rng(seed)
    src = photos()
    out = []
    for k in range(n):
        photo = sorted(src)[k % 2]
        folder, fmt, mode, w, h = SHAPES[k % len(SHAPES)]
        arr = src[photo]
        top = int(rng.integers(0, arr.shape[0] - h))
        left = int(rng.integers(0, arr.shape[1] - w))
        img = Image.fromarray(arr[top : top + h, left : left + w]).convert(mode)
        stem = f"{photo}_{k:04d}" if k % 3 else f"IMG {k} ({photo})"  # names with spaces too
        out.append((f"{folder}{stem}{SUFFIX[fmt]}", img))
    return out


def write_tiles(root: Path, n: int = 24, seed: int = 0, extras: bool = True) -> list[str]:
    """Write the tiles under `root`; return the image names (relative, sorted)."""
    names = []
    for name, img in tile_images(n, seed):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fmt = {".jpg": "JPEG", ".png": "PNG", ".webp": "WEBP"}[path.suffix]
        img.save(path, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        names.append(name)
    if extras:
        (root / "README.txt").write_text("photos of the lab\n")
        (root / ".DS_Store").write_bytes(b"\x00\x01")
        (root / "china" / "._china_0001.jpg").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    return sorted(names)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` with its md5 and mtime: proof that nothing was changed."""
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        + str(p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
