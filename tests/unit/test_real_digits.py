"""Real images with known groups through train -> encode -> structure.

scikit-learn's bundled handwritten digits (1,797 grayscale 8x8 images, 10 classes, about
180 each, many near-duplicates within a class) written as a user's folder, prepared at the
smallest image size the config allows (16), a small AE trained for a few epochs with the
stage functions, the latents judged by the function the structure stage calls. Digits of a
class sit close together in the latents: they must be called clumped at small scale, and a
Gaussian with the latents' mean and covariance must not.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from zatlas.config import ModelSpec, TrainSpec


@pytest.fixture(scope="module")
def digit_latents(tmp_path_factory):
    from sklearn.datasets import load_digits

    from zatlas.stages import acquire, encode, prepare, train

    tmp = tmp_path_factory.mktemp("digits")
    digits = load_digits()
    root = tmp / "digits"
    for i, (img, label) in enumerate(zip(digits.images, digits.target, strict=True)):
        folder = root / f"class_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((img * 255 / 16).astype(np.uint8), mode="L").save(folder / f"{i}.png")
    n = len(digits.images)
    source = tmp / "resources" / "folder_digits" / "source.json"
    common = {"attributes": None, "splits": None, "split_fractions": [0.8, 0.1, 0.1]}
    acquire.run(source=str(source), dataset="folder", n_images=n, seed=0, path=str(root))
    data = tmp / "data"
    data.mkdir()
    prepare.run(
        source=str(source),
        images=str(data / "images.npy"),
        attributes=str(data / "attributes.parquet"),
        summary=str(data / "prepare.json"),
        dataset="folder",
        image_size=16,
        crop=None,
        n_images=None,
        on_corrupt="error",
        workers=0,
        seed=0,
        attribute_file=None,
        splits=None,
        split_fractions=common["split_fractions"],
        threads=1,
    )
    spec = ModelSpec("ae", "ae", 16, 16, (16, 32), 3, True, None, 0.0)
    fit = TrainSpec(15, 64, 3e-3, None, False, 0, False)
    out = tmp / "ae"
    out.mkdir()
    train.run(
        str(data / "images.npy"),
        str(data / "attributes.parquet"),
        str(out / "encoder.keras"),
        str(out / "decoder.keras"),
        str(out / "history.csv"),
        str(out / "train.json"),
        str(out / "history.png"),
        spec,
        fit,
        str(out / "backup"),
        side_by_side=1,
        trained="ae",
        threads=2,
    )
    encode.run(str(data / "images.npy"), str(out / "encoder.keras"), str(out / "z.npy"))
    return np.load(out / "z.npy")


def judge(z, seed=0):
    from zatlas.analysis import verdicts as vd

    table, _, _ = vd.judge_latents(
        z, vd.VerdictSettings(), [[1, 2]], [None], "relative", 20000, seed
    )
    return table, vd.summary(table)


def test_digit_latents_are_clumped_and_their_matched_gaussian_is_not(digit_latents):
    from zatlas.analysis.nulls import matched_gaussian
    from zatlas.analysis.verdicts import CLUMPED

    z = digit_latents
    assert z.shape == (1797, 16) and np.isfinite(z).all()
    table, s = judge(z)
    clump = table[table["statistic"] == "clumping"].set_index("rank")
    # near-duplicate digits: the nearest neighbours are far closer than in the smoothed null
    assert clump.loc[1, "verdict"] == CLUMPED and clump.loc[1, "effect_size"] < 0.87
    assert s["clumping_rank"] == 1 and s["clumping_finding"].startswith(CLUMPED)
    assert s["verdict"].startswith(CLUMPED)

    _, control = judge(matched_gaussian(z, seed=1))
    assert control["clumping_rank"] is None
    assert control["clumping_finding"].startswith("not clumped")
    assert control["not_elliptical_verdict"] == "consistent with the null"
