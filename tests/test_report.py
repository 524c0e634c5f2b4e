"""The HTML report: figures are byte-stable, texts from data stay text, and a real browser loads it."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rewrite_bench.report import Items, heatmap_png, recall_at_k_png, roc_png, write_report
from conftest import typed_result

SCRIPT_TEXT = '<script>document.title="pwned"</script> & a spun copy'
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _items(n: int = 40) -> Items:
    rows = [{"id": f"item-{i:03d}", "label": i % 2, "original": f"original text {i}",
             "candidate": f"{SCRIPT_TEXT} {i}" if i % 2 else f"candidate text {i}"} for i in range(n)]
    return Items.from_rows(rows, ("original", "candidate"), unseen={"moby-spin"})


def _scores(seed: int, labels: np.ndarray, separation: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=len(labels)) + separation * labels


def _record(tmp: Path, slug: str, items: Items, scores: np.ndarray, auroc: float, *, task: str = "pair",
            fingerprint: str = "fp-pair", ranks: np.ndarray | None = None) -> dict:
    """A results record as `bench eval` writes it (JSON + predictions with their sha256), on synthetic items."""
    folder = tmp / "results" / slug
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps({"id": i, "score": float(s), **({"rank_of_source": int(r)} if ranks is not None else {})})
                    + "\n" for i, s, r in zip(items.ids, scores, ranks if ranks is not None else scores))
    (folder / f"{task}.predictions.jsonl").write_text(lines)
    main = "mrr" if ranks is not None else "auroc"
    slices = [{"slice": "rewriter", "value": "wordnet-spin", main: auroc - 0.05, "n_positive": 10, "n_negative": 20},
              {"slice": "rewriter", "value": "moby-spin", main: auroc - 0.2, "n_positive": 10, "n_negative": 20},
              {"slice": "negative_kind", "value": "same-topic", main: auroc - 0.1, "n_positive": 20, "n_negative": 10}]
    metrics = ({"mrr": auroc, "mrr_ci95": [auroc - 0.1, auroc + 0.05], "recall_at_1": 0.5, "recall_at_10": 0.9,
                "auroc_has_source": 0.8} if ranks is not None else
               {"auroc": auroc, "auroc_ci95": [auroc - 0.05, auroc + 0.05], "ap": 0.7, "tpr_at_1pct_fpr": 0.1,
                "tpr_at_5pct_fpr": 0.3, "f1": 0.6, "accuracy": 0.65})
    record = {"task": {"name": task, "version": "1.0", "split": "test", "fingerprint": fingerprint, "main_score": main},
              "data": {"max_originals": None}, "limited": False,
              "model": {"name": slug, "args": {}, "slug": slug, "trained_on_benchmark": False},
              "n": {"positive": 20, "negative": 20}, "metrics": metrics, "slices": slices,
              "predictions": {"file": f"{task}.predictions.jsonl",
                              "sha256": hashlib.sha256(lines.encode()).hexdigest()},
              "_path": str(folder / f"{task}.json")}
    if ranks is not None:
        record["retrieval"] = {"method": "index+search", "k": 100, "pool_size": 40}
    return typed_result(record)


@pytest.fixture()
def site(tmp_path):
    """A report on three pair models, one retrieval model and one result made on other data."""
    items = _items()
    records = [_record(tmp_path, slug, items, _scores(n, items.labels, sep), auroc)
               for n, (slug, sep, auroc) in enumerate([("strong", 3.0, 0.95), ("weak", 0.5, 0.62),
                                                       ("middle", 1.5, 0.8)])]
    ranks = np.where(items.labels == 1, np.arange(len(items.ids)) % 7, 0)
    records.append(_record(tmp_path, "bm25", items, _scores(9, items.labels, 1.0), 0.7, task="retrieve",
                           fingerprint="fp-retrieve", ranks=ranks))
    records.append(_record(tmp_path, "stale", items, _scores(5, items.labels, 1.0), 0.9, fingerprint="fp-old"))

    def items_for(record):
        return "made on other data" if record.task.fingerprint == "fp-old" else items

    summary = write_report(records, tmp_path / "site", items_for=items_for, realism_png=roc_png(
        [("x", items.labels, _scores(1, items.labels, 1.0))], "stand-in realism map"),
        track_lines=["## Validity: a section", "", "Some text with <b>markup</b>.", "",
                     "| track | rho |", "|---|---|", "| `t` | 0.5 |"])
    return summary, records, items_for


def test_page_lists_every_model_and_leaves_out_other_data(site):
    summary, _, _ = site
    html = summary.index.read_text()
    assert summary.figures == ["pair-heatmap.png", "pair-roc.png", "realism.png", "retrieve-heatmap.png",
                               "retrieve-recall.png", "retrieve-roc.png"]
    pair = html.split('id="pair-table"')[1].split("</table>")[0]
    # Ranked by AUROC, best first, with the leaderboard's cells.
    assert re.findall(r"<tr><td>\d+</td><td>([a-z0-9-]+)</td>", pair) == ["strong", "middle", "weak"]
    assert "0.950 [0.900, 1.000]" in pair
    assert len(summary.skipped) == 1 and "stale" in summary.skipped[0] and "made on other data" in html
    # Every image the page names is a written, decodable PNG.
    from PIL import Image

    for src in re.findall(r'<img src="([^"]+)"', html):
        with Image.open(summary.index.parent / src) as image:
            assert image.format == "PNG" and min(image.size) > 100
    # The worst positive of the weakest model is shown with its id and score.
    assert "positive, scored low" in html and "negative, scored high" in html


def test_texts_from_data_are_escaped(site):
    summary, _, _ = site
    html = summary.index.read_text()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt; &amp; a spun copy" in html
    assert "&lt;b&gt;markup&lt;/b&gt;" in html  # generated markdown stays text too
    assert "<td><code>t</code></td>" in html  # its `code` is shown as code


def test_report_is_byte_stable(site, tmp_path):
    summary, records, items_for = site
    again = write_report(records, tmp_path / "again", items_for=items_for, realism_png=(
        summary.index.parent / "realism.png").read_bytes(), track_lines=["## Validity: a section", "",
                                                                       "Some text with <b>markup</b>.", "",
                                                                       "| track | rho |", "|---|---|", "| `t` | 0.5 |"])
    for name in [*summary.figures, "index.html"]:
        assert (summary.index.parent / name).read_bytes() == (again.index.parent / name).read_bytes(), name
    png = (summary.index.parent / "pair-roc.png").read_bytes()
    assert b"Software" not in png and b"tIME" not in png and b"Creation" not in png


def test_figures_are_pure_functions():
    labels = np.array([0, 1] * 50)
    scores = _scores(3, labels, 1.0)
    assert roc_png([("a", labels, scores)], "t") == roc_png([("a", labels, scores)], "t")
    assert roc_png([("a", labels, scores)], "t") != roc_png([("a", labels, -scores)], "t")
    assert recall_at_k_png([("a", np.array([1, 2, 0, 50]))], "r")[:8] == b"\x89PNG\r\n\x1a\n"
    record = typed_result({"task": {"name": "pair", "main_score": "auroc", "fingerprint": "f"}, "metrics": {"auroc": 0.9},
                           "model": {"name": "m", "slug": "m"}, "n": {"positive": 1, "negative": 1},
                           "slices": [{"slice": "strength", "value": "heavy", "auroc": 0.7}]})
    assert heatmap_png([record], "h") == heatmap_png([record], "h")


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(profile)})


#: A test-only page that loads the report in a frame and writes, as text, what the browser made of
#: it: each image's natural size (0 when it failed to load), the rows of each table, the script
#: elements, and the example texts that contain "<script>". The report itself has no script.
_HARNESS = """<!DOCTYPE html><html><body><pre id="result">not loaded</pre>
<iframe src="{src}" width="1280" height="3000" onload="
var d = this.contentDocument, all = function (q) {{ return Array.prototype.slice.call(d.querySelectorAll(q)); }};
document.getElementById('result').textContent = JSON.stringify({{
  images: all('img').map(function (i) {{ return [i.getAttribute('src'), i.complete, i.naturalWidth]; }}),
  tables: all('table.leaderboard').map(function (t) {{ return [t.id, t.tBodies[0].rows.length]; }}),
  scripts: d.getElementsByTagName('script').length,
  title: d.title,
  script_texts: all('.text').filter(function (e) {{ return e.textContent.indexOf('<script>') >= 0; }}).length
}});"></iframe></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium; "
                                             ".ci/run installs it)")
def test_report_in_a_real_browser(site, tmp_path):
    from PIL import Image, ImageStat

    summary, _, _ = site
    harness = tmp_path / "harness.html"
    harness.write_text(_HARNESS.format(src=summary.index.resolve().as_uri()))
    done = _chromium("--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
                     harness.resolve().as_uri(), profile=tmp_path / "profile-dom")
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert found, f"chromium gave no DOM (exit {done.returncode}): {done.stderr[-2000:]}"
    seen = json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert len(seen["images"]) == 6 and all(ok and width > 0 for _, ok, width in seen["images"]), seen["images"]
    assert seen["tables"] == [["pair-table", 3], ["retrieve-table", 1]]
    assert seen["scripts"] == 0 and seen["title"] == "RewriteBench report"
    # Every positive's text has "<script>": the 5 worst positives of each of the 4 models show it, as text.
    assert seen["script_texts"] == 20

    shot = tmp_path / "page.png"
    done = _chromium(f"--screenshot={shot}", "--window-size=1280,3000", "--hide-scrollbars",
                     summary.index.resolve().as_uri(), profile=tmp_path / "profile-shot")
    assert shot.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    with Image.open(shot) as image:
        assert image.size == (1280, 3000)
        # Not blank: the figures and tables put many distinct colours on the page.
        top = image.convert("RGB").crop((0, 0, 1280, 1500))
        assert max(ImageStat.Stat(top).stddev) > 20 and len(top.getcolors(1 << 20) or []) > 200


@pytest.mark.slow
def test_report_on_the_committed_results(tmp_path, capsys):
    """`bench report` on results/ with the default build: every result shown, nothing left out, and (where
    Chromium is installed) every image loads in the browser."""
    from rewrite_bench.cli import main
    from rewrite_bench.leaderboard import eligible
    from rewrite_bench.results import load_results

    root = Path(__file__).resolve().parents[1]
    assert main(["report", "--results", str(root / "results"), "--out", str(tmp_path / "site")]) == 0
    out, err = capsys.readouterr()
    assert "left out" not in err and "wrote" in out
    html = (tmp_path / "site" / "index.html").read_text()
    records = [r for r in load_results(root / "results") if eligible(r)]
    for task in ("pair", "detect", "retrieve"):
        table = html.split(f'id="{task}-table"')[1].split("</table>")[0]
        assert table.count("<tr><td>") == sum(r.task.name == task for r in records)
    assert 'id="validity"' in html and 'src="realism.png"' in html
    if CHROMIUM is not None:
        harness = tmp_path / "harness.html"
        harness.write_text(_HARNESS.format(src=(tmp_path / "site" / "index.html").resolve().as_uri()))
        done = _chromium("--allow-file-access-from-files", "--virtual-time-budget=20000", "--dump-dom",
                         harness.resolve().as_uri(), profile=tmp_path / "profile")
        seen = json.loads(re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S).group(1)
                          .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        assert len(seen["images"]) >= 10 and all(ok and width > 0 for _, ok, width in seen["images"])


def test_realism_map_is_the_builds_png(tmp_path):
    from types import SimpleNamespace

    from rewrite_bench.realism import RealismPoint, plot_realism_map
    from rewrite_bench.report import build_report

    build = tmp_path / "build"
    build.mkdir()
    plot_realism_map([RealismPoint("wordnet-spin", s, c, 1 - c, 0.95) for s, c in (("light", 0.1), ("heavy", 0.4))],
                     build / "realism.png")
    data = SimpleNamespace(path=build, info={}, task_fingerprints={})
    summary = build_report([], tmp_path / "site", data, with_tracks=False)
    assert summary.figures == ["realism.png"] and 'src="realism.png"' in summary.index.read_text()
    assert (tmp_path / "site" / "realism.png").read_bytes() == (build / "realism.png").read_bytes()
