"""Figures of the null-model analyses: structure, dimensions, sampling, attributes, KL sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.plots import plt, save, scatter_style


def plot_verdicts(hist: pd.DataFrame, voids: pd.DataFrame, title: str, path) -> None:
    """Left: neighbour distances of the data beside both nulls; right: voids per window."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    centers = (hist["left"] + hist["right"]) / 2
    for column, label, style in (
        ("count_data_robust", "data (Tyler-whitened)", "-"),
        ("count_elliptical", "elliptical null (radii kept)", "--"),
        ("count_data_plain", "data (covariance-whitened)", "-"),
        ("count_gaussian", "matched Gaussian", ":"),
    ):
        ax1.step(centers, hist[column], where="mid", ls=style, label=label)
    ax1.set(xlabel="distance to the k-th neighbour (top PCs, whitened)", ylabel="query points")
    ax1.set_title("clumping: data against both nulls", fontsize=9)
    ax1.legend(fontsize=7)
    labels = [f"{r.plane}\n{r.zoom}" for r in voids.itertuples()]
    x = np.arange(len(voids))
    ax2.bar(x - 0.2, voids["voids_data"], 0.4, label="data")
    ax2.bar(
        x + 0.2,
        voids["voids_null_mean"],
        0.4,
        yerr=2 * voids["voids_null_sd"],
        alpha=0.7,
        label="smoothed-marginal null (mean ± 2 sd)",
    )
    ax2.plot(x + 0.2, voids["voids_null_max"], "k_", ms=12, label="null maximum")
    ax2.set_xticks(x, labels, fontsize=7)
    ax2.set(ylabel="enclosed empty cells (voids)")
    ax2.set_title("holes inside the support of each PC plane (window)", fontsize=9)
    ax2.legend(fontsize=7)
    fig.suptitle(title)
    save(fig, path)


def plot_tsne_pair(data: np.ndarray, null: np.ndarray, title: str, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    for ax, emb, label in zip(axes, (data, null), ("data", "matched Gaussian"), strict=True):
        ax.scatter(emb[:, 0], emb[:, 1], **scatter_style(len(emb)))
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{label} ({len(emb)} points)", fontsize=9)
    fig.suptitle(title)
    save(fig, path)


def plot_dimensions(
    dims: pd.DataFrame, units: pd.DataFrame, threshold: float, title: str, path
) -> None:
    """Left: intrinsic dimension estimates, data beside null, with z_dim; right: unit variances."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    x = np.arange(len(dims))
    ax1.bar(x - 0.2, dims["data"], 0.4, label="data")
    ax1.bar(x + 0.2, dims["null"], 0.4, label="matched Gaussian")
    ax1.axhline(dims["z_dim"].iloc[0], color="k", ls=":", label="z_dim")
    ax1.set_xticks(x, dims["estimator"])
    ax1.set(ylabel="intrinsic dimension", title="intrinsic dimension", yscale="log")
    ax1.legend(fontsize=8)
    var = np.sort(units["variance"].to_numpy())[::-1]
    ax2.semilogy(np.arange(1, len(var) + 1), np.maximum(var, 1e-12), ".-")
    ax2.axhline(threshold, color="C3", ls="--", label=f"threshold {threshold:g}")
    n_active = int(units["active"].sum())
    ax2.set(
        xlabel="unit (sorted)",
        ylabel="Var_x(E[z_u | x])",
        title=f"active units: {n_active} of {len(var)}",
    )
    ax2.legend(fontsize=8)
    fig.suptitle(title)
    save(fig, path)


def plot_sampling_scores(
    scores: dict[str, np.ndarray], cycle: dict[str, np.ndarray], within: float, title: str, path
) -> None:
    """Box plots per strategy: on-manifold score (log) and decode-encode-decode pixel MSE."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    names = list(scores)
    ax1.boxplot([np.maximum(scores[n], 1e-6) for n in names], showfliers=False)
    ax1.axhline(within, color="C3", ls="--", label="95% of training points")
    ax1.set_yscale("log")
    ax1.set_xticks(np.arange(1, len(names) + 1), names, rotation=30, ha="right")
    ax1.set(ylabel="NN distance / training median NN distance", title="on-manifold score")
    ax1.legend(fontsize=8)
    ax2.boxplot([cycle[n] for n in names], showfliers=False)
    ax2.set_xticks(np.arange(1, len(names) + 1), names, rotation=30, ha="right")
    ax2.set(ylabel="pixel MSE", title="decode -> encode -> decode error")
    fig.suptitle(title)
    save(fig, path)


def plot_attribute_scatters(
    projections: dict[str, tuple[np.ndarray, pd.DataFrame]], title: str, path
) -> None:
    """Rows: projections (PCA, t-SNE), each with its points' attributes; columns: attributes
    (red = present, blue = absent)."""
    names = list(next(iter(projections.values()))[1].columns)
    fig, axes = plt.subplots(
        len(projections),
        len(names),
        figsize=(3.2 * len(names), 3.2 * len(projections)),
        squeeze=False,
    )
    for row, (label, (xy, attrs)) in zip(axes, projections.items(), strict=True):
        style = scatter_style(len(xy))
        for ax, name in zip(row, names, strict=True):
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                c=(attrs[name].to_numpy() > 0).astype(float),
                cmap="coolwarm",
                vmin=0,
                vmax=1,
                **style,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{label}: {name}", fontsize=8)
    fig.suptitle(title)
    save(fig, path)


def plot_nmi(table: pd.DataFrame, k: int, title: str, path) -> None:
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(6, max(3, 0.18 * len(t) + 1)))
    y = np.arange(len(t))
    ax.barh(y - 0.2, t["nmi"], 0.4, label="NMI")
    ax.barh(y + 0.2, t["ami"], 0.4, label="AMI (chance-adjusted)")
    ax.set_yticks(y, t["attribute"], fontsize=6)
    ax.set(xlabel=f"mutual information with k-means (k = {k}) clusters", title=title)
    ax.legend(fontsize=8)
    save(fig, path)


def plot_kl_sweep(table: pd.DataFrame, path) -> None:
    """Radius, mean logvar, active units, reconstruction loss against kl_factor (VAEs); the
    AE (no KL term) as a horizontal line."""
    vae = table[table["type"] == "vae"].sort_values("kl_factor")
    ae = table[table["type"] == "ae"]
    x = vae["kl_factor"].clip(lower=1e-12)
    panels = [
        ("radius_median", "radius ||z|| (median, 5-95%)"),
        ("logvar_mean", "mean logvar"),
        ("active_units", "active units"),
        ("reco_loss", "reconstruction loss (last epoch)"),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    for ax, (col, label) in zip(axes, panels, strict=True):
        if col == "radius_median" and len(vae):
            ax.fill_between(x, vae["radius_p5"], vae["radius_p95"], alpha=0.3)
        if len(vae):
            ax.plot(x, vae[col], "o-", label="VAE")
        for i, (_, r) in enumerate(ae.iterrows()):
            if np.isfinite(r[col]):
                ax.axhline(r[col], color=f"C{i + 1}", ls="--", label=f"{r['model']} (AE)")
        ax.set_xscale("log")
        ax.set(xlabel="kl_factor", title=label)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    if "z_dim" in table and len(table):
        axes[0].axhline(np.sqrt(table["z_dim"].iloc[0]), color="k", ls=":", lw=0.8)
        axes[2].axhline(table["z_dim"].iloc[0], color="k", ls=":", lw=0.8)
    fig.suptitle("KL sweep: VAEs against kl_factor")
    save(fig, path)


def plot_image_rows(groups: dict[str, np.ndarray], title: str, path) -> None:
    """One row of images per group, each row drawn as a single mosaic (fast for many rows)."""
    n_cols = max((len(v) for v in groups.values()), default=1)
    fig, axes = plt.subplots(
        len(groups), 1, figsize=(0.9 * n_cols + 1.5, 1.0 * len(groups) + 0.4), squeeze=False
    )
    for ax, (label, imgs) in zip(axes[:, 0], groups.items(), strict=True):
        ax.set_axis_off()
        if len(imgs):
            h, w = imgs.shape[1:3]
            strip = np.full((h, n_cols * (w + 2), 3), 255, dtype=np.uint8)
            for i, im in enumerate(imgs):
                strip[:, i * (w + 2) : i * (w + 2) + w] = im
            ax.imshow(strip, interpolation="nearest")
        ax.set_title(label, fontsize=8, loc="left")
    fig.suptitle(title)
    save(fig, path)
