import numpy as np
import pytest

from zatlas.config import ModelSpec

keras = pytest.importorskip("keras")
from zatlas.models import bce_sum, build_decoder, build_encoder, kl_divergence  # noqa: E402


def spec(kind="vae"):
    return ModelSpec("m", kind, 32, 8, (4, 8, 8, 16), 3, True, 5.0, 1e-5 if kind == "vae" else 0.0)


def test_bce_sum_of_perfect_binary_reconstruction_is_about_zero():
    x = (np.random.default_rng(0).random((2, 8, 8, 3)) > 0.5).astype("float32")
    assert float(bce_sum(x, x)) < 1e-3
    # and of a blind guess of 0.5 it is log(2) per pixel
    assert float(bce_sum(x, np.full_like(x, 0.5))) == pytest.approx(8 * 8 * 3 * np.log(2), rel=1e-5)


def test_kl_of_standard_normal_is_zero_and_positive_otherwise():
    mu = np.zeros((3, 5), "float32")
    assert float(kl_divergence(mu, mu)) == pytest.approx(0.0, abs=1e-6)
    assert float(kl_divergence(mu + 1, mu)) == pytest.approx(2.5)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_save_and_reload_give_identical_outputs(tmp_path, kind):
    from zatlas.encoding import load_model

    s = spec(kind)
    enc, dec = build_encoder(s), build_decoder(s)
    x = np.random.default_rng(1).random((4, 32, 32, 3)).astype("float32")
    enc.save(tmp_path / "e.keras")
    dec.save(tmp_path / "d.keras")
    enc2, dec2 = load_model(tmp_path / "e.keras"), load_model(tmp_path / "d.keras")
    a, b = enc(x, training=False), enc2(x, training=False)
    for u, v in zip(a if kind == "vae" else [a], b if kind == "vae" else [b], strict=True):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))
    z = np.random.default_rng(2).normal(size=(4, 8)).astype("float32")
    out = np.asarray(dec2(z, training=False))
    np.testing.assert_array_equal(np.asarray(dec(z, training=False)), out)
    assert out.shape == (4, 32, 32, 3) and out.min() >= 0 and out.max() <= 1


def test_architecture_matches_the_blog():
    enc = build_encoder(ModelSpec("b", "vae", 96, 256, (32, 64, 128, 256), 3, True, 5.0, 1.0))
    convs = [layer for layer in enc.layers if layer.__class__.__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [32, 64, 128, 256]
    assert all(c.strides == (2, 2) for c in convs)
    assert [o.shape[-1] for o in enc.outputs] == [256, 256]
    dec = build_decoder(ModelSpec("b", "vae", 96, 256, (32, 64, 128, 256), 3, True, 5.0, 1.0))
    deconvs = [layer for layer in dec.layers if layer.__class__.__name__ == "Conv2DTranspose"]
    assert [c.filters for c in deconvs] == [128, 64, 32, 3]
    assert dec.output.shape[1:] == (96, 96, 3)


def test_sampling_clips_epsilon():
    from zatlas.models import Sampling

    mu = np.zeros((2000, 16), "float32")
    z = np.asarray(Sampling(eps_clip=0.5, seed=1)([mu, mu]))
    assert np.abs(z).max() <= 0.5 + 1e-6
    z = np.asarray(Sampling(eps_clip=None, seed=1)([mu, mu]))
    assert np.abs(z).max() > 3


@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_matches_keras_batch_normalization(training):
    import tensorflow as tf

    from zatlas.models import FusedBatchNorm

    x = tf.constant(np.random.default_rng(3).normal(2, 3, (16, 6, 6, 5)).astype("float32"))
    ref, fused = keras.layers.BatchNormalization(), FusedBatchNorm()
    ref.build(x.shape)
    fused.build(x.shape)
    for layer in (ref, fused):  # non-trivial affine parameters and moving statistics
        layer.gamma.assign(np.linspace(0.5, 2, 5))
        layer.beta.assign(np.linspace(-1, 1, 5))
        layer.moving_mean.assign(np.full(5, 0.3))
        layer.moving_variance.assign(np.full(5, 4.0))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ya, yb = ref(x, training=training), fused(x, training=training)
        la, lb = tf.reduce_sum(ya**3), tf.reduce_sum(yb**3)
    np.testing.assert_allclose(np.asarray(yb), np.asarray(ya), atol=1e-5)
    for a, b in (
        (ref.moving_mean, fused.moving_mean),
        (ref.moving_variance, fused.moving_variance),
    ):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6)
    for wrt in ("x", "gamma", "beta"):
        ga = tape.gradient(la, x if wrt == "x" else getattr(ref, wrt))
        gb = tape.gradient(lb, x if wrt == "x" else getattr(fused, wrt))
        np.testing.assert_allclose(np.asarray(gb), np.asarray(ga), rtol=1e-4, atol=1e-3)


def test_training_wrapper_takes_float_uint8_or_rows_of_an_image_bank():
    import tensorflow as tf

    from zatlas.models import build_autoencoder

    s = spec("ae")
    model = build_autoencoder(s)
    images = np.random.default_rng(4).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    want = np.asarray(model(images.astype("float32") / 255.0))
    np.testing.assert_allclose(np.asarray(model(images)), want, atol=1e-6)
    model.use_image_bank(tf.constant(images[::-1]))
    np.testing.assert_allclose(np.asarray(model(np.arange(5, -1, -1))), want, atol=1e-6)


def test_mixed_precision_keeps_the_latent_heads_and_the_image_in_float32():
    s = spec("vae")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        enc, dec = build_encoder(s), build_decoder(s)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert enc.get_layer("conv0").compute_dtype == "bfloat16"
    assert [o.dtype for o in enc.outputs] == ["float32", "float32"]
    assert dec.output.dtype == "float32"
    # BCE of a saturated sigmoid stays finite (1 - 1e-7 would round to 1 in 16 bits)
    x = np.ones((1, 4, 4, 3), "float32")
    assert np.isfinite(float(bce_sum(x, np.zeros_like(x))))
