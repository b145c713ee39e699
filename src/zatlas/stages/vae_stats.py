"""vae_stats: a VAE's logvar and |z - mu|: does a tiny KL factor make it a plain AE?"""

from __future__ import annotations

import numpy as np

from zatlas.analysis.subsample import subset
from zatlas.analysis.vae_stats import vae_statistics, vae_table
from zatlas.stages.files import load, title, write_json


def run(z, mu, logvar, table, summary, figure, model: str) -> None:
    from zatlas.plots.vae_stats import plot_vae_stats

    zs, mus, lvs = load(z), load(mu), load(logvar)
    stats = vae_statistics(zs, mus, lvs)
    vae_table(stats).to_csv(table, index=False)
    write_json(summary, {"model": model, **stats})
    sample = subset(len(zs), 20_000, 0)
    lv = np.asarray(lvs[sample]).ravel()
    diff = np.abs(np.asarray(zs[sample]) - np.asarray(mus[sample])).ravel()
    plot_vae_stats(
        np.histogram(lv, 100),
        np.histogram(diff, 100),
        title(model, "logvar and |z - mu| (all components)"),
        figure,
    )
