"""The disk cache of finished translations, shared by every rewriter that translates.

Back-translation costs about 0.15 s a sentence, and a full build translates tens of thousands
of sentences, so finished round trips are kept in one sqlite file per cache directory; a killed
build resumes without redoing them. Engines are deterministic per sentence, so a cached
translation is exactly what the engine would return: the cache never changes an output.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from rewrite_bench.types import BenchError

__all__ = ["TranslationCache"]


class TranslationCache:
    """A sqlite3 file of finished translations, keyed by engine, engine version, direction, text.

    Writes are transactions, so a killed process leaves either the old or the new rows, and
    several processes can share one file (sqlite locking). Every row carries a checksum of its
    key and value. A file that is not a sqlite database, fails ``PRAGMA quick_check`` or has
    another schema is moved aside to ``<name>.corrupt`` with a warning and a new file is
    started; a row whose checksum does not match is ignored with a warning (and recomputed).
    Nothing corrupt is ever returned.
    """

    filename = "translations.sqlite3"
    _FORMAT = "rewritebench-translation-cache-1"
    _COLUMNS = ("key", "value", "checksum")
    _CHUNK = 500  # keys per SELECT (sqlite caps the number of bound parameters)

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()
        self.path = self.directory / self.filename
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._disabled: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_conn"] = None  # a connection is per process; reopened lazily
        state["_pid"] = None
        return state

    def __repr__(self) -> str:
        return f"TranslationCache({str(self.directory)!r})"

    @staticmethod
    def key(engine: str, engine_version: str, direction: str, text: str) -> str:
        """SHA-256 (hex) of the four fields, unambiguously encoded."""
        payload = json.dumps([engine, engine_version, direction, text], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @staticmethod
    def _checksum(key: str, value: str) -> str:
        return hashlib.sha256(f"{key}\x1f{value}".encode("utf-8")).hexdigest()[:16]

    # connection handling

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _problem(self, conn: sqlite3.Connection) -> str | None:
        """Why the open file cannot be used, or None (creating the schema if it is new)."""
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            return f"integrity check failed: {check[0] if check else 'no answer'}"
        with self._transaction(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS translations "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL, checksum TEXT NOT NULL)"
            )
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (self._FORMAT,))
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != self._FORMAT:
            return f"unknown format {row[0] if row else None!r} (expected {self._FORMAT!r})"
        columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(translations)"))
        if columns != self._COLUMNS:
            return f"unexpected columns {columns} in table 'translations'"
        return None

    def _quarantine(self, reason: str) -> None:
        from rewrite_bench.io import set_aside

        aside = self.path.with_name(self.path.name + ".corrupt")
        warnings.warn(
            f"translation cache {self.path} is corrupt ({reason}); ignoring it and starting a "
            f"new one (the old file is kept as {aside})",
            RuntimeWarning,
            stacklevel=4,
        )
        set_aside(self.path)

    def _disable(self, reason: str) -> None:
        self._disabled = reason
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        warnings.warn(
            f"translation cache {self.path} is not used for the rest of this run ({reason}); "
            "translations are recomputed",
            RuntimeWarning,
            stacklevel=4,
        )

    def _connect(self) -> sqlite3.Connection | None:
        if self._disabled is not None:
            return None
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BenchError(
                f"cannot create the translation cache folder {self.directory} ({error}); "
                "pass a writable cache_dir (or --cache-dir)"
            ) from error
        for attempt in range(2):
            conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            try:
                problem = self._problem(conn)
            except sqlite3.OperationalError as error:
                conn.close()
                self._disable(f"cannot open it: {error}")
                return None
            except sqlite3.DatabaseError as error:
                problem = str(error)
            if problem is None:
                self._conn, self._pid = conn, os.getpid()
                return conn
            conn.close()
            if attempt == 0:
                self._quarantine(problem)
            else:
                self._disable(f"still unusable after starting a new file: {problem}")
        return None

    # reads and writes

    def get_many(self, engine: str, engine_version: str, direction: str,
                 texts: Sequence[str]) -> dict[str, str]:
        """The cached translations of those ``texts`` that have one, as ``{text: translation}``."""
        conn = self._connect()
        if conn is None or not texts:
            return {}
        by_key = {self.key(engine, engine_version, direction, t): t for t in texts}
        keys = list(by_key)
        found: dict[str, str] = {}
        bad = 0
        try:
            for i in range(0, len(keys), self._CHUNK):
                chunk = keys[i : i + self._CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT key, value, checksum FROM translations WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, value, checksum in rows:
                    if isinstance(value, str) and checksum == self._checksum(key, value):
                        found[by_key[key]] = value
                    else:
                        bad += 1
        except sqlite3.OperationalError as error:
            warnings.warn(f"translation cache {self.path}: read skipped ({error})", RuntimeWarning, stacklevel=2)
            return {}
        except sqlite3.DatabaseError as error:
            self._disable(str(error))
            return {}
        if bad:
            warnings.warn(
                f"translation cache {self.path}: {bad} corrupt entr{'y' if bad == 1 else 'ies'} "
                "(checksum mismatch) ignored; they are recomputed and overwritten",
                RuntimeWarning,
                stacklevel=2,
            )
        return found

    def put_many(self, engine: str, engine_version: str, direction: str,
                 translations: Mapping[str, str]) -> None:
        """Store ``{text: translation}`` in one transaction (all rows or none)."""
        conn = self._connect()
        if conn is None or not translations:
            return
        rows = []
        for text, value in translations.items():
            key = self.key(engine, engine_version, direction, text)
            rows.append((key, value, self._checksum(key, value)))
        try:
            with self._transaction(conn):
                conn.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, ?)", rows)
        except sqlite3.OperationalError as error:
            warnings.warn(f"translation cache {self.path}: write skipped ({error})", RuntimeWarning, stacklevel=2)
        except sqlite3.DatabaseError as error:
            self._disable(str(error))

    def get(self, engine: str, engine_version: str, direction: str, text: str) -> str | None:
        """The cached translation of one text, or None."""
        return self.get_many(engine, engine_version, direction, [text]).get(text)

    def put(self, engine: str, engine_version: str, direction: str, text: str, value: str) -> None:
        """Store one translation."""
        self.put_many(engine, engine_version, direction, {text: value})

    def __len__(self) -> int:
        conn = self._connect()
        return 0 if conn is None else conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]

    def close(self) -> None:
        """Close the connection (it is reopened on the next use)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
