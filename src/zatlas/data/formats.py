"""Which files are images, what their content says they are, and every Pillow image mode
made 8-bit RGB by one stated rule.

- 8-bit grayscale and 1-bit: three equal channels.
- 16-bit (`I;16*`, and `I`, in which Pillow opens 16-bit PGM/PPM and rescales other
  maxvals): value / 257, so 65535 is 255 and 32896 is 128. `I` outside 0..65535 and
  float (`F`) outside 0..1 have no known range: such an image is refused by name
  rather than guessed at; in range, `F` is value x 255.
- Palette (`P`), with or without a transparent index, and every mode with alpha (`RGBA`,
  `LA`, `PA`, premultiplied `RGBa`/`La`): composited onto white (`BACKGROUND`), the page
  a transparent picture is usually drawn for; the image is noted when a pixel is
  transparent.
- CMYK, YCbCr, HSV, CIELAB (a Lab TIFF: L* 50, a* = b* = 0 is grey 119) and the other
  colour modes: Pillow's own conversion to RGB.
- An animated image (GIF, WebP, APNG) or a multi-page TIFF: its first frame, noted.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# The suffixes looked at, and the Pillow formats allowed to open them: nothing else is ever
# handed to a decoder (no EPS through Ghostscript, no PSD, no ICO).
SUFFIX_KIND = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".jfif": "jpeg",
    ".png": "png",
    ".webp": "webp",
    ".gif": "gif",
    ".bmp": "bmp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".pgm": "pnm",
    ".ppm": "pnm",
    ".pbm": "pnm",
    ".pnm": "pnm",
}
IMAGE_SUFFIXES = tuple(SUFFIX_KIND)
PIL_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "PPM")
KIND_NAMES = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WebP",
    "gif": "GIF",
    "bmp": "BMP",
    "tiff": "TIFF",
    "pnm": "PGM/PPM",
}
FORMATS_IN_WORDS = "JPEG, PNG, WebP, GIF, BMP, TIFF or PGM/PPM"
BACKGROUND = (255, 255, 255)  # white, under every transparent pixel


def image_kind(data: bytes) -> str | None:
    """The format by the file's first bytes ("jpeg", "png", ... as in SUFFIX_KIND), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if len(data) > 2 and data[:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace():
        return "pnm"
    return None


def suffix_kind(name: str) -> str | None:
    dot = name.rfind(".")
    return SUFFIX_KIND.get(name[dot:].lower()) if dot >= 0 else None


def _scaled(values: np.ndarray, top: float, what: str) -> np.ndarray:
    lo, hi = float(values.min(initial=0)), float(values.max(initial=0))
    if lo < 0 or hi > top or not np.isfinite(values).all():
        raise ValueError(
            f"{what} values from {lo:g} to {hi:g}, outside 0..{top:g}: no known range to make "
            "8 bits of; save it as an 8- or 16-bit image"
        )
    return np.rint(values.astype(np.float64) * (255.0 / top)).astype(np.uint8)


def to_rgb(img: Image.Image) -> tuple[Image.Image, list[str]]:
    """The image as 8-bit RGB by the rules above, and notes on what was done to it."""
    notes = []
    if getattr(img, "n_frames", 1) > 1:
        notes.append(f"animated or multi-page ({img.n_frames} frames): the first frame used")
    mode = img.mode
    if mode == "RGB":
        return img, notes
    if mode.startswith("I;16") or mode == "I":
        grey = _scaled(np.asarray(img), 65535.0, f"{mode} (16-bit)")
        return Image.fromarray(grey, "L").convert("RGB"), notes
    if mode == "F":
        grey = _scaled(np.asarray(img), 1.0, "32-bit float")
        return Image.fromarray(grey, "L").convert("RGB"), notes
    if mode == "La":  # premultiplied: Pillow unpremultiplies only on the way to LA
        img = img.convert("LA")
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode in ("LA", "La", "PA", "RGBa") or mode.endswith("A"):
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        alpha = np.asarray(img.getchannel("A"))
        if (alpha < 255).any():
            notes.append("transparent pixels composited onto white")
        flat = Image.new("RGB", img.size, BACKGROUND)
        flat.paste(img, mask=img.getchannel("A"))
        return flat, notes
    return (img if img.mode == "RGB" else img.convert("RGB")), notes
