"""The verdict table in words: the overall row (the clumping answer first, with its scale,
then the shape finding, then the holes), summary.json's numbers and the rank profile of the
figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zatlas.analysis import clumping


def profile_table(d: dict, ranks) -> pd.DataFrame:
    """Median neighbour distance of data and smoothed null at every rank (the figure)."""
    dc = d["clumping"]
    return pd.DataFrame(
        {
            "rank": list(ranks),
            "data_median": np.median(dc["data"], axis=0),
            "null_median": np.median(dc["null"], axis=0),
            "data_q25": np.quantile(dc["data"], 0.25, axis=0),
            "null_q25": np.quantile(dc["null"], 0.25, axis=0),
            "ratio": np.median(dc["data"], axis=0) / np.median(dc["null"], axis=0),
        }
    )


def ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def headline(table: pd.DataFrame) -> dict[str, str]:
    """The three findings in words: clumping (the answer), shape, holes."""
    tests = table[table["statistic"] != "overall"]
    fired = tests[tests["fired"].astype(bool)]
    clump = fired[fired["statistic"] == "clumping"]
    if clump.empty:
        clumping_text = "not clumped at small scale (no filaments or clusters)"
    else:
        first = clump.sort_values("rank").iloc[0]
        clumping_text = (
            f"{first['verdict']} from the {ordinal(int(first['rank']))} neighbour on (median "
            f"distance {first['data_value']:.3g} robust sd of the top PCs, the null's "
            f"{first['null_value']:.3g})"
        )
    shape = fired[fired["statistic"].isin(["radii_not_gaussian", "not_gaussian_nn"])]
    ellip = fired[fired["statistic"] == "not_elliptical"]
    if not ellip.empty:
        shape_text = ellip["verdict"].iloc[0]
    elif not shape.empty:
        shape_text = "not Gaussian, but elliptical (shape consistent with the elliptical null)"
    else:
        shape_text = "radii and large-scale shape consistent with a Gaussian"
    h = tests[tests["statistic"] == "holes"]
    n_h = int(h["fired"].astype(bool).sum())
    holes_text = f"holes in {n_h} of {len(h)} PC-plane windows" if n_h else "no holes"
    return {"clumping": clumping_text, "shape": shape_text, "holes": holes_text}


def with_overall(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a last row, `overall`: the clumping answer first, then the shape
    finding, then the holes."""
    h = headline(table)
    overall = {
        "statistic": "overall",
        "null": "all of the above",
        "detail": f"{len(table)} tests, Bonferroni-corrected",
        "test": "see the rows above",
        "alpha": table["alpha"].iloc[0],
        "n_tests": len(table),
        "p_value": float(table["p_value"].min()),
        "significant": bool(table["significant"].any()),
        "fired": bool(table["fired"].any()),
        "verdict": f"{h['clumping']}; shape: {h['shape']}; {h['holes']}",
    }
    return pd.concat([table, pd.DataFrame([overall])], ignore_index=True)


def summary(table: pd.DataFrame) -> dict:
    """The verdict table in a few numbers (for summary.json)."""
    tests = table[table["statistic"] != "overall"]
    holes_ = tests[tests["statistic"] == "holes"]
    clump = tests[tests["statistic"] == "clumping"]
    out = {
        "verdict": str(table["verdict"].iloc[-1]),
        **{f"{k}_finding": v for k, v in headline(tests).items()},
        "n_tests": int(tests["n_tests"].iloc[0]),
        "alpha": float(tests["alpha"].iloc[0]),
        "n_hole_tests": int(len(holes_)),
        "n_holes_beyond_null": int(holes_["fired"].astype(bool).sum()),
        **clumping.clumping_scale(tests),
        "clumping_min_ratio": float(clump["effect_size"].min()) if len(clump) else None,
    }
    by = tests.drop_duplicates("statistic").set_index("statistic")
    for name in ("radii_not_gaussian", "not_gaussian_nn", "not_elliptical"):
        if name in by.index:
            out[f"{name}_verdict"] = str(by.loc[name, "verdict"])
            out[f"{name}_effect"] = float(by.loc[name, "effect_size"])
            out[f"{name}_p_value"] = float(by.loc[name, "p_value"])
    return out
