"""train: fit one model of the config, backing up every epoch so a rerun resumes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from zatlas.config import ModelSpec, TrainSpec
from zatlas.stages.files import limit_threads, title


def check_config(cfg: Mapping, n: int) -> list[str]:
    """Cross-field problems of the models this stage builds (`models`, `architecture`,
    `data.image_size`), each naming its key; run by config.validate_config."""
    problems = []
    factor = 2 ** len(cfg["architecture"]["filters"])
    if cfg["data"]["image_size"] % factor:
        problems.append(
            f"config key 'data.image_size': {cfg['data']['image_size']} must be a multiple of "
            f"{factor} (2 to the number of encoder layers in 'architecture.filters')"
        )
    for name, model in cfg["models"].items():
        if model["type"] != "vae" and model.get("kl_factor", 1.0) != 1.0:
            problems.append(
                f"config key 'models.{name}.kl_factor': an '{model['type']}' model has no KL "
                "term zatlas sets"
            )
    return problems


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
    side_by_side: int,
    trained: str,
    threads: int = 1,
) -> None:
    """`side_by_side`: trainings the workflow runs at once; `trained`: the config's trained
    models, comma-separated (both for the ETA of all models only: the rule hands them over
    as resources, which unlike params make Snakemake rerun nothing)."""
    from zatlas.plots.train import plot_history
    from zatlas.training import train_model

    limit_threads(threads, tensorflow=True)
    train_model(
        images,
        attributes,
        model_spec,
        training,
        encoder,
        decoder,
        history,
        summary,
        backup_dir,
        later_models=len(untrained(trained.split(","), model_spec.name, encoder)),
        threads=threads,
        side_by_side=side_by_side,
    )
    plot_history(pd.read_csv(history), title(model_spec.name, "training losses"), figure)


def untrained(models: list[str], name: str, encoder) -> list[str]:
    """The config's other models without an encoder beside this one's: still to train
    (for the run's ETA and the CPU warning)."""
    folder = Path(encoder).parent.parent
    return [m for m in models if m != name and not (folder / m / Path(encoder).name).exists()]
