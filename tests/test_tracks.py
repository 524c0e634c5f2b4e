"""Real-world tracks: the vendored data, the adapters, ``bench eval --track`` and its errors."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import rewrite_bench
from rewrite_bench.cli import main
from rewrite_bench.tracks import REALDATA, TRACKS, clough_decoding, load_track, resolve_tracks, track_fingerprint, track_rows
from rewrite_bench.types import BenchError


def _counts(track: str, split: str) -> Counter:
    return Counter((row.label, row.kind) for row in track_rows(TRACKS[track], split))


# --------------------------------------------------------------------------- vendored data and adapters


def test_the_data_is_package_data_with_a_readme_per_source():
    assert REALDATA.parent == Path(rewrite_bench.__file__).parent
    for track in TRACKS.values():
        readme = (track.path / "README.md").read_text(encoding="utf-8")
        assert "Citation" in readme and "Licence" in readme and "commit" in readme and track.name in readme
    assert (REALDATA / "SOURCES.md").is_file()


def test_clough_rows_as_in_sources_md():
    # SOURCES.md: 19 cut, 19 light, 19 heavy (derived) and 38 non (not derived); 5 originals.
    assert _counts("clough-stevenson", "all") == {(1, "cut"): 19, (1, "light"): 19, (1, "heavy"): 19, (0, "non"): 38}
    rows = track_rows(TRACKS["clough-stevenson"], "all")
    assert len({row.id for row in rows}) == 95 and rows[0].id == "clough-g0pA_taska"
    assert len({row.original for row in rows}) == 5
    # Each answer is paired with its own task's original.
    task_a = (TRACKS["clough-stevenson"].path / "orig_taska.txt").read_text(encoding="utf-8")
    assert all(row.original == task_a for row in rows if row.id.endswith("_taska"))


def test_clough_files_are_decoded_explicitly():
    decoded = {path.name: clough_decoding(path.read_bytes())[1]
               for path in sorted(TRACKS["clough-stevenson"].path.glob("*.txt"))}
    assert Counter(decoded.values()) == {"utf-8": 83, "cp1252": 17}
    # 0x92 in g1pB_taska is Windows-1252's right single quote, not a Latin-1 control character.
    answer = next(r.candidate for r in track_rows(TRACKS["clough-stevenson"], "all") if r.id == "clough-g1pB_taska")
    assert "\u2019" in answer and "\x92" not in answer
    with pytest.raises(UnicodeDecodeError):
        (TRACKS["clough-stevenson"].path / "g1pB_taska.txt").read_bytes().decode("utf-8")


def test_pan_rows_as_in_sources_md_and_train_keeps_no_test_pair():
    assert _counts("pan-pc10", "test") == {(1, "paraphrase"): 1500, (0, "non-paraphrase"): 1500}
    train = track_rows(TRACKS["pan-pc10"], "train")
    test = track_rows(TRACKS["pan-pc10"], "test")
    # 10,000 (5,000/5,000) upstream; the 30 pairs identical to a test pair are left out.
    assert len(train) == 9970 and Counter(r.label for r in train) == {1: 4999, 0: 4971}
    assert not {(r.original, r.candidate) for r in train} & {(r.original, r.candidate) for r in test}
    assert test[0].id == "pan-test-00001" and len({r.id for r in train + test}) == 9970 + 3000


def test_paws_rows_as_in_sources_md():
    assert _counts("paws-wiki", "dev") == {(1, "paraphrase"): 3539, (0, "non-paraphrase"): 4461}
    assert _counts("paws-wiki", "test") == {(1, "paraphrase"): 3536, (0, "non-paraphrase"): 4464}
    first = track_rows(TRACKS["paws-wiki"], "test")[0]
    assert first.id == "paws-test-1" and not first.candidate.endswith("\r")


def test_the_card_section_names_every_track_with_its_licence_and_citation():
    from rewrite_bench.tracks import card_markdown

    card = card_markdown()
    for track in TRACKS.values():
        assert f"`{track.name}`" in card and track.licence in card and track.citation in card
    assert "Windows-1252" in card


def test_track_names_resolve_and_unknown_ones_list_the_known():
    assert [t.name for t in resolve_tracks(["real"])] == ["clough-stevenson", "pan-pc10", "paws-wiki"]
    assert [t.name for t in resolve_tracks(["paws-wiki", "pan-pc10", "paws-wiki"])] == ["pan-pc10", "paws-wiki"]
    with pytest.raises(BenchError, match=r"--track 'paws': no such track; choose one of \['real', 'clough-stevenson'"):
        resolve_tracks(["paws"])


def test_a_track_goes_through_the_user_data_conversion(tmp_path):
    data = load_track(TRACKS["clough-stevenson"], "all", tmp_path)
    assert len(data.items) == 95 and data.slice_by == ("kind",)
    assert data.fingerprint == track_fingerprint(TRACKS["clough-stevenson"])
    assert list((tmp_path / "userdata").glob("*.arrow"))  # the same cached Arrow conversion as --data
    record = data.record()
    assert record["kind"] == "track" and record["track"] == "clough-stevenson" and record["threshold_split"] is None
    assert "cp1252" in record["decoding"]
    # A second load is served from the cache and gives the same data.
    assert load_track(TRACKS["clough-stevenson"], "all", tmp_path).fingerprint == data.fingerprint


# --------------------------------------------------------------------------- bench eval --track


def _bench(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_eval_on_a_track_writes_its_result(tmp_path, capsys):
    code, out, err = _bench(capsys, "eval", "--model", "shingle", "--track", "clough-stevenson",
                            "--output-dir", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"))
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "shingle" / "pair@clough-stevenson.json").read_text())
    assert result["data"]["kind"] == "track" and result["data"]["source"] == "track:clough-stevenson"
    assert result["task"]["fingerprint"] == track_fingerprint(TRACKS["clough-stevenson"])
    assert result["n"] == {"positive": 57, "negative": 38} and 0.9 < result["metrics"]["auroc"] <= 1.0
    # No dev data: F1 and accuracy left out, and said so.
    assert result["metrics"]["f1"] is None and any("has no dev data" in note for note in result["notes"])
    kinds = {row["value"]: row for row in result["slices"] if row["slice"] == "kind"}
    assert kinds["cut"]["keeps"] == "all negatives" and (kinds["cut"]["n_positive"], kinds["cut"]["n_negative"]) == (19, 38)
    assert "track clough-stevenson" in out
    lines = (tmp_path / "out" / "shingle" / "pair@clough-stevenson.predictions.jsonl").read_text().splitlines()
    assert len(lines) == 95 and not (tmp_path / "out" / "shingle" / "pair.json").exists()


def test_track_thresholds_come_from_its_own_dev_split(tmp_path, capsys):
    code, _, err = _bench(capsys, "eval", "--model", "shingle", "--track", "pan-pc10", "--limit", "200",
                          "--output-dir", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"))
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "shingle" / "pair@pan-pc10.json").read_text())
    assert result["thresholds"]["source_split"] == "pan-pc10/train" and result["metrics"]["f1"] is not None
    assert result["data"]["dev"]["split"] == "train" and result["data"]["dev"]["n_rows"] == 9970
    assert result["limited"] and result["data"]["threshold_split"] == "train"


@pytest.mark.parametrize(("argv", "expected"), [
    (["--track", "real", "--data", "x.jsonl", "--task", "pair"], "--track and --data both choose the data"),
    (["--track", "paws"], "--track 'paws': no such track; choose one of"),
    (["--track", "real", "--task", "detect"], "--track: the real-world tracks are pair data"),
    (["--track", "real", "--split", "dev"], "a track evaluates its own test split"),
    (["--track", "real", "--slice-by", "kind"], "--slice-by: only used with --data"),
    (["--track", "real", "--model", "bm25"], "supports none of the tasks"),
])
def test_track_option_mistakes_fail_before_any_work(tmp_path, capsys, argv, expected):
    argv = (["--model", "shingle"] if "--model" not in argv else []) + argv
    code, _, err = _bench(capsys, "eval", *argv, "--output-dir", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"))
    assert code == 2 and expected in err, err
    assert not (tmp_path / "out").exists()


def test_a_track_never_replaces_results_on_other_data(tmp_path, capsys):
    path = tmp_path / "out" / "shingle" / "pair@paws-wiki.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"data": {"source": "my-paws.tsv", "split": None}}))
    code, _, err = _bench(capsys, "eval", "--model", "shingle", "--track", "paws-wiki", "--output-dir",
                          str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"))
    assert code == 2 and "holds results on other data (my-paws.tsv)" in err and "another --output-dir" in err


def test_committed_results_cover_every_pair_baseline_on_every_track():
    from rewrite_bench.models import resolve_model
    from rewrite_bench.registry import MODELS, TASKS, load_target
    from rewrite_bench.results import load_results

    pair = load_target(TASKS["pair"].target).metadata
    records = load_results(Path(__file__).resolve().parents[1] / "results")
    done = {(r.model.name, r.data.track): r for r in records if r.is_track and not r.limited}
    for name in MODELS:
        if resolve_model(name).supports(pair):
            for track in TRACKS.values():
                record = done.get((name, track.name))
                assert record is not None, f"results/ has no full run of {name} on track {track.name}"
                assert record.task.fingerprint == track_fingerprint(track), f"{name} on {track.name} is stale"
