"""Bring your own data: a user's labelled pairs or texts as items of ``pair`` or ``detect``.

``bench eval --task pair --data SOURCE`` reads SOURCE, checks every row, and hands the
harness the same kind of items the built-in tasks have: ``id``, the task's inputs, ``label``
and any ``--slice-by`` columns. SOURCE is one of

* a file: JSON lines (``.jsonl``, ``.ndjson``), CSV (``.csv``), TSV (``.tsv``, ``.txt``:
  tab-separated, no quoting, as MRPC and PAWS ship) or Parquet (``.parquet``);
* a directory written by ``datasets`` (``save_to_disk``): a Dataset, or a DatasetDict of
  which ``--data-split`` (default ``test``) is taken;
* a Hugging Face Hub dataset id, ``owner/name`` or ``owner/name:config`` (online only; offline
  it fails at once, before any download is tried).

(Opening the source is :mod:`rewrite_bench.sources`; this module is what the rows mean.)

Schema (``--columns field=column,...`` maps other names): pair rows have ``original``,
``candidate``, ``label`` (1 = the candidate is derived from the original) and an optional
``id``; detect rows have ``text``, ``label`` (1 = machine rewrite) and an optional ``id``.
Labels are 0/1 or true/false. A missing id is derived from the row's texts, so it is stable.
The span tasks (``align``, ``distortion``) take ``original``, ``candidate`` and ``gold``: the
candidate's gold character spans as a JSON list of ``[start, end]`` pairs (a JSON string in
CSV or TSV, a list in JSON lines or Parquet); an empty span marks a deletion at its place. Their
label is derived: 1 when the row has a gold span.

Two public pair formats are read as they ship, chosen with ``--format`` or recognised from the
header: MRPC (``Quality``, ``#1 ID``, ``#2 ID``, ``#1 String``, ``#2 String``; UTF-8 with a
BOM) and PAWS (``id``, ``sentence1``, ``sentence2``, ``label``).

Rows are checked and converted as a stream into an Arrow file in the cache (``<cache>/userdata``,
keyed by the source's content and the options, written atomically) and memory-mapped from
there, so memory stays flat however large the file is and a second run skips the conversion.
Any bad row stops the load with the file and line (or row) named; nothing is written.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from rewrite_bench.io import atomic_write_text, stable_json
from rewrite_bench.sources import BATCH_ROWS, FILE_KINDS, Rows, open_source
from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["SCHEMAS", "FORMATS", "UserData", "load_user_data", "load_rows", "rows_fingerprint", "parse_columns", "data_name", "derived_id"]

#: Bumped when the conversion changes, so cached conversions of older code are not reused.
LOADER_VERSION = "3"


@dataclass(frozen=True)
class Schema:
    """The fields of one task's items: the model's inputs, then what is to be found (a ``label``, or
    a span task's ``gold`` spans); ``id`` is optional."""

    inputs: tuple[str, ...]
    target: str = "label"

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.inputs, self.target, "id")

    @property
    def spans(self) -> bool:
        return self.target == "gold"


class _Schemas(Mapping[str, Schema]):
    """Task name -> schema, for every registered task whose shape takes users' data (read on first use,
    so a task registered later, or a third party's, is included with no change here)."""

    @functools.cached_property
    def _table(self) -> dict[str, Schema]:
        from rewrite_bench.registry import TASKS, load_target
        from rewrite_bench.shapes import SpanTask, shape_of

        tasks = [load_target(entry.target).metadata for entry in TASKS.values()]
        return {task.name: Schema(task.inputs, "gold" if isinstance(shape_of(task), SpanTask) else "label")
                for task in tasks if shape_of(task).accepts_user_data}

    def __getitem__(self, name: str) -> Schema:
        return self._table[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


#: The tasks ``--data`` can feed, and the fields of their items.
SCHEMAS: Mapping[str, Schema] = _Schemas()


@dataclass(frozen=True)
class Format:
    """A public file format: the columns that recognise it and how they map to the schema."""

    name: str
    inputs: tuple[str, ...]
    """The schema inputs its rows give; it feeds the tasks whose items have exactly these."""
    header: tuple[str, ...]
    """Columns that must all be present; a header with all of them is recognised as this format."""
    columns: Mapping[str, str]
    """Schema field -> column of the format."""
    id_columns: tuple[str, ...] = ()
    """Columns whose values, joined with ``-`` after the format's name, make the item id (when the
    format's id spans several columns)."""


FORMATS: Mapping[str, Format] = {
    "mrpc": Format("mrpc", ("original", "candidate"), ("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"),
                   {"original": "#1 String", "candidate": "#2 String", "label": "Quality"},
                   id_columns=("#1 ID", "#2 ID")),
    "paws": Format("paws", ("original", "candidate"), ("id", "sentence1", "sentence2", "label"),
                   {"original": "sentence1", "candidate": "sentence2", "label": "label", "id": "id"}),
}


@dataclass(frozen=True)
class UserData:
    """A user's data set, checked and converted: the items plus what results record about it."""

    name: str
    """Short name used in results paths: ``<task>@<name>.json``."""
    task: str
    source: str
    """What the user passed as SOURCE."""
    kind: str
    """``jsonl``, ``csv``, ``tsv``, ``parquet``, ``datasets-dir``, ``hub`` or ``program`` (rows from :func:`load_rows`)."""
    format: str
    """``mrpc``, ``paws`` or ``plain`` (the documented schema, maybe renamed by ``--columns``)."""
    columns: Mapping[str, str]
    """Schema field -> source column actually read (``id`` absent: ids derived from content)."""
    slice_by: tuple[str, ...]
    split: str | None
    """The split of a DatasetDict or Hub dataset that was read (None for a file or a Dataset)."""
    fingerprint: str
    """sha256 of the task name and every converted row, in order: identifies the data."""
    items: "Dataset" = field(repr=False, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Merged into :meth:`record` (a real-world track records ``kind: track`` and where it comes from)."""

    def record(self) -> dict[str, Any]:
        """What a results file says about this data."""
        return {"kind": "user", "name": self.name, "source": self.source, "source_kind": self.kind,
                "split": self.split, "format": self.format, "columns": dict(self.columns),
                "slice_by": list(self.slice_by),
                "fingerprint": self.fingerprint, "n_rows": len(self.items), **self.extra}


# --------------------------------------------------------------------------- options


def parse_columns(spec: str | None, task: str) -> dict[str, str]:
    """``"original=colA,candidate=colB"`` -> ``{"original": "colA", ...}``, checked against the schema."""
    if not spec:
        return {}
    fields = SCHEMAS[task].fields
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, column = (s.strip() for s in part.partition("="))
        if not sep or not key or not column:
            raise BenchError(f"--columns {spec!r}: write FIELD=COLUMN pairs separated by commas, "
                             f"e.g. --columns {fields[0]}=colA,label=colC.")
        if key not in fields:
            raise BenchError(f"--columns: {key!r} is not a field of task {task!r}; its fields are {list(fields)}.")
        mapping[key] = column
    return mapping


def data_name(source: str) -> str:
    """A file-name-safe name for a source: the file's stem, the directory's or the Hub id's name."""
    path = Path(source)
    raw = path.stem if path.suffix.lower() in FILE_KINDS else path.name if path.exists() else source
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._") or "data"


# --------------------------------------------------------------------------- row checks


def _label(value: Any, where: str, column: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return int(text == "true")
        with contextlib.suppress(ValueError):
            if float(text) in (0.0, 1.0):  # "1", "1.0" (as pandas writes float labels)
                return int(float(text))
    raise BenchError(f"{where}: label {value!r} (column {column!r}) is not 0/1 or true/false.")


def _text(value: Any, where: str, field_name: str, column: str) -> str:
    if not isinstance(value, str):
        raise BenchError(f"{where}: {field_name} (column {column!r}) must be a string, got "
                         f"{'null' if value is None else type(value).__name__}.")
    if not value.strip():
        raise BenchError(f"{where}: {field_name} (column {column!r}) is empty.")
    return value


def _id_value(value: Any, where: str, column: str) -> str:
    """An id (or part of one) as text: a non-empty string or an integer, nothing else."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        raise BenchError(f"{where}: id (column {column!r}) must be a non-empty string or integer, got {shown}.")
    return str(value).strip()


def _gold(value: Any, where: str, column: str, candidate: str) -> str:
    """A row's gold spans, checked against its candidate, as compact sorted JSON ``[[start, end], ...]``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise BenchError(f"{where}: gold (column {column!r}) is not JSON: {value[:60]!r}; write a JSON list of "
                             f"[start, end] pairs, e.g. [[0, 120], [130, 200]] (or [] for none).") from None
    if hasattr(value, "tolist"):  # a Parquet list column read as an array
        value = value.tolist()
    if not isinstance(value, list):
        raise BenchError(f"{where}: gold (column {column!r}) must be a list of [start, end] pairs, got "
                         f"{type(value).__name__}.")
    spans = []
    for number, span in enumerate(value):
        if hasattr(span, "tolist"):
            span = span.tolist()
        if (not isinstance(span, list) or len(span) != 2
                or any(isinstance(v, bool) or not isinstance(v, int) for v in span)):
            raise BenchError(f"{where}: gold span {number} (column {column!r}) must be [start, end] with integer "
                             f"offsets, got {span!r}.")
        if not 0 <= span[0] <= span[1] <= len(candidate):
            raise BenchError(f"{where}: gold span {number} {span} must satisfy 0 <= start <= end <= {len(candidate)} "
                             f"(the candidate's length).")
        spans.append(span)
    return json.dumps(sorted(spans), separators=(",", ":"))


def _slice_value(value: Any, where: str, column: str) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, float) and math.isnan(value):
        return "(empty)"
    if isinstance(value, (str, int, float, bool)):
        return str(value)
    raise BenchError(f"{where}: --slice-by column {column!r} holds a {type(value).__name__}; "
                     f"slice columns must hold single values (text, numbers or booleans).")


def _resolve_columns(task: str, header: Sequence[str], fmt: str | None, columns: Mapping[str, str],
                     slice_by: Sequence[str], where: str, first_row: bool = False) -> tuple[Format | None, dict[str, str]]:
    """The format used and the final field -> column mapping, checked against the header."""
    schema = SCHEMAS[task]
    found = set(header)
    chosen: Format | None = None
    if fmt not in (None, "plain"):
        if fmt not in FORMATS:
            raise BenchError(f"--format {fmt!r}: choose one of {['plain', *FORMATS]}.")
        chosen = FORMATS[fmt]
    elif fmt is None and not columns and not set(schema.inputs) <= found:
        chosen = next((f for f in FORMATS.values() if f.inputs == schema.inputs and set(f.header) <= found), None)
    if chosen is not None:
        if chosen.inputs != schema.inputs:
            raise BenchError(f"--format {chosen.name}: its rows are ({', '.join(chosen.inputs)}) items; it cannot "
                             f"feed task {task!r}, whose items are ({', '.join(schema.inputs)}).")
        missing = [c for c in chosen.header if c not in found]
        if missing:
            raise BenchError(f"{where}: not in the {chosen.name.upper()} format: missing columns {missing}; "
                             f"found {list(header)}.")
    mapping = {**(dict(chosen.columns) if chosen else {name: name for name in schema.fields}), **columns}
    required = [*schema.inputs, schema.target]
    missing = [f"{name} (column {mapping[name]!r})" if mapping[name] != name else name
               for name in required if mapping[name] not in found]
    if missing:
        raise BenchError(f"{where}: missing columns for task {task!r}: {', '.join(missing)}; found {list(header)}. "
                         f"Map yours with --columns " + ",".join(f"{n}=COLUMN" for n in required) + ".")
    if mapping.get("id") not in found:
        if "id" in columns:
            raise BenchError(f"{where}: --columns id={columns['id']} names no column; found {list(header)}.")
        mapping.pop("id", None)  # ids derived from content (or from the format)
    used = set(mapping.values())
    for column in slice_by:
        if column not in found:
            raise BenchError(f"{where}: --slice-by {column!r} is not a column; found {list(header)}"
                             + (" (the keys of the first JSON object)" if first_row else "") + ".")
        if column in (*schema.inputs, "label", "gold", "id") and column not in used:
            raise BenchError(f"--slice-by {column!r}: the items already have a field of that name; rename the "
                             f"column (or map the field to it with --columns).")
        if column in used:
            raise BenchError(f"--slice-by {column!r}: that column is the task's {', '.join(k for k, v in mapping.items() if v == column)}; "
                             f"slice by another column.")
    return chosen, mapping


def derived_id(task: str, texts: Sequence[str]) -> str:
    """The id of a row without one: ``row-`` and 16 hex digits of a sha256 of the task and its texts.

    ``derived_id(task_name, [original, candidate])`` for a pair-scoring task, or
    ``derived_id(task_name, [text])`` for a text-scoring one: use it to write a predictions file
    for data without ids.
    """
    return "row-" + hashlib.sha256(stable_json([task, *texts]).encode("utf-8")).hexdigest()[:16]


def _fingerprint_digest(task: str) -> "hashlib._Hash":
    return hashlib.sha256(stable_json(["rewrite-bench user data", task]).encode("utf-8"))


def _add_to_fingerprint(digest: "hashlib._Hash", item_id: str, texts: Sequence[str], label: int) -> None:
    digest.update((stable_json([item_id, *texts, label]) + "\n").encode("utf-8"))


def rows_fingerprint(task: str, rows: Iterable[tuple[str, Sequence[str], int]]) -> str:
    """The fingerprint a conversion of these ``(id, texts, label)`` rows, in order, records.

    Lets a caller that holds the rows (the leaderboard, from a track's adapter) tell whether
    a results file is on exactly this data without converting anything.
    """
    digest = _fingerprint_digest(task)
    for item_id, texts, label in rows:
        _add_to_fingerprint(digest, item_id, texts, label)
    return digest.hexdigest()


def _convert(task: str, rows: Iterator[tuple[str, Mapping[str, Any]]], fmt: Format | None,
             mapping: Mapping[str, str], slice_by: Sequence[str], label_where: str, out: Path,
             columns_given: Mapping[str, str]) -> tuple[str, int]:
    """Check every row and write the items as an Arrow stream to ``out``; (fingerprint, rows).

    The fingerprint covers each row's id, texts and label, in order (not the slice columns:
    slicing the same data differently leaves it the same data).
    """
    import pyarrow as pa

    schema = SCHEMAS[task]
    id_columns = fmt.id_columns if fmt is not None else ()  # an id made of several columns (MRPC)
    names = ["id", *schema.inputs, "label", *(["gold"] if schema.spans else []), *slice_by]
    arrow_schema = pa.schema([(name, pa.int64() if name == "label" else pa.string()) for name in names])
    digest = _fingerprint_digest(task)
    seen: dict[str, str] = {}
    count = 0
    buffer: dict[str, list[Any]] = {name: [] for name in names}
    with pa.OSFile(str(out), "wb") as sink, pa.ipc.new_stream(sink, arrow_schema) as writer:
        for location, raw in rows:
            where = f"{label_where}, {location}"
            absent = [mapping[name] for name in (*schema.inputs, schema.target, "id") if name in mapping
                      and mapping[name] not in raw] + [c for c in (*id_columns, *slice_by) if c not in raw]
            if absent:
                raise BenchError(f"{where}: missing {absent}; found {sorted(raw)}.")
            texts = [_text(raw[mapping[name]], where, name, mapping[name]) for name in schema.inputs]
            if schema.spans:
                gold = _gold(raw[mapping["gold"]], where, mapping["gold"], texts[-1])
                label = int(gold != "[]")
            else:
                label = _label(raw[mapping["label"]], where, mapping["label"])
            if id_columns:
                item_id = "-".join([fmt.name if fmt else "", *(_id_value(raw[c], where, c) for c in id_columns)])
            elif "id" in mapping:
                item_id = _id_value(raw[mapping["id"]], where, mapping["id"])
            else:
                if "id" in raw and fmt is None and "id" not in columns_given:
                    raise BenchError(f"{where}: has an 'id' but the first row has none; give every row an id, or none.")
                item_id = derived_id(task, texts)
            if item_id in seen:
                if "id" in mapping or fmt is not None:
                    raise BenchError(f"{where}: id {item_id!r} is already used at {seen[item_id]}; ids must be unique.")
                raise BenchError(f"{where}: repeats the texts of {seen[item_id]} (both get the id {item_id!r}); "
                                 f"remove the duplicate row, or give every row an id column.")
            seen[item_id] = location
            values = [item_id, *texts, label, *([gold] if schema.spans else []),
                      *(_slice_value(raw[c], where, c) for c in slice_by)]
            # A span task's rows are their texts and gold spans (the label follows from the gold).
            _add_to_fingerprint(digest, item_id, [*texts, gold] if schema.spans else texts, label)
            for name, value in zip(names, values):
                buffer[name].append(value)
            count += 1
            if count % BATCH_ROWS == 0:
                writer.write_batch(pa.record_batch([buffer[n] for n in names], schema=arrow_schema))
                buffer = {name: [] for name in names}
        if buffer["id"]:
            writer.write_batch(pa.record_batch([buffer[n] for n in names], schema=arrow_schema))
    if count == 0:
        raise BenchError(f"{label_where}: no rows; it needs at least one {task} item with its {schema.target}.")
    return digest.hexdigest(), count


def load_user_data(source: str, task: str, *, cache_dir: Path, columns: Mapping[str, str] | None = None,
                   fmt: str | None = None, slice_by: Sequence[str] = (), name: str | None = None,
                   split: str | None = None, option: str = "--data") -> UserData:
    """Read, check and convert ``source`` into items of ``task`` (see the module docstring).

    ``option`` is the command-line option that named the source, for error messages.
    """
    if task not in SCHEMAS:
        raise BenchError(f"--data works with the tasks {list(SCHEMAS)}, not {task!r}.")
    _check_name(name)
    columns = dict(columns or {})
    slice_by = tuple(dict.fromkeys(slice_by))
    kind, raw = open_source(source, split, option)
    where = f"{option} {source}" if kind == "hub" else str(Path(source).expanduser())
    chosen, mapping = _checked_header(task, raw, fmt, columns, slice_by, where)
    items, fingerprint = _materialise(task, raw, chosen, mapping, slice_by, where, Path(cache_dir), columns)
    default_name = data_name(source) + (f"-{raw.split}" if raw.split else "")
    return UserData(name=name or default_name, task=task, source=source, kind=kind, split=raw.split,
                    format=chosen.name if chosen else "plain", columns=mapping, slice_by=slice_by,
                    fingerprint=fingerprint, items=items)


def load_rows(rows: Iterable[tuple[str, Mapping[str, Any]]], task: str, *, header: Sequence[str], content_id: str,
              cache_dir: Path, name: str, source: str, where: str, slice_by: Sequence[str] = (),
              split: str | None = None, extra: Mapping[str, Any] | None = None) -> UserData:
    """Rows that a program produces (``(location, row)`` in the plain schema) as a checked data set.

    The same checks, conversion, cache and fingerprint as a file given with ``--data``: used by
    the real-world tracks (:mod:`rewrite_bench.tracks`), whose adapters read the vendored files.
    ``content_id`` must change whenever the rows can (it keys the cached conversion);
    ``extra`` is merged into what results files record about the data.
    """
    _check_name(name)
    slice_by = tuple(dict.fromkeys(slice_by))
    raw = Rows(list(header), iter(rows), content_id, split=split)
    chosen, mapping = _checked_header(task, raw, "plain", {}, slice_by, where)
    items, fingerprint = _materialise(task, raw, chosen, mapping, slice_by, where, Path(cache_dir), {})
    return UserData(name=name, task=task, source=source, kind="program", split=split, format="plain",
                    columns=mapping, slice_by=slice_by, fingerprint=fingerprint, items=items, extra=dict(extra or {}))


def _check_name(name: str | None) -> None:
    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise BenchError(f"--data-name {name!r}: use letters, digits, '.', '_' and '-' (it names the results file).")


def _checked_header(task: str, raw: Rows, fmt: str | None, columns: Mapping[str, str], slice_by: Sequence[str],
                    where: str) -> tuple[Format | None, dict[str, str]]:
    """The format and field -> column mapping of ``raw``, checked against its header."""
    if not raw.header:
        raise BenchError(f"{where}: no rows; it needs a header (or JSON objects) and at least one row.")
    duplicated = sorted({h for h in raw.header if raw.header.count(h) > 1})
    if duplicated:  # a row would keep only the last column of each name
        raise BenchError(f"{where}: the header names a column more than once: {duplicated}; give each column "
                         f"its own name.")
    return _resolve_columns(task, raw.header, fmt, columns, slice_by, where, raw.header_from_first_row)


def _materialise(task: str, raw: Rows, chosen: Format | None, mapping: Mapping[str, str], slice_by: Sequence[str],
                 where: str, cache_dir: Path, columns: Mapping[str, str]) -> tuple["Dataset", str]:
    """The converted items (memory-mapped from the cache, converted first if absent) and their fingerprint."""
    from datasets import Dataset

    key = hashlib.sha256(stable_json([LOADER_VERSION, task, raw.content_id, chosen.name if chosen else "plain",
                                      mapping, list(slice_by)]).encode("utf-8")).hexdigest()[:24]
    directory = cache_dir / "userdata"
    arrow, meta = directory / f"{key}.arrow", directory / f"{key}.json"
    info: dict[str, Any] | None = None
    if arrow.is_file() and meta.is_file():
        with contextlib.suppress(OSError, ValueError):
            info = json.loads(meta.read_text(encoding="utf-8"))
    if info is None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".arrow.tmp", dir=directory)
        os.close(fd)
        try:
            fingerprint, count = _convert(task, raw.rows, chosen, mapping, slice_by, where, Path(tmp), columns)
            os.replace(tmp, arrow)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        info = {"fingerprint": fingerprint, "rows": count}
        atomic_write_text(meta, json.dumps(info) + "\n")  # written last: its presence marks a complete file
    return Dataset.from_file(str(arrow)), info["fingerprint"]
