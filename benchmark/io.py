"""File-system helpers: where the cache lives, and writes that are all-or-nothing."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

from rewrite_bench.types import BenchError

__all__ = [
    "CACHE_ENV",
    "default_cache_dir",
    "resolve_cache_dir",
    "atomic_write_text",
    "atomic_directory",
    "set_aside",
    "show_ids",
    "hash_rank",
    "sha256_file",
    "stable_json",
    "decoded_lines",
    "jsonl_objects",
]

#: Environment variable that overrides the default cache directory.
CACHE_ENV = "REWRITE_BENCH_CACHE"


def default_cache_dir() -> Path:
    """``$REWRITE_BENCH_CACHE``, else ``$XDG_CACHE_HOME/rewrite-bench``, else ``~/.cache/rewrite-bench``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "rewrite-bench"


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    """The cache directory to use: the explicit one if given, else :func:`default_cache_dir`."""
    return Path(cache_dir).expanduser() if cache_dir else default_cache_dir()


def stable_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace variation: the form that gets hashed."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_directory(final: Path) -> Iterator[Path]:
    """Yield a scratch directory that is renamed to ``final`` only if the block succeeds.

    A crash or Ctrl-C leaves no ``final`` behind (the scratch directory is removed), so a
    directory that exists is always complete. If another process created ``final`` first,
    its copy is kept and ours is discarded.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        yield scratch
        try:
            os.rename(scratch, final)
        except OSError:
            if not final.exists():
                raise
            shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def show_ids(ids: Sequence[str], limit: int = 10) -> str:
    """Item ids for a message: the first ``limit``, then how many more."""
    shown = ", ".join(ids[:limit])
    return shown + (f" (and {len(ids) - limit} more)" if len(ids) > limit else "")


def hash_rank(seed: int, *parts: str) -> str:
    """A sort key that orders things in a seeded, stable pseudo-random order (sha256 of seed and parts)."""
    return hashlib.sha256(":".join((str(seed), *parts)).encode()).hexdigest()


def set_aside(path: Path) -> Path:
    """Move a corrupt cache file (and its sqlite journal, if any) to ``<name>.corrupt``; return where.

    The one policy of every cache here for a file it cannot trust: keep it for a look, warn
    (the caller says what it was), and start a new one. Nothing corrupt is ever read.
    """
    aside = path.with_name(path.name + ".corrupt")
    for suffix in ("", "-journal", "-wal", "-shm"):  # a hot journal must not be replayed into the new file
        try:
            os.replace(path.with_name(path.name + suffix), aside.with_name(aside.name + suffix))
        except FileNotFoundError:
            pass  # absent, or another process moved it first
    return aside


def decoded_lines(path: Path, where: str | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of a file, decoded strictly as UTF-8 (a leading BOM dropped).

    Read a line at a time, so a large file never sits in memory; a byte that is not UTF-8
    stops the read with the file (or ``where``), line and byte named.
    """
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BenchError(f"{where or path}, line {number}: not valid UTF-8 (byte {raw[error.start]:#04x} at "
                                 f"column {error.start + 1}); save the file as UTF-8.") from None
            yield number, line.removeprefix("\ufeff") if number == 1 else line


def jsonl_objects(path: Path, where: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of a JSON-lines file; anything else is an error
    naming the file (or ``where``) and line."""
    where = where or str(path)
    for number, line in decoded_lines(path, where):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            raise BenchError(f"{where}, line {number}: not a JSON object ({error}).") from None
        if not isinstance(row, dict):
            raise BenchError(f"{where}, line {number}: expected a JSON object, got {type(row).__name__}.")
        yield number, row
