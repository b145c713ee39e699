"""Procedurally drawn faces written in CelebA's own file layout.

The point is that `prepare` reads this data through exactly the code path it uses for the
real CelebA download: a zip of 178x218 JPEGs under `img_align_celeba/`, plus
`list_eval_partition.txt` and `list_attr_celeba.txt`. Attributes the drawing controls are
set truthfully; the others are random.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from zatlas.data.attributes import CELEBA_ATTRIBUTES, write_attributes, write_partition
from zatlas.progress import progress

WIDTH, HEIGHT = 178, 218
HAIR_COLOURS = {
    "Black_Hair": (25, 20, 18),
    "Blond_Hair": (222, 188, 110),
    "Brown_Hair": (105, 66, 36),
    "Gray_Hair": (165, 165, 160),
    None: (150, 60, 30),  # red hair: none of CelebA's four hair-colour attributes
}
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)  # CelebA is 162,770 / 19,867 / 19,962


@dataclass(frozen=True)
class SyntheticLayout:
    root: Path

    @property
    def zip(self) -> Path:
        return self.root / "img_align_celeba.zip"

    @property
    def partition(self) -> Path:
        return self.root / "list_eval_partition.txt"

    @property
    def attributes(self) -> Path:
        return self.root / "list_attr_celeba.txt"


def _skin(rng: np.random.Generator) -> tuple[tuple[int, int, int], bool]:
    tone = rng.uniform(0.0, 1.0)
    base = np.array([250, 220, 195]) * (1 - tone) + np.array([120, 80, 55]) * tone
    return tuple(int(v) for v in base + rng.normal(0, 6, 3)), tone < 0.15


def draw_face(rng: np.random.Generator) -> tuple[Image.Image, dict[str, bool]]:
    """One face and the truth about the attributes the drawing controls."""
    a: dict[str, bool] = {}
    a["Male"] = bool(rng.random() < 0.42)
    a["Young"] = bool(rng.random() < 0.77)
    weights = np.array([0.3, 0.2, 0.25, 0.05 if a["Young"] else 0.5, 0.2])
    keys = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair", "none"]
    hair_key = keys[rng.choice(len(keys), p=weights / weights.sum())]
    hair_key = None if hair_key == "none" else hair_key
    for name in ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair"):
        a[name] = hair_key == name
    a["Bald"] = bool(a["Male"] and rng.random() < 0.08)
    a["Bangs"] = bool(not a["Bald"] and rng.random() < 0.15)
    a["Eyeglasses"] = bool(rng.random() < 0.1)
    a["Wearing_Hat"] = bool(rng.random() < 0.05)
    a["Smiling"] = bool(rng.random() < 0.48)
    a["Mouth_Slightly_Open"] = bool(rng.random() < 0.48)
    a["Mustache"] = bool(a["Male"] and rng.random() < 0.1)
    a["Goatee"] = bool(a["Male"] and rng.random() < 0.15)
    a["No_Beard"] = not (a["Mustache"] or a["Goatee"])
    a["Wearing_Lipstick"] = bool(not a["Male"] and rng.random() < 0.8)
    a["Rosy_Cheeks"] = bool(rng.random() < 0.07)
    a["Bushy_Eyebrows"] = bool(rng.random() < 0.14)
    a["Big_Nose"] = bool(rng.random() < 0.23)
    a["Big_Lips"] = bool(rng.random() < 0.24)
    a["Blurry"] = bool(rng.random() < 0.05)
    skin, pale = _skin(rng)
    a["Pale_Skin"] = pale

    bg_top = rng.integers(0, 256, 3)
    bg_bottom = np.clip(bg_top + rng.integers(-60, 61, 3), 0, 255)
    ramp = np.linspace(0, 1, HEIGHT)[:, None, None]
    bg = (bg_top * (1 - ramp) + bg_bottom * ramp) * np.ones((1, WIDTH, 1))
    img = Image.fromarray(bg.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)

    cx = WIDTH / 2 + rng.normal(0, 3)
    cy = HEIGHT * 0.54 + rng.normal(0, 3)
    hw = rng.uniform(33, 44) * (1.05 if a["Male"] else 1.0)  # half-width of the head
    hh = rng.uniform(46, 56)
    hair = tuple(
        int(v) for v in np.clip(np.array(HAIR_COLOURS[hair_key]) + rng.normal(0, 12, 3), 0, 255)
    )
    long_hair = not a["Male"] and not a["Bald"] and rng.random() < 0.8

    cloth = tuple(int(v) for v in rng.integers(0, 256, 3))
    d.ellipse([cx - 80, cy + hh * 0.85, cx + 80, cy + hh * 0.85 + 120], fill=cloth)
    d.rectangle([cx - hw * 0.35, cy + hh * 0.5, cx + hw * 0.35, cy + hh + 12], fill=skin)
    if long_hair:
        d.rounded_rectangle(
            [cx - hw * 1.25, cy - hh * 1.05, cx + hw * 1.25, cy + hh * rng.uniform(0.9, 1.5)],
            radius=30,
            fill=hair,
        )
    d.ellipse([cx - hw, cy - hh, cx + hw, cy + hh], fill=skin)
    if not a["Bald"]:
        top = cy - hh - rng.uniform(4, 12)
        d.chord([cx - hw * 1.08, top, cx + hw * 1.08, cy + hh * 0.3], 180, 360, fill=hair)
    if a["Bangs"]:
        d.rectangle([cx - hw * 0.8, cy - hh * 0.75, cx + hw * 0.8, cy - hh * 0.42], fill=hair)
    if a["Wearing_Hat"]:
        hat = tuple(int(v) for v in rng.integers(0, 256, 3))
        d.rectangle([cx - hw * 1.3, cy - hh * 0.75, cx + hw * 1.3, cy - hh * 0.62], fill=hat)
        d.rectangle([cx - hw * 0.95, cy - hh * 1.35, cx + hw * 0.95, cy - hh * 0.7], fill=hat)

    eye_y = cy - hh * rng.uniform(0.08, 0.18)
    eye_dx = hw * rng.uniform(0.36, 0.46)
    eye_r = rng.uniform(4.5, 7.0)
    iris = tuple(int(v) for v in rng.integers(20, 160, 3))
    brow_w = 4 if a["Bushy_Eyebrows"] else 2
    for side in (-1, 1):
        ex = cx + side * eye_dx
        d.ellipse([ex - eye_r * 1.5, eye_y - eye_r, ex + eye_r * 1.5, eye_y + eye_r], fill="white")
        d.ellipse(
            [ex - eye_r * 0.7, eye_y - eye_r * 0.7, ex + eye_r * 0.7, eye_y + eye_r * 0.7],
            fill=iris,
        )
        d.ellipse([ex - 1.5, eye_y - 1.5, ex + 1.5, eye_y + 1.5], fill="black")
        by = eye_y - eye_r - rng.uniform(4, 9)
        d.line(
            [ex - eye_r * 1.7, by + 2, ex, by - 1, ex + eye_r * 1.7, by + 2],
            fill=hair,
            width=brow_w,
        )
        if a["Eyeglasses"]:
            g = eye_r * 2.1
            d.rectangle(
                [ex - g, eye_y - g * 0.75, ex + g, eye_y + g * 0.75], outline=(20, 20, 20), width=2
            )
    if a["Eyeglasses"]:
        d.line(
            [cx - eye_dx + eye_r * 2.1, eye_y, cx + eye_dx - eye_r * 2.1, eye_y],
            fill=(20, 20, 20),
            width=2,
        )

    nose = 1.4 if a["Big_Nose"] else 1.0
    shade = tuple(max(0, int(v) - 45) for v in skin)
    d.polygon(
        [(cx, eye_y + 4), (cx - 6 * nose, cy + hh * 0.2), (cx + 6 * nose, cy + hh * 0.2)],
        outline=shade,
    )

    mouth_y = cy + hh * rng.uniform(0.42, 0.52)
    mw = hw * rng.uniform(0.35, 0.5)
    lip = (185, 30, 50) if a["Wearing_Lipstick"] else tuple(max(0, int(v) - 70) for v in skin)
    lip_w = 4 if a["Big_Lips"] else 2
    if a["Mouth_Slightly_Open"]:
        d.ellipse([cx - mw * 0.6, mouth_y - 3, cx + mw * 0.6, mouth_y + 6], fill=(60, 15, 20))
    if a["Smiling"]:
        d.arc([cx - mw, mouth_y - 12, cx + mw, mouth_y + 8], 20, 160, fill=lip, width=lip_w)
    else:
        d.line([cx - mw, mouth_y, cx + mw, mouth_y], fill=lip, width=lip_w)
    if a["Mustache"]:
        d.rectangle([cx - mw, mouth_y - 9, cx + mw, mouth_y - 4], fill=hair)
    if a["Goatee"]:
        d.ellipse([cx - mw * 0.5, mouth_y + 10, cx + mw * 0.5, cy + hh + 2], fill=hair)
    if a["Rosy_Cheeks"]:
        for side in (-1, 1):
            rx = cx + side * hw * 0.55
            d.ellipse([rx - 8, mouth_y - 22, rx + 8, mouth_y - 12], fill=(235, 120, 130))
    if a["Blurry"]:
        img = img.filter(ImageFilter.GaussianBlur(2.5))
    return img, a


def write_synthetic_celeba(root: str | Path, n_images: int, seed: int) -> SyntheticLayout:
    """Draw `n_images` faces from `seed` and write them in CelebA's layout under `root`."""
    layout = SyntheticLayout(Path(root))
    layout.root.mkdir(parents=True, exist_ok=True)
    ids = [f"{i:06d}.jpg" for i in range(1, n_images + 1)]
    n_train = int(round(n_images * SPLIT_FRACTIONS[0]))
    n_valid = int(round(n_images * SPLIT_FRACTIONS[1]))
    splits = ["train"] * n_train + ["valid"] * n_valid + ["test"] * (n_images - n_train - n_valid)
    values = np.empty((n_images, len(CELEBA_ATTRIBUTES)), dtype=np.int8)
    children = np.random.SeedSequence(seed).spawn(n_images)

    part = layout.zip.with_suffix(".zip.part")
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in progress(range(n_images), desc="drawing faces", total=n_images):
            rng = np.random.default_rng(children[i])
            img, truth = draw_face(rng)
            randoms = rng.random(len(CELEBA_ATTRIBUTES)) < 0.3
            values[i] = [
                (1 if truth[name] else -1) if name in truth else (1 if r else -1)
                for name, r in zip(CELEBA_ATTRIBUTES, randoms, strict=True)
            ]
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=95)
            zf.writestr(f"img_align_celeba/{ids[i]}", buf.getvalue())
    write_partition(layout.partition, ids, splits)
    write_attributes(layout.attributes, ids, values)
    part.replace(layout.zip)
    return layout
