import json
import math
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.toy_images import write_dataset
from zatlas.config import ModelSpec, TrainSpec
from zatlas.errors import ZatlasError

keras = pytest.importorskip("keras")
from zatlas import training as tr  # noqa: E402
from zatlas.training import pipelines  # noqa: E402

SPEC = ModelSpec("vae", "vae", 16, 8, (8, 16), 3, True, 5.0, 0.01)
TRAIN = TrainSpec(
    epochs=2,
    batch_size=32,
    learning_rate=2e-3,
    clipnorm=None,
    validation=True,
    seed=5,
    deterministic=False,  # op determinism is process-wide: the resume test turns it on
)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data"), n=200)


def run(data: Path, out: Path, spec=SPEC, train=TRAIN, **kwargs) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    return tr.train_model(
        data / "images.npy",
        data / "attributes.parquet",
        spec,
        train,
        out / "encoder.keras",
        out / "decoder.keras",
        out / "history.csv",
        out / "train.json",
        out / "backup",
        **kwargs,
    )


# -- input order --------------------------------------------------------------------------


def test_epoch_order_is_a_permutation_seeded_by_seed_and_epoch_and_sorted_per_batch():
    a = tr.epoch_order(100, 32, seed=3, epoch=4)
    assert sorted(a) == list(range(100))
    for start in range(0, 100, 32):
        assert list(a[start : start + 32]) == sorted(a[start : start + 32])
    np.testing.assert_array_equal(a, tr.epoch_order(100, 32, seed=3, epoch=4))  # pure
    assert not np.array_equal(a, tr.epoch_order(100, 32, seed=3, epoch=5))
    assert not np.array_equal(a, tr.epoch_order(100, 32, seed=4, epoch=4))


@pytest.mark.parametrize("placement", ["host", "mmap", "device"])
def test_pipeline_gives_each_image_once_per_epoch_in_epoch_order(data, placement, monkeypatch):
    if placement == "mmap":
        monkeypatch.setattr(pipelines, "HOST_MEMORY_LIMIT", 0)
    images = np.load(data / "images.npy", mmap_mode="r")
    train_idx = tr.split_indices(data / "attributes.parquet", "train")
    valid_idx = tr.split_indices(data / "attributes.parquet", "valid")
    p = tr.make_pipelines(images, train_idx, valid_idx, 32, 9, 1, 3, placement == "device")
    # PyTorch keeps the images on the host: the device bank is TensorFlow's and JAX's
    torch_host = placement == "device" and keras.backend.backend() == "torch"
    assert p.placement == ("host" if torch_host else placement)
    assert p.steps_per_epoch == math.ceil(len(train_idx) / 32)
    batches = [np.asarray(b) for b in p.train]
    assert len(batches) == 2 * p.steps_per_epoch  # epochs 1 and 2 (0-based) of 3
    if p.bank is not None:  # TensorFlow: row numbers into the bank the model gathers from
        bank = np.asarray(p.bank)
        batches = [bank[b] for b in batches]
    for e, epoch in enumerate((1, 2)):
        got = np.concatenate(batches[e * p.steps_per_epoch : (e + 1) * p.steps_per_epoch])
        want = images[train_idx[tr.epoch_order(len(train_idx), 32, 9, epoch)]]
        np.testing.assert_array_equal(got, want)
    valid = np.concatenate([np.asarray(b) for b in p.valid])
    if p.bank is not None:
        valid = bank[valid]
    np.testing.assert_array_equal(valid, images[valid_idx])


def test_image_bank_is_used_on_one_device_when_it_fits(monkeypatch):
    monkeypatch.setattr(pipelines, "gpu_memory_bytes", lambda: 80 * 1024**3)
    gpu, cpu = ["CPU:/device:CPU:0", "GPU:/device:GPU:0"], ["CPU:/device:CPU:0"]
    assert tr.wants_device_bank("auto", 5 * 1024**3, 1, gpu)
    assert not tr.wants_device_bank("auto", 40 * 1024**3, 1, gpu)
    assert tr.wants_device_bank("auto", 1024, 1, cpu)  # host memory, gathered in the step
    assert not tr.wants_device_bank(
        "auto", pipelines.HOST_MEMORY_LIMIT + 1, 1, cpu
    )  # memory-mapped
    assert not tr.wants_device_bank("auto", 1024, 2, gpu)  # MirroredStrategy: tf.data splits
    assert tr.wants_device_bank(True, 1024, 1, cpu) and not tr.wants_device_bank(False, 1, 1, gpu)


def test_steps_per_execution_never_spans_two_epochs():
    assert tr._steps_per_execution(8, 100) == 5
    assert tr._steps_per_execution(1, 7) == 1
    assert tr._steps_per_execution(16, 12) == 12
    assert tr._steps_per_execution(4, 13) == 1


# -- training -----------------------------------------------------------------------------


def test_training_runs_every_epoch_and_writes_its_history(data, tmp_path):
    summary = run(data, tmp_path)
    table = pd.read_csv(tmp_path / "history.csv")
    assert list(table.columns[:7]) == tr.HISTORY_COLUMNS
    assert list(table["epoch"]) == [1, 2]
    # the values themselves: test_training_logs_known_losses_for_a_fixed_model
    assert 100 < table["reco_loss"].iloc[0] < 16 * 16 * 3 * math.log(2) * 1.5
    assert (table["kl_loss"] > 0).all()
    assert table["loss"].iloc[-1] < table["loss"].iloc[0]
    assert summary["n_train"] == 160 and summary["n_valid"] == 40
    assert summary["final"]["val_loss"] == pytest.approx(table["val_loss"].iloc[-1])
    assert summary["resumed_from_epoch"] == 0 and len(summary["epoch_seconds"]) == 2
    assert json.loads((tmp_path / "train.json").read_text())["images_per_second"] > 0
    assert not (tmp_path / "backup").exists()  # removed once the outputs are written


def _fixed_model(mu: float, logvar: float):
    """build_autoencoder whose decoder outputs 0.5 everywhere (all weights 0: sigmoid(0))
    and whose encoder gives mu and logvar for every image (heads' kernels 0, biases set)."""
    from zatlas import models

    build = models.build_autoencoder

    def fixed(spec, seed=None):
        model = build(spec, seed=seed)
        model(np.zeros((1, spec.image_size, spec.image_size, 3), np.uint8))
        model.decoder.set_weights([np.zeros(w.shape, "float32") for w in model.decoder.weights])
        for name, value in (("mu", mu), ("logvar", logvar)):
            layer = model.encoder.get_layer(name)
            layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
            layer.bias.assign(np.full(layer.bias.shape, value, "float32"))
        return model

    return fixed


@pytest.mark.parametrize(
    ("mu", "logvar", "kl_factor", "kl"),
    [
        (0.0, 0.0, 2.0, 0.0),  # the prior itself: KL 0
        # z_dim x 0.5 (mu^2 + e^logvar - 1 - logvar) = 8 x 0.119361 = 0.954885
        (0.3, 0.5, 2.0, 8 * 0.5 * (0.09 + math.exp(0.5) - 1.5)),
    ],
)
def test_training_logs_known_losses_for_a_fixed_model(
    data, tmp_path, monkeypatch, mu, logvar, kl_factor, kl
):
    # learning rate 0: the weights stay fixed, so every epoch logs the same known values;
    # BCE of a 0.5 output is log 2 per pixel and channel whatever the image: 768 log 2
    from zatlas import models

    monkeypatch.setattr(models, "build_autoencoder", _fixed_model(mu, logvar))
    spec = replace(SPEC, kl_factor=kl_factor)
    run(data, tmp_path, spec=spec, train=replace(TRAIN, learning_rate=0.0))
    table = pd.read_csv(tmp_path / "history.csv")
    reco = 16 * 16 * 3 * math.log(2)
    for prefix in ("", "val_"):
        np.testing.assert_allclose(table[f"{prefix}reco_loss"], reco, rtol=1e-5)
        np.testing.assert_allclose(table[f"{prefix}kl_loss"], kl, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(table[f"{prefix}loss"], reco + kl_factor * kl, rtol=1e-5)


def test_a_diverging_loss_stops_with_an_error_naming_the_epoch(data, tmp_path):
    huge = replace(TRAIN, learning_rate=1e4, epochs=3)
    with pytest.raises(ZatlasError, match=r"diverged in epoch 1: .*learning_rate"):
        run(data, tmp_path / "nan", train=huge)
    # an explosion short of inf/NaN: here any loss above 0.5 x a blind guess (grey images);
    # the guard reads batch logs asynchronously, so it may stop a batch or two later
    strict = replace(TRAIN, explode_factor=0.5)
    with pytest.raises(
        ZatlasError,
        match=r"diverged in epoch 1: loss \(the optimised objective\) at batch \d of 5 became "
        r".*limit.*nothing was backed up",
    ):
        run(data, tmp_path / "explode", train=strict)
    assert not (tmp_path / "explode" / "backup" / "state.json").exists()  # nothing backed up


class _FakeModel:
    stop_training = False


class _FakeBackup:
    def __init__(self):
        self.saved: list[int] = []

    def save(self, model, epoch, history):
        self.saved.append(epoch)


def _callbacks(limit, explode_factor=None, history=None, backup=None):
    """The guard, backup and logger callbacks on a stand-in model, as fit would run them."""
    model = _FakeModel()
    cbs = tr.training_callbacks(
        backup or _FakeBackup(),
        [] if history is None else history,
        limit,
        4000,
        2,
        **({"explode_factor": explode_factor} if explode_factor else {}),
    )
    for cb in cbs:
        cb.set_model(model)
    return model, cbs


# the issue-16 case: vae_tiny at 96 px, kl_factor 1e-5, batch 4 of epoch 1
TINY_KL_LOGS = {"loss": 19618.0, "reco_loss": 19606.0, "kl_loss": 1.224e6}
LIMIT_96PX = 10 * math.log(2) * 96 * 96 * 3  # explode_factor x blind guess = 1.916e5


def test_guard_ignores_a_large_kl_term_that_the_objective_weights_away():
    assert LIMIT_96PX == pytest.approx(1.916e5, rel=1e-3)
    model, (guard, *_) = _callbacks(LIMIT_96PX)
    guard.on_epoch_begin(0)
    guard.on_train_batch_end(3, TINY_KL_LOGS)
    guard.on_epoch_end(0, {**TINY_KL_LOGS, "val_loss": 19500.0, "val_kl_loss": 1.3e6})
    assert guard.failure is None and not model.stop_training


@pytest.mark.parametrize(
    ("logs", "term", "limit"),
    [
        ({**TINY_KL_LOGS, "kl_loss": float("nan")}, "kl_loss", None),  # a real NaN, any term
        ({**TINY_KL_LOGS, "reco_loss": float("inf")}, "reco_loss", None),
        ({**TINY_KL_LOGS, "loss": 2.0e5}, "loss", LIMIT_96PX),  # the objective exploding
    ],
)
def test_guard_stops_on_a_real_nan_or_an_exploding_objective(logs, term, limit):
    model, (guard, *_) = _callbacks(LIMIT_96PX)
    guard.on_epoch_begin(0)
    guard.on_train_batch_end(0, TINY_KL_LOGS)
    guard.on_train_batch_end(3, logs)
    assert model.stop_training
    assert (guard.failure.epoch, guard.failure.term, guard.failure.batches) == (1, term, 4)
    assert guard.failure.limit == limit
    assert guard.failure.where == "at batch 4"


def test_guard_limit_follows_the_objectives_own_best_epoch_mean():
    model, (guard, keeper, _) = _callbacks(LIMIT_96PX, explode_factor=10.0)
    guard.on_epoch_begin(0)
    guard.on_epoch_end(0, {"loss": 300.0, "val_loss": 400.0})
    guard.on_epoch_begin(1)
    guard.on_train_batch_end(0, {"loss": 2900.0, "kl_loss": 1e9})  # under 10 x 300
    assert guard.failure is None
    guard.on_epoch_end(1, {"loss": 250.0, "val_loss": 3900.0})  # under 10 x 400
    assert guard.failure is None
    guard.on_epoch_begin(2)
    guard.on_train_batch_end(0, {"loss": 2600.0})  # above 10 x 250, far below the blind limit
    assert model.stop_training and guard.failure.limit == pytest.approx(2500.0)
    # a resumed run starts from the best level in its history
    model, (guard, *_) = _callbacks(LIMIT_96PX, 10.0, history=[{"epoch": 1, "loss": 100.0}])
    guard.on_epoch_begin(1)
    guard.on_train_batch_end(0, {"loss": 1001.0})
    assert guard.failure.limit == pytest.approx(1000.0)


def test_a_stop_keeps_the_last_good_backup_and_reports_only_what_ran(capsys):
    backup = _FakeBackup()
    model, (guard, keeper, logger) = _callbacks(LIMIT_96PX, 10.0, backup=backup)
    logger.set_params({"steps": 1267})
    for cb in (guard, keeper, logger):
        cb.on_epoch_begin(0)
    for cb in (guard, keeper, logger):
        cb.on_epoch_end(0, {"loss": 19000.0})
    for cb in (guard, keeper, logger):
        cb.on_epoch_begin(1)
    guard.on_train_batch_end(3, {**TINY_KL_LOGS, "kl_loss": float("nan")})
    for cb in (guard, keeper, logger):
        cb.on_epoch_end(1, {**TINY_KL_LOGS, "kl_loss": float("nan")})
    assert backup.saved == [1]  # epoch 2 never overwrote epoch 1's backup
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1/2: ")
    assert lines[1].startswith("epoch 2/2 stopped after 4 batches") and "kl_loss" in lines[1]
    message = tr.divergence_message("vae_tiny", guard.failure, 1e-5, None, 1267, 1, "bk")
    assert "kl_loss (weight kl_factor=1e-05) at batch 4 of 1267 became nan" in message
    assert "log-variance" in message and "backup of epoch 1 in bk is kept" in message


def test_mixed_precision_trains_and_exports_float32_models(data, tmp_path):
    import keras

    from zatlas.encoding import load_model

    summary = run(data, tmp_path, train=replace(TRAIN, epochs=1, mixed_precision="bfloat16"))
    assert summary["policy"] == "bfloat16" and math.isfinite(summary["final"]["loss"])
    assert keras.mixed_precision.global_policy().name == "float32"  # restored
    decoder = load_model(tmp_path / "decoder.keras")
    assert {layer.dtype_policy.name for layer in decoder.layers} == {"float32"}
    out = keras.ops.convert_to_numpy(decoder(np.zeros((2, 8), "float32")))
    assert out.dtype == np.float32 and out.shape == (2, 16, 16, 3)


# -- backup -------------------------------------------------------------------------------


def _model(train=TRAIN):
    from zatlas.models import build_autoencoder

    model = build_autoencoder(SPEC, seed=train.seed)
    tr.compile_model(model, train)
    model(np.zeros((1, 16, 16, 3), np.uint8))
    return model


def test_backup_restores_weights_optimizer_and_sampling_rng(tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (64, 16, 16, 3), dtype=np.uint8)
    model = _model()
    model.fit(images, batch_size=32, epochs=1, verbose=0)
    backup = tr.Backup(tmp_path / "b", "print-1")
    backup.save(model, 3, [{"epoch": 1, "loss": 2.5}])
    backup.save(model, 4, [{"epoch": 1, "loss": 2.5}, {"epoch": 2, "loss": 1.5}])
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "epoch-0004.weights.h5",
        "state.json",
    ]

    fresh = _model()
    assert tr.Backup(tmp_path / "b", "print-1").load(fresh, epochs=10) == (
        4,
        [{"epoch": 1, "loss": 2.5}, {"epoch": 2, "loss": 1.5}],
    )
    for a, b in zip(model.weights, fresh.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(fresh.optimizer.iterations) == int(model.optimizer.iterations) == 2
    assert fresh.rng_state() == model.rng_state()
    for a, b in zip(model.optimizer.variables, fresh.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_backup_of_another_config_or_longer_run_or_broken_file_starts_afresh(tmp_path):
    model = _model()
    tr.Backup(tmp_path / "b", "print-1").save(model, 5, [])
    assert tr.Backup(tmp_path / "b", "print-1").load(_model(), epochs=4) == (0, [])
    assert not (tmp_path / "b").exists()
    tr.Backup(tmp_path / "b", "print-1").save(model, 2, [])
    assert tr.Backup(tmp_path / "b", "print-2").load(_model(), epochs=4) == (0, [])
    assert not (tmp_path / "b").exists()
    tr.Backup(tmp_path / "b", "print-1").save(model, 2, [])
    (tmp_path / "b" / "epoch-0002.weights.h5").write_bytes(b"truncated")
    assert tr.Backup(tmp_path / "b", "print-1").load(_model(), epochs=4) == (0, [])


def test_fingerprint_ignores_epochs_but_not_what_changes_the_training():
    images = np.zeros((10, 16, 16, 3), np.uint8)
    idx = np.arange(8)
    base = tr.fingerprint(SPEC, TRAIN, images, idx)
    assert tr.fingerprint(SPEC, replace(TRAIN, epochs=30), images, idx) == base
    assert tr.fingerprint(SPEC, replace(TRAIN, learning_rate=1e-4), images, idx) != base
    assert tr.fingerprint(SPEC, replace(TRAIN, seed=6), images, idx) != base
    assert tr.fingerprint(replace(SPEC, kl_factor=1.0), TRAIN, images, idx) != base
    assert tr.fingerprint(SPEC, TRAIN, images + 1, idx) != base


# -- devices ------------------------------------------------------------------------------


def test_cpu_warning_counts_every_model_left_at_the_measured_rate():
    # the full config on 2 cores: 3 models x 24 epochs x 162,770 images at 420 images/s
    message = tr.cpu_warning(420.0, 3 * 24 * 162_770, threads=2, models=3)
    assert "WARNING" in message and "2 threads" in message and "420 images/s" in message
    assert "about 7.8 h for this and 2 more models" in message  # 11,719,440 / 420 s
    # on 16 threads (3,360 images/s) the same run still takes about an hour: warned
    assert "about 58.1 min" in tr.cpu_warning(3360.0, 3 * 24 * 162_770, 16, 3)
    assert tr.cpu_warning(420.0, 2 * 8 * 2400, 2, 2) is None  # the demo: 91 s
    # two side by side: the third model starts when the first two are done (2 model-lengths)
    both = tr.cpu_warning(420.0, 3 * 24 * 162_770, 2, 3, wall_images=2 * 24 * 162_770)
    assert "about 5.2 h for this and 2 more models (11,719,440 images" in both


def test_eta_arithmetic_known_answers():
    assert tr.epoch_eta(300, 1272, 120.0) == pytest.approx(388.8)  # 0.4 s a batch, 972 left
    mine, everyone = tr.run_eta([10.0, 14.0, 11.0], epochs_left=2, later_epochs=48)
    assert (mine, everyone) == (22.0, 550.0)  # median 11 s x 2, and x (2 + 48)
    assert [tr.format_duration(s) for s in (45, 600, 9000)] == ["45 s", "10.0 min", "2.5 h"]


def test_progress_lines_inside_an_epoch_and_the_runs_eta_at_its_end(capsys):
    guard = tr.LossGuard(tr.DivergenceCheck(None, None))
    logger = tr.ProgressLogger(guard, 1000, 3, 100, 2, 2, True, 0.0)  # a line per batch
    logger.set_params({"steps": 10})
    logger.on_epoch_begin(0)
    logger.on_train_batch_end(3, {})
    logger.seconds = [20.0]  # as if an earlier epoch had taken 20 s
    logger.on_epoch_end(0, {"loss": 1.0})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1/3: batch 4/10, ") and "epoch ends in" in lines[0]
    # median(20, ~0) = 10 s x 2 epochs left, and x (2 + 2 models x 3 epochs)
    assert "about 20 s left, 80 s for all 3 models still to train" in lines[1]


@pytest.mark.parametrize(
    ("later", "at_once", "after"),
    [(2, 1, 2), (2, 2, 1), (1, 2, 0), (0, 2, 0), (5, 2, 2), (4, 2, 2), (2, 4, 0), (3, 3, 1)],
)
def test_models_after_packs_the_later_models_side_by_side(later, at_once, after):
    # 3 models, 2 side by side: this one and the next train now, the third after them
    assert tr.models_after(later, at_once) == after


def test_the_runs_eta_counts_the_models_training_side_by_side(capsys):
    _, _, logger = tr.training_callbacks(
        _FakeBackup(),
        [],
        None,
        1000,
        3,
        batch_size=100,
        later_models=2,
        threads=1,
        on_cpu=True,
        interval=1e9,
        side_by_side=2,
    )
    logger.set_params({"steps": 10})
    logger.on_epoch_begin(0)
    logger.seconds = [20.0]
    logger.on_epoch_end(0, {"loss": 1.0})
    # median(20, ~0) = 10 s x (2 epochs left + 1 model after this pair x 3 epochs)
    assert "about 20 s left, 50 s for all 3 models still to train" in capsys.readouterr().out


def test_the_cpu_warning_counts_the_models_training_side_by_side(capsys):
    guard = tr.LossGuard(tr.DivergenceCheck(None, None))
    # the full config on 2 cores: 3 models, 2 side by side, measured at 420 images/s
    logger = tr.ProgressLogger(guard, 162_770, 24, 128, 2, 1, True, 1e9, side_by_side=2)
    logger.epoch, logger.warmed = 1, (3, 0.0)
    logger._maybe_warn(13, 10 * 128 / 420.0)
    # (this model's 24 epochs less 13 batches + one more model-length) / 420: 5.2 h, not 7.7
    assert "about 5.2 h for this and 2 more models" in capsys.readouterr().out


MIRRORED = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    from tests.unit.test_training import SPEC, TRAIN, run

    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    one = run(data, out / "one")  # the default: one device
    two = run(data, out / "two", strategy=tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    print(json.dumps({"one": one, "two": two}))
    """
)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute")
def test_mirrored_strategy_on_two_logical_cpus_trains_like_one_device(data, tmp_path):
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(data), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    one, two = result["one"], result["two"]
    assert one["replicas"] == 1 and two["replicas"] == 2
    # Each replica normalises its half of the batch, so the runs differ slightly; a loss
    # summed instead of averaged over the replicas would be twice as large.
    for key in ("loss", "reco_loss", "val_loss"):
        assert two["final"][key] == pytest.approx(one["final"][key], rel=0.05)
    assert two["final"]["kl_loss"] > 0


# -- backup lock, logs ----------------------------------------------------------------------


def test_a_second_writer_of_the_backup_folder_stops_with_a_clear_message(tmp_path):
    first = tr.Backup(tmp_path / "b", "print-1")
    with first:
        with pytest.raises(ZatlasError, match=rf"another training \(process {os.getpid()}\)"):
            tr.Backup(tmp_path / "b", "print-1").lock()
        first.clear()  # a stale backup is cleared, the lock stays held
        with pytest.raises(ZatlasError, match="is writing the backup"):
            tr.Backup(tmp_path / "b", "print-1").lock()
    with tr.Backup(tmp_path / "b", "print-1") as second:  # released: the next run may write
        second.remove()
    assert not (tmp_path / "b").exists()


NOISY = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1795776671.194038   15831 port.cc:153] oneDNN custom operations are on.
I0000 00:00:1795776671.194276   15831 cudart_stub.cc:31] Could not find cuda drivers on your \
machine, GPU will not be used.
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1795776675.870153   15831 port.cc:153] oneDNN custom operations are on.
I0000 00:00:1795776675.870769   15831 cudart_stub.cc:31] Could not find cuda drivers on your \
machine, GPU will not be used.
E0000 00:00:1795776679.618583   15831 cuda_platform.cc:52] failed call to cuInit: INTERNAL: \
CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
E0000 00:00:1795776679.700000   15831 other.cc:9] a real error
devices: CPU only (no GPU visible)
"""


@pytest.mark.parametrize("gpu", [False, True])
def test_stage_logs_drop_the_cuda_probe_and_repeated_lines_on_a_cpu_machine(
    tmp_path, monkeypatch, gpu
):
    from zatlas import logs

    monkeypatch.setattr(logs, "nvidia_device_present", lambda: gpu)
    log = tmp_path / "stage.log"
    with logs.redirect_fds(log):
        os.write(2, NOISY.encode())
        os.write(1, b"from Python\n")
    lines = log.read_text().splitlines()
    assert sum("oneDNN" in line for line in lines) == 1
    assert not any("absl::InitializeLog" in line for line in lines)
    assert sum("cuInit" in line or "cuda drivers" in line for line in lines) == (2 if gpu else 0)
    assert lines[-3:] == [
        "E0000 00:00:1795776679.700000   15831 other.cc:9] a real error",
        "devices: CPU only (no GPU visible)",
        "from Python",
    ]


def test_the_train_stage_counts_the_models_still_to_train(tmp_path):
    from zatlas.stages.train import untrained

    for name in ("ae", "vae"):
        (tmp_path / name).mkdir()
    (tmp_path / "ae" / "encoder.keras").write_text("")  # trained already
    models = ["ae", "vae_tiny", "vae"]
    assert untrained(models, "vae", tmp_path / "vae" / "encoder.keras") == ["vae_tiny"]
    assert untrained(models, "ae", tmp_path / "ae" / "encoder.keras") == ["vae_tiny", "vae"]
