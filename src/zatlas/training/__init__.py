"""Train one AE/VAE from the prepared images: resumable, seeded, guarded, logged.

- `loop`: the training loop (`train_model`), model setup, export;
- `pipelines`: per-epoch seeded batch order and where the images live (host, device bank);
- `backup`: the per-epoch training state in a locked folder, for resuming after a kill;
- `callbacks`: the divergence guard, the per-epoch backup, all in fit's order;
- `progress_log`: progress lines, ETAs and the CPU warning;
- `eta`: the arithmetic of ETAs and of the CPU warning;
- `devices`: seeds, devices and distribution for the Keras backend in use.
"""

from zatlas.training.backup import Backup, fingerprint
from zatlas.training.callbacks import (
    Divergence,
    DivergenceCheck,
    LossGuard,
    ProgressLogger,
    divergence_message,
    term_weight,
    training_callbacks,
)
from zatlas.training.devices import (
    backend,
    describe_devices,
    device_line,
    make_strategy,
    seed_everything,
)
from zatlas.training.eta import cpu_warning, epoch_eta, format_duration, models_after, run_eta
from zatlas.training.loop import (
    HISTORY_COLUMNS,
    _policy,
    _steps_per_execution,
    compile_model,
    explode_limit,
    export,
    setup,
    train_model,
)
from zatlas.training.pipelines import (
    epoch_order,
    make_pipelines,
    split_indices,
    wants_device_bank,
)

__all__ = [
    "HISTORY_COLUMNS",
    "Backup",
    "Divergence",
    "DivergenceCheck",
    "LossGuard",
    "ProgressLogger",
    "_policy",
    "_steps_per_execution",
    "backend",
    "compile_model",
    "cpu_warning",
    "describe_devices",
    "device_line",
    "divergence_message",
    "epoch_eta",
    "epoch_order",
    "explode_limit",
    "export",
    "fingerprint",
    "format_duration",
    "make_pipelines",
    "make_strategy",
    "models_after",
    "run_eta",
    "seed_everything",
    "setup",
    "split_indices",
    "term_weight",
    "train_model",
    "training_callbacks",
    "wants_device_bank",
]
