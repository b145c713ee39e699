"""sampling: sampling strategies for z, scored by how on-manifold their decodings are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis.subsample import subset
from zatlas.stages.files import limit_threads, load, title


def run(
    z,
    attributes,
    encoder,
    decoder,
    table,
    decoded_figure,
    scores_figure,
    model: str,
    n_decoded: int,
    n_scored: int,
    reference_points: int,
    uniform_boxes,
    gmm_components: int,
    seed: int,
    threads: int = 1,
) -> None:
    """Decode samples of every strategy; score how on-manifold they are (NN distance to the
    training z-points) and how stable decode -> encode -> decode is. Held-out real z-points
    (validation and test splits) are the reference row."""
    from zatlas.analysis import density
    from zatlas.decoders import load_decoder
    from zatlas.decoding_checks import cycle_errors
    from zatlas.encoding import load_model
    from zatlas.plots.sampling import plot_image_rows, plot_sampling_scores

    limit_threads(threads, tensorflow=True)
    zs = load(z)
    split = pd.read_parquet(attributes, columns=["split"])["split"].to_numpy()
    train_rows = np.flatnonzero(split == "train")
    held_rows = np.flatnonzero(split != "train")
    if not len(train_rows):  # no split recorded: every point is a training point
        train_rows, held_rows = np.arange(len(zs)), np.arange(0)
    pick = train_rows[subset(len(train_rows), reference_points, seed)]
    reference = np.asarray(zs[pick], dtype=np.float32)
    scorer = density.ManifoldScorer(reference, threads)
    found = density.strategies(reference, uniform_boxes, gmm_components, seed)
    enc, dec = load_model(encoder), load_decoder(decoder)
    rng = np.random.default_rng(seed)
    draws = {name: s.draw(n_scored, rng) for name, s in found.items()}
    descriptions = {name: s.description for name, s in found.items()}
    if len(held_rows):
        held = held_rows[subset(len(held_rows), n_scored, seed)]
        draws["held_out"] = np.asarray(zs[held], dtype=np.float32)
        descriptions["held_out"] = "real z-points of the validation and test images"
    rows, scores, cycles, images = [], {}, {}, {}
    for name, pts in draws.items():
        scores[name] = scorer(pts)
        cyc = cycle_errors(enc, dec, pts)
        cycles[name] = cyc["pixel_mse"]
        images[name] = cyc["images"][:n_decoded]
        rows.append(
            {
                **density.score_summary(name, pts, scores[name], scorer.within),
                "cycle_mse_mean": float(cyc["pixel_mse"].mean()),
                "cycle_mse_median": float(np.median(cyc["pixel_mse"])),
                "latent_drift_median": float(np.median(cyc["latent_drift"])),
                "description": descriptions[name],
            }
        )
    pd.DataFrame(rows).to_csv(table, index=False)
    plot_image_rows(images, title(model, "decoded from each sampling strategy"), decoded_figure)
    plot_sampling_scores(
        scores, cycles, scorer.within, title(model, "sampling strategies"), scores_figure
    )
