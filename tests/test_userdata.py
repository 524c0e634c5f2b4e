"""Bring your own data: loading, checking and evaluating a user's pairs or texts (``--data``)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rewrite_bench.cli import main
from rewrite_bench.hub import OFFLINE_VARIABLES
from rewrite_bench.types import BenchError
from rewrite_bench.userdata import data_name, load_user_data, parse_columns
from conftest import SMALL

FIXTURES = Path(__file__).parent / "data"

PAIRS = [
    {"original": "The council met on Tuesday to discuss the new parking rules for the city centre.",
     "candidate": "On Tuesday the council gathered to talk about the city centre's new parking rules.",
     "label": 1, "site": "a"},
    {"original": "The council met on Tuesday to discuss the new parking rules for the city centre.",
     "candidate": "Rain is expected across the region for most of the coming weekend.", "label": 0, "site": "a"},
    {"original": "Rescue teams reached the village after the river fell overnight, officials said.",
     "candidate": "Officials said rescue teams got to the village once the river had dropped overnight.",
     "label": 1, "site": "b"},
    {"original": "Rescue teams reached the village after the river fell overnight, officials said.",
     "candidate": "The museum will stay open late on Fridays through the whole summer.", "label": 0, "site": "b"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def load(source: Path | str, tmp_path: Path, task: str = "pair", **options):
    return load_user_data(str(source), task, cache_dir=tmp_path / "cache", **options)


def rows_of(data) -> list[dict]:
    return data.items.to_list()


# --------------------------------------------------------------------------- reading


def test_jsonl_pairs_get_stable_content_ids_and_a_fingerprint(tmp_path):
    source = write_jsonl(tmp_path / "mine.jsonl", PAIRS)
    data = load(source, tmp_path, slice_by=["site"])
    rows = rows_of(data)
    assert [r["label"] for r in rows] == [1, 0, 1, 0]
    assert [r["site"] for r in rows] == ["a", "a", "b", "b"]
    assert all(r["id"].startswith("row-") for r in rows) and len({r["id"] for r in rows}) == 4
    assert data.name == "mine" and data.kind == "jsonl" and data.format == "plain"
    # The same content elsewhere, converted afresh, gives the same ids and fingerprint.
    copy = write_jsonl(tmp_path / "copy.jsonl", PAIRS)
    again = load_user_data(str(copy), "pair", cache_dir=tmp_path / "other-cache", slice_by=["site"])
    assert [r["id"] for r in rows_of(again)] == [r["id"] for r in rows]
    assert again.fingerprint == data.fingerprint
    # A changed label changes the fingerprint, not the ids.
    changed = write_jsonl(tmp_path / "changed.jsonl", [PAIRS[0] | {"label": 0}, *PAIRS[1:]])
    other = load(changed, tmp_path, slice_by=["site"])
    assert other.fingerprint != data.fingerprint and rows_of(other)[0]["id"] == rows[0]["id"]


def test_a_second_load_reuses_the_converted_file(tmp_path, monkeypatch):
    import rewrite_bench.userdata as userdata

    source = write_jsonl(tmp_path / "mine.jsonl", PAIRS)
    first = load(source, tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("converted twice")

    monkeypatch.setattr(userdata, "_convert", refuse)
    second = load(source, tmp_path)
    assert second.fingerprint == first.fingerprint and rows_of(second) == rows_of(first)


def test_csv_with_mapped_columns_and_own_ids(tmp_path):
    source = tmp_path / "cases.csv"
    source.write_text('case,source text,suspect text,verdict,client\n'
                      'c1,"An original, with a comma",A copy of it,true,acme\n'
                      'c2,"A text that ""quotes"" itself",Something else entirely,FALSE,acme\n', encoding="utf-8")
    data = load(source, tmp_path, columns=parse_columns(
        "original=source text,candidate=suspect text,label=verdict,id=case", "pair"), slice_by=["client"])
    rows = rows_of(data)
    assert [r["id"] for r in rows] == ["c1", "c2"] and [r["label"] for r in rows] == [1, 0]
    assert rows[0]["original"] == "An original, with a comma" and rows[1]["original"] == 'A text that "quotes" itself'
    assert data.columns == {"original": "source text", "candidate": "suspect text", "label": "verdict", "id": "case"}


def test_parquet_and_datasets_directories(tmp_path):
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(PAIRS), tmp_path / "pairs.parquet")
    from_parquet = load(tmp_path / "pairs.parquet", tmp_path)
    assert from_parquet.kind == "parquet" and [r["label"] for r in rows_of(from_parquet)] == [1, 0, 1, 0]

    datasets.Dataset.from_list(PAIRS).save_to_disk(str(tmp_path / "saved"))
    from_dir = load(tmp_path / "saved", tmp_path)
    assert from_dir.kind == "datasets-dir" and from_dir.name == "saved"
    assert from_dir.fingerprint == from_parquet.fingerprint  # same rows, same fingerprint

    datasets.DatasetDict({"train": datasets.Dataset.from_list(PAIRS[:2]),
                          "test": datasets.Dataset.from_list(PAIRS[2:])}).save_to_disk(str(tmp_path / "dict"))
    assert len(load(tmp_path / "dict", tmp_path).items) == 2  # test by default
    assert len(load(tmp_path / "dict", tmp_path, split="train").items) == 2
    with pytest.raises(BenchError, match=r"splits \['test', 'train'\], not 'validation'.*--data-split"):
        load(tmp_path / "dict", tmp_path, split="validation")


def test_detect_rows(tmp_path):
    source = tmp_path / "texts.tsv"
    source.write_text('text\tlabel\tsite\nA plain human text about "rain".\t0\tx\nA spun text regarding precipitation.\t1\ty\n',
                      encoding="utf-8")
    data = load(source, tmp_path, task="detect", slice_by=["site"])
    assert [(r["text"], r["label"], r["site"]) for r in rows_of(data)] == [
        ('A plain human text about "rain".', 0, "x"), ("A spun text regarding precipitation.", 1, "y")]


def test_mrpc_is_recognised_from_its_header(tmp_path):
    assert (FIXTURES / "mrpc_sample.txt").read_bytes().startswith(b"\xef\xbb\xbfQuality\t")  # UTF-8 with BOM
    data = load(FIXTURES / "mrpc_sample.txt", tmp_path)
    rows = rows_of(data)
    assert data.format == "mrpc" and len(rows) == 6
    assert rows[0]["id"] == "mrpc-100101-100102" and rows[0]["label"] == 1
    assert '" review "' in rows[0]["original"]  # quotes are text in MRPC's TSV
    assert not rows[0]["candidate"].endswith("\r")


def test_paws_is_recognised_and_formats_can_be_forced(tmp_path):
    data = load(FIXTURES / "paws_sample.tsv", tmp_path)
    rows = rows_of(data)
    assert data.format == "paws" and [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r["label"] for r in rows] == [0, 1, 1, 0, 1, 0]
    assert rows[4]["original"].startswith('The album , called " Blue Hours "')
    assert load(FIXTURES / "paws_sample.tsv", tmp_path, fmt="paws").fingerprint == data.fingerprint
    with pytest.raises(BenchError, match=r"not in the MRPC format: missing columns \['Quality'"):
        load(FIXTURES / "paws_sample.tsv", tmp_path, fmt="mrpc")
    with pytest.raises(BenchError, match=r"its rows are \(original, candidate\) items; it cannot feed task 'detect'"):
        load(FIXTURES / "paws_sample.tsv", tmp_path, task="detect", fmt="paws")


# --------------------------------------------------------------------------- bad data


def _bad(tmp_path: Path, name: str, content: str | bytes, **options) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(BenchError) as error:
        load(path, tmp_path, **options)
    assert not list((tmp_path / "cache").glob("userdata/*")), "nothing may be written on error"
    message = str(error.value)
    assert str(path) in message
    return message


def test_missing_columns_are_listed_with_the_ones_found(tmp_path):
    message = _bad(tmp_path, "x.csv", "source,copy,y\na,b,1\n")
    assert "missing columns for task 'pair': original, candidate, label" in message
    assert "found ['source', 'copy', 'y']" in message and "--columns" in message


@pytest.mark.parametrize(("content", "expected"), [
    ('{"original": "a", "candidate": "b", "label": 1}\n{"original": "a", "candidate": "c", "label": 2}\n',
     r"line 2: label 2 \(column 'label'\) is not 0/1 or true/false"),
    ('{"original": "a", "candidate": "b", "label": "yes"}\n', r"line 1: label 'yes'"),
    ('{"original": "a", "candidate": "  ", "label": 1}\n', r"line 1: candidate \(column 'candidate'\) is empty"),
    ('{"original": 7, "candidate": "b", "label": 1}\n', r"line 1: original \(column 'original'\) must be a string, got int"),
    ('{"original": null, "candidate": "b", "label": 1}\n', r"must be a string, got null"),
    ('{"original": "a", "candidate": "b", "label": 1}\n\n{"original": "a", "candidate": "b", "label": 0}\n',
     r"line 3: repeats the texts of line 1 .*remove the duplicate row, or give every row an id column"),
    ('{"id": "x", "original": "a", "candidate": "b", "label": 1}\n{"id": "x", "original": "c", "candidate": "d", "label": 0}\n',
     r"line 2: id 'x' is already used at line 1"),
    ('{"original": "a", "candidate": "b", "label": 1}\n{"original": "a", "label": 1}\n',
     r"line 2: missing \['candidate'\]"),
    ('{"original": "a", "candidate": "b", "label": 1}\n[1, 2]\n', r"line 2: expected a JSON object, got list"),
    ('{"id": ["x"], "original": "a", "candidate": "b", "label": 1}\n',
     r"line 1: id \(column 'id'\) must be a non-empty string or integer, got \['x'\]"),
    ('{"Quality": 1, "#1 ID": 1, "#2 ID": 2, "#1 String": "a", "#2 String": "b"}\n'
     '{"Quality": 0, "#2 ID": 4, "#1 String": "c", "#2 String": "d"}\n', r"line 2: missing \['#1 ID'\]"),
    ('{"Quality": 1, "#1 ID": null, "#2 ID": 2, "#1 String": "a", "#2 String": "b"}\n',
     r"line 1: id \(column '#1 ID'\) must be a non-empty string or integer, got None"),
    ('{"original": "a", "candidate": "b", "label": 1}\n{"original": \n', r"line 2: not a JSON object"),
])
def test_bad_rows_name_the_file_and_line(tmp_path, content, expected):
    import re

    assert re.search(expected, _bad(tmp_path, "bad.jsonl", content))


def test_invalid_utf8_names_the_line(tmp_path):
    content = b"original,candidate,label\nfine,also fine,1\ncaf\xe9,x,0\n"
    assert "line 3: not valid UTF-8 (byte 0xe9" in _bad(tmp_path, "latin1.csv", content)


def test_empty_files_and_files_without_rows(tmp_path):
    assert "the file is empty" in _bad(tmp_path, "empty.jsonl", "")
    assert "no rows" in _bad(tmp_path, "header-only.csv", "original,candidate,label\n")
    assert "no rows" in _bad(tmp_path, "blank.jsonl", "\n\n")


def test_tsv_rows_with_the_wrong_field_count(tmp_path):
    message = _bad(tmp_path, "x.tsv", "original\tcandidate\tlabel\na\tb\t1\na\tb\tc\t0\n")
    assert "line 3: 4 fields, the header has 3 (a tab inside a text?)" in message


def test_slice_columns_and_options_are_checked(tmp_path):
    source = write_jsonl(tmp_path / "mine.jsonl", PAIRS)
    with pytest.raises(BenchError, match=r"--slice-by 'topic' is not a column; found \["):
        load(source, tmp_path, slice_by=["topic"])
    with pytest.raises(BenchError, match="that column is the task's label"):
        load(source, tmp_path, slice_by=["label"])
    with pytest.raises(BenchError, match=r"'body' is not a field of task 'pair'; its fields are"):
        parse_columns("body=text", "pair")
    with pytest.raises(BenchError, match="FIELD=COLUMN"):
        parse_columns("original", "pair")
    with pytest.raises(BenchError, match="--data-name"):
        load(source, tmp_path, name="../escape")
    with pytest.raises(BenchError, match="unknown file type '.xlsx'"):
        (tmp_path / "book.xlsx").write_text("x")
        load(tmp_path / "book.xlsx", tmp_path)
    with pytest.raises(BenchError, match="no such file or directory"):
        load(tmp_path / "missing.jsonl", tmp_path)


def test_a_hub_id_fails_at_once_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(BenchError, match="Hugging Face Hub cannot be reached.*save_to_disk"):
        load("someone/spun-news:v2", tmp_path)
    assert time.perf_counter() - t0 < 5


def test_data_names():
    assert data_name("dir/msr_paraphrase_test.txt") == "msr_paraphrase_test"
    assert data_name("someone/spun-news:v2") == "someone_spun-news_v2"


# --------------------------------------------------------------------------- the command line


@pytest.fixture()
def bench(small_cache, small_data, capsys):
    """``bench`` in-process; eval gets the small build (for models fitted on the built-in train split)."""
    def _run(*argv: str):
        extra = ["--cache-dir", str(small_cache), "--max-originals", str(SMALL)] if argv[0] == "eval" else []
        code = main([*argv, *extra])
        out = capsys.readouterr()
        return code, out.out, out.err
    return _run


def _many_pairs(n: int) -> list[dict]:
    """``n`` pairs of made-up sentences: positives share most words, negatives few."""
    rows = []
    for i in range(n):
        original = f"Item {i}: the river near town {i % 7} rose by {i} centimetres after the storm on day {i % 5}."
        candidate = (original.replace("rose", "climbed").replace("storm", "gale") if i % 2 == 0
                     else f"A bakery in town {i % 3} sold {i} loaves of bread at the market this week.")
        rows.append({"original": original, "candidate": candidate, "label": int(i % 2 == 0),
                     "site": "odd-site" if i % 3 else "third-site"})
    return rows


def test_eval_on_own_data_writes_its_own_results(bench, tmp_path):
    source = write_jsonl(tmp_path / "spun-news.jsonl", _many_pairs(30))
    code, out, err = bench("eval", "--model", "shingle", "--task", "pair", "--data", str(source),
                           "--slice-by", "site", "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    path = tmp_path / "out" / "shingle" / "pair@spun-news.json"
    result = json.loads(path.read_text())
    assert result["data"]["kind"] == "user" and result["data"]["name"] == "spun-news"
    assert result["data"]["source"] == str(source) and result["data"]["n_rows"] == 30
    assert result["task"]["fingerprint"] == result["data"]["fingerprint"]
    assert result["metrics"]["auroc"] == 1.0 and result["n"] == {"positive": 15, "negative": 15}
    # No dev data: the threshold metrics are left out, and both the output and the file say so.
    assert result["metrics"]["f1"] is None and result["metrics"]["accuracy"] is None
    assert any("--dev-data" in note for note in result["notes"]) and "F1 and accuracy left out" in out
    assert {row["value"] for row in result["slices"] if row["slice"] == "site"} == {"odd-site", "third-site"}
    predictions = (tmp_path / "out" / "shingle" / "pair@spun-news.predictions.jsonl").read_text().splitlines()
    assert len(predictions) == 30
    assert not (tmp_path / "out" / "shingle" / "pair.json").exists()


def test_a_slice_value_seen_in_one_class_only_keeps_all_of_the_other_class(bench, tmp_path):
    # "other-answer" occurs only among negatives: its slice is those negatives against all positives.
    rows = [{**row, "kind": "other-answer" if row["label"] == 0 and i % 4 == 1 else "same"}
            for i, row in enumerate(_many_pairs(20))]
    source = write_jsonl(tmp_path / "kinds.jsonl", rows)
    code, out, err = bench("eval", "--model", "shingle", "--task", "pair", "--data", str(source), "--slice-by", "kind",
                           "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "shingle" / "pair@kinds.json").read_text())
    by_value = {row["value"]: row for row in result["slices"] if row["slice"] == "kind"}
    other, same = by_value["other-answer"], by_value["same"]
    assert (other["n_positive"], other["n_negative"]) == (10, 5) and other["keeps"] == "all positives"
    assert other["auroc"] == 1.0 and other["auroc_ci95"] is not None
    # "same" occurs in both classes: only its own rows, and no "keeps".
    assert (same["n_positive"], same["n_negative"]) == (10, 5) and "keeps" not in same


def test_dev_data_gives_thresholds_and_never_the_evaluated_data(bench, tmp_path):
    rows = _many_pairs(40)
    test, dev = write_jsonl(tmp_path / "test.jsonl", rows[:20]), write_jsonl(tmp_path / "dev.jsonl", rows[20:])
    code, _, err = bench("eval", "--model", "shingle", "--task", "pair", "--data", str(test), "--dev-data", str(dev),
                         "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "shingle" / "pair@test.json").read_text())
    assert result["thresholds"]["source_split"] == "dev-data" and result["metrics"]["f1"] == 1.0
    assert result["data"]["dev"]["name"] == "dev" and result["data"]["dev"]["n_rows"] == 20
    code, _, err = bench("eval", "--model", "shingle", "--task", "pair", "--data", str(test), "--dev-data", str(test),
                         "--output-dir", str(tmp_path / "again"))
    assert code == 2 and "shares 20 items" in err and not (tmp_path / "again").exists()


def test_a_fitted_model_is_fitted_on_the_builtin_train_split(bench, tmp_path, small_data):
    source = write_jsonl(tmp_path / "mine.jsonl", _many_pairs(12))
    code, _, err = bench("eval", "--model", "tfidf", "--task", "pair", "--data", str(source),
                         "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    result = json.loads((tmp_path / "out" / "tfidf" / "pair@mine.json").read_text())
    assert result["model"]["fitted_on"] == "train"
    assert result["data"]["fit"] == {"data": "built-in", "split": "train", "max_originals": SMALL,
                                     "task_fingerprint": small_data.task_fingerprints["pair"]}


def test_detect_on_own_data_and_a_predictions_file(bench, tmp_path):
    source = tmp_path / "texts.csv"
    source.write_text("body,spun\n" + "".join(f"Text number {i} about the weather.,{i % 2}\n" for i in range(10)))
    scores = tmp_path / "scores.jsonl"
    from rewrite_bench.userdata import load_user_data as loader

    ids = [r["id"] for r in loader(str(source), "detect", cache_dir=tmp_path / "c",
                                   columns={"text": "body", "label": "spun"}).items.to_list()]
    scores.write_text("".join(json.dumps({"id": i, "score": n % 2}) + "\n" for n, i in enumerate(ids)))
    code, _, err = bench("eval", "--model", f"predictions:{scores}", "--task", "detect", "--data", str(source),
                         "--columns", "text=body,label=spun", "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    result = json.loads(next((tmp_path / "out").glob("*/detect@texts.json")).read_text())
    assert result["metrics"]["auroc"] == 1.0


@pytest.mark.parametrize(("argv", "expected"), [
    (["--model", "shingle", "--data", "x.jsonl"], "--data needs exactly one task"),
    (["--model", "shingle", "--task", "retrieve", "--data", "x.jsonl"], "--data needs exactly one task"),
    (["--model", "shingle", "--task", "pair", "--data", "x.jsonl", "--split", "dev"], "--split picks a split"),
    (["--model", "shingle", "--dev-data", "x.jsonl", "--slice-by", "site"], "--dev-data, --slice-by: only used with --data"),
    (["--model", "shingle", "--task", "pair", "--data", "x.jsonl", "--dev-data-split", "validation"],
     "--dev-data-split picks a split of --dev-data; add --dev-data SOURCE"),
])
def test_option_mistakes_fail_before_any_work(bench, tmp_path, argv, expected):
    code, _, err = bench("eval", *argv, "--output-dir", str(tmp_path / "out"))
    assert code == 2 and expected in err and not (tmp_path / "out").exists()


def test_leaderboard_table_for_own_data_and_the_main_leaderboard_ignores_it(bench, tmp_path):
    source = write_jsonl(tmp_path / "spun-news.jsonl", _many_pairs(20))
    out = tmp_path / "out"
    for model in ("shingle", "random"):
        assert bench("eval", "--model", model, "--task", "pair", "--data", str(source), "--slice-by", "site",
                     "--output-dir", str(out))[0] == 0
    code, _, err = bench("leaderboard", "--results", str(out), "--data", "spun-news", "--out", str(tmp_path / "t.md"))
    assert code == 0, err
    table = (tmp_path / "t.md").read_text()
    assert "## Task `pair` (version 1.3) on `spun-news`" in table and "AUROC third-site" in table
    assert table.index("| 1 | shingle |") < table.index("| 2 | random |")
    assert "No --dev-data: F1 and accuracy are left out" in table
    code, _, _ = bench("leaderboard", "--results", str(out), "--out", str(tmp_path / "main.md"))
    assert code == 0 and "shingle" not in (tmp_path / "main.md").read_text()
    code, _, err = bench("leaderboard", "--results", str(out), "--data", "other", "--out", str(tmp_path / "x.md"))
    assert code == 2 and "the data sets with results are ['spun-news']" in err and not (tmp_path / "x.md").exists()


# --------------------------------------------------------------------------- edge cases


def test_the_hub_probe_fails_fast_without_the_offline_flags(tmp_path, monkeypatch):
    import socket

    calls = []

    def unreachable(address, timeout=None):
        calls.append((address, timeout))
        raise OSError("network is unreachable")

    for name in OFFLINE_VARIABLES:  # CI sets all three; any one of them keeps the probe from running
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.example.org:8443")
    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(BenchError, match="Hugging Face Hub cannot be reached"):
        load("someone/spun-news", tmp_path)
    assert calls == [(("hub.example.org", 8443), 3.0)]


def test_parquet_integer_ids_and_null_texts(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": n, **{k: v for k, v in row.items() if k != "site"}} for n, row in enumerate(PAIRS, start=1)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "ints.parquet")
    assert [r["id"] for r in rows_of(load(tmp_path / "ints.parquet", tmp_path))] == ["1", "2", "3", "4"]
    pq.write_table(pa.Table.from_pylist([rows[0], rows[1] | {"candidate": None}]), tmp_path / "nulls.parquet")
    with pytest.raises(BenchError, match=r"nulls.parquet, row 2: candidate \(column 'candidate'\) must be a string, got null"):
        load(tmp_path / "nulls.parquet", tmp_path)


def test_the_split_read_is_recorded_and_named(tmp_path):
    import datasets

    datasets.DatasetDict({"train": datasets.Dataset.from_list(PAIRS)}).save_to_disk(str(tmp_path / "only-train"))
    data = load(tmp_path / "only-train", tmp_path)
    assert data.split == "train" and data.name == "only-train-train" and data.record()["split"] == "train"
    datasets.Dataset.from_list(PAIRS).save_to_disk(str(tmp_path / "plain"))
    with pytest.raises(BenchError, match="is a single Dataset, not a DatasetDict"):
        load(tmp_path / "plain", tmp_path, split="test")
    datasets.DatasetDict({"train": datasets.Dataset.from_list(PAIRS[:2]),
                          "validation": datasets.Dataset.from_list(PAIRS[2:])}).save_to_disk(str(tmp_path / "two"))
    with pytest.raises(BenchError, match=r"--dev-data .*two has the splits .*choose one with --dev-data-split"):
        load(tmp_path / "two", tmp_path, option="--dev-data")


def test_csv_records_over_several_lines_and_float_labels(tmp_path):
    source = tmp_path / "multi.csv"
    source.write_text('original,candidate,label\n"first line\nsecond line",a copy,1.0\n'
                      '"one\ntwo\nthree",another,0.0\n', encoding="utf-8")
    assert [r["label"] for r in rows_of(load(source, tmp_path))] == [1, 0]
    bad = tmp_path / "multi-bad.csv"
    bad.write_text('original,candidate,label\nfine,fine too,1\n"one\ntwo\nthree",another,2\n', encoding="utf-8")
    with pytest.raises(BenchError, match=r"multi-bad.csv, line 3: label '2'"):
        load(bad, tmp_path)


def test_slice_columns_may_not_shadow_item_fields(tmp_path):
    source = write_jsonl(tmp_path / "x.jsonl", [{"original": "a", "candidate": "b", "verdict": 1, "label": "x"}])
    with pytest.raises(BenchError, match="--slice-by 'label': the items already have a field of that name"):
        load(source, tmp_path, columns={"label": "verdict"}, slice_by=["label"])


def test_json_ids_must_be_on_every_row_or_none(tmp_path):
    source = write_jsonl(tmp_path / "x.jsonl", [PAIRS[0], PAIRS[1] | {"id": "late"}])
    with pytest.raises(BenchError, match="line 2: has an 'id' but the first row has none"):
        load(source, tmp_path)


def test_slicing_leaves_the_data_fingerprint_alone(tmp_path):
    source = write_jsonl(tmp_path / "mine.jsonl", PAIRS)
    assert load(source, tmp_path).fingerprint == load(source, tmp_path, slice_by=["site"]).fingerprint


def test_dev_data_must_not_share_items_and_needs_both_labels(bench, tmp_path):
    rows = _many_pairs(40)
    test = write_jsonl(tmp_path / "test.jsonl", rows[:20])
    overlapping = write_jsonl(tmp_path / "dev.jsonl", rows[19:])  # one shared item, in another order below
    reordered = write_jsonl(tmp_path / "dev2.jsonl", list(reversed(rows[:20])))
    one_class = write_jsonl(tmp_path / "dev3.jsonl", [r for r in rows[20:] if r["label"] == 1])
    for dev, expected in ((overlapping, "shares 1 items"), (reordered, "shares 20 items"),
                          (one_class, "has only one label")):
        code, _, err = bench("eval", "--model", "shingle", "--task", "pair", "--data", str(test), "--slice-by", "site",
                             "--dev-data", str(dev), "--output-dir", str(tmp_path / "out"))
        assert code == 2 and expected in err, err
    assert not (tmp_path / "out").exists()


def test_results_of_other_data_under_the_same_name_are_not_replaced(bench, tmp_path):
    first = write_jsonl((tmp_path / "a").mkdir() or tmp_path / "a" / "test.jsonl", _many_pairs(10))
    second = write_jsonl((tmp_path / "b").mkdir() or tmp_path / "b" / "test.jsonl", _many_pairs(12))
    out = tmp_path / "out"
    assert bench("eval", "--model", "shingle", "--task", "pair", "--data", str(first), "--output-dir", str(out))[0] == 0
    assert bench("eval", "--model", "shingle", "--task", "pair", "--data", str(first), "--output-dir", str(out))[0] == 0
    code, _, err = bench("eval", "--model", "shingle", "--task", "pair", "--data", str(second), "--output-dir", str(out))
    assert code == 2 and "holds results on other data" in err and "--data-name" in err
    assert json.loads((out / "shingle" / "pair@test.json").read_text())["data"]["source"] == str(first)
    assert bench("eval", "--model", "shingle", "--task", "pair", "--data", str(second), "--data-name", "test-b",
                 "--output-dir", str(out))[0] == 0
    assert (out / "shingle" / "pair@test-b.json").exists()


def test_predictions_files_may_use_integer_ids(bench, tmp_path):
    scores = tmp_path / "scores.jsonl"
    scores.write_text("".join(json.dumps({"id": n, "score": 1 - n % 2}) + "\n" for n in range(1, 7)))
    code, _, err = bench("eval", "--model", f"predictions:{scores}", "--task", "pair",
                         "--data", str(FIXTURES / "paws_sample.tsv"), "--output-dir", str(tmp_path / "out"))
    assert code == 0, err
    result = json.loads(next((tmp_path / "out").glob("*/pair@paws_sample.json")).read_text())
    assert result["n"] == {"positive": 3, "negative": 3} and result["metrics"]["auroc"] is not None


def test_models_fitted_on_a_smoke_build_stay_out_of_the_data_table(bench, tmp_path):
    source = write_jsonl(tmp_path / "mine.jsonl", _many_pairs(16))
    out = tmp_path / "out"
    for model in ("shingle", "tfidf"):  # the fixture's eval runs on a --max-originals build
        assert bench("eval", "--model", model, "--task", "pair", "--data", str(source), "--output-dir", str(out))[0] == 0
    assert json.loads((out / "tfidf" / "pair@mine.json").read_text())["data"]["fit"]["max_originals"] == SMALL
    assert bench("leaderboard", "--results", str(out), "--data", "mine", "--out", str(tmp_path / "t.md"))[0] == 0
    table = (tmp_path / "t.md").read_text()
    assert "| shingle |" in table and "tfidf" not in table
