"""The command line end to end, on the small build shared by the fast tests."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from rewrite_bench.cli import main
from conftest import SMALL


@pytest.fixture()
def run(small_cache, small_data, tmp_path, capsys):
    """Call ``bench`` in-process with the small build; returns (exit code, stdout, stderr)."""
    def _run(*argv: str):
        code = main([*argv, "--cache-dir", str(small_cache), "--max-originals", str(SMALL)]
                    if argv[0] in ("eval", "build") else list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err
    return _run


def test_help_is_light():
    # `bench --help` must not import the heavy libraries.
    code = ("import sys, rewrite_bench.cli as c\n"
            "try: c.main(['--help'])\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('datasets', 'torch', 'transformers', 'sklearn', 'evaluate') if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_list(run):
    code, out, _ = run("list")
    assert code == 0
    for name in ("pair", "random", "tfidf", "char-tfidf", "shingle", "wordnet-spin", "restructure", "paraphrase"):
        assert f"  {name} " in out
    assert "chains: any rewriters joined with '+'" in out and "paraphrase+web-noise" in out


def test_build_prints_fingerprint(run, small_data):
    code, out, _ = run("build")
    assert code == 0 and f"fingerprint: {small_data.fingerprint}" in out.splitlines()


def test_eval_writes_results_and_predictions(run, tmp_path, small_data):
    code, out, _ = run("eval", "--model", "tfidf", "--output-dir", str(tmp_path))
    assert code == 0
    result = json.loads((tmp_path / "tfidf" / "pair.json").read_text())
    for key in ("schema_version", "bench_version", "task", "model", "n", "metrics", "slices", "runtime_s"):
        assert key in result
    assert result["task"] | {} == {"name": "pair", "version": "1.3", "split": "test",
                                   "fingerprint": small_data.task_fingerprints["pair"], "main_score": "auroc",
                                   "shape": "scored"}
    lines = (tmp_path / "tfidf" / "pair.predictions.jsonl").read_text().splitlines()
    assert len(lines) == result["n"]["positive"] + result["n"]["negative"]
    assert set(json.loads(lines[0])) == {"id", "score"}
    assert "| pair | test |" in out and f"wrote {tmp_path / 'tfidf' / 'pair.json'}" in out


def test_eval_user_function(run, tmp_path, monkeypatch):
    (tmp_path / "spin_scorer.py").write_text(textwrap.dedent("""
        def score(originals, candidates):
            return [len(set(o.split()) & set(c.split())) / (1 + len(set(c.split()))) for o, c in zip(originals, candidates)]
        def broken(originals, candidates):
            return [0.5] * (len(originals) - 1)
    """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, _ = run("eval", "--model", "spin_scorer:score", "--output-dir", "out")
    assert code == 0 and (tmp_path / "out" / "spin_scorer_score" / "pair.json").exists()
    code, _, err = run("eval", "--model", "spin_scorer:broken", "--output-dir", "out2")
    assert code == 1 and "spin_scorer:broken" in err and "'pair'" in err
    assert not (tmp_path / "out2").exists()  # nothing written on a model error


def test_unknown_names_suggest(run, tmp_path):
    code, _, err = run("eval", "--model", "tfidff", "--output-dir", str(tmp_path))
    assert code == 2 and "Did you mean: tfidf" in err
    code, _, err = run("eval", "--model", "tfidf", "--task", "pairs", "--output-dir", str(tmp_path))
    assert code == 2 and "Did you mean: pair" in err
    assert not any(tmp_path.iterdir())


def test_limited_run_is_marked_and_left_out_of_leaderboard(run, tmp_path):
    code, _, _ = run("eval", "--model", "random", "--limit", "20", "--output-dir", str(tmp_path / "res"))
    assert code == 0
    result = json.loads((tmp_path / "res" / "random" / "pair.json").read_text())
    assert result["limited"] is True and result["n"]["positive"] + result["n"]["negative"] == 20
    code, _, _ = run("leaderboard", "--results", str(tmp_path / "res"), "--out", str(tmp_path / "lb.md"))
    text = (tmp_path / "lb.md").read_text()
    assert code == 0 and "do not edit by hand" in text and "| 1 | random" not in text


def test_eval_prints_weakest_slices_and_writes_its_report(run, tmp_path, small_cache):
    code, out, _ = run("eval", "--model", "shingle", "--task", "pair", "--output-dir", str(tmp_path / "res"))
    assert code == 0
    result = json.loads((tmp_path / "res" / "shingle" / "pair.json").read_text())
    big = [row for row in result["slices"] if row["slice"] != "all" and min(row["n_positive"], row["n_negative"]) >= 20]
    weakest = sorted(big, key=lambda row: row["auroc"])[:3]
    block = out.split("weakest slices")[1].splitlines()[1:4]
    assert [line.split(": ")[1] for line in block] == [f"{row['slice']} = {row['value']}" for row in weakest]
    page = tmp_path / "res" / "shingle" / "report" / "index.html"
    assert f"report: {page}" in out and "pair-roc.png" in page.read_text()
    assert (page.parent / "pair-roc.png").is_file() and (page.parent / "pair-heatmap.png").is_file()

    # bench report over the same results: the run is on the build it loads, so it is shown.
    code, out, err = run("report", "--results", str(tmp_path / "res"), "--out", str(tmp_path / "site"),
                         "--cache-dir", str(small_cache), "--max-originals", str(SMALL))
    assert code == 0 and "left out" not in err and (tmp_path / "site" / "index.html").is_file()
    assert 'id="pair-table"' in (tmp_path / "site" / "index.html").read_text()
    assert "open it in a browser: file://" in out
    code, _, _ = run("eval", "--model", "random", "--task", "pair", "--no-report", "--output-dir", str(tmp_path / "res"))
    assert code == 0 and not (tmp_path / "res" / "random" / "report").exists()


def test_a_closed_pipe_ends_bench_quietly():
    # `bench list | head -1`: the reader has gone. Here stdout is a pipe whose reading end is
    # already closed, so the first flush fails for certain: no traceback, exit status 141.
    import subprocess
    import sys

    probe = ("import os, sys\n"
             "read, write = os.pipe(); os.close(read); os.dup2(write, 1)\n"
             "from rewrite_bench.cli import main\n"
             "sys.exit(main(['list']))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 141 and "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr
