"""Property-based tests of the readers of user files: ``--data`` sources (``rewrite_bench.userdata``),
``--model predictions:FILE.jsonl`` (``rewrite_bench.predictions.PredictionsFile``) and a results record's
predictions file (``rewrite_bench.results.read_predictions``).

Random bytes, odd encodings, NUL bytes, huge fields and malformed rows go in; what comes out
must be a correct result or a :class:`BenchError` that names the file (the CLI prints it
without a traceback) -- never another exception. Deterministic (``derandomize``) and fast.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewrite_bench.predictions import PredictionsFile
from rewrite_bench.results import load_results, read_predictions
from rewrite_bench.types import BenchError
from rewrite_bench.userdata import derived_id, load_user_data, parse_columns
from conftest import typed_result

FAST = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SUFFIXES = (".jsonl", ".csv", ".tsv", ".txt", ".parquet")

# Texts a row may hold: any character but surrogates (not encodable), at least one non-space.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(str.strip)
# TSV (as MRPC and PAWS ship it) has no quoting: a text cannot hold a tab or a line break.
TSV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"),
                   min_size=1, max_size=30).filter(str.strip)
# Label spellings the readers accept, and the label each means.
JSON_LABELS = st.sampled_from([(0, 0), (1, 1), (True, 1), (False, 0), (1.0, 1), ("true", 1), ("False", 0),
                               ("1", 1), ("0.0", 0), (" 1 ", 1)])
TEXT_LABELS = st.sampled_from([("0", 0), ("1", 1), ("true", 1), ("FALSE", 0), ("1.0", 1), (" 0 ", 0)])


@contextmanager
def workdir() -> Iterator[Path]:
    """A fresh directory per example (hypothesis reruns a test body many times in one tmp_path)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as name:
        yield Path(name)


def outcome(call: Callable[[], Any], *names: str) -> Any:
    """``call()``'s result, or None when it raised a BenchError that mentions one of ``names``.

    Any other exception propagates and fails the test."""
    try:
        return call()
    except BenchError as error:
        message = str(error)
        assert any(name in message for name in names), f"the error names none of {names}: {message}"
        assert "Traceback" not in message
        return None


def load(path: Path, task: str = "pair", **options: Any):
    return load_user_data(str(path), task, cache_dir=path.parent / "cache", **options)


def items_of(data) -> list[dict[str, Any]]:
    return data.items.to_list()


def check_items(data, task: str) -> list[dict[str, Any]]:
    """What every loaded data set must satisfy, whatever its source."""
    rows = items_of(data)
    fields = ("original", "candidate") if task == "pair" else ("text",)
    assert rows and len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert isinstance(row["id"], str) and row["id"].strip()
        assert row["label"] in (0, 1)
        assert all(isinstance(row[f], str) and row[f].strip() for f in fields)
    return rows


# --------------------------------------------------------------------------- random bytes


@FAST
@given(content=st.binary(min_size=1, max_size=300), suffix=st.sampled_from(SUFFIXES),
       task=st.sampled_from(["pair", "detect"]))
def test_random_bytes_are_rejected_cleanly_or_read_correctly(content: bytes, suffix: str, task: str) -> None:
    with workdir() as tmp:
        path = tmp / f"data{suffix}"
        path.write_bytes(content)
        data = outcome(lambda: load(path, task), str(path))
        if data is not None:
            check_items(data, task)


# A header the readers recognise, followed by random bytes: gets past the header checks.
HEADERS = {".jsonl": b'{"original": "a", "candidate": "b", "label": 1}\n',
           ".csv": b"original,candidate,label\n", ".tsv": b"original\tcandidate\tlabel\n",
           ".txt": b"Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"}


@FAST
@given(content=st.binary(max_size=300), suffix=st.sampled_from(sorted(HEADERS)))
def test_random_bytes_after_a_good_header(content: bytes, suffix: str) -> None:
    with workdir() as tmp:
        path = tmp / f"data{suffix}"
        path.write_bytes(HEADERS[suffix] + content)
        data = outcome(lambda: load(path), str(path))
        if data is not None:
            check_items(data, "pair")


# --------------------------------------------------------------------------- well-formed rows


PAIR_ROWS = st.lists(st.tuples(TEXT, TEXT, JSON_LABELS), min_size=1, max_size=6, unique_by=lambda r: (r[0], r[1]))


@FAST
@given(rows=PAIR_ROWS, with_ids=st.booleans(), bom=st.booleans(), crlf=st.booleans())
def test_jsonl_rows_round_trip(rows, with_ids: bool, bom: bool, crlf: bool) -> None:
    end = "\r\n" if crlf else "\n"
    objects = [{**({"id": f"r{i}"} if with_ids else {}), "original": o, "candidate": c, "label": raw}
               for i, (o, c, (raw, _)) in enumerate(rows)]
    text = ("\ufeff" if bom else "") + "".join(json.dumps(obj) + end for obj in objects)
    with workdir() as tmp:
        path = tmp / "rows.jsonl"
        path.write_text(text, encoding="utf-8", newline="")
        items = check_items(load(path), "pair")
    assert [(r["original"], r["candidate"], r["label"]) for r in items] == [(o, c, label) for o, c, (_, label) in rows]
    expected_ids = [f"r{i}" for i in range(len(rows))] if with_ids else [derived_id("pair", [o, c]) for o, c, _ in rows]
    assert [r["id"] for r in items] == expected_ids


@FAST
@given(rows=PAIR_ROWS, labels=st.lists(TEXT_LABELS, min_size=6, max_size=6), bom=st.booleans())
def test_csv_rows_round_trip_with_quotes_and_line_breaks(rows, labels, bom: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["original", "candidate", "label"])
    writer.writerows([o, c, raw] for (o, c, _), (raw, _) in zip(rows, labels))
    with workdir() as tmp:
        path = tmp / "rows.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
        items = check_items(load(path), "pair")
    assert [(r["original"], r["candidate"], r["label"]) for r in items] == [
        (o, c, label) for (o, c, _), (_, label) in zip(rows, labels)]


TSV_ROWS = st.lists(st.tuples(TSV_TEXT, TSV_TEXT, TEXT_LABELS), min_size=1, max_size=6,
                    unique_by=lambda r: (r[0], r[1]))


@FAST
@given(rows=TSV_ROWS, suffix=st.sampled_from([".tsv", ".txt"]), fmt=st.sampled_from(["plain", "paws", "mrpc"]))
def test_tsv_and_public_formats_round_trip(rows, suffix: str, fmt: str) -> None:
    if fmt == "plain":
        header, lines = ["original", "candidate", "label"], [[o, c, raw] for o, c, (raw, _) in rows]
    elif fmt == "paws":
        header, lines = ["id", "sentence1", "sentence2", "label"], [[str(i), o, c, raw] for i, (o, c, (raw, _)) in enumerate(rows)]
    else:
        header = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]
        lines = [[raw, str(100 + i), str(200 + i), o, c] for i, (o, c, (raw, _)) in enumerate(rows)]
    text = "\n".join("\t".join(line) for line in [header, *lines]) + "\n"
    with workdir() as tmp:
        path = tmp / f"rows{suffix}"
        path.write_bytes(("\ufeff" + text if fmt == "mrpc" else text).encode("utf-8"))  # MRPC ships with a BOM
        data = load(path)
        items = check_items(data, "pair")
    assert data.format == fmt
    assert [(r["original"], r["candidate"], r["label"]) for r in items] == [(o, c, label) for o, c, (_, label) in rows]
    if fmt == "mrpc":
        assert [r["id"] for r in items] == [f"mrpc-{100 + i}-{200 + i}" for i in range(len(rows))]


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(rows=PAIR_ROWS, nulls=st.booleans())
def test_parquet_rows_round_trip(rows, nulls: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    originals = [o for o, _, _ in rows]
    if nulls:
        originals[-1] = None
    table = pa.table({"original": originals, "candidate": [c for _, c, _ in rows],
                      "label": [label for _, _, (_, label) in rows]})
    with workdir() as tmp:
        path = tmp / "rows.parquet"
        pq.write_table(table, path)
        data = outcome(lambda: load(path), str(path))
    if nulls:
        assert data is None  # a null text is named, with its row
        return
    assert [(r["original"], r["candidate"], r["label"]) for r in check_items(data, "pair")] == [
        (o, c, label) for o, c, (_, label) in rows]


def _arrow_columns() -> dict[str, Callable[[], Any]]:
    import pyarrow as pa

    return {
        "text": lambda: pa.array(["first text", "second text"]),
        "large text": lambda: pa.array(["third text", "fourth text"], pa.large_string()),
        "dictionary": lambda: pa.array(["fifth text", "sixth text"]).dictionary_encode(),
        "labels": lambda: pa.array([1, 0]),
        "floats": lambda: pa.array([1.0, math.nan]),
        "booleans": lambda: pa.array([True, False]),
        "nulls": lambda: pa.array([None, None], pa.string()),
        "bytes": lambda: pa.array([b"a", b"b"]),
        "lists": lambda: pa.array([["a"], ["b"]]),
        "structs": lambda: pa.array([{"x": 1}, {"x": 2}]),
        "huge ints": lambda: pa.array([2**62, -(2**62)]),
    }


@FAST
@given(columns=st.lists(st.tuples(st.sampled_from(["original", "candidate", "text", "label", "id", "site"]),
                                  st.sampled_from(sorted(_arrow_columns()))), min_size=1, max_size=6),
       task=st.sampled_from(["pair", "detect"]), slice_by=st.sampled_from([(), ("site",)]))
def test_parquet_columns_of_any_type(columns, task: str, slice_by) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    makers = _arrow_columns()
    table = pa.Table.from_arrays([makers[kind]() for _, kind in columns], names=[name for name, _ in columns])
    with workdir() as tmp:
        path = tmp / "typed.parquet"
        pq.write_table(table, path)
        data = outcome(lambda: load(path, task, slice_by=list(slice_by)), str(path), "--slice-by")
        if data is not None:
            check_items(data, task)


# --------------------------------------------------------------------------- encodings


@FAST
@given(rows=PAIR_ROWS, encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]),
       suffix=st.sampled_from([".jsonl", ".csv", ".tsv"]))
def test_other_encodings_are_named_or_read_as_utf8(rows, encoding: str, suffix: str) -> None:
    delimiter = "\t" if suffix == ".tsv" else ","
    if suffix == ".jsonl":
        text = "".join(json.dumps({"original": o, "candidate": c, "label": label}, ensure_ascii=False) + "\n"
                       for o, c, (_, label) in rows)
    else:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(
            [["original", "candidate", "label"]] + [[o, c, label] for o, c, (_, label) in rows])
        text = buffer.getvalue()
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode(encoding, errors="replace")
    with workdir() as tmp:
        path = tmp / f"rows{suffix}"
        path.write_bytes(content)
        try:
            data = load(path)
        except BenchError as error:  # names the file and says what to save it as
            assert str(path) in str(error) and ("save the file as UTF-8" in str(error) or "save it as UTF-8" in str(error))
            return
        check_items(data, "pair")
    assert content.decode("utf-8")  # only bytes that are also UTF-8 may load (plain ASCII, say)


@FAST
@given(rows=PAIR_ROWS, where=st.integers(min_value=0, max_value=10_000), suffix=st.sampled_from([".jsonl", ".csv", ".tsv"]))
def test_nul_bytes_anywhere(rows, where: int, suffix: str) -> None:
    delimiter = "\t" if suffix == ".tsv" else ","
    if suffix == ".jsonl":
        text = "".join(json.dumps({"original": o, "candidate": c, "label": label}) + "\n" for o, c, (_, label) in rows)
    else:
        text = "\n".join(delimiter.join(r) for r in [["original", "candidate", "label"]] +
                         [[f"o{i}", f"c{i}", str(label)] for i, (_, _, (_, label)) in enumerate(rows)]) + "\n"
    content = text.encode("utf-8")
    at = where % (len(content) + 1)
    with workdir() as tmp:
        path = tmp / f"rows{suffix}"
        path.write_bytes(content[:at] + b"\x00" + content[at:])
        data = outcome(lambda: load(path), str(path))
        if data is not None:
            check_items(data, "pair")


# --------------------------------------------------------------------------- huge fields


@settings(max_examples=4, deadline=None, derandomize=True, database=None)
@given(size=st.sampled_from([100_000, 1_500_000]), suffix=st.sampled_from([".jsonl", ".csv", ".tsv"]))
def test_huge_fields_are_read_whole(size: int, suffix: str) -> None:
    huge = ("spun words " * (size // 11 + 1))[:size].strip()
    rows = [{"original": huge, "candidate": "a short candidate", "label": 1},
            {"original": "a short original", "candidate": huge, "label": 0}]
    with workdir() as tmp:
        path = tmp / f"big{suffix}"
        if suffix == ".jsonl":
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        else:
            sep = "\t" if suffix == ".tsv" else ","
            path.write_text("\n".join(sep.join(map(str, r.values())) for r in [dict.fromkeys(rows[0], None) | {
                "original": "original", "candidate": "candidate", "label": "label"}, *rows]) + "\n", encoding="utf-8")
        items = check_items(load(path), "pair")
    assert [len(r["original"]) for r in items] == [len(huge), len("a short original")]
    assert items[1]["candidate"] == huge


# --------------------------------------------------------------------------- malformed rows


# JSON values of every kind, including NaN and infinities (json.dumps writes them, json.loads reads them).
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)
KEYS = st.sampled_from(["id", "original", "candidate", "text", "label", "site", "x"])
FORMAT_KEYS = {None: KEYS, "mrpc": st.sampled_from(["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String", "x"]),
               "paws": st.sampled_from(["id", "sentence1", "sentence2", "label", "x"])}
FORMAT_FIELDS = {None: ("original", "candidate"), "mrpc": ("#1 String", "#2 String"), "paws": ("sentence1", "sentence2")}


def base_row(fmt: str | None, task: str, number: int, first: str, second: str, label: Any) -> dict[str, Any]:
    if fmt == "mrpc":
        return {"Quality": label, "#1 ID": number, "#2 ID": str(number + 100), "#1 String": first, "#2 String": second}
    if fmt == "paws":
        return {"id": number, "sentence1": first, "sentence2": second, "label": label}
    if task == "detect":
        return {"text": first + second, "label": label, "site": "s"}
    return {"original": first, "candidate": second, "label": label, "site": "s"}


@FAST
@given(data=st.data(), task=st.sampled_from(["pair", "detect"]), fmt=st.sampled_from([None, "mrpc", "paws"]),
       slice_by=st.sampled_from([(), ("site",)]))
def test_jsonl_rows_of_any_shape(data, task: str, fmt: str | None, slice_by) -> None:
    """Good rows with a few keys dropped or set to any JSON value (NaN, lists, nested objects...)."""
    good = data.draw(PAIR_ROWS)
    rows = [base_row(fmt, task, n, o, c, raw) for n, (o, c, (raw, _)) in enumerate(good)]
    for _ in range(data.draw(st.integers(0, 3))):
        row = rows[data.draw(st.integers(0, len(rows) - 1))]
        key = data.draw(FORMAT_KEYS[fmt])
        if data.draw(st.booleans()):
            row.pop(key, None)
        else:
            row[key] = data.draw(JSON_VALUES)
    with workdir() as tmp:
        path = tmp / "rows.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        loaded = outcome(lambda: load(path, task, fmt=fmt, slice_by=list(slice_by)), str(path), "--slice-by", "--format")
        if loaded is None:
            return
        items = check_items(loaded, task)
    assert len(items) == len(rows)
    fields = FORMAT_FIELDS[fmt] if task == "pair" else ("text",)
    assert [tuple(r[f] for f in (("original", "candidate") if task == "pair" else ("text",))) for r in items] == [
        tuple(r[f] for f in fields) for r in rows]
    if fmt == "mrpc":
        assert [r["id"] for r in items] == [f"mrpc-{r['#1 ID']}-{r['#2 ID']}" for r in rows]
        assert all(isinstance(r[k], (str, int)) and not isinstance(r[k], bool) for r in rows for k in ("#1 ID", "#2 ID"))
    elif "id" in rows[0]:  # ids are text or integers, nothing else
        assert all(isinstance(r["id"], (str, int)) and not isinstance(r["id"], bool) for r in rows)
        assert [r["id"] for r in items] == [str(r["id"]).strip() for r in rows]


DEFECTS = {
    "missing key": lambda row: {k: v for k, v in row.items() if k != "candidate"},
    "text is a number": lambda row: {**row, "original": 3},
    "text is null": lambda row: {**row, "candidate": None},
    "text is a list": lambda row: {**row, "original": ["a", "b"]},
    "blank text": lambda row: {**row, "original": " \t "},
    "label 2": lambda row: {**row, "label": 2},
    "label NaN": lambda row: {**row, "label": math.nan},
    "label inf": lambda row: {**row, "label": -math.inf},
    "label word": lambda row: {**row, "label": "yes"},
    "label null": lambda row: {**row, "label": None},
    "label nested": lambda row: {**row, "label": {"value": 1}},
}


@FAST
@given(rows=PAIR_ROWS.filter(lambda rows: len(rows) >= 2), position=st.integers(0, 5),
       defect=st.sampled_from([*DEFECTS, "duplicate texts", "duplicate id", "id after the first row"]))
def test_the_first_bad_row_is_named_with_its_line(rows, position: int, defect: str) -> None:
    position %= len(rows)
    with_ids = defect == "duplicate id"
    objects = [{**({"id": f"r{i}"} if with_ids else {}), "original": o, "candidate": c, "label": raw}
               for i, (o, c, (raw, _)) in enumerate(rows)]
    if defect in DEFECTS:
        objects[position] = DEFECTS[defect](objects[position])
    else:
        position = max(position, 1)
        if defect == "duplicate texts":
            objects[position] = {**objects[0], "label": objects[position]["label"]}
        elif defect == "duplicate id":
            objects[position]["id"] = "r0"
        else:
            objects[position]["id"] = "mine"
    with workdir() as tmp:
        path = tmp / "bad.jsonl"
        path.write_text("".join(json.dumps(obj) + "\n" for obj in objects), encoding="utf-8")
        with pytest.raises(BenchError) as caught:
            load(path)
    message = str(caught.value)
    assert str(path) in message
    if defect == "missing key" and position == 0:  # the first object stands in for the header
        assert "missing columns" in message and "--columns" in message
    else:
        assert f"line {position + 1}:" in message, message


@FAST
@given(spec=st.text(st.sampled_from("=,: idoriginalcandidatelabeltext"), max_size=40), task=st.sampled_from(["pair", "detect"]))
def test_column_maps_parse_or_say_how_to_write_them(spec: str, task: str) -> None:
    mapping = outcome(lambda: parse_columns(spec, task), "--columns")
    if mapping is not None:
        fields = ("original", "candidate", "label", "id") if task == "pair" else ("text", "label", "id")
        assert set(mapping) <= set(fields) and all(column.strip() == column and column for column in mapping.values())


@FAST
@given(columns=st.dictionaries(st.sampled_from(["original", "candidate", "label", "id"]),
                               st.sampled_from(["a", "b", "y", "k", "none", "site"]), max_size=4),
       fmt=st.sampled_from([None, "plain", "paws", "mrpc", "other"]), slice_by=st.sampled_from([(), ("site",), ("a",)]))
def test_column_maps_and_formats_against_a_file(columns, fmt, slice_by) -> None:
    rows = [{"a": "first text", "b": "second text", "y": 1, "k": "one", "site": "s"},
            {"a": "third text", "b": "fourth text", "y": 0, "k": "two", "site": "t"}]
    with workdir() as tmp:
        path = tmp / "mapped.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        data = outcome(lambda: load(path, columns=columns, fmt=fmt, slice_by=list(slice_by)),
                       str(path), "--format", "--slice-by")
        if data is None:
            return
        items = check_items(data, "pair")
    assert data.format == "plain" and fmt in (None, "plain")
    assert [(r["original"], r["candidate"], r["label"]) for r in items] == [
        (r[columns["original"]], r[columns["candidate"]], r[columns["label"]]) for r in rows]


# --------------------------------------------------------------------------- predictions files


PREDICTION_ROWS = st.lists(st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=6), st.integers(-5, 5), st.none(), st.booleans(), st.floats()),
     "score": st.one_of(st.floats(), st.integers(-10**400, 10**400), st.text(max_size=3), st.none(), st.booleans())},
    optional={"rank_of_source": st.integers(0, 5), "extra": JSON_VALUES}), max_size=5)


def expected_scores(rows: list[dict[str, Any]]) -> dict[str, float] | None:
    """What a predictions file of these rows means, or None when it must be refused."""
    scores: dict[str, float] = {}
    for row in rows:
        item_id, score = row["id"], row["score"]
        if isinstance(item_id, int) and not isinstance(item_id, bool):
            item_id = str(item_id)
        if not isinstance(item_id, str) or not item_id or item_id in scores:
            return None
        # NaN fails both comparisons; an integer beyond the largest float cannot become one.
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not abs(score) <= sys.float_info.max:
            return None
        scores[item_id] = float(score)
    return scores or None


@FAST
@given(rows=PREDICTION_ROWS)
def test_predictions_model_files_of_any_rows(rows) -> None:
    with workdir() as tmp:
        path = tmp / "scores.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        model = outcome(lambda: PredictionsFile(str(path)), str(path))
    expected = expected_scores(rows)
    if expected is None:
        assert model is None, f"accepted rows it should refuse: {rows}"
    else:
        assert model is not None and model.scores == expected


@FAST
@given(content=st.binary(max_size=200), prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b'{"id": "a", "score": 1}\n']))
def test_predictions_model_files_of_random_bytes(content: bytes, prefix: bytes) -> None:
    with workdir() as tmp:
        path = tmp / "scores.jsonl"
        path.write_bytes(prefix + content)
        model = outcome(lambda: PredictionsFile(str(path)), str(path))
    if model is not None:
        assert model.scores and all(math.isfinite(s) for s in model.scores.values())


def write_record(tmp: Path, content: bytes, predictions: Any = ..., ranked: bool = False) -> Any:
    """A results file whose predictions file holds ``content``, loaded as ``bench leaderboard`` loads it.

    Its ``predictions`` entry (default: the right file name and sha256) is written as given, so a
    malformed entry meets the schema first: a clean error there, or at ``read_predictions``.
    """
    folder = tmp / "m"
    folder.mkdir(exist_ok=True)
    (folder / "pair.predictions.jsonl").write_bytes(content)
    if predictions is ...:
        predictions = {"file": "pair.predictions.jsonl", "sha256": hashlib.sha256(content).hexdigest()}
    task = ({"name": "retrieve", "main_score": "mrr", "shape": "ranked"} if ranked
            else {"name": "pair", "main_score": "auroc"})
    record = typed_result({"task": {**task, "fingerprint": "f"}, "model": {"name": "m", "slug": "m"},
                           "n": {"positive": 1, "negative": 1}, "metrics": {task["main_score"]: 0.5},
                           **({"retrieval": {"method": "index+search", "k": 10, "pool_size": 2}} if ranked else {})
                           }).model_dump(mode="json", exclude_unset=True)
    (folder / "pair.json").write_text(json.dumps({**record, "predictions": predictions}))
    return load_results(tmp)[0]


@FAST
@given(rows=PREDICTION_ROWS)
def test_read_predictions_of_any_rows(rows) -> None:
    with workdir() as tmp:
        content = "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")
        read = outcome(lambda: read_predictions(write_record(tmp, content)), str(tmp))
    expected = expected_scores(rows) if rows else {}
    if read is None:
        return
    assert expected is not None and {i: float(row["score"]) for i, row in read.items()} == expected


@FAST
@given(content=st.binary(max_size=200), prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b'{"id": "a", "score": 1}\n']))
def test_read_predictions_of_random_bytes(content: bytes, prefix: bytes) -> None:
    with workdir() as tmp:
        read = outcome(lambda: read_predictions(write_record(tmp, prefix + content)), str(tmp))
    if read is not None:
        assert all(isinstance(i, str) and math.isfinite(float(row["score"])) for i, row in read.items())


@FAST
@given(predictions=st.one_of(JSON_VALUES, st.fixed_dictionaries(
    {"file": st.one_of(st.text(max_size=12), st.none(), st.integers()), "sha256": st.one_of(st.text(max_size=4), st.none())})))
def test_read_predictions_of_a_malformed_record(predictions) -> None:
    with workdir() as tmp:
        assert outcome(lambda: read_predictions(write_record(tmp, b'{"id": "a", "score": 1}\n', predictions)),
                       str(tmp)) is None


# --------------------------------------------------------------------------- regressions
# Found by the properties above; each was a traceback before the fix.


@pytest.mark.parametrize(("content", "expected"), [
    (b'{"id": "a", "score": 0.5}\n{"id": "a", "score": 0.7}\n', r"line 2: id 'a' is already on line 1"),
    (b'{"id": "a", "score": NaN}\n', r"line 1: 'score' must be a finite number, got nan"),
    (b'{"id": "a", "score": 1' + b"0" * 400 + b'}\n', r"line 1: 'score' must be a finite number"),
    (b'{"id": 3, "score": 0.5}\n', r"line 1: 'id' must be a non-empty string, got 3"),
    (b'{"score": 0.5}\n', r"line 1: 'id' must be a non-empty string, got None"),
    (b'["a", 0.5]\n', r"line 1: expected a JSON object, got list"),
    (b'{"id": "caf\xe9", "score": 0.5}\n', r"line 1: not a JSON object \('utf-8' codec"),
    (b'{"id": "a", "score": 0.5}\n{"id": "b"\n', r"line 2: not a JSON object"),
])
def test_read_predictions_names_the_bad_line(tmp_path: Path, content: bytes, expected: str) -> None:
    record = write_record(tmp_path, content)
    with pytest.raises(BenchError, match=expected) as caught:
        read_predictions(record)
    assert "pair.predictions.jsonl" in str(caught.value) and "re-run the eval of" in str(caught.value)


def test_read_predictions_needs_ranks_on_a_retrieval_result(tmp_path: Path) -> None:
    record = write_record(tmp_path, b'{"id": "q1", "score": 0.5}\n')
    assert read_predictions(record) == {"q1": {"id": "q1", "score": 0.5}}
    with pytest.raises(BenchError, match="'rank_of_source' must be an integer, got None"):
        read_predictions(write_record(tmp_path, b'{"id": "q1", "score": 0.5}\n', ranked=True))


@pytest.mark.parametrize("entry", [None, {}, {"file": "../elsewhere.jsonl", "sha256": "0"}, {"file": "", "sha256": "0"},
                                   {"file": "..", "sha256": "0"}, {"file": "pair.predictions.jsonl"}, ["a", "b"]])
def test_read_predictions_of_a_record_without_a_usable_predictions_entry(tmp_path: Path, entry: Any) -> None:
    # The schema refuses an entry of the wrong form when the file is loaded; read_predictions
    # refuses a missing entry and a name that is not a file beside the results file.
    with pytest.raises(BenchError, match=r"pair\.json(: its 'predictions' entry .* re-run its eval| does not fit "
                                         r"the results schema: predictions.* re-run its eval)"):
        read_predictions(write_record(tmp_path, b'{"id": "a", "score": 1}\n', entry))


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-16", r"the file is UTF-16 \(it starts with a UTF-16 byte-order mark\); save it as UTF-8"),
    ("utf-32", r"the file is UTF-32 \(it starts with a UTF-32 byte-order mark\); save it as UTF-8"),
    ("utf-16-le", r"line 1: NUL bytes \(is the file UTF-16 or UTF-32\?\); save the file as UTF-8"),
    ("utf-16-be", r"line 1: NUL bytes"),
])
@pytest.mark.parametrize("suffix", [".tsv", ".jsonl"])
def test_utf16_and_utf32_files_are_named_as_such(tmp_path: Path, encoding: str, expected: str, suffix: str) -> None:
    """Before the fix a BOM-less UTF-16 file (Excel's "Unicode text") read as a header of odd names."""
    text = ('{"original": "a", "candidate": "b", "label": 1}\n' if suffix == ".jsonl"
            else "original\tcandidate\tlabel\nthe cat sat\tthe cat sat down\t1\n")
    path = tmp_path / f"unicode{suffix}"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(BenchError, match=expected) as caught:
        load(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_column_name_used_twice_is_refused(tmp_path: Path, suffix: str) -> None:
    """Before the fix a Parquet file with two 'original' columns silently read the second."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"twice{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.Table.from_arrays([pa.array(["a", "b"]), pa.array(["x", "y"]), pa.array(["c", "d"]),
                                             pa.array([1, 0])], names=["original", "candidate", "original", "label"]), path)
    else:
        path.write_text("original,candidate,original,label\na,x,c,1\nb,y,d,0\n", encoding="utf-8")
    with pytest.raises(BenchError, match=r"the header names a column more than once: \['original'\]; give each"):
        load(path)
