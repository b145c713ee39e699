"""The summary of findings: headline numbers per model and the structure verdicts."""

from __future__ import annotations

import html
import math
import re

import pandas as pd

from zatlas.report.artifacts import Artifact, find_file, read_json
from zatlas.report.provenance import flatten


def fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


# The headline columns of compare.csv that the summary shows, in this order.
HEADLINE = (
    "model",
    "type",
    "kl_factor",
    "radius_peak",
    "radius_modes",
    "sqrt_z_dim",
    "peak_over_sqrt_z_dim",
    "radius_mean",
    "radius_std",
    "n_dominant_axes",
    "dominant_axes",
    "n_multimodal_axes",
    "elbow_k",
    "logvar_mean",
    "abs_z_minus_mu_max",
    "intrinsic_dim_",
    "active_units",
    "val_reco_loss",
    "structure_verdict",
)


def headline_table(arts: list[Artifact]) -> pd.DataFrame:
    """The headline numbers as the compare stage wrote them (compare.csv): the report never
    computes them a second time. Empty when the run has no comparison table."""
    path = find_file(arts, "compare", "all models", "compare.csv")
    if path is None or not path.exists():
        return pd.DataFrame()
    frame = pd.read_csv(path)
    cols = [c for h in HEADLINE for c in frame if c == h or (h.endswith("_") and c.startswith(h))]
    return frame[list(dict.fromkeys(cols))]


def summary_by_quantity(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with one row per quantity and one column per model (side by side)."""
    shown = summary.dropna(axis=1, how="all").set_index("model")
    out = pd.DataFrame({m: [fmt(v) for v in shown.loc[m]] for m in shown.index})
    out.insert(0, "quantity", list(shown.columns))
    return out


HEADLINE_COLUMNS = ["model", "statistic", "null", "effect_size", "p_value", "n_tests", "verdict"]


def headline_verdicts(verdicts: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per model, every test but the per-window void tests (which the `overall` row counts),
    so that each null's verdict shows; the whole table when it has no `overall` row."""
    if verdicts is None or "statistic" not in verdicts:
        return verdicts
    if not (verdicts["statistic"] == "overall").any():
        return verdicts
    shown = verdicts[verdicts["statistic"] != "holes"].reset_index(drop=True)
    return shown[[c for c in HEADLINE_COLUMNS if c in shown]]


def structure_verdicts(arts: list[Artifact]) -> pd.DataFrame | None:
    """Every verdict table of the structure analyses (files named *verdict*), or None."""
    frames = []
    for a in arts:
        if "verdict" not in a.path.name.lower() or not a.path.exists():
            continue
        if a.suffix == ".csv":
            t = pd.read_csv(a.path)
        elif a.suffix == ".json":
            data = read_json(a.path)
            records = data if isinstance(data, list) else data.get("verdicts", [data])
            t = pd.DataFrame([flatten(r) for r in records if isinstance(r, dict)])
        else:
            continue
        if t.empty:
            continue
        if "model" not in t and a.model not in ("", "all models"):
            t.insert(0, "model", a.model)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else None


def findings(summary: pd.DataFrame) -> list[str]:
    """One sentence per model with its numbers (HTML-escaped)."""
    out = []
    for _, r in summary.iterrows():
        bits = []
        if pd.notna(r.get("radius_peak")):
            text = f"z-points peak at radius {r['radius_peak']:.4g} (KDE mode, bin-free)"
            if pd.notna(r.get("peak_over_sqrt_z_dim")):
                text += f", {r['peak_over_sqrt_z_dim']:.2f} × √z_dim = {r['sqrt_z_dim']:.3g}"
            bits.append(text)
        elif isinstance(r.get("radius_modes"), str):
            modes = ", ".join(r["radius_modes"].split())
            bits.append(f"the radius density has several modes ({modes}): no single peak")
        if pd.notna(r.get("n_dominant_axes")):
            n = int(r["n_dominant_axes"])
            axes = re.findall(r"(\d+) \((?:centre|\d+ modes)", str(r.get("dominant_axes", "")))
            listed = ": " + ", ".join(axes) + (", …" if n > len(axes) else "") if n else ""
            bits.append(f"{n} dominant ax{'is' if n == 1 else 'es'}{listed}")
            if n:
                bits.append("axis centres and FWHM from a kernel density, bin-free")
        if pd.notna(r.get("n_multimodal_axes")) and int(r["n_multimodal_axes"]):
            k = int(r["n_multimodal_axes"])
            bits.append(
                f"{k} ax{'is' if k == 1 else 'es'} with several modes (no single centre or FWHM)"
            )
        if pd.notna(r.get("logvar_mean")):
            bits.append(f"mean logvar {r['logvar_mean']:.3g}")
        if pd.notna(r.get("abs_z_minus_mu_max")):
            bits.append(f"max |z − mu| {r['abs_z_minus_mu_max']:.3g}")
        if pd.notna(r.get("elbow_k")):
            bits.append(f"k-means elbow at k = {int(r['elbow_k'])}")
        if isinstance(r.get("structure_verdict"), str):
            bits.append(f"structure against its nulls: {r['structure_verdict']}")
        if bits:
            out.append(f"<b>{html.escape(r['model'])}</b>: " + html.escape("; ".join(bits)) + ".")
    return out
