"""train: fit one model of the config, backing up every epoch so a rerun resumes."""

from __future__ import annotations

import pandas as pd

from zatlas.config import ModelSpec, TrainSpec
from zatlas.stages.files import limit_threads, title


def run(
    images,
    attributes,
    encoder,
    decoder,
    history,
    summary,
    figure,
    model_spec: ModelSpec,
    training: TrainSpec,
    backup_dir,
    threads: int = 1,
) -> None:
    from zatlas.plots.figures import plot_history
    from zatlas.training import train_model

    limit_threads(threads, tensorflow=True)
    train_model(
        images, attributes, model_spec, training, encoder, decoder, history, summary, backup_dir
    )
    plot_history(pd.read_csv(history), title(model_spec.name, "training losses"), figure)
