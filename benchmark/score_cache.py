"""Scores kept on disk, so a re-run is served from the cache and an interrupted run resumes.

One sqlite file per model identity: everything that can change a model's scores (its name,
options, the hash of its code and weights, the train data it was fitted on) goes into the
identity, and the key of each score is a hash of the scoring method and the item's input
texts. A different identity is a different file, so stale scores are never read.

The same file keeps a bi-encoder's text vectors for dense retrieval (``vectors``), keyed the
same way. Each scored batch is committed in its own transaction: a crash or Ctrl-C loses at most the
batch in flight, and a half-written batch is never visible.
"""
from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from rewrite_bench.io import set_aside, stable_json
from rewrite_bench.types import BenchError

__all__ = ["ScoreCache", "item_key", "identity_hash"]

_SCHEMA = 1
_TIMEOUT_S = 60.0  # another process writing the same file waits rather than failing
_LOOKUP_CHUNK = 900  # below sqlite's default limit on bound parameters


def item_key(method: str, texts: Sequence[str]) -> str:
    """The key of one item's score: the scoring method and its input texts, hashed."""
    return hashlib.sha256(stable_json([method, *texts]).encode("utf-8")).hexdigest()


def identity_hash(identity: Mapping[str, Any]) -> str:
    return hashlib.sha256(stable_json(dict(identity)).encode("utf-8")).hexdigest()


class ScoreCache:
    """A sqlite file of ``key -> score`` for one model identity."""

    def __init__(self, directory: Path, slug: str, identity: Mapping[str, Any]) -> None:
        self.identity = dict(identity)
        digest = identity_hash(self.identity)
        self.path = Path(directory) / f"{slug}-{digest[:16]}.sqlite"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BenchError(f"cannot create the score cache folder {self.path.parent} ({error}); choose a "
                             f"writable --cache-dir, or run with --no-cache.") from error
        problem = self._open()
        if problem is not None:
            # The caches' one policy for a file they cannot trust: set it aside, warn, start anew.
            if self._db is not None:
                self._db.close()
            aside = set_aside(self.path)
            print(f"warning: score cache {self.path} {problem}; it is kept as {aside} and a new one is "
                  f"started (its scores will be computed again).", file=sys.stderr)
            problem = self._open()
            if problem is not None:
                raise BenchError(f"score cache {self.path}: {problem} even when new; run with --no-cache.")

    def _open(self) -> str | None:
        """Open (creating if new) the file; why it cannot be used, or None."""
        self._db: sqlite3.Connection | None = None
        try:
            self._db = sqlite3.connect(self.path, timeout=_TIMEOUT_S)
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                self._db.execute("CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, score REAL NOT NULL)")
                # A bi-encoder's text vectors (dense retrieval embeds the pool and the queries once).
                self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(_SCHEMA),))
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('identity', ?)", (stable_json(self.identity),))
            stored = dict(self._db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as error:
            return f"is unreadable ({error})"
        if stored.get("schema") != str(_SCHEMA) or stored.get("identity") != stable_json(self.identity):
            return "belongs to another model or cache version"
        return None

    def get_many(self, keys: Iterable[str]) -> dict[str, float]:
        """The cached scores among ``keys``."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, float] = {}
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT key, score FROM scores WHERE key IN ({marks})", chunk))
        return found

    def put_many(self, scores: Mapping[str, float]) -> None:
        """Store ``scores`` in one transaction (all or nothing)."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?)",
                                 [(key, float(value)) for key, value in scores.items()])

    def get_vectors(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``keys`` (float64, as they were stored)."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float64)
        return found

    def put_vectors(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Store ``vectors`` in one transaction (all or nothing), exactly (float64 bytes)."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                 [(key, np.ascontiguousarray(v, dtype=np.float64).tobytes())
                                  for key, v in vectors.items()])

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0])

    def close(self) -> None:
        self._db.close()
