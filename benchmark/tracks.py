"""Real-world tracks: openly licensed human rewrite data, scored like the built-in ``pair`` task.

A benchmark built from machine rewrites is worth its leaderboard only if its ranking of models
predicts their ranking on real rewrites. The tracks are that check: three public data sets,
vendored unchanged under ``benchmark/realdata/`` (each with its licence and citation in a
``README.md`` beside it), turned by an adapter here into ``pair`` rows (``id``, ``original``,
``candidate``, ``label``, ``kind``) with stable ids:

* ``clough-stevenson``: 95 short answers written by students, each paired with the Wikipedia
  text its question is about (document level). ``cut``, ``light`` and ``heavy`` revisions of
  that text are positives; ``non`` answers, written from other sources on the same question, are
  negatives. No dev data: F1 and accuracy are left out.
* ``pan-pc10``: sentence pairs from PAN-PC-10's human (Mechanical Turk) plagiarism cases
  (Madnani et al., 2012). Test evaluated; thresholds from train.
* ``paws-wiki``: PAWS-Wiki adversarial pairs; the negatives keep the words and change the
  meaning. Test evaluated; thresholds from dev.

The rows go through the same checks, conversion and cache as a user's data
(:func:`rewrite_bench.userdata.load_rows`) and the same harness as ``--data``
(:func:`rewrite_bench.runner.evaluate_user_data`); results record ``data.kind = "track"``, so the
leaderboard shows them in their own sections and never in the built-in ones.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

from rewrite_bench.io import decoded_lines, sha256_file, stable_json
from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from rewrite_bench.build import BenchmarkData
    from rewrite_bench.models import LoadedModel
    from rewrite_bench.runner import EvalOutcome
    from rewrite_bench.types import TaskMetadata
    from rewrite_bench.userdata import UserData

__all__ = ["REALDATA", "TRACK_TASK", "Track", "TrackRow", "TRACKS", "GROUPS", "resolve_tracks", "track_rows", "load_track",
           "evaluate_track", "track_fingerprint", "clough_decoding", "card_markdown"]

#: The vendored data (package data, so a non-editable install has it too).
REALDATA = Path(__file__).with_name("realdata")

#: The built-in task whose items every track's rows are (``original``, ``candidate``, ``label``):
#: the one whose ranking the tracks check.
TRACK_TASK = "pair"

#: Bumped when an adapter changes the rows it produces (it keys the cached conversion).
ADAPTER_VERSION = "1"


@dataclass(frozen=True)
class TrackRow:
    """One pair of a track, in the ``pair`` schema plus its ``kind``."""

    id: str
    original: str
    candidate: str
    label: int
    kind: str

    def as_row(self) -> dict[str, Any]:
        return {"id": self.id, "original": self.original, "candidate": self.candidate, "label": self.label,
                "kind": self.kind}


@dataclass(frozen=True)
class Track:
    """A real-world track: where its files are, which split is evaluated and which gives thresholds."""

    name: str
    title: str
    directory: str
    """Folder under :data:`REALDATA`."""
    level: str
    """``document`` or ``sentence``."""
    test_split: str
    """The split evaluated (``all`` for a data set without splits)."""
    dev_split: str | None
    """The split F1/accuracy thresholds are chosen on; None: no dev data, they are left out."""
    reader: Callable[[Path, str], Iterator[TrackRow]]
    """``reader(directory, split)``: the split's rows, in file order."""
    citation: str
    licence: str
    label_means: str
    """What label 1 means in this data (it is not always "derived")."""
    decoding: str = "UTF-8"
    """How the files are decoded (recorded in results files)."""
    slice_by_kind: bool = False
    """Whether results and the leaderboard report the main score per ``kind``: worth it only
    where kinds split a class (Clough's cut/light/heavy); elsewhere each kind is one class."""

    @property
    def path(self) -> Path:
        return REALDATA / self.directory


# --------------------------------------------------------------------------- adapters


def clough_decoding(raw: bytes) -> tuple[str, str]:
    """(text, encoding) of a Clough & Stevenson file: UTF-8 where valid, else Windows-1252.

    17 of the 100 files hold single bytes 0x85 and 0x91-0x97: Windows-1252 curly quotes, dashes
    and an ellipsis (in Latin-1 they would be control characters), so cp1252 is the fallback.
    """
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def _clough_text(path: Path) -> str:
    if not path.is_file():
        raise BenchError(f"track file {path} is missing; the package data is incomplete: reinstall rewrite-bench.")
    return clough_decoding(path.read_bytes())[0]


def _clough_rows(directory: Path, split: str) -> Iterator[TrackRow]:
    """Each answer paired with the original of its task; label 1 for cut/light/heavy, 0 for non."""
    info = directory / "file_information.csv"
    with open(info, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    originals = {row["Task"]: _clough_text(directory / row["File"]) for row in rows if row["Category"] == "orig"}
    for row in rows:
        category = row["Category"]
        if category == "orig":
            continue
        if category not in ("cut", "light", "heavy", "non"):
            raise BenchError(f"{info}: {row['File']} has category {category!r}, not cut/light/heavy/non/orig.")
        yield TrackRow(id=f"clough-{Path(row['File']).stem}", original=originals[row["Task"]],
                       candidate=_clough_text(directory / row["File"]), label=int(category != "non"), kind=category)


def _lines(path: Path) -> list[str]:
    """A line-aligned file's lines (UTF-8, the final newline not making an extra line)."""
    return [line.rstrip("\r\n") for _, line in decoded_lines(path)]


def _pan_pairs(directory: Path, split: str) -> list[tuple[str, str, int]]:
    s1, s2 = _lines(directory / f"pan-{split}_s1.txt"), _lines(directory / f"pan-{split}_s2.txt")
    labels = _lines(directory / f"pan-{split}.labels")
    if not len(s1) == len(s2) == len(labels):
        raise BenchError(f"{directory}: pan-{split} files are not line-aligned ({len(s1)}, {len(s2)}, {len(labels)} lines).")
    return [(a, b, int(label)) for a, b, label in zip(s1, s2, labels)]


def _pan_rows(directory: Path, split: str) -> Iterator[TrackRow]:
    """PAN's line-aligned files; ids ``pan-<split>-<line>``. Train pairs identical to a test pair
    are left out of train (it only gives thresholds, which must come from other items)."""
    pairs = _pan_pairs(directory, split)
    held = {(first, second) for first, second, _ in _pan_pairs(directory, "test")} if split == "train" else set()
    for line, (first, second, label) in enumerate(pairs, start=1):
        if (first, second) in held:
            continue
        yield TrackRow(id=f"pan-{split}-{line:05d}", original=first, candidate=second, label=label,
                       kind="paraphrase" if label else "non-paraphrase")


def _paws_rows(directory: Path, split: str) -> Iterator[TrackRow]:
    """PAWS-Wiki's TSV (header added upstream of us); ids ``paws-<split>-<id>``. Read by the user-data
    TSV reader (tab-separated, no quoting, CRLF line ends handled)."""
    from rewrite_bench.sources import delimited_rows

    header, rows = delimited_rows(directory / f"{split}.tsv", "\t")
    for _, row in rows:
        label = int(row["label"])
        yield TrackRow(id=f"paws-{split}-{row['id']}", original=row["sentence1"], candidate=row["sentence2"],
                       label=label, kind="paraphrase" if label else "non-paraphrase")


TRACKS: Mapping[str, Track] = {track.name: track for track in (
    Track("clough-stevenson", "Clough & Stevenson short-answer plagiarism", "clough_stevenson", "document",
          test_split="all", dev_split=None, reader=_clough_rows,
          citation="Clough, P. and Stevenson, M. (2011). Developing a corpus of plagiarised short answers. "
                   "Language Resources and Evaluation 45(1): 5-24.",
          licence="distributed freely for research by the University of Sheffield",
          label_means="the answer was written from the task's Wikipedia text (cut, light or heavy revision); "
                      "0: written independently from other sources (non)",
          decoding="per file: UTF-8 where valid (83 files), else Windows-1252 (cp1252; 17 files, bytes 0x85 and "
                   "0x91-0x97: quotes, dashes, ellipsis)",
          slice_by_kind=True),
    Track("pan-pc10", "PAN-PC-10 plagiarism sentence pairs", "pan_pc10_sentence_pairs", "sentence",
          test_split="test", dev_split="train", reader=_pan_rows,
          citation="Madnani, N., Tetreault, J. and Chodorow, M. (2012). Re-examining machine translation metrics "
                   "for paraphrase identification. NAACL-HLT 2012; from PAN-PC-10 (Potthast et al., 2010).",
          licence="repository MIT; PAN-PC-10 CC BY 4.0 (Webis)",
          label_means="the second sentence plagiarises (paraphrases) the first; 0: another sentence of the "
                      "same document sharing 4+ content words"),
    Track("paws-wiki", "PAWS-Wiki adversarial pairs", "paws_wiki", "sentence",
          test_split="test", dev_split="dev", reader=_paws_rows,
          citation="Zhang, Y., Baldridge, J. and He, L. (2019). PAWS: Paraphrase Adversaries from Word "
                   "Scrambling. NAACL 2019.",
          licence="may be freely used for any purpose (acknowledgement of Google LLC appreciated)",
          label_means="paraphrase (same meaning); 0: almost the same words, changed meaning",
          decoding="UTF-8, tab-separated without quoting, CRLF line ends"),
)}

#: Names that stand for several tracks.
GROUPS: Mapping[str, tuple[str, ...]] = {"real": tuple(TRACKS)}


def resolve_tracks(names: Sequence[str]) -> list[Track]:
    """The tracks ``names`` stand for (``real``: all of them), each once, in registry order."""
    wanted: set[str] = set()
    for name in names:
        if name in GROUPS:
            wanted.update(GROUPS[name])
        elif name in TRACKS:
            wanted.add(name)
        else:
            raise BenchError(f"--track {name!r}: no such track; choose one of {[*GROUPS, *TRACKS]} "
                             f"('real' runs every track).")
    return [track for name, track in TRACKS.items() if name in wanted]


def track_rows(track: Track, split: str) -> list[TrackRow]:
    """Every row of one split of a track, read from the vendored files."""
    if not track.path.is_dir():
        raise BenchError(f"track {track.name!r}: its data folder {track.path} is missing; the package data is "
                         f"incomplete: reinstall rewrite-bench.")
    return list(track.reader(track.path, split))


def _content_id(track: Track, split: str) -> str:
    """Changes whenever the vendored files or the adapter change."""
    files = sorted(p for p in track.path.iterdir() if p.is_file() and p.name != "README.md")
    return hashlib.sha256(stable_json([ADAPTER_VERSION, track.name, split,
                                       [[p.name, sha256_file(p)] for p in files]]).encode("utf-8")).hexdigest()


def track_fingerprint(track: Track) -> str:
    """The data fingerprint of the track's evaluated split (as its results files record it)."""
    from rewrite_bench.userdata import rows_fingerprint

    return rows_fingerprint(TRACK_TASK, ((r.id, (r.original, r.candidate), r.label)
                                     for r in track_rows(track, track.test_split)))


def load_track(track: Track, split: str, cache_dir: Path) -> "UserData":
    """One split of a track, checked and converted as a user's data set is (sliced by ``kind`` where
    :attr:`Track.slice_by_kind`)."""
    from rewrite_bench.userdata import load_rows

    rows = ((f"row {n}", row.as_row()) for n, row in enumerate(track_rows(track, split), start=1))
    return load_rows(rows, TRACK_TASK, header=["id", "original", "candidate", "label", "kind"],
                     content_id=_content_id(track, split), cache_dir=cache_dir,
                     name=track.name if split == track.test_split else f"{track.name}-{split}",
                     source=f"track:{track.name}", where=f"track {track.name} ({track.directory}, {split})",
                     slice_by=["kind"] if track.slice_by_kind else [], split=split,
                     extra={"kind": "track", "track": track.name, "title": track.title, "level": track.level,
                            "directory": f"benchmark/realdata/{track.directory}", "threshold_split": track.dev_split,
                            "citation": track.citation, "licence": track.licence, "decoding": track.decoding})


def card_markdown() -> str:
    """A dataset-card section on the tracks: what each is, its licence and citation, how it is read.

    For the card ``bench build`` writes (and anyone documenting results on the tracks).
    """
    lines = ["## Real-world tracks (vendored, third-party)", "",
             "Evaluated with `bench eval --track NAME`; the files are copied unchanged into "
             "`benchmark/realdata/`, each folder with a README (upstream repository and commit).", "",
             "| track | data | level | evaluated | thresholds from | licence | citation | decoding |",
             "|---|---|---|---|---|---|---|---|"]
    for track in TRACKS.values():
        lines.append(f"| `{track.name}` | {track.title} | {track.level} | {track.test_split} | "
                     f"{track.dev_split or 'none (no F1/accuracy)'} | {track.licence} | {track.citation} | "
                     f"{track.decoding} |")
    return "\n".join(lines) + "\n"


def evaluate_track(model: "LoadedModel", task: "TaskMetadata", track: Track, *, cache_dir: Path, batch_size: int,
                   limit: int | None = None, builtin: "BenchmarkData | None" = None, progress: bool = True,
                   score_cache_dir: Path | None = None) -> "EvalOutcome":
    """Every ``pair`` metric of ``model`` on ``track``'s evaluated split, thresholds from its dev split."""
    from rewrite_bench.runner import evaluate_user_data

    data = load_track(track, track.test_split, cache_dir)
    dev = load_track(track, track.dev_split, cache_dir) if track.dev_split else None
    return evaluate_user_data(model, task, data, dev, limit=limit, batch_size=batch_size, builtin=builtin,
                              progress=progress, score_cache_dir=score_cache_dir,
                              dev_name=f"{track.name}/{track.dev_split}",
                              no_dev_note=f"F1 and accuracy left out: track {track.name!r} has no dev data to choose "
                                          f"their thresholds on (they are never tuned on the evaluated data).")
