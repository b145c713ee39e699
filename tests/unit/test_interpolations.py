"""Interpolations on a planted half circle: the straight line crosses the void, the kNN-graph
path follows the arc, and the on-manifold score says so with known values."""

import numpy as np
import pytest

from zatlas.analysis import interpolations as ip
from zatlas.analysis.density import ManifoldScorer
from zatlas.errors import ZatlasError

N_ARC = 101
CHORD = 2 * np.sin(np.pi / (N_ARC - 1) / 2)  # spacing of neighbouring arc points


def half_circle(n=N_ARC):
    angle = np.linspace(0.0, np.pi, n)
    return np.stack([np.cos(angle), np.sin(angle), np.zeros(n)], axis=1)


def test_resample_polyline_is_even_in_arc_length():
    nodes = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(
        ip.resample_polyline(nodes, 5), [[0, 0], [0.5, 0], [1, 0], [1, 0.5], [1, 1]], atol=1e-6
    )
    np.testing.assert_allclose(ip.straight_line([0, 0], [2, 4], 3), [[0, 0], [1, 2], [2, 4]])


def test_graph_path_follows_the_arc_and_the_straight_line_crosses_the_void():
    ref = half_circle()
    graph = ip.knn_graph(ref, k=2)
    assert (graph != graph.T).nnz == 0
    nodes = ip.graph_path(graph, 0, N_ARC - 1)
    # along the arc in order (only the two ends may skip one point: their 2 neighbours are
    # both on one side), never across the void
    assert nodes[0] == 0 and nodes[-1] == N_ARC - 1 and (np.diff(nodes) > 0).all()
    assert len(nodes) >= N_ARC - 2

    paths = ip.interpolate_pairs(ref, np.array([[0, N_ARC - 1]]), graph, n_steps=21)
    scorer = ManifoldScorer(ref)
    scores = ip.score_paths(paths, scorer)
    straight = scores[scores["path"] == "straight"]["score"].to_numpy()
    graph_s = scores[scores["path"] == "graph"]["score"].to_numpy()
    # the middle of the diameter is the centre: distance 1 to every arc point
    assert straight[10] == pytest.approx(1.0 / CHORD, rel=1e-4)
    assert straight[0] == straight[-1] == 0.0
    # on a chord between neighbours the nearest arc point is at most half a chord away
    assert graph_s.max() <= 0.5 + 1e-6

    table = ip.pair_table(paths, scores).set_index("path")
    assert table.loc["straight", "length"] == pytest.approx(2.0, rel=1e-6)
    assert table.loc["graph", "length"] == pytest.approx(np.pi, rel=1e-3)
    assert table.loc["graph", "hops"] == len(nodes) - 1
    summary = ip.summary_table(scores, 1).set_index("path")
    assert summary.loc["straight", "score_max"] == pytest.approx(1.0 / CHORD, rel=1e-4)
    assert summary.loc["graph", "score_max"] <= 0.5 + 1e-6
    assert summary.loc["straight", "score_mean"] > 10 * summary.loc["graph", "score_mean"]


def test_disconnected_pairs_are_reported_not_invented():
    ref = np.concatenate([half_circle(11), half_circle(11) + [100.0, 0.0, 0.0]])
    graph = ip.knn_graph(ref, k=2)
    assert ip.graph_path(graph, 0, 20) is None
    paths = ip.interpolate_pairs(ref, np.array([[0, 20], [0, 10]]), graph, n_steps=5)
    scores = ip.score_paths(paths, ManifoldScorer(ref))
    table = ip.pair_table(paths, scores)
    assert table["connected"].tolist() == [True, False, True, True]
    summary = ip.summary_table(scores, 2).set_index("path")
    assert summary.loc["graph", "pairs"] == 1 and summary.loc["straight", "pairs"] == 2


def test_decode_paths_keeps_each_strip_with_its_pair_and_path():
    ref = half_circle(11)
    graph = ip.knn_graph(ref, k=2)
    paths = ip.interpolate_pairs(ref, np.array([[0, 10], [3, 5]]), graph, n_steps=4)
    calls = []

    def decode(z):  # one "image" per point: its own coordinates
        calls.append(len(z))
        return np.asarray(z)[:, None, None, :]

    strips = ip.decode_paths(decode, paths)
    assert calls == [16]
    np.testing.assert_allclose(strips[1]["graph"][:, 0, 0], paths[1]["graph"])
    np.testing.assert_allclose(strips[0]["straight"][:, 0, 0], paths[0]["straight"])


def test_pairs_are_seeded_distinct_and_bad_sizes_fail():
    a, b = ip.pick_pairs(50, 6, seed=3), ip.pick_pairs(50, 6, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (6, 2) and (a[:, 0] != a[:, 1]).all()
    with pytest.raises(ZatlasError, match="lower k"):
        ip.knn_graph(half_circle(5), k=5)
