"""Models zatlas did not train: every latent format, the checks made when the config is
parsed (each bad input named, nothing written beside the user's files), the ONNX decoder,
rows matched by id, the stage plan, and categorical metadata."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SCHEMA
from tests.external_fixture import onnx_decoder, planted_latents
from zatlas.config import n_available, validate_config
from zatlas.errors import ConfigError, ZatlasError
from zatlas.external.sources import open_source

N, D = 64, 6


@pytest.fixture
def user(tmp_path, monkeypatch):
    """The user's folder of files, and a separate working directory (Snakemake's)."""
    mine = tmp_path / "mine"
    mine.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return mine


def config(models, data=None, **analysis):
    return {
        "data": data or {"dataset": "synthetic", "n_images": N, "image_size": 16},
        "architecture": {"z_dim": 4, "filters": [8, 8]},
        "models": models,
        "analysis": {
            "pca": {"planes": [[1, 2]]},
            "tsne": {"n_points": [N], "params": [{"perplexity": 5}], "pca_components": [2]},
            "kmeans": {"k_min": 2, "k_max": 4},
            "attributes": {"k": 3},
            "intrinsic_dim": {"mle_k": [5]},
            **analysis,
        },
    }


def external(z, **more):
    return {"ext": {"type": "external", "z": str(z), **more}}


def check(cfg):
    return validate_config(cfg, SCHEMA)


# -- formats ---------------------------------------------------------------------------


def test_npy_is_memory_mapped_and_read_in_blocks(user):
    z = planted_latents(N, D)
    np.save(user / "z.npy", z)
    src = open_source(str(user / "z.npy"), "models.ext.z")
    assert src.shape == (N, D) and isinstance(src.array(), np.memmap)
    blocks = list(src.blocks(block_rows=10))
    assert [s for s, _ in blocks] == list(range(0, N, 10))
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), z)


def test_npz_by_key_and_its_only_array(user):
    z = planted_latents(N, D)
    np.savez(user / "two.npz", z=z, other=z[:3])
    np.savez(user / "one.npz", latents=z)
    got = open_source(f"{user / 'two.npz'}:z", "k").array()
    np.testing.assert_array_equal(got, z)
    np.testing.assert_array_equal(open_source(str(user / "one.npz"), "k").array(), z)
    with pytest.raises(ZatlasError, match=r"name the array .*\['z', 'other'\]"):
        open_source(str(user / "two.npz"), "k")


def test_parquet_list_column_and_one_column_per_dimension(user):
    z = planted_latents(N, D)
    pd.DataFrame({"id": [f"r{i}" for i in range(N)], "emb": list(z)}).to_parquet(user / "l.pq")
    wide = pd.DataFrame(z, columns=[f"d{j}" for j in range(D)])
    wide.insert(0, "name", "x")  # a text column is not a dimension
    wide.to_parquet(user / "w.parquet")
    for spec in (str(user / "l.pq"), f"{user / 'l.pq'}:emb", str(user / "w.parquet")):
        src = open_source(spec, "k")
        assert src.shape == (N, D)
        np.testing.assert_array_equal(np.concatenate([b for _, b in src.blocks(7)]), z)


def test_ragged_parquet_list_names_the_row(user):
    rows = [[1.0, 2.0], [3.0, 4.0], [5.0]]
    pd.DataFrame({"emb": rows}).to_parquet(user / "r.parquet")
    src = open_source(str(user / "r.parquet"), "models.ext.z")
    with pytest.raises(ZatlasError, match=r"row 2 has 1 values, row 0 has 2"):
        list(src.blocks())


def test_projector_tsv_pair(user):
    z = planted_latents(N, D)
    np.savetxt(user / "vectors.tsv", z, delimiter="\t", fmt="%.9g")
    pd.DataFrame({"word": [f"w{i}" for i in range(N)], "pos": ["noun", "verb"] * (N // 2)}).to_csv(
        user / "metadata.tsv", sep="\t", index=False
    )
    src = open_source(str(user / "vectors.tsv"), "k")
    assert src.shape == (N, D)
    np.testing.assert_array_equal(src.array(), z)
    cfg = check(
        config(
            external(user / "vectors.tsv"),
            {"dataset": "none", "metadata": str(user / "metadata.tsv")},
        )
    )
    assert n_available(cfg) == N
    # categories colour the scatters by default in a run without images
    assert cfg["analysis"]["attributes"]["color_by"] == ["word", "pos"]


@pytest.mark.parametrize(
    "text, match",
    [
        ("1\t2\n3\t4\t5\n", r"line 2: 3 values, the first line has 2"),
        ("1\t2\n3\tcat\n", r"row 1: 'cat' is not a number"),
    ],
)
def test_bad_text_rows_are_named(user, text, match):
    (user / "v.tsv").write_text(text)
    with pytest.raises(ZatlasError, match=match):
        open_source(str(user / "v.tsv"), "k").array()


# -- checks at parse time ----------------------------------------------------------------


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda z: z.reshape(N, 2, 3), r"shape \(64, 2, 3\); expected a 2-D array"),
        (lambda z: z[:1], r"has 1 row\(s\); at least 2"),
        (lambda z: np.repeat(z[:1], N, 0), r"all 64 rows are the same point"),
        (lambda z: z.astype("U8"), r"holds <U8 values; expected numbers"),
        (lambda z: z[:-1], r"has 63 rows but the data set \(synthetic\) has 64 images"),
        # ragged rows saved as an object array (never unpickled)
        (lambda z: np.array([[1.0, 2.0], [3.0]], dtype=object), r"cannot read .*z\.npy"),
    ],
)
def test_bad_arrays_stop_at_parse_time(user, make, match):
    np.save(user / "z.npy", make(planted_latents(N, D)))
    before = _listing(user)
    with pytest.raises(ConfigError, match=match):
        check(config(external(user / "z.npy")))
    assert _listing(user) == before


def test_non_finite_rows_are_named(user):
    z = planted_latents(N, D)
    z[5, 1], z[40, 0] = np.nan, np.inf
    np.save(user / "z.npy", z)
    with pytest.raises(ConfigError, match=r"in 2 row\(s\): rows 5, 40 \(0-based\)"):
        check(config(external(user / "z.npy")))
    assert _listing(user) == ["z.npy"]


def test_duplicates_and_constant_dimensions_warn(user, capsys):
    z = planted_latents(N, D)
    z[10] = z[3]
    z[11] = z[3]
    z[:, 4] = 2.5
    np.save(user / "z.npy", z)
    check(config(external(user / "z.npy")))
    err = capsys.readouterr().err
    assert "2 of 64 rows repeat an earlier row (the most repeated is row 3, 3 times)" in err
    assert "1 of 6 dimensions are constant (dimensions 4)" in err


def test_scan_is_cached_and_redone_when_the_file_changes(user, monkeypatch):
    from zatlas.external import checks

    scanned = []
    real = checks.scan
    monkeypatch.setattr(checks, "scan", lambda src: scanned.append(src.path) or real(src))
    z = planted_latents(N, D)
    np.save(user / "z.npy", z)
    check(config(external(user / "z.npy")))
    check(config(external(user / "z.npy")))
    assert len(scanned) == 1  # the second parse reads the cache
    assert checks.CACHE.is_file()  # in the working directory, not beside the user's file
    z[7, 2] = np.nan
    np.save(user / "z.npy", z)
    with pytest.raises(ConfigError, match=r"rows 7 "):
        check(config(external(user / "z.npy")))


@pytest.mark.parametrize(
    "extra, match",
    [
        ({"mu": "short"}, r"give both mu and logvar"),
        ({"mu": "short", "logvar": "z"}, r"mu': .*short.npy has shape \(60, 6\), .*\(64, 6\)"),
        ({"ids": "ids"}, r"ids\.txt lists 63 ids, .*z\.npy \(z\) has 64 rows"),
        ({"decoder": "wide"}, r"takes z of width 9, .*z\.npy \(z\) has width 6"),
        ({"decoder": "big"}, r"makes 32x32 images, the data set's are 16x16"),
    ],
)
def test_mismatched_companions_name_both_files(user, extra, match):
    z = planted_latents(N, D)
    np.save(user / "z.npy", z)
    np.save(user / "short.npy", z[:60])
    (user / "ids.txt").write_text("".join(f"{i}\n" for i in range(N - 1)))
    onnx_decoder(user / "wide.onnx", 9, 16)
    onnx_decoder(user / "big.onnx", D, 32)
    files = {
        "short": user / "short.npy",
        "z": user / "z.npy",
        "ids": user / "ids.txt",
        "wide": user / "wide.onnx",
        "big": user / "big.onnx",
    }
    more = {k: str(files[v]) for k, v in extra.items()}
    before = _listing(user)
    with pytest.raises(ConfigError, match=match):
        check(config(external(user / "z.npy", **more)))
    assert _listing(user) == before


def test_metadata_rows_must_match_and_none_trains_nothing(user):
    np.save(user / "z.npy", planted_latents(N, D))
    pd.DataFrame({"kind": ["a"] * (N + 1)}).to_csv(user / "m.csv", index=False)
    none = {"dataset": "none", "metadata": str(user / "m.csv")}
    with pytest.raises(ConfigError, match=r"m\.csv has 65 rows, .*z\.npy .* has 64"):
        check(config(external(user / "z.npy"), none))
    with pytest.raises(ConfigError, match=r"none \(no images\) cannot train \['ae'\]"):
        check(config({**external(user / "z.npy"), "ae": {"type": "ae"}}, {"dataset": "none"}))
    with pytest.raises(ConfigError, match=r"'models.ae': z belong to a model of type external"):
        check(config({"ae": {"type": "ae", "z": "x.npy"}}))


# -- decoder, ids, plan, categories ------------------------------------------------------


def test_rows_picked_by_id_from_a_larger_set(tmp_path):
    from zatlas.external.ingest import write_rows

    z = planted_latents(10, 3)
    np.save(tmp_path / "z.npy", z)
    write_rows(open_source(str(tmp_path / "z.npy"), "k"), tmp_path / "o.npy", np.array([7, 2, 5]))
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), z[[7, 2, 5]])


def test_onnx_decoder_channels_first_known_answer(tmp_path):
    from zatlas.decoders import load_decoder, static_shapes

    path = onnx_decoder(tmp_path / "d.onnx", 2, 4, seed=1)
    assert static_shapes(path) == (2, (4, 4, 3))
    dec = load_decoder(path)
    z = np.array([[0.0, 0.0], [1.0, -1.0]], np.float32)
    out = dec(z)
    assert out.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(out[0], 0.5, atol=1e-7)  # sigmoid(0)
    # pixel (y, x, c) of channels-first position (c, y, x): flat index c*16 + y*4 + x
    import onnx
    from onnx import numpy_helper

    w = numpy_helper.to_array(onnx.load(str(path)).graph.initializer[0])
    flat = 1 * 16 + 2 * 4 + 3
    expect = 1 / (1 + np.exp(-(w[0, flat] - w[1, flat])))
    assert out[1, 2, 3, 1] == pytest.approx(expect, abs=1e-6)


def test_ids_match_images_by_name_file_name_or_stem():
    from zatlas.external.ingest import match_ids

    images = ["a/000001.jpg", "a/000002.jpg", "b/000003.jpg"]
    order = match_ids(["000003", "000001.jpg", "a/000002.jpg"], images, "ids.txt", "img.pq")
    assert order.tolist() == [1, 2, 0]
    with pytest.raises(ZatlasError, match=r"1 of the 3 images of img.pq have no row in ids.txt"):
        match_ids(["000003", "000001", "x"], images, "ids.txt", "img.pq")
    # a model encoded on more images than the run uses: the extra rows are left out
    order = match_ids(["x", "000003", "y", "000001", "000002"], images, "ids.txt", "img.pq")
    assert order.tolist() == [3, 4, 1]
    with pytest.raises(ZatlasError, match=r"id '000003' is listed twice \(rows 0 and 2\)"):
        match_ids(["000003", "000001", "000003"], images, "ids.txt", "img.pq")


def test_plan_leaves_out_what_a_model_lacks():
    from zatlas.external.plan import plan

    cfg = {
        "data": {"dataset": "synthetic"},
        "models": {
            "ae": {"type": "ae"},
            "bare": {"type": "external", "z": "z.npy"},
            "full": {"type": "external", "z": "z", "mu": "m", "logvar": "l", "decoder": "d"},
        },
    }
    runs, left = plan(cfg, has_attributes=True)
    assert runs["traversals"] == ["ae", "full"] and runs["vae_stats"] == ["full"]
    assert runs["sampling"] == ["ae"] and runs["kl_sweep"] == ["ae"]
    assert runs["radius"] == ["ae", "bare", "full"]
    why = {(e["stage"], e["model"]): e["reason"] for e in left}
    assert why[("samples", "bare")] == "no decoder was given (models.bare.decoder)"
    assert ("samples", "full") not in why and ("train", "bare") not in why
    runs, left = plan({**cfg, "data": {"dataset": "none"}}, has_attributes=False)
    assert "samples" not in [s for s, m in [(e["stage"], e["model"]) for e in left] if m == "ae"]
    assert runs["attributes"] == [] and "full" not in runs["samples"]


def test_a_category_is_one_multiclass_label_with_a_known_nmi():
    from zatlas.analysis.attributes import attribute_nmi
    from zatlas.data.attributes import discrete_attributes

    kind = np.array(["cat", "dog", "eel"] * 40)
    score = np.arange(120, dtype=float)  # continuous: quartiles
    table = pd.DataFrame(
        {
            "image_id": [f"{i}" for i in range(120)],
            "kind": kind,
            "score": score,
            "name": [f"n{i}" for i in range(120)],
        }
    )
    labels = discrete_attributes(table)
    assert list(labels) == ["kind", "score"]  # a column of all-distinct names is no label
    assert labels["kind"].tolist() == kind.tolist()
    clusters = pd.Series(kind).map({"cat": 0, "dog": 1, "eel": 2}).to_numpy()
    nmi = attribute_nmi(clusters, labels).set_index("attribute")
    assert nmi.loc["kind", "nmi"] == pytest.approx(1.0, abs=1e-12)
    assert nmi.loc["kind", "n_classes"] == 3 and np.isnan(nmi.loc["kind", "positive_share"])
    assert nmi.loc["score", "n_classes"] == 4


def test_metadata_table_of_a_run_without_images(tmp_path):
    from zatlas.stages.metadata import build

    pd.DataFrame({"id": ["x", "y", "z"], "kind": ["a", "b", "a"], "v": ["1", "2.5", "3"]}).to_csv(
        tmp_path / "m.tsv", sep="\t", index=False
    )
    frame = build(str(tmp_path / "m.tsv"), None, 3)
    assert frame.columns.tolist() == ["image_id", "split", "kind", "v"]
    assert frame["image_id"].tolist() == ["x", "y", "z"] and frame["kind"].tolist() == [
        "a",
        "b",
        "a",
    ]
    assert frame["v"].dtype == np.float32 and frame["v"].tolist() == [1.0, 2.5, 3.0]


def test_keras_decoder_width_read_without_keras_and_run_through_the_interface(tmp_path):
    import keras

    from zatlas.decoders import load_decoder, static_shapes

    inp = keras.Input((3,), name="z")
    out = keras.layers.Reshape((2, 2, 3))(keras.layers.Dense(12, activation="sigmoid")(inp))
    model = keras.Model(inp, out)
    model.save(tmp_path / "d.keras")
    assert static_shapes(tmp_path / "d.keras") == (3, None)
    z = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    got = load_decoder(tmp_path / "d.keras")(z)
    np.testing.assert_allclose(got, np.asarray(model(z)), atol=1e-6)
    assert got.shape == (5, 2, 2, 3)


def test_with_ids_a_larger_z_passes_and_a_smaller_one_does_not(user):
    for rows, ok in ((N + 6, True), (N - 1, False)):
        np.save(user / "z.npy", planted_latents(rows, D))
        (user / "ids.txt").write_text("".join(f"{i + 1:06d}\n" for i in range(rows)))
        cfg = config(external(user / "z.npy", ids=str(user / "ids.txt")))
        if ok:
            check(cfg)
        else:
            with pytest.raises(ConfigError, match=r"63 rows but the data set \(synthetic\) has 64"):
                check(cfg)
