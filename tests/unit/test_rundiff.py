"""Two runs compared file by file: the numbers count, the machine's timings do not."""

import json

import pandas as pd

from zatlas import rundiff


def write(root, rel, content):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if rel.endswith(".json"):
        path.write_text(json.dumps(content))
    else:
        pd.DataFrame(content).to_csv(path, index=False)


def test_differences_found_and_timings_ignored(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root, kl, secs, recall in ((a, 2.25, 1.0, [0.5, 0.7]), (b, 2.25, 9.0, [0.5, 0.75])):
        write(
            root,
            "analysis/ae/tsne/summary.json",
            {
                "kl": kl,
                "seconds": secs,
                "threads": 1,
                "images_per_second": 9 / secs,
                "epoch_seconds": [secs],
            },
        )
        write(root, "analysis/ae/tsne/recall.csv", {"recall": recall, "wall_s": [secs, secs]})
        write(root, "analysis/ae/pca/summary.json", {"vals": [1.0, float("nan")], "n": 3})
        write(root, "benchmarks/tsne/ae.csv", {"s": [secs]})  # the machine's record
    write(a, "analysis/ae/umap/summary.json", {"x": 1})
    table = rundiff.compare_runs(a, b).set_index("file")
    assert table.loc["analysis/ae/tsne/summary.json", "status"] == "same"
    assert table.loc["analysis/ae/pca/summary.json", "status"] == "same"  # NaN == NaN
    row = table.loc["analysis/ae/tsne/recall.csv"]
    assert row["status"] == "differs" and row["values_differ"] == 1
    assert abs(row["largest_difference"] - 0.05) < 1e-12
    assert table.loc["analysis/ae/umap/summary.json", "status"] == "only in a"
    assert not any("benchmarks" in f for f in table.index)
    assert rundiff.main([str(a), str(b)]) == 1
    assert rundiff.main([str(a / "analysis/ae/pca"), str(b / "analysis/ae/pca")]) == 0


def test_nested_lists_and_missing_keys(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "s.json", {"variants": [{"recall": 0.2, "seconds": 3}, {"recall": 0.4}]})
    write(b, "s.json", {"variants": [{"recall": 0.2, "seconds": 5}, {"recall": 0.4, "x": 1}]})
    assert rundiff.compare_files(a / "s.json", b / "s.json") == (1, 0.0)
