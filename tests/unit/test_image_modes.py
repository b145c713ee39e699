"""Every image mode Pillow decodes becomes 8-bit RGB by one stated rule, each checked against
a pixel value worked out by hand; the formats Pillow reads are accepted in a folder."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from zatlas.data.decode import PrepareSpec, decode_image
from zatlas.data.folder import acquire_folder, prepare_folder
from zatlas.data.formats import to_rgb


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def pixel(data: bytes) -> tuple[np.ndarray, list[str]]:
    out, notes = decode_image(data, 16, None)
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    assert (out == out[0, 0]).all()  # a flat image stays flat
    return out[0, 0].astype(int), notes


def palette(transparent: bool) -> Image.Image:
    img = Image.new("P", (20, 20), 1)
    img.putpalette([255, 0, 0, 0, 0, 255])
    if transparent:
        img.info["transparency"] = 1
    return img


GREY16 = np.full((20, 20), 32896, np.uint16)  # 32896 / 257 = 128 exactly

CASES = {
    # 16-bit grayscale PNG: was 255 (clipped), is value / 257
    "I;16 png": (encode(Image.fromarray(GREY16), "PNG"), (128, 128, 128)),
    "I;16 tiff": (encode(Image.fromarray(GREY16 * 0 + 65535), "TIFF"), (255, 255, 255)),
    # 16-bit PGM opens as mode I: 40000 / 257 = 155.6 -> 156
    "I pgm": (b"P5\n20 20\n65535\n" + np.full(400, 40000, ">u2").tobytes(), (156, 156, 156)),
    "F tiff": (encode(Image.fromarray(np.full((20, 20), 0.25, np.float32)), "TIFF"), (64,) * 3),
    "L": (encode(Image.new("L", (20, 20), 77), "PNG"), (77, 77, 77)),
    "1": (encode(Image.new("1", (20, 20), 1), "PNG"), (255, 255, 255)),
    "LA transparent": (encode(Image.new("LA", (20, 20), (100, 0)), "PNG"), (255, 255, 255)),
    "LA opaque": (encode(Image.new("LA", (20, 20), (100, 255)), "PNG"), (100, 100, 100)),
    # half-transparent red over white: green and blue 255 * (1 - 128/255) = 127
    "RGBA": (encode(Image.new("RGBA", (20, 20), (255, 0, 0, 128)), "PNG"), (255, 127, 127)),
    "P": (encode(palette(False), "PNG"), (0, 0, 255)),
    "P transparent": (encode(palette(True), "PNG", transparency=1), (255, 255, 255)),
    "GIF transparent": (encode(palette(True), "GIF", transparency=1), (255, 255, 255)),
    "CMYK": (encode(Image.new("CMYK", (20, 20), (255, 0, 0, 0)), "TIFF"), (0, 255, 255)),
    "CMYK jpeg": (encode(Image.new("CMYK", (20, 20), (0, 0, 0, 0)), "JPEG"), (255, 255, 255)),
    # Lab TIFF of L* 50, a* = b* = 0 (stored 128, 128, 128): sRGB grey 119
    "LAB": (encode(Image.new("LAB", (20, 20), (128, 128, 128)), "TIFF"), (119, 119, 119)),
    # premultiplied: 100 is red 199 at alpha 128/255; over white 199 * 0.502 + 255 * 0.498
    "RGBa": (lambda: Image.new("RGBa", (20, 20), (100, 0, 0, 128)), (227, 127, 127)),
    "La": (lambda: Image.new("La", (20, 20), (50, 128)), (177, 177, 177)),
    "BMP": (encode(Image.new("RGB", (20, 20), (10, 200, 30)), "BMP"), (10, 200, 30)),
    "PPM": (encode(Image.new("RGB", (20, 20), (10, 200, 30)), "PPM"), (10, 200, 30)),
}


@pytest.mark.parametrize("case", CASES)
def test_each_mode_gives_the_stated_rgb(case):
    data, want = CASES[case]
    if callable(data):  # a mode no file format stores: converted as Pillow holds it
        out, notes = to_rgb(data())
        got = np.asarray(out)[0, 0].astype(int)
    else:
        got, notes = pixel(data)
    assert np.abs(got - np.array(want)).max() <= 1, (case, got)
    transparent = case in (
        "LA transparent",
        "RGBA",
        "P transparent",
        "GIF transparent",
        "RGBa",
        "La",
    )
    assert any("transparent pixels composited onto white" in n for n in notes) == transparent


def test_gradient_of_16_bits_keeps_its_mean():
    """The issue's 0..65535 gradient: 127.5 on average, as its 8-bit twin (was 254.5)."""
    ramp = np.tile(np.linspace(0, 65535, 256).round().astype(np.uint16), (256, 1))
    out, _ = decode_image(encode(Image.fromarray(ramp), "PNG"), 64, None)
    assert abs(out.mean() - 127.5) < 0.6


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animated_images_give_their_first_frame_with_a_note(fmt):
    frames = [Image.new("RGB", (20, 20), c) for c in ((200, 0, 0), (0, 200, 0), (0, 0, 200))]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True)
    got, notes = pixel(data)
    assert np.abs(got - (200, 0, 0)).max() <= 3
    assert notes == ["animated or multi-page (3 frames): the first frame used"]


@pytest.mark.parametrize(
    "values, match",
    [
        (np.full((8, 8), 70000, np.int32), "outside 0..65535"),
        (np.full((8, 8), 3.0, np.float32), "outside 0..1"),
    ],
)
def test_values_without_a_known_range_are_refused_not_guessed(values, match):
    with pytest.raises(ValueError, match=match):
        decode_image(encode(Image.fromarray(values), "TIFF"), 16, None)


def test_every_format_pillow_reads_is_a_folder_image(tmp_path):
    """TIFF, BMP, PGM/PPM, GIF and .jfif were skipped; a GIF named .png is named as a GIF;
    an animated GIF and a transparent PNG are noted in prepare.json."""
    root = tmp_path / "imgs"
    root.mkdir()
    flat = {
        n: Image.new("RGB", (24, 24), (20 * k, 100, 200 - 20 * k))
        for k, n in enumerate(
            ["a.tif", "b.tiff", "c.bmp", "d.ppm", "e.gif", "f.jfif", "g.png", "h.webp"]
        )
    }
    for name, img in flat.items():
        img.save(root / name, {".jfif": "JPEG"}.get(name[-5:], None))
    Image.new("L", (24, 24), 90).save(root / "i.pgm")
    palette(True).save(root / "j.png", transparency=1)
    frames = [Image.new("RGB", (24, 24), c) for c in ((200, 0, 0), (0, 200, 0))]
    frames[0].save(root / "k.gif", save_all=True, append_images=frames[1:])
    Image.new("RGB", (24, 24), (1, 2, 3)).save(root / "gif named.png", "GIF")
    messages = []
    record = acquire_folder(root, tmp_path / "res", log=messages.append)
    (tmp_path / "res" / "source.json").write_text(json.dumps(record))
    assert record["n_images"] == 12
    assert any("'gif named.png' is GIF" in m for m in messages), messages
    out = tmp_path / "out"
    out.mkdir()
    summary = prepare_folder(
        tmp_path / "res" / "source.json",
        out / "images.npy",
        out / "attributes.parquet",
        out / "prepare.json",
        PrepareSpec(16, None, None, "error", 1),
    )
    images = np.load(out / "images.npy")
    ids = pd.read_parquet(out / "attributes.parquet")["image_id"].tolist()
    assert summary["n_images"] == 12 and summary["n_corrupt"] == 0
    assert (images[ids.index("i.pgm")] == 90).all()
    assert np.abs(images[ids.index("c.bmp")].astype(int) - (40, 100, 160)).max() <= 1
    assert summary["notes"]["transparent pixels composited onto white"]["first"] == ["j.png"]
    key = "animated or multi-page (2 frames): the first frame used"
    assert summary["notes"][key]["first"] == ["k.gif"]
