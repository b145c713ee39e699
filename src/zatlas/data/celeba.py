"""Acquire the real CelebA (aligned and cropped faces) into resources/celeba/."""

from __future__ import annotations

from pathlib import Path

from zatlas.errors import ZatlasError

FILES = {
    "img_align_celeba.zip": ("0B7EVK8r0v71pZjFTYXZWM3FlRnM", "00d2c5bc6d35e252742224ab0c1e8fcb"),
    "list_attr_celeba.txt": ("0B7EVK8r0v71pblRyaVFSWGxPY0U", "75e246fa4810816ffd6ee81facbd244c"),
    "list_eval_partition.txt": ("0B7EVK8r0v71pY0NSMzRuSXJEVkk", "d32c9cbf5e040fd4025c592c306e6668"),
}


def acquire_celeba(dest: str | Path) -> dict:
    dest = Path(dest)
    missing = [name for name in FILES if not (dest / name).exists()]
    if not missing:
        return {"source": "local", "files": sorted(FILES)}
    lines = [f"  {dest / name}  (md5 {md5})" for name, (_, md5) in FILES.items()]
    raise ZatlasError("CelebA files missing: place them here:\n" + "\n".join(lines))
