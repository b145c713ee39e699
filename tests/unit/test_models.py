import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from zatlas.config import ModelSpec

keras = pytest.importorskip("keras")
from zatlas.models import bce_sum, build_decoder, build_encoder, kl_divergence  # noqa: E402

BACKEND = keras.backend.backend()


def _np(x):
    """A backend tensor (or array) as numpy: torch tensors that track gradients included."""
    return keras.ops.convert_to_numpy(x)


REPO = Path(__file__).resolve().parents[2]
tf_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="TensorFlow's fused kernel")


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
        np.testing.assert_array_equal(_np(u), _np(v))
    z = np.random.default_rng(2).normal(size=(4, 8)).astype("float32")
    out = _np(dec2(z, training=False))
    np.testing.assert_array_equal(_np(dec(z, training=False)), out)
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
    z = _np(Sampling(eps_clip=0.5, seed=1)([mu, mu]))
    assert np.abs(z).max() <= 0.5 + 1e-6
    z = _np(Sampling(eps_clip=None, seed=1)([mu, mu]))
    assert np.abs(z).max() > 3


@pytest.mark.parametrize("training", [True, False])
def test_plain_batch_norm_matches_keras_batch_normalization(training):
    from zatlas.models import FusedBatchNorm

    x = np.random.default_rng(3).normal(2, 3, (16, 6, 6, 5)).astype("float32")
    ref, plain = keras.layers.BatchNormalization(), FusedBatchNorm()
    ref.build(x.shape)
    plain.build(x.shape)
    for layer in (ref, plain):
        layer.gamma.assign(np.linspace(0.5, 2, 5))
        layer.beta.assign(np.linspace(-1, 1, 5))
        layer.moving_mean.assign(np.full(5, 0.3))
        layer.moving_variance.assign(np.full(5, 4.0))
    ya, yb = ref(x, training=training), plain._plain(keras.ops.convert_to_tensor(x), training)
    np.testing.assert_allclose(_np(yb), _np(ya), atol=1e-5)
    for name in ("moving_mean", "moving_variance"):
        want = _np(getattr(ref, name))
        np.testing.assert_allclose(_np(getattr(plain, name)), want, rtol=1e-6)
    if training:  # the statistics moved: 0.99 x old + 0.01 x batch (biased variance)
        want = 0.99 * 0.3 + 0.01 * x.mean(axis=(0, 1, 2))
        np.testing.assert_allclose(_np(plain.moving_mean), want, rtol=1e-5)


@tf_only
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
    np.testing.assert_allclose(_np(yb), _np(ya), atol=1e-5)
    for a, b in (
        (ref.moving_mean, fused.moving_mean),
        (ref.moving_variance, fused.moving_variance),
    ):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-6)
    for wrt in ("x", "gamma", "beta"):
        ga = tape.gradient(la, x if wrt == "x" else getattr(ref, wrt))
        gb = tape.gradient(lb, x if wrt == "x" else getattr(fused, wrt))
        np.testing.assert_allclose(_np(gb), _np(ga), rtol=1e-4, atol=1e-3)


def test_training_wrapper_takes_float_uint8_or_rows_of_an_image_bank():
    from zatlas.models import build_autoencoder

    s = spec("ae")
    model = build_autoencoder(s)
    images = np.random.default_rng(4).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    want = _np(model.reconstruct(images.astype("float32") / 255.0))
    np.testing.assert_allclose(_np(model.reconstruct(images)), want, atol=1e-6)
    model.use_image_bank(keras.ops.convert_to_tensor(images[::-1]))
    np.testing.assert_allclose(_np(model.reconstruct(np.arange(5, -1, -1))), want, atol=1e-6)


# The objective is reco + kl_factor x KL, KL = mean over the batch of
# sum_j -0.5 (1 + logvar_j - mu_j^2 - exp(logvar_j)). With the latent heads' kernels at 0
# and biases m (mu) and l (logvar), every image has mu = m and logvar = l, so in closed
# form: KL = z_dim x 0.5 (m^2 + e^l - 1 - l), dKL/d(mu bias) = m and dKL/d(logvar bias)
# = 0.5 (e^l - 1), per latent unit. One plain SGD step of rate 1 moves each weight by
# minus its gradient, through each backend's own train step and the model's compute_loss.
MU, LOGVAR = 0.3, 0.5
KL_PER_UNIT = 0.5 * (MU**2 + math.exp(LOGVAR) - 1 - LOGVAR)  # 0.119361...
DKL_DLOGVAR = 0.5 * (math.exp(LOGVAR) - 1)  # 0.324361...


def fixed_heads(model) -> None:
    """mu = MU and logvar = LOGVAR for every image (kernels 0, biases set)."""
    for name, value in (("mu", MU), ("logvar", LOGVAR)):
        layer = model.encoder.get_layer(name)
        layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
        layer.bias.assign(np.full(layer.bias.shape, value, "float32"))


def one_sgd_step(kl_factor: float, images) -> dict[str, np.ndarray]:
    """Gradients of the optimised objective: weights before minus after one SGD step."""
    from zatlas.models import build_autoencoder

    s = ModelSpec("m", "vae", 32, 8, (4, 8, 8, 16), 3, False, 5.0, kl_factor)
    keras.utils.set_random_seed(11)  # same initial weights and epsilon for every kl_factor
    model = build_autoencoder(s, seed=3)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0))
    model(images[:1])
    fixed_heads(model)
    before = [_np(w).copy() for w in model.trainable_weights]
    logs = model.train_on_batch(images, return_dict=True)
    grads = {w.path: b - _np(w) for w, b in zip(model.trainable_weights, before, strict=True)}
    return {"logs": logs, **grads}


def _grad(grads: dict, layer: str, kind: str) -> np.ndarray:
    (key,) = [k for k in grads if k.endswith(f"{layer}/{kind}")]
    return grads[key]


def test_kl_factor_scales_the_kl_gradient_on_the_latent_heads_as_the_formula_says():
    images = np.random.default_rng(5).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    g0, g10, g1000 = (one_sgd_step(k, images) for k in (0.0, 10.0, 1000.0))
    for k, g in ((10.0, g10), (1000.0, g1000)):
        # the reconstruction term's gradient is the same for every kl_factor (same weights,
        # same epsilon): what is left is kl_factor x the closed-form KL gradient
        d_logvar = _grad(g, "logvar", "bias") - _grad(g0, "logvar", "bias")
        d_mu = _grad(g, "mu", "bias") - _grad(g0, "mu", "bias")
        np.testing.assert_allclose(d_logvar, k * DKL_DLOGVAR, rtol=2e-3, atol=2e-3)
        np.testing.assert_allclose(d_mu, k * MU, rtol=2e-3, atol=2e-3)
    # the decoder never sees the KL term
    for key in g0:
        if "decoder" in key or key.startswith(("dense", "deconv", "image")):
            np.testing.assert_allclose(g1000[key], g0[key], rtol=1e-4, atol=1e-5)
    # the logged KL is the closed form; the total adds kl_factor times it
    for k, g in ((0.0, g0), (1000.0, g1000)):
        logs = g["logs"]
        assert float(logs["kl_loss"]) == pytest.approx(8 * KL_PER_UNIT, rel=1e-5)
        assert float(logs["loss"]) == pytest.approx(
            float(logs["reco_loss"]) + k * 8 * KL_PER_UNIT, rel=1e-5
        )


def test_compute_loss_of_a_grey_decoder_is_log_2_per_pixel_plus_the_kl_term():
    from zatlas.models import build_autoencoder

    s = ModelSpec("m", "vae", 32, 8, (4, 8, 8, 16), 3, True, 5.0, 0.25)
    model = build_autoencoder(s, seed=3)
    images = np.random.default_rng(6).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    model(images[:1])
    fixed_heads(model)
    # a decoder of zeros outputs sigmoid(0) = 0.5 everywhere: BCE = log 2 per pixel, for
    # any image
    model.decoder.set_weights([np.zeros(w.shape, "float32") for w in model.decoder.weights])
    total = model.compute_loss(y_pred=model(images, training=False), training=False)
    reco, kl = 32 * 32 * 3 * math.log(2), 8 * KL_PER_UNIT
    assert float(total) == pytest.approx(reco + 0.25 * kl, rel=1e-5)
    logs = model.get_metrics_result()
    assert float(logs["reco_loss"]) == pytest.approx(reco, rel=1e-5)
    assert float(logs["kl_loss"]) == pytest.approx(kl, rel=1e-5)


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


def _cross_models(folder: Path, x, z) -> dict:
    """Save an encoder/decoder with non-trivial weights (batch-norm statistics too) and
    return their outputs on x, z."""
    s = ModelSpec("m", "vae", 32, 8, (4, 8, 8, 16), 3, True, 5.0, 1e-5)
    enc, dec = build_encoder(s), build_decoder(s)
    rng = np.random.default_rng(7)
    for model in (enc, dec):
        model.set_weights(
            [rng.normal(0.5, 0.2, w.shape).astype("float32") for w in model.get_weights()]
        )
    folder.mkdir(exist_ok=True)
    enc.save(folder / "e.keras")
    dec.save(folder / "d.keras")
    return _cross_outputs(enc, dec, x, z)


def _cross_outputs(enc, dec, x, z) -> dict:
    mu, logvar = enc(x, training=False)
    return {"mu": mu, "logvar": logvar, "image": dec(z, training=False)}


CROSS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    from tests.unit.test_models import _cross_models, _cross_outputs
    from zatlas.encoding import load_model

    here, other = Path(sys.argv[1]), Path(sys.argv[2])
    x = np.random.default_rng(1).random((4, 32, 32, 3)).astype("float32")
    z = np.random.default_rng(2).normal(size=(4, 8)).astype("float32")
    enc, dec = load_model(other / "e.keras"), load_model(other / "d.keras")
    out = {k: np.asarray(v) for k, v in _cross_outputs(enc, dec, x, z).items()}
    np.savez(here / "loaded.npz", **out)
    own = {k: np.asarray(v) for k, v in _cross_models(here, x, z).items()}
    np.savez(here / "own.npz", **own)
    """
)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the TF side of a TF <-> JAX exchange")
def test_models_written_by_tensorflow_load_in_jax_and_back(tmp_path):
    from zatlas.encoding import load_model

    pytest.importorskip("jax")
    x = np.random.default_rng(1).random((4, 32, 32, 3)).astype("float32")
    z = np.random.default_rng(2).normal(size=(4, 8)).astype("float32")
    ours = _cross_models(tmp_path / "tf", x, z)
    (tmp_path / "jax").mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", CROSS, str(tmp_path / "jax"), str(tmp_path / "tf")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "KERAS_BACKEND": "jax"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = np.load(tmp_path / "jax" / "loaded.npz")  # JAX computing with TF's files
    enc, dec = load_model(tmp_path / "jax" / "e.keras"), load_model(tmp_path / "jax" / "d.keras")
    back = _cross_outputs(enc, dec, x, z)  # TF computing with JAX's files
    theirs = np.load(tmp_path / "jax" / "own.npz")
    for key in ("mu", "logvar", "image"):
        np.testing.assert_allclose(loaded[key], _np(ours[key]), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(_np(back[key]), theirs[key], rtol=1e-4, atol=1e-5)


# Run under JAX too, in a subprocess (Keras picks its backend once per process): the model
# tests, the kill-and-resume test, and the training tests that exercise what differs
# between backends (pipelines, compute_loss, the guard, backups). The rest run under TF.
UNDER_JAX = [
    "tests/unit/test_models.py",
    "tests/unit/test_training.py",
    "tests/test_resume.py",
]
JAX_SELECTION = (
    "not under_jax and not tensorflow and (test_models or test_resume or pipeline "
    "or diverging or backup_restores)"
)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="runs the JAX pass from the TF one")
def test_model_training_and_resume_tests_pass_under_jax():
    pytest.importorskip("jax")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-n",
            "0",  # in this process: the outer run's other worker is busy already
            "-p",
            "no:cacheprovider",
            "-k",
            JAX_SELECTION,
            *UNDER_JAX,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout
