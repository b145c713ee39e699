"""The report's functions on a small fabricated run: numbers, captions, links, provenance."""

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from zatlas import report as rp
from zatlas.analysis.headline import headline_table
from zatlas.stages.report import run as report_stage

REPO = Path(__file__).resolve().parents[2]
CAPTIONS = REPO / "workflow" / "report"

CONFIG = {
    "run": "fab",
    "seed": 1,
    "data": {"dataset": "synthetic"},
    "architecture": {"z_dim": 16},
    "models": {"ae": {"type": "ae"}, "vae": {"type": "vae", "kl_factor": 1.0e-5}},
}


# The files of each analysis that the headline table reads (as the compare stage does).
HEADLINE_PARTS = {
    "radius/summary.json": "radius",
    "axes/dominant.csv": "dominant",
    "axes/summary.json": "axes",
    "kmeans/summary.json": "kmeans",
    "vae_stats/stats.json": "vae_stats",
    "intrinsic_dim/summary.json": "intrinsic_dim",
}


def _headline(files, config=CONFIG) -> pd.DataFrame:
    """What the compare stage writes into compare.csv from these files."""
    parts = {m: {} for m in config["models"]}
    verdicts = []
    for f in map(Path, files):
        if f.name == "train.json":
            parts[f.parent.name]["train"] = json.loads(f.read_text())
        elif f.parts[-2:] == ("structure", "verdicts.csv"):
            verdicts.append(pd.read_csv(f))
        elif (part := HEADLINE_PARTS.get("/".join(f.parts[-2:]))) is not None:
            read = pd.read_csv if f.suffix == ".csv" else lambda p: json.loads(p.read_text())
            parts[f.parts[-3]][part] = read(f)
    together = pd.concat(verdicts, ignore_index=True) if verdicts else None
    return headline_table(config["models"], config["architecture"]["z_dim"], parts, together)


def _png(path: Path, size=(24, 16)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 30, 30)).save(path)
    return path


def _json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def run(tmp_path):
    """results/fab with the files of every stage for an AE and a VAE (no structure files)."""
    root = tmp_path / "results" / "fab"
    files = [
        _json(
            root / "data/prepare.json",
            {"n_images": 100, "image_size": 32, "splits": {"train": 80, "valid": 10}},
        )
    ]
    peaks = {"ae": 3.2, "vae": 4.1}
    for model, peak in peaks.items():
        m = root / "models" / model
        files += [
            _png(m / "history.png"),
            _csv(m / "history.csv", pd.DataFrame({"epoch": [1, 2], "loss": [3.0, 2.0]})),
            _json(
                m / "train.json",
                {
                    "model": model,
                    "devices": ["CPU:/physical_device:CPU:0"],
                    "epochs": 2,
                    "n_train": 80,
                    "seconds_this_run": 1.5,
                    "final": {"loss": 2.0, "val_reco_loss": 2.5 + peak},
                },
            ),
        ]
        a = root / "analysis" / model
        files += [
            _png(a / "radius/radius.png"),
            _csv(a / "radius/density.csv", pd.DataFrame({"center": [1.0], "count": [100]})),
            _json(
                a / "radius/summary.json",
                {
                    "model": model,
                    "z_dim": 16,
                    "gaussian_expectation": 4.0,
                    "peak": peak,
                    "mean": peak + 0.1,
                    "std": 0.3,
                    "shells": [{"low": 2.0, "high": 6.0, "fraction": 0.9}],
                },
            ),
            _png(a / "axes/all_axes.png"),
            _png(a / "axes/dominant_axes.png"),
            _csv(
                a / "axes/dominant.csv",
                pd.DataFrame(
                    {"axis": [5, 11], "center": [2.5, -1.0], "fwhm": [3.0, 8.0]}
                    if model == "ae"
                    else {"axis": [], "center": [], "fwhm": []}
                ),
            ),
            _png(a / "kmeans/kmeans.png"),
            _json(
                a / "kmeans/summary.json",
                {"model": model, "elbow_k": 6 if model == "ae" else 8, "per_k": [{"k": 2}]},
            ),
            _png(a / "tsne/z-n50-p10-ee12.png"),
            _csv(a / "tsne/z-n50-p10-ee12.csv", pd.DataFrame({"x": [0.0], "y": [1.0]})),
            _json(a / "tsne/z-n50-p10-ee12.json", {"model": model, "n_used": 50}),
        ]
    v = root / "analysis/vae/vae_stats"
    files += [
        _png(v / "vae_stats.png"),
        _csv(v / "stats.csv", pd.DataFrame({"metric": ["logvar_mean"], "value": [-9.5]})),
        _json(v / "stats.json", {"model": "vae", "logvar_mean": -9.5, "abs_z_minus_mu_max": 0.02}),
    ]
    # what the compare stage writes: the headline numbers of the files above
    headline = _headline(files)
    files += [
        _png(root / "compare/radius_overlay.png"),
        _csv(root / "compare/compare.csv", headline),
    ]
    source = _json(
        tmp_path / "resources/synthetic_n100_seed1/source.json",
        {"source": "synthetic", "n_images": 100, "md5": {"img_align_celeba.zip": "abc123"}},
    )
    bench = root / "benchmarks"
    for rule, job, s, rss in [("train", "ae", 12.5, 900.0), ("radius", "ae", 0.4, "-")]:
        (bench / rule).mkdir(parents=True, exist_ok=True)
        (bench / rule / f"{job}.tsv").write_text(
            f"s\th:m:s\tmax_rss\tcpu_time\n{s}\t0:00:{int(s):02d}\t{rss}\t{s}\n"
        )
    (source.parent / "acquire.benchmark.tsv").write_text("s\th:m:s\tmax_rss\n2.0\t0:00:02\t50\n")
    return {"root": root, "files": [str(f) for f in files], "source": str(source)}


class _Page(HTMLParser):
    """The parts of a page the tests look at: images, links, ids, figure-group captions."""

    def __init__(self):
        super().__init__()
        self.imgs, self.hrefs, self.ids, self.captions = [], [], set(), []
        self._stack, self._caption = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "figure":
            self._stack.append(a.get("class", ""))
        if tag == "figcaption" and self._stack and self._stack[-1] == "group":
            self._caption = []

    def handle_endtag(self, tag):
        if tag == "figcaption" and self._caption is not None:
            self.captions.append(" ".join("".join(self._caption).split()))
            self._caption = None
        if tag == "figure" and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._caption is not None:
            self._caption.append(data)


def _build(run, extra=()):
    out = run["root"] / "report" / "index.html"
    report_stage(
        config=CONFIG,
        figures=run["files"] + list(extra),
        captions=str(CAPTIONS),
        benchmarks=str(run["root"] / "benchmarks"),
        html=str(out),
        source=run["source"],
        repo=str(REPO),
    )
    page = _Page()
    text = out.read_text()
    page.feed(text)
    return out, text, page


def test_summary_has_the_headline_numbers_per_model(run):
    s = _headline(run["files"]).set_index("model")
    assert list(s.index) == ["ae", "vae"]
    assert s.loc["ae", "radius_peak"] == 3.2 and s.loc["ae", "sqrt_z_dim"] == 4.0
    assert s.loc["vae", "peak_over_sqrt_z_dim"] == pytest.approx(4.1 / 4.0)
    assert s.loc["ae", "n_dominant_axes"] == 2 and s.loc["vae", "n_dominant_axes"] == 0
    assert s.loc["ae", "dominant_axes"].startswith("5 (centre 2.50, FWHM 3.00), 11 ")
    assert s.loc["ae", "elbow_k"] == 6 and s.loc["vae", "elbow_k"] == 8
    assert s.loc["vae", "logvar_mean"] == -9.5 and s.loc["vae", "abs_z_minus_mu_max"] == 0.02
    assert math.isnan(s.loc["ae", "logvar_mean"])  # an AE has no logvar
    assert s.loc["vae", "val_reco_loss"] == pytest.approx(6.6)
    assert "structure_verdict" not in s  # no structure outputs: fine, no column
    lines = rp.findings(s.reset_index())
    assert "radius 3.2 (KDE mode, bin-free), 0.80 × √z_dim = 4" in lines[0]
    assert "2 dominant axes: 5, 11; axis centres and FWHM from a kernel density" in lines[0]
    assert "mean logvar -9.5" in lines[1] and "elbow at k = 8" in lines[1]


def test_the_summary_is_read_from_compare_csv_not_computed_again(run):
    table = Path(next(f for f in run["files"] if f.endswith("compare.csv")))
    planted = pd.read_csv(table)
    planted.loc[planted["model"] == "vae", "radius_peak"] = 12.345
    planted.to_csv(table, index=False)
    _, text, _ = _build(run)
    summary = text[text.index("id='summary'") : text.index("id='summary-table'")]
    assert "radius 12.3" in summary and "radius 4.1" not in summary


def test_page_shows_summary_every_figure_with_a_caption_and_only_working_links(run):
    out, text, page = _build(run)
    n_png = sum(f.endswith(".png") for f in run["files"])
    assert len(page.imgs) == n_png
    assert all(src.startswith("data:image/png;base64,") for src in page.imgs)
    # one caption under each row of figures (models side by side), none empty
    stems = {(rp.classify(f)[0], Path(f).stem) for f in run["files"] if f.endswith(".png")}
    assert len(page.captions) == len(stems) and all(len(c) > 40 for c in page.captions)
    assert any("dominant axes one by one" in c.lower() for c in page.captions)
    for href in page.hrefs:
        assert not re.match(r"^[a-z]+:", href), f"page needs a network: {href}"
        if href.startswith("#"):
            assert href[1:] in page.ids, href
        else:
            assert (out.parent / href).resolve().exists(), href
    assert "#summary" in page.hrefs and "#provenance" in page.hrefs
    # summary numbers and provenance
    assert ">3.2<" in text and ">1.025<" in text and "-9.5" in text
    assert "abc123" in text and "CPU:/physical_device:CPU:0" in text
    assert "Structure against" not in text


def test_structure_verdicts_reach_the_summary_when_present(run):
    verdicts = pd.DataFrame(
        {
            "model": ["vae", "vae", "vae"],
            "statistic": ["clumping", "holes", "overall"],
            "null": ["elliptical", "smoothed marginal", "all of the above"],
            "p_value": [1e-4, 1.0, 1e-4],
            "n_tests": [2, 2, 2],
            "verdict": ["clumping"] + ["consistent with the null"] + ["clumping"],
        }
    )
    path = _csv(run["root"] / "analysis/vae/structure/verdicts.csv", verdicts)
    s = _headline([*run["files"], path]).set_index("model")
    assert s.loc["vae", "structure_verdict"] == "clumping"
    assert pd.isna(s.loc["ae", "structure_verdict"])
    # found on disk even when the rule's input list does not name it
    _, text, page = _build(run)
    assert "Structure verdicts, each against its null" in text
    assert "Bonferroni-corrected for 2 tests per model" in text and "structure" in page.ids
    # the per-window void tests are counted in `overall`, not listed in the summary
    assert "smoothed marginal" not in text.split("Structure verdicts")[1].split("</table>")[0]


def test_captions_exist_for_every_report_figure_and_render_cleanly():
    from docutils.core import publish_parts

    from zatlas.captions import captions_of
    from zatlas.registry import report_stages

    # the rules' figures (Snakemake's report) find their caption as our report does
    rules = "\n".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    figures = re.findall(r'figure\(\s*f?"([^"]+\.png)"', rules)
    assert len(figures) >= 20
    for path in figures:
        topic, _ = rp.classify(path.replace("{{", "{").replace("}}", "}"))
        assert rp.read_caption(CAPTIONS, topic, Path(path).stem), path
    # every caption, the report's own sections' and every stage's
    texts = [
        (CAPTIONS / name).read_text() for name in sorted(p.name for p in CAPTIONS.glob("*.rst"))
    ]
    for s in report_stages():
        section, files = captions_of(s.name)
        texts += [section, *files.values()]
    for text in texts:
        text = re.sub(r"\{\{.*?\}\}", "x", text)  # Snakemake fills in its Jinja first
        # halt on any docutils warning, e.g. |z - mu| read as a substitution reference
        publish_parts(text, writer="html", settings_overrides={"halt_level": 2})
    assert rp.read_caption(CAPTIONS, "axes", "all_axes") != rp.read_caption(CAPTIONS, "axes")
    assert rp.read_caption(CAPTIONS, "tsne", "z-n50-p10-ee12") == rp.read_caption(CAPTIONS, "tsne")
    assert rp.read_caption(CAPTIONS, "no_such_topic") == ""


def test_provenance_tables(run, tmp_path):
    arts = rp.artifacts(run["files"])
    bench = sorted(str(p) for p in (run["root"] / "benchmarks").glob("**/*.tsv"))
    acquire = str(Path(run["source"]).parent / "acquire.benchmark.tsv")
    prov = rp.provenance(CONFIG, [acquire, *bench], run["source"], arts, repo=tmp_path)
    jobs = prov["benchmarks"]
    assert jobs["rule"].tolist() == ["acquire", "train", "radius"]  # DAG order
    assert jobs["job"].tolist() == ["synthetic_n100_seed1", "ae", "ae"]
    assert jobs["seconds"].tolist() == [2.0, 12.5, 0.4]
    assert math.isnan(jobs["peak_rss_mb"].iloc[2])  # "-" when too short to measure
    rules = prov["rules"].set_index("rule")
    assert rules.loc["train", "peak_rss_mb"] == 900.0 and rules.loc["train", "jobs"] == 1
    src = dict(zip(prov["source"]["quantity"], prov["source"]["value"], strict=True))
    assert src["md5.img_align_celeba.zip"] == "abc123" and src["source"] == "synthetic"
    assert prov["devices"]["devices"].tolist() == ["CPU:/physical_device:CPU:0"] * 2
    assert prov["git_commit"].startswith("unknown") and prov["git_dirty"] is None
    for pkg in ("python", "tensorflow", "keras", "numpy", "scikit-learn", "openTSNE", "snakemake"):
        assert prov["versions"][pkg] != "not installed"
    assert rp.data_source(tmp_path / "missing.json").empty


def test_large_scatter_figures_are_embedded_compactly(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)
    path = tmp_path / "scatter.png"
    Image.fromarray(pixels).save(path)
    raw = path.read_bytes()
    assert len(raw) > rp.COMPACT_MIN_BYTES
    small = rp.png_bytes(path, compact=True)
    assert len(small) < len(raw) / 2
    with Image.open(path) as a, Image.open(__import__("io").BytesIO(small)) as b:
        assert a.size == b.size
    assert rp.png_bytes(path, compact=False) == raw


def test_classify_paths():
    assert rp.classify("results/r/analysis/ae/radius/radius.png") == ("radius", "ae")
    assert rp.classify("results/r/analysis/vae/structure/null/nn.png") == ("structure", "vae")
    assert rp.classify("results/r/models/ae/history.png") == ("train", "ae")
    assert rp.classify("results/r/compare/compare.csv") == ("compare", "all models")
    assert rp.classify("results/r/data/prepare.json") == ("prepare", "")


def test_the_explorer_section_links_its_page(tmp_path):
    root = tmp_path / "results" / "fab"
    summary = _json(root / "explore/summary.json", {"thumbnails": 12, "sheets": 1})
    (root / "explore/index.html").write_text("<html></html>")
    assert rp.classify(summary) == ("explore", "all models")
    out = root / "report" / "index.html"
    rp.build_report(CONFIG, [str(summary)], str(CAPTIONS), [], str(out))
    page = out.read_text()
    section = page[page.index("id='explore'") :]
    link = re.search(r"href='([^']+)'>Open the interactive explorer", section).group(1)
    assert link == "../explore/index.html" and (out.parent / link).is_file()


def test_provenance_says_when_the_data_is_a_subset_or_a_folder(tmp_path):
    import json

    from zatlas.report.provenance import data_headline, data_source

    record = tmp_path / "source.json"
    record.write_text(
        json.dumps(
            {
                "dataset": "celeba",
                "source": "local",
                "subset": True,
                "n_images": 12,
                "official_n_images": 202599,
                "splits": {"train": 10, "valid": 1, "test": 1},
            }
        )
    )
    assert data_headline(data_source(record)) == (
        "A subset of CelebA: 12 of the 202,599 official images (train 10, valid 1, test 1), "
        "each verified; the results describe this subset, not the whole of CelebA."
    )
    record.write_text(
        json.dumps(
            {
                "source": "folder",
                "path": "/data/faces",
                "n_images": 2000,
                "total_bytes": 1234567,
                "content_hash": "ab" * 32,
            }
        )
    )
    assert data_headline(data_source(record)).startswith(
        "Your own images: 2,000 images (1,234,567 bytes) from /data/faces, content hash abab"
    )
    record.write_text(json.dumps({"source": "gdrive", "n_images": 202599}))
    assert data_headline(data_source(record)) is None


def test_scorecard_section_sets_our_numbers_beside_the_blogs(run):
    from zatlas.report.scorecard import headlines

    root = run["root"]
    axes = _json(
        root / "analysis/ae/axes/summary.json",
        {
            "model": "ae",
            "scale": "relative",
            "unit": 0.5,
            "median_axis_std": 0.5,
            "median_fwhm": 2.75,
        },
    )
    files = run["files"] + [str(axes)]
    # the compare stage writes the summary table into compare.csv; the card reads it there
    table = _headline(files)
    table.to_csv(root / "compare/compare.csv", index=False)
    numbers = headlines(rp.artifacts(files))
    assert numbers["ae"]["radius_peak"] == 3.2 and numbers["ae"]["n_dominant_axes"] == 2
    assert numbers["ae"]["final_loss"] == 2.0 and numbers["ae"]["elbow_k"] == 6
    assert numbers["ae"]["dominant_fwhm_median"] == 5.5  # median of 3 and 8
    assert numbers["ae"]["dominant_width_ratio"] == 2.0 and numbers["ae"]["scale"] == "relative"
    assert numbers["vae"]["logvar_mean"] == -9.5 and numbers["vae"]["abs_z_minus_mu_max"] == 0.02
    _, text, page = _build(run, [str(axes)])
    assert "scorecard" in page.ids and "#scorecard" in page.hrefs
    section = text[text.index("id='scorecard'") : text.index("<h2", text.index("id='scorecard'"))]
    # a synthetic run is not a reproduction: the card says which settings differ
    assert "not a reproduction" in section and "data.dataset" in section
    assert "16.5 to 16.75" in section and "-13.3" in section  # 3.2 - 16.5
    assert "<b>relative</b>" in section and "ae 0.5" in section
