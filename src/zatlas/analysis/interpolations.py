"""Interpolations between real faces: the straight line in z against a path along the data.

For a pair of real codes (a, b): (a) the straight segment from a to b, and (b) the shortest
path from a to b through the data's k-nearest-neighbour graph (edges weighted by their
Euclidean length), both resampled to the same number of evenly spaced steps by arc length.
Along both, the on-manifold score of the sampling stage (`density.ManifoldScorer`: distance
to the nearest real code over the data's median nearest-neighbour distance) says whether the
path stays on the data: a straight line that crosses a void shows a bump in the middle.

Pure numpy/scipy/scikit-learn; decoding goes through a `decode(z) -> images` callable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from sklearn.neighbors import kneighbors_graph

from zatlas.errors import ZatlasError

PATH_TYPES = ("straight", "graph")


def pick_pairs(n_points: int, n_pairs: int, seed: int) -> np.ndarray:
    """(n_pairs, 2) seeded row indices, two different rows per pair."""
    if n_points < 2:
        raise ZatlasError(f"interpolations need at least 2 reference points, got {n_points}")
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(n_points, 2, replace=False) for _ in range(n_pairs)])


def straight_line(a: np.ndarray, b: np.ndarray, n_steps: int) -> np.ndarray:
    """(n_steps, d): evenly spaced points from a to b, both ends included."""
    f = np.linspace(0.0, 1.0, n_steps)[:, None]
    return ((1 - f) * np.asarray(a, np.float64) + f * np.asarray(b, np.float64)).astype(np.float32)


def knn_graph(points: np.ndarray, k: int, n_jobs: int = 1) -> csr_matrix:
    """Symmetric k-nearest-neighbour graph, edge weight = Euclidean distance.

    An edge exists when either end is among the other's k nearest neighbours, so the
    graph is undirected and every point has at least k edges.
    """
    if k >= len(points):
        raise ZatlasError(
            f"k = {k} neighbours need more than {len(points)} reference points; lower k"
        )
    g = kneighbors_graph(
        np.asarray(points, dtype=np.float32), k, mode="distance", n_jobs=n_jobs
    ).tocsr()
    return g.maximum(g.T).tocsr()


def graph_path(graph: csr_matrix, start: int, end: int) -> np.ndarray | None:
    """Node indices of the shortest path start -> end (both included); None when the two
    lie in different connected components."""
    dist, pred = dijkstra(graph, directed=False, indices=start, return_predecessors=True)
    if not np.isfinite(dist[end]):
        return None
    path = [end]
    while path[-1] != start:
        path.append(int(pred[path[-1]]))
    return np.asarray(path[::-1])


def resample_polyline(nodes: np.ndarray, n_steps: int) -> np.ndarray:
    """(n_steps, d) points evenly spaced by arc length along the polyline through `nodes`."""
    nodes = np.asarray(nodes, dtype=np.float64)
    if len(nodes) == 1:
        return np.repeat(nodes, n_steps, axis=0).astype(np.float32)
    seg = np.linalg.norm(np.diff(nodes, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] == 0:
        return np.repeat(nodes[:1], n_steps, axis=0).astype(np.float32)
    s = np.linspace(0.0, cum[-1], n_steps)
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    frac = np.where(seg[i] > 0, (s - cum[i]) / np.where(seg[i] > 0, seg[i], 1.0), 0.0)
    return (nodes[i] + frac[:, None] * (nodes[i + 1] - nodes[i])).astype(np.float32)


def path_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(np.asarray(points, np.float64), axis=0), axis=1).sum())


def interpolate_pairs(
    reference: np.ndarray, pairs: np.ndarray, graph: csr_matrix, n_steps: int
) -> list[dict]:
    """Per pair: its straight and graph paths (n_steps, d), the graph path's nodes and each
    path's length in z (graph entries None where the kNN graph does not connect the pair)."""
    out = []
    for a, b in pairs:
        nodes = graph_path(graph, int(a), int(b))
        line = straight_line(reference[a], reference[b], n_steps)
        out.append(
            {
                "a": int(a),
                "b": int(b),
                "straight": line,
                "graph": None if nodes is None else resample_polyline(reference[nodes], n_steps),
                "nodes": nodes,
                "length": {
                    "straight": path_length(line),
                    "graph": None if nodes is None else path_length(reference[nodes]),
                },
            }
        )
    return out


def score_paths(paths: list[dict], scorer) -> pd.DataFrame:
    """Long table: pair, path type, step, fraction along the path and on-manifold score."""
    rows = []
    for p, path in enumerate(paths):
        for kind in PATH_TYPES:
            pts = path[kind]
            if pts is None:
                continue
            score = scorer(pts)
            frac = np.linspace(0.0, 1.0, len(pts))
            rows += [
                {"pair": p, "path": kind, "step": s, "fraction": f, "score": float(v)}
                for s, (f, v) in enumerate(zip(frac, score, strict=True))
            ]
    return pd.DataFrame(rows, columns=["pair", "path", "step", "fraction", "score"])


def pair_table(paths: list[dict], scores: pd.DataFrame) -> pd.DataFrame:
    """One row per pair and path type: ends, z length, graph hops, mean and max score."""
    rows = []
    for p, path in enumerate(paths):
        for kind in PATH_TYPES:
            pts = path[kind]
            s = scores[(scores["pair"] == p) & (scores["path"] == kind)]["score"]
            rows.append(
                {
                    "pair": p,
                    "a": path["a"],
                    "b": path["b"],
                    "path": kind,
                    "connected": pts is not None,
                    "length": path["length"][kind] if pts is not None else float("nan"),
                    "hops": (len(path["nodes"]) - 1 if kind == "graph" else 1)
                    if pts is not None
                    else -1,
                    "score_mean": float(s.mean()) if len(s) else float("nan"),
                    "score_max": float(s.max()) if len(s) else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def summary_table(scores: pd.DataFrame, n_pairs: int) -> pd.DataFrame:
    """Per path type over all pairs: mean and maximum score, and the mean of each pair's
    maximum (the typical height of the bump)."""
    rows = []
    for kind in PATH_TYPES:
        s = scores[scores["path"] == kind]
        per_pair_max = s.groupby("pair")["score"].max()
        rows.append(
            {
                "path": kind,
                "pairs": int(s["pair"].nunique()),
                "pairs_requested": int(n_pairs),
                "score_mean": float(s["score"].mean()) if len(s) else float("nan"),
                "score_max": float(s["score"].max()) if len(s) else float("nan"),
                "pair_max_mean": float(per_pair_max.mean()) if len(s) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def decode_paths(decode, paths: list[dict]) -> list[dict[str, np.ndarray | None]]:
    """Decoded strips per pair and path type, one decode call for all of them."""
    chunks = [path[k] for path in paths for k in PATH_TYPES if path[k] is not None]
    if not chunks:
        return [dict.fromkeys(PATH_TYPES) for _ in paths]
    images = np.asarray(decode(np.concatenate(chunks)))
    out, at = [], 0
    for path in paths:
        strips: dict[str, np.ndarray | None] = {}
        for k in PATH_TYPES:
            if path[k] is None:
                strips[k] = None
                continue
            strips[k] = images[at : at + len(path[k])]
            at += len(path[k])
        out.append(strips)
    return out
