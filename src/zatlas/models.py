"""The blog's convolutional encoder/decoder, the AE/VAE training wrapper and its losses.

Backend-agnostic (TensorFlow, JAX, PyTorch): keras.ops, keras.random and Keras' own
`compute_loss`, so each backend's trainer takes the gradients. The one TensorFlow-only
speed-up, the fused batch-norm kernel, sits behind `TENSORFLOW` with the plain math beside
it; weights are the same on every backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
from keras import layers, ops

if TYPE_CHECKING:  # the config module needs jsonschema; a bare GPU machine may not
    from zatlas.config import ModelSpec


BCE_EPS = 1e-7  # keeps log() away from 0 for saturated sigmoid outputs
TENSORFLOW = keras.backend.backend() == "tensorflow"


@keras.saving.register_keras_serializable(package="zatlas")
class Sampling(layers.Layer):
    """z = mu + exp(logvar / 2) * eps, eps ~ N(0, 1) clipped to |eps| <= eps_clip."""

    def __init__(self, eps_clip: float | None = 5.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.eps_clip = eps_clip
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mu, logvar = inputs
        eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator)
        if self.eps_clip is not None:
            eps = ops.clip(eps, -self.eps_clip, self.eps_clip)
        return mu + ops.exp(0.5 * logvar) * eps

    def get_config(self):
        return {**super().get_config(), "eps_clip": self.eps_clip, "seed": self.seed}


@keras.saving.register_keras_serializable(package="zatlas")
class FusedBatchNorm(layers.Layer):
    """keras.layers.BatchNormalization's math (momentum 0.99, epsilon 1e-3, biased moving
    variance). On TensorFlow in its fused kernel: one op forward and one backward instead of
    Keras 3's chain of element-wise ops -- about twice the training speed of the encoder on
    a CPU, and cuDNN's fused kernel on a GPU. Elsewhere the same math in keras.ops (XLA
    fuses it under JAX)."""

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.epsilon = epsilon
        self.supports_masking = True

    def build(self, input_shape):
        shape = (input_shape[-1],)

        def weight(name, init, trainable):
            return self.add_weight(
                shape=shape, name=name, initializer=init, trainable=trainable, autocast=False
            )

        self.gamma = weight("gamma", "ones", True)
        self.beta = weight("beta", "zeros", True)
        self.moving_mean = weight("moving_mean", "zeros", False)
        self.moving_variance = weight("moving_variance", "ones", False)

    def call(self, x, training=False):
        return self._fused(x, training) if TENSORFLOW else self._plain(x, training)

    def _plain(self, x, training):
        """keras.layers.BatchNormalization's math in keras.ops, in float32."""
        dtype = x.dtype
        x = ops.cast(x, "float32")
        if training:
            mean, var = ops.moments(x, axes=(0, 1, 2))
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + ops.stop_gradient(mean) * (1 - m))
            self.moving_variance.assign(self.moving_variance * m + ops.stop_gradient(var) * (1 - m))
        else:
            mean, var = self.moving_mean, self.moving_variance
        y = (x - mean) * ops.rsqrt(var + self.epsilon) * self.gamma + self.beta
        return ops.cast(y, dtype)

    def _fused(self, x, training):
        import tensorflow as tf

        dtype = x.dtype
        if dtype == tf.bfloat16:  # no fused bfloat16 kernel on every device
            x = tf.cast(x, tf.float32)
        if training:
            y, mean, var, *_ = tf.raw_ops.FusedBatchNormV3(
                x=x,
                scale=self.gamma,
                offset=self.beta,
                mean=tf.constant([], tf.float32),
                variance=tf.constant([], tf.float32),
                epsilon=self.epsilon,
                is_training=True,
            )
            n = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), tf.float32)
            var = var * ((n - 1.0) / n)  # the kernel returns the unbiased variance
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + tf.stop_gradient(mean) * (1 - m))
            self.moving_variance.assign(self.moving_variance * m + tf.stop_gradient(var) * (1 - m))
        else:
            y, *_ = tf.raw_ops.FusedBatchNormV3(
                x=x,
                scale=self.gamma,
                offset=self.beta,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=False,
            )
        return tf.cast(y, dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


def _latent_side(spec: ModelSpec) -> int:
    return spec.image_size // 2 ** len(spec.filters)


def build_encoder(spec: ModelSpec) -> keras.Model:
    """Conv2D stack -> Flatten -> Dense z (AE) or Dense mu, Dense logvar (VAE)."""
    x_in = keras.Input((spec.image_size, spec.image_size, 3), name="image")
    x = x_in
    for i, filters in enumerate(spec.filters):
        # no bias before a batch norm: its beta is that bias (one op and its gradient less)
        x = layers.Conv2D(
            filters,
            spec.kernel_size,
            strides=2,
            padding="same",
            use_bias=not spec.batch_norm,
            name=f"conv{i}",
        )(x)
        if spec.batch_norm:
            x = FusedBatchNorm(name=f"bn{i}")(x)
        x = layers.LeakyReLU(name=f"act{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    if spec.variational:
        # float32 heads: exp(logvar) and the KL stay exact under a mixed-precision policy
        mu = layers.Dense(spec.z_dim, name="mu", dtype="float32")(x)
        logvar = layers.Dense(spec.z_dim, name="logvar", dtype="float32")(x)
        return keras.Model(x_in, [mu, logvar], name=f"{spec.name}_encoder")
    z = layers.Dense(spec.z_dim, name="z", dtype="float32")(x)
    return keras.Model(x_in, z, name=f"{spec.name}_encoder")


def build_decoder(spec: ModelSpec) -> keras.Model:
    """Dense -> Reshape -> Conv2DTranspose stack mirroring the encoder -> sigmoid image."""
    side = _latent_side(spec)
    z_in = keras.Input((spec.z_dim,), name="z")
    x = layers.Dense(side * side * spec.filters[-1], name="dense")(z_in)
    x = layers.Reshape((side, side, spec.filters[-1]), name="reshape")(x)
    x = layers.LeakyReLU(name="act_dense")(x)
    for i, filters in enumerate(reversed(spec.filters[:-1])):
        x = layers.Conv2DTranspose(
            filters,
            spec.kernel_size,
            strides=2,
            padding="same",
            use_bias=not spec.batch_norm,
            name=f"deconv{i}",
        )(x)
        if spec.batch_norm:
            x = FusedBatchNorm(name=f"bn{i}")(x)
        x = layers.LeakyReLU(name=f"act{i}")(x)
    x = layers.Conv2DTranspose(
        3,
        spec.kernel_size,
        strides=2,
        padding="same",
        activation="sigmoid",
        name="image",
        dtype="float32",  # the BCE clip at 1e-7 needs float32 (1 - 1e-7 == 1 in float16)
    )(x)
    return keras.Model(z_in, x, name=f"{spec.name}_decoder")


def bce_sum(x, x_hat):
    """Binary cross-entropy summed over the pixels of each image, averaged over the batch."""
    x, x_hat = ops.cast(x, "float32"), ops.cast(x_hat, "float32")
    p = ops.clip(x_hat, BCE_EPS, 1.0 - BCE_EPS)
    per_pixel = -(x * ops.log(p) + (1.0 - x) * ops.log(1.0 - p))
    return ops.mean(ops.sum(per_pixel, axis=(1, 2, 3)))


def kl_divergence(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, 1)) summed over z, averaged over the batch."""
    return ops.mean(-0.5 * ops.sum(1.0 + logvar - ops.square(mu) - ops.exp(logvar), axis=1))


class LatentAutoencoder(keras.Model):
    """Training wrapper for both the AE and the VAE; reports total, reco and KL losses.

    Batches may be float images in [0, 1], uint8 images (cast on the device, so a quarter of
    the bytes cross the bus), or int row numbers into an image bank set with
    `use_image_bank` (the whole uint8 array kept on the accelerator, gathered in the step).
    `call` returns what the losses need (the images, their reconstruction and, for a VAE,
    mu and logvar); `compute_loss` turns that into the objective and feeds the trackers, so
    every backend's own train and test steps run it.
    """

    def __init__(self, encoder, decoder, spec: ModelSpec, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.spec = spec
        self.sampler = (
            Sampling(spec.eps_clip, seed=seed, name="sampling", dtype="float32")
            if spec.variational
            else None
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reco_tracker = keras.metrics.Mean(name="reco_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        object.__setattr__(self, "_image_bank", None)  # untracked: never in a weights file

    @property
    def metrics(self):
        return [self.loss_tracker, self.reco_tracker, self.kl_tracker]

    def get_metrics_result(self):
        """Epoch values. The total is derived from the reconstruction and KL means (the
        same number, mean of totals = mean reco + kl_factor x mean KL): the scalar sum in
        the compiled step may round its last bit differently from run to run, which the
        gradients never see but a logged running total would."""
        logs = super().get_metrics_result()
        reco, kl = (float(ops.convert_to_numpy(logs[k])) for k in ("reco_loss", "kl_loss"))
        logs["loss"] = reco + self.spec.kl_factor * kl
        return logs

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Running means, inside the compiled step (get_metrics_result leaves the graph)."""
        return {m.name: m.result() for m in self.metrics}

    def use_image_bank(self, bank) -> None:
        """Batches become row numbers into `bank` (a uint8 tensor, e.g. on the GPU)."""
        object.__setattr__(self, "_image_bank", bank)

    def rng_state(self) -> list[int] | None:
        """State of the sampling layer's seed generator (backed up with the weights)."""
        if self.sampler is None:
            return None
        return [int(v) for v in keras.ops.convert_to_numpy(self.sampler.seed_generator.state)]

    def set_rng_state(self, state: list[int] | None) -> None:
        if self.sampler is not None and state is not None:
            self.sampler.seed_generator.state.assign(state)

    def images(self, data):
        """Float32 images in [0, 1] from whatever the input pipeline yields."""
        x = data[0] if isinstance(data, tuple) else data
        if self._image_bank is not None:
            x = ops.take(self._image_bank, x, axis=0)
        if keras.backend.standardize_dtype(x.dtype) == "uint8":
            x = ops.cast(x, "float32") / 255.0
        return x

    def call(self, x, training=False):
        x = self.images(x)
        out = {"images": x}
        if self.sampler is not None:
            out["mu"], out["logvar"] = self.encoder(x, training=training)
            z = self.sampler([out["mu"], out["logvar"]])
        else:
            z = self.encoder(x, training=training)
        out["reconstruction"] = self.decoder(z, training=training)
        return out

    def reconstruct(self, x):
        return self(x, training=False)["reconstruction"]

    def loss_terms(self, out):
        reco = bce_sum(out["images"], out["reconstruction"])
        kl = kl_divergence(out["mu"], out["logvar"]) if "mu" in out else ops.zeros(())
        return reco + self.spec.kl_factor * kl, reco, kl

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        total, reco, kl = self.loss_terms(y_pred)
        self.loss_tracker.update_state(total)
        self.reco_tracker.update_state(reco)
        self.kl_tracker.update_state(kl)
        if TENSORFLOW:
            import tensorflow as tf

            # Each replica of a MirroredStrategy averages its share of the batch; the
            # optimizer sums the replicas' gradients, so scale to get the global mean.
            total = total / tf.distribute.get_strategy().num_replicas_in_sync
        return total


def build_autoencoder(spec: ModelSpec, seed: int | None = None) -> LatentAutoencoder:
    return LatentAutoencoder(
        build_encoder(spec), build_decoder(spec), spec, seed=seed, name=spec.name
    )
