"""Where a user's data comes from: opening a ``--data SOURCE`` as raw rows with a header.

One function, :func:`open_source`, turns a path or a name into :class:`Rows`: a JSON-lines,
CSV, TSV or Parquet file (by extension, with UTF-8 checked at the start and odd encodings named),
a ``datasets`` folder saved with ``save_to_disk`` (a split picked from a DatasetDict), or a
Hugging Face Hub dataset id (online only; the Hub is probed first, so offline fails fast).
What the rows mean (columns, labels, checks and conversion) is :mod:`rewrite_bench.userdata`'s.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from rewrite_bench.hub import DATASET_ID, hub_reachable
from rewrite_bench.io import decoded_lines, jsonl_objects, sha256_file
from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["Rows", "open_source", "delimited_rows", "FILE_KINDS", "BATCH_ROWS"]

#: Rows per Arrow record batch while reading and converting (memory is bounded by one batch).
BATCH_ROWS = 2_000

#: ``name``, ``owner/name`` or either with ``:config``: what is tried on the Hub when no such path exists.

#: File extensions read as files, and how.
FILE_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".txt": "tsv",
              ".parquet": "parquet"}


@dataclass
class Rows:
    """Raw rows of a source: its header, the rows with where each is, and an identity of the content."""

    header: list[str]
    rows: Iterator[tuple[str, Mapping[str, Any]]]
    content_id: str
    """Changes whenever the content can have changed (a file's sha256, a dataset's fingerprint)."""
    split: str | None = None
    """The split taken from a DatasetDict or Hub dataset."""
    header_from_first_row: bool = False
    """JSON lines have no header: the first object's keys stand in for one."""


def _jsonl_rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for number, row in jsonl_objects(path):
        yield f"line {number}", row


def _jsonl_header(path: Path) -> list[str]:
    for location, row in _jsonl_rows(path):
        return list(row)
    return []


def delimited_rows(path: Path, delimiter: str) -> tuple[list[str], Iterator[tuple[str, Mapping[str, Any]]]]:
    # TSV as MRPC and PAWS ship it: a tab ends a field and quotes are text. CSV: standard quoting.
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    lines = decoded_lines(path)
    numbers: list[int] = [0]

    def text() -> Iterator[str]:
        for number, line in lines:
            numbers[0] = number
            yield line

    csv.field_size_limit(2**31 - 1)  # whole articles in one field
    reader = csv.reader(text(), delimiter=delimiter, quoting=quoting, strict=delimiter != "\t")
    try:
        header = next(reader, [])
    except csv.Error as error:
        raise BenchError(f"{path}, line {numbers[0]}: cannot read the header ({error}).") from None
    header = [h.strip() for h in header]

    def rows() -> Iterator[tuple[str, Mapping[str, Any]]]:
        while True:
            first = numbers[0] + 1  # a quoted field may span lines: name the record's first
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise BenchError(f"{path}, line {first}: {error}.") from None
            if not values or values == [""]:
                continue
            if len(values) != len(header):
                raise BenchError(f"{path}, line {first}: {len(values)} fields, the header has {len(header)}"
                                 + (" (a tab inside a text?)" if delimiter == "\t" else "") + ".")
            yield f"line {first}", dict(zip(header, values))

    return header, rows()


def _table_rows(batches: Iterator[Any], start: int = 1) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Rows of Arrow record batches (or dicts of columns), numbered from ``start``."""
    number = start
    for batch in batches:
        for row in (batch.to_pylist() if hasattr(batch, "to_pylist") else
                    [dict(zip(batch, values)) for values in zip(*batch.values())]):
            yield f"row {number}", row
            number += 1


def _dataset_rows(dataset: "Dataset") -> Iterator[tuple[str, Mapping[str, Any]]]:
    return _table_rows(dataset.iter(batch_size=BATCH_ROWS))


def _dataset_content_id(dataset: "Dataset") -> str:
    """sha256 over a dataset's Arrow files (its fingerprint where it has none on disk)."""
    files = sorted(entry["filename"] for entry in dataset.cache_files)
    if not files:
        return dataset._fingerprint
    digest = hashlib.sha256()
    for name in files:
        digest.update(sha256_file(Path(name)).encode())
    return digest.hexdigest()


#: Byte-order marks of encodings a text file must be converted from (UTF-32 LE's starts with UTF-16 LE's).
_OTHER_BOMS = {codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32",
               codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16"}


def _check_utf8_start(path: Path, where: str) -> None:
    """Refuse a text file whose first line shows it is UTF-16 or UTF-32, before its header is misread."""
    with open(path, "rb") as handle:
        first = handle.readline(1 << 16)
    for bom, encoding in _OTHER_BOMS.items():
        if first.startswith(bom):
            raise BenchError(f"{where}: the file is {encoding} (it starts with a {encoding} byte-order mark); "
                             f"save it as UTF-8.")
    if b"\0" in first:
        raise BenchError(f"{where}, line 1: NUL bytes (is the file UTF-16 or UTF-32?); save the file as UTF-8.")


def _pick_split(splits: Mapping[str, Any], split: str | None, what: str, option: str) -> tuple[str, Any]:
    wanted = split or "test"
    if wanted in splits:
        return wanted, splits[wanted]
    if split is None and len(splits) == 1:
        return next(iter(splits.items()))
    raise BenchError(f"{what} has the splits {sorted(splits)}, not {wanted!r}; choose one with {option}-split.")


def open_source(source: str, split: str | None, option: str) -> tuple[str, Rows]:
    """The kind of ``source`` and its raw rows."""
    path = Path(source).expanduser()
    if path.is_file():
        kind = FILE_KINDS.get(path.suffix.lower())
        if kind is None:
            raise BenchError(f"{option} {source}: unknown file type {path.suffix!r}; use one of "
                             f"{sorted(FILE_KINDS)} (or a directory saved with datasets' save_to_disk).")
        if path.stat().st_size == 0:
            raise BenchError(f"{option} {source}: the file is empty; it needs a header or JSON lines and at least one row.")
        if kind != "parquet":
            _check_utf8_start(path, f"{option} {source}")
        content_id = sha256_file(path)
        if kind == "jsonl":
            return kind, Rows(_jsonl_header(path), _jsonl_rows(path), content_id, header_from_first_row=True)
        if kind in ("csv", "tsv"):
            header, rows = delimited_rows(path, "," if kind == "csv" else "\t")
            return kind, Rows(header, rows, content_id)
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(path)
        except Exception as error:  # pyarrow raises several types for a broken file
            raise BenchError(f"{option} {source}: not a readable Parquet file ({error}).") from error
        return kind, Rows(list(parquet.schema_arrow.names), _table_rows(parquet.iter_batches(batch_size=BATCH_ROWS)),
                           content_id)
    if path.is_dir():
        import datasets

        try:
            loaded = datasets.load_from_disk(str(path))
        except Exception as error:  # FileNotFoundError or datasets' own errors for a foreign directory
            raise BenchError(f"{option} {source}: not a directory saved with datasets' save_to_disk ({error}).") from error
        picked = None
        if isinstance(loaded, datasets.DatasetDict):
            picked, loaded = _pick_split(loaded, split, f"{option} {source}", option)
        elif split is not None:
            raise BenchError(f"{option} {source} is a single Dataset, not a DatasetDict: it has no split {split!r}; "
                             f"drop the split option.")
        return "datasets-dir", Rows(list(loaded.column_names), _dataset_rows(loaded), _dataset_content_id(loaded),
                                     split=picked)
    if path.suffix.lower() in FILE_KINDS or not DATASET_ID.match(source):
        raise BenchError(f"{option} {source}: no such file or directory.")
    return "hub", _hub_rows(source, split, option)


def _hub_rows(source: str, split: str | None, option: str) -> Rows:
    repo, _, config = source.partition(":")
    if not hub_reachable():
        raise BenchError(f"{option} {source}: no such file or directory, and the Hugging Face Hub cannot be reached "
                         f"(offline, or HF_HUB_OFFLINE is set), so it cannot be loaded as a Hub dataset. Online, "
                         f"save it once with datasets' save_to_disk and pass that directory.")
    import datasets

    try:
        loaded = datasets.load_dataset(repo, config or None)
    except Exception as error:  # the Hub's errors vary: missing repo, gated, bad config
        raise BenchError(f"{option} {source}: could not load it from the Hugging Face Hub ({error}).") from error
    picked, dataset = _pick_split(loaded, split, f"Hub dataset {source}", option)
    return Rows(list(dataset.column_names), _dataset_rows(dataset), _dataset_content_id(dataset), split=picked)
